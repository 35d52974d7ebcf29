#pragma once
// RecordingFormat / RecordingCapture: what file a recording is written as, and whether the
// decrypted packets are also kept for forensics. Parsed from the configuration
// (`[recording] format`, `capture`; `--recording-format`, `--recording-capture`).
#include <cstdint>
#include <optional>
#include <string_view>

namespace sipgw::recorder {

enum class RecordingFormat : uint8_t {
  wav,       ///< 16-bit PCM WAV, our own writer (the default, the cheapest): "<base>.wav"
  flac,      ///< FLAC (lossless, ~half the size) through libsndfile: "<base>.flac"
  ogg_opus,  ///< Opus in Ogg (RFC 7845) through libsndfile: "<base>.opus" (RFC 7845 §9)
};

enum class RecordingCapture : uint8_t {
  none,
  pcap,  ///< "<base>.pcap": every decrypted RTP/RTCP packet of both legs (pcap_capture.hpp)
};

/// "wav", "flac", "ogg" → the format; anything else → nullopt. Any thread.
std::optional<RecordingFormat> parse_recording_format(std::string_view name) noexcept;
/// The configuration name: "wav", "flac", "ogg".
std::string_view to_string(RecordingFormat format) noexcept;
/// The audio file's extension, with its dot: ".wav", ".flac", ".opus".
std::string_view file_extension(RecordingFormat format) noexcept;

/// "none", "pcap" → the capture; anything else → nullopt. Any thread.
std::optional<RecordingCapture> parse_recording_capture(std::string_view name) noexcept;
std::string_view to_string(RecordingCapture capture) noexcept;

}  // namespace sipgw::recorder
