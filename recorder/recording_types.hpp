#pragma once
// The values that cross threads around a recording: what the control thread asks for
// (RecordingParams) and what it gets back when the recording ends (RecordingResult).
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "recorder/pcap_capture.hpp"
#include "recorder/recording_format.hpp"

namespace sipgw::recorder {

/// One RTP payload type as negotiated in SDP (RFC 4566 §6 a=rtpmap:<pt> <encoding>/<clock>[/<ch>]).
struct PayloadFormat {
  std::string encoding;      ///< case-insensitive: "PCMU", "PCMA", "opus", "telephone-event", "CN"
  uint32_t clock_rate = 8000;  ///< RTP clock, Hz (Opus: always 48000, RFC 7587 §4.1)
  uint8_t channels = 1;
};

/// Payload type number → format. The static types 0 (PCMU), 8 (PCMA) and 13 (CN) are known
/// without an entry (RFC 3551 §6); anything else unknown is counted as undecodable and skipped.
using PayloadMap = std::map<uint8_t, PayloadFormat>;

struct RecordingParams {
  /// Directory the file is written in (must exist and be writable).
  std::string directory;
  /// File name without extension, e.g. "20240131-142501_<call id>"; the file is
  /// "<directory>/<base_name><ext>.part" while recording and "<base_name><ext>" when complete,
  /// <ext> = file_extension(format) (".wav" by default); "-2", "-3", … is appended to the base
  /// name when it is taken.
  std::string base_name;
  /// The file format; nullopt: the Recorder's (RecorderOptions::format).
  std::optional<RecordingFormat> format;
  /// Raw capture beside the audio ("<base>.pcap"); nullopt: the Recorder's
  /// (RecorderOptions::capture).
  std::optional<RecordingCapture> capture;
  /// The call's media addresses, written into the capture's IPv4/UDP headers (unknown ones are
  /// documentation addresses, see CaptureEndpoints).
  CaptureEndpoints capture_endpoints;
  /// Payload types of the browser leg (as the browser sends them) and of the remote leg (as the
  /// PBX sends them). When one map is empty the other one is used for both legs.
  PayloadMap browser_payload_types;
  PayloadMap remote_payload_types;
  /// Output sample rate when either map contains Opus: 48000 (default, full band), or 24000,
  /// 16000, 12000, 8000 — libopus decodes straight to that rate. Calls without Opus are recorded
  /// at 8000 Hz (G.711's rate).
  uint32_t opus_sample_rate = 48000;
  /// The header is rewritten (and buffered audio written) at least this often, in ms.
  uint32_t flush_interval_ms = 1000;
  /// Runs on the recorder thread if the file cannot be created or a write fails (the recording
  /// then stops writing; `stop` still reports). The callee posts it to its own thread.
  std::function<void(uint64_t recording_id, const std::string& error)> on_error;
};

/// Indexes of per-leg arrays: static_cast<size_t>(Leg).
struct RecordingResult {
  uint64_t recording_id = 0;
  std::string path;             ///< "<dir>/<name><ext>" (or the .part path if writing or closing
                                ///< failed; empty if the file could not be created)
  uint64_t bytes = 0;           ///< file size in bytes (WAV: 44-byte header + data)
  uint64_t duration_ms = 0;     ///< audio in the file, ms (paused time is not in the file)
  uint32_t sample_rate = 0;     ///< Hz
  std::array<uint64_t, 2> packets{};  ///< RTP packets received per leg [browser, remote]
  std::array<uint64_t, 2> lost{};     ///< sequence-number gaps per leg (RFC 3550 §A.3): network
                                      ///< loss upstream of the gateway plus recorder-queue drops
  uint64_t late_or_duplicate = 0;     ///< packets dropped: duplicate sequence, or too late to place
  uint64_t undecodable = 0;           ///< unknown payload type or codec error
  uint64_t queue_drops = 0;           ///< packets dropped by the recorder's queues (all calls)
                                      ///< while this recording ran: the recorder was too slow
  RecordingFormat format = RecordingFormat::wav;
  std::string capture_path;     ///< "<dir>/<name>.pcap" when a capture was asked for (else empty)
  uint64_t capture_bytes = 0;   ///< its size in bytes
  bool truncated = false;             ///< the WAV 4 GiB limit was reached
  std::string error;                  ///< empty on success
};

}  // namespace sipgw::recorder
