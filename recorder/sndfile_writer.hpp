#pragma once
// SndfileWriter: a recording written through libsndfile — FLAC (16-bit, lossless) or Opus in Ogg
// (RFC 7845) — as "<name>.flac.part" / "<name>.opus.part", renamed on close. The formats stream:
// libsndfile writes each encoded FLAC frame (4096 samples) or Ogg page as soon as it is complete,
// so a killed process leaves a file readable up to its last whole frame/page (FLAC's STREAMINFO
// then says 0 samples, "unknown", RFC 9639 §8.2; the total is written at close). There is no
// header to keep up to date: `flush` does nothing.
//
// Thread: whoever owns it (the recorder's file-writer thread); not thread-safe.
#include <memory>
#include <string>

#include "recorder/audio_sink.hpp"
#include "recorder/recording_format.hpp"

typedef struct sf_private_tag SNDFILE;

namespace sipgw::recorder {

class SndfileWriter final : public AudioSink {
 public:
  /// Creates exactly "<directory>/<name><file_extension(format)>.part" (O_EXCL) and opens it for
  /// `format` (flac or ogg_opus; Opus needs a rate of 8000, 12000, 16000, 24000 or 48000 Hz).
  /// nullptr + `error` on failure (the .part file is removed).
  static std::unique_ptr<SndfileWriter> create_named(const std::string& directory, const std::string& name,
                                                     RecordingFormat format, uint16_t channels,
                                                     uint32_t sample_rate, std::string& error);
  ~SndfileWriter() override;
  SndfileWriter(const SndfileWriter&) = delete;
  SndfileWriter& operator=(const SndfileWriter&) = delete;

  bool write(const int16_t* interleaved, size_t frames) override;
  bool flush() override;
  bool close() override;

  uint64_t frames() const noexcept override { return frames_; }
  uint64_t file_bytes() const noexcept override;
  bool truncated() const noexcept override { return false; }
  const std::string& part_path() const noexcept override { return part_path_; }
  const std::string& final_path() const noexcept override { return final_path_; }
  const std::string& error() const noexcept override { return error_; }

 private:
  SndfileWriter(SNDFILE* file, std::string part_path, std::string final_path);

  SNDFILE* file_;
  std::string part_path_;
  std::string final_path_;
  uint64_t frames_ = 0;
  bool closed_ = false;
  std::string error_;
};

}  // namespace sipgw::recorder
