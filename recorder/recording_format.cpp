#include "recorder/recording_format.hpp"

namespace sipgw::recorder {

std::optional<RecordingFormat> parse_recording_format(std::string_view name) noexcept {
  if (name == "wav") return RecordingFormat::wav;
  if (name == "flac") return RecordingFormat::flac;
  if (name == "ogg") return RecordingFormat::ogg_opus;
  return std::nullopt;
}

std::string_view to_string(RecordingFormat format) noexcept {
  switch (format) {
    case RecordingFormat::wav: return "wav";
    case RecordingFormat::flac: return "flac";
    case RecordingFormat::ogg_opus: return "ogg";
  }
  return "wav";
}

std::string_view file_extension(RecordingFormat format) noexcept {
  switch (format) {
    case RecordingFormat::wav: return ".wav";
    case RecordingFormat::flac: return ".flac";
    case RecordingFormat::ogg_opus: return ".opus";
  }
  return ".wav";
}

std::optional<RecordingCapture> parse_recording_capture(std::string_view name) noexcept {
  if (name == "none") return RecordingCapture::none;
  if (name == "pcap") return RecordingCapture::pcap;
  return std::nullopt;
}

std::string_view to_string(RecordingCapture capture) noexcept {
  return capture == RecordingCapture::pcap ? "pcap" : "none";
}

}  // namespace sipgw::recorder
