#pragma once
// CallRecording: one call's stereo recording — left channel the browser leg, right channel the
// remote (PBX) leg — decoded from RTP and placed on one output timeline, written to a WavWriter.
//
// Timeline (output frame = one stereo sample pair at `sample_rate()`): frame f is the instant
// start + paused time + f / rate on the steady clock. A leg is *anchored* by the arrival time of a
// packet (its first, after an SSRC change, after an arrival gap of 500 ms or more, after a codec
// clock change, or when its RTP timestamp and its arrival disagree by 300 ms or more); the
// following packets are placed by their RTP timestamp relative to the anchor (RFC 3550 §5.1:
// the timestamp gives the sampling instant, so reordered packets and silence-suppressed gaps
// within a talkspurt land where they belong; only an in-order packet can re-anchor, so a late
// one never moves the timeline). Audio is held `jitter_ms` behind the newest time
// seen before it is written, so packets up to that late are still placed; later ones, and
// duplicates (same extended sequence number), are dropped and counted. Whatever no packet covers
// is silence (gaps, CN packets — RFC 3389 noise is not synthesised — and telephone-event packets,
// RFC 4733, which carry no audio).
//
// Pause: paused time is NOT written. `pause(t)` ends a segment at t; `resume(t')` continues the
// same file from there, so the file is the concatenation of the recorded segments and its
// duration is the recorded (not the elapsed) time. Packets that arrive while paused are ignored.
//
// Output: the mixed frames are collected in memory and handed to the FileWriter (the file-writer
// thread) in one block per `flush_interval_ms`, each block asking for a flush (the WAV header
// rewritten), so the recorder thread itself never touches the disk.
//
// Thread: the recorder thread only (or a test's thread); not thread-safe.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "recorder/recorded_packet.hpp"
#include "recorder/recording_types.hpp"

namespace sipgw::recorder {

class FileWriter;
class OpusStreamDecoder;
class PcapCapture;

/// What a payload type decodes as.
enum class Codec : uint8_t { unknown, pcmu, pcma, opus, telephone_event, comfort_noise };

/// Resolves `pt` through `map` (case-insensitive encoding names), then the RFC 3551 static types.
Codec codec_for(const PayloadMap& map, uint8_t pt, uint32_t* clock_rate = nullptr);

class CallRecording {
 public:
  struct Timing {
    uint32_t jitter_ms = 200;  ///< how long audio is held before it is written
  };

  /// Asks `writer` to open "<dir>/<base>.wav.part" (a failure is reported through
  /// params.on_error on the writer thread, and in the result). `start_us`: steady-clock µs of
  /// frame 0. `writer` must outlive the recording.
  static std::unique_ptr<CallRecording> create(uint64_t recording_id, const RecordingParams& params,
                                               int64_t start_us, Timing timing, FileWriter& writer);
  ~CallRecording();

  /// Places one packet's audio on the timeline (buffered; written by `advance`/`finish`).
  void add(const RecordedPacket& packet);
  /// Mixes audio up to `now_us - jitter_ms` (now = the later of `now_us` and the newest packet
  /// arrival) and, when the flush interval passed, hands it to the writer with a flush. Call
  /// every ~20-100 ms.
  void advance(int64_t now_us);
  /// Ends the current segment at `at_us` (no-op when paused).
  void pause(int64_t at_us);
  /// Starts a new segment at `at_us` (no-op when not paused).
  void resume(int64_t at_us);
  /// Hands everything up to `at_us` (or the last buffered audio, if later) to the writer and
  /// asks it to close and rename the file; `done` then runs on the writer thread with the result
  /// (file path, size and duration from the writer; `queue_drops` copied in). Call once; the
  /// object is then inert. INT64_MIN: up to the last buffered audio.
  void finish(int64_t at_us, uint64_t queue_drops, std::function<void(RecordingResult)> done);

  uint64_t id() const noexcept { return id_; }
  uint32_t sample_rate() const noexcept { return rate_; }
  bool paused() const noexcept { return paused_; }
  /// Frames mixed and handed (or about to be handed) to the writer so far (excludes the
  /// held-back buffer).
  int64_t written_frames() const noexcept { return written_; }

 private:
  struct LegState;

  CallRecording(uint64_t id, const RecordingParams& params, int64_t start_us, Timing timing,
                FileWriter& writer, uint32_t rate);
  int64_t frame_at(int64_t t_us) const noexcept;
  enum class SequenceCheck { rejected, newest, reordered };
  SequenceCheck track_sequence(LegState& leg, const RecordedPacket& packet);
  void place(size_t channel, int64_t frame, const int16_t* samples, size_t count);
  void write_until(int64_t frame);
  void hand_off(bool flush);

  uint64_t id_;
  RecordingParams params_;
  int64_t start_us_;
  Timing timing_;
  FileWriter& writer_;
  uint32_t rate_;
  std::array<std::unique_ptr<LegState>, 2> legs_;

  std::vector<int16_t> pending_;  // interleaved stereo frames [written_, written_ + pending/2)
  int64_t written_ = 0;
  std::vector<int16_t> outgoing_;  // mixed frames not yet handed to the writer
  std::unique_ptr<PcapCapture> capture_;  // when a raw capture was asked for
  std::vector<uint8_t> capture_records_;  // pcap records not yet handed to the writer
  int64_t last_hand_off_us_ = INT64_MIN;
  int64_t newest_arrival_us_ = INT64_MIN;
  int64_t paused_total_us_ = 0;
  bool paused_ = false;
  int64_t paused_at_us_ = 0;
  int64_t resumed_at_us_ = INT64_MIN;
  bool finished_ = false;
  uint64_t late_or_duplicate_ = 0;
  uint64_t undecodable_ = 0;
  std::vector<int16_t> scratch_;
};

}  // namespace sipgw::recorder
