#pragma once
// WavWriter: a 16-bit PCM WAV (RIFF/WAVE, "fmt " + "data" chunks, 44-byte header) that stays
// playable while it grows. Audio is buffered in memory and appended with write(); at least every
// `flush_interval_ms` the buffer is written and the RIFF and data sizes at offsets 4 and 40 are
// rewritten with pwrite() (no fsync/fdatasync: a killed process leaves its data in the page
// cache, so the file on disk ends up with a valid header missing at most one interval of audio;
// only a power loss can lose more). The file is "<name>.wav.part" until `close()` renames it to
// "<name>.wav".
//
// Thread: whoever owns it (the recorder's file-writer thread); not thread-safe.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "recorder/audio_sink.hpp"

namespace sipgw::recorder {

class WavWriter final : public AudioSink {
 public:
  struct Options {
    uint16_t channels = 2;
    uint32_t sample_rate = 8000;       ///< Hz
    uint32_t flush_interval_ms = 1000; ///< header rewrite period, see `maybe_flush`
    size_t buffer_bytes = 64 * 1024;   ///< in-memory buffer before a write()
  };

  /// Creates "<directory>/<base_name>.wav.part" (O_EXCL; when that name or "<base_name>.wav"
  /// exists, "-2", "-3", … is appended to the base name) and writes a header for 0 frames.
  /// Returns nullptr and sets `error` on failure.
  static std::unique_ptr<WavWriter> create(const std::string& directory,
                                           const std::string& base_name, const Options& options,
                                           std::string& error);
  /// Creates exactly "<directory>/<name>.wav.part" (O_EXCL, no suffix search: the caller chose a
  /// free name with free_base_name) and writes a header for 0 frames. nullptr + `error` on failure.
  static std::unique_ptr<WavWriter> create_named(const std::string& directory, const std::string& name,
                                                 const Options& options, std::string& error);
  /// Closes (and renames) the file if `close()` was not called.
  ~WavWriter() override;
  WavWriter(const WavWriter&) = delete;
  WavWriter& operator=(const WavWriter&) = delete;

  /// Appends `frames` interleaved frames (`frames * channels` samples). Audio past the WAV
  /// limit of 4 GiB is discarded (`truncated()` becomes true). Returns false after a write error.
  bool write(const int16_t* interleaved, size_t frames) override;
  /// Appends `frames` frames of digital silence.
  bool write_silence(size_t frames);

  /// Flushes and rewrites the header when `flush_interval_ms` passed since the last flush.
  /// `now_ms`: any monotonic clock in ms (the recorder uses steady_now_us() / 1000).
  bool maybe_flush(int64_t now_ms);
  /// Writes the buffer and rewrites the RIFF/data sizes now.
  bool flush() override;

  /// Flushes, closes and renames "<name>.wav.part" to "<name>.wav". Idempotent.
  /// Returns false (and keeps the .part file) on error; `error()` says why.
  bool close() override;

  uint64_t frames() const noexcept override { return frames_; }
  /// Data chunk bytes (frames * channels * 2).
  uint64_t data_bytes() const noexcept { return frames_ * block_align_; }
  /// Total file bytes once flushed (header + data).
  uint64_t file_bytes() const noexcept override { return 44 + data_bytes(); }
  bool truncated() const noexcept override { return truncated_; }
  const std::string& part_path() const noexcept override { return part_path_; }
  /// The path after `close()`: "<name>.wav".
  const std::string& final_path() const noexcept override { return final_path_; }
  const std::string& error() const noexcept override { return error_; }
  const Options& options() const noexcept { return options_; }

  /// The 44-byte canonical header for `data_bytes` of data (exposed for tests).
  static std::vector<uint8_t> header(uint16_t channels, uint32_t sample_rate, uint32_t data_bytes);

 private:
  WavWriter(int fd, std::string part_path, std::string final_path, const Options& options);
  bool write_buffer();
  bool fail(const char* what);

  int fd_ = -1;
  std::string part_path_;
  std::string final_path_;
  Options options_;
  uint32_t block_align_;
  std::vector<uint8_t> buffer_;
  uint64_t frames_ = 0;
  uint64_t max_frames_;
  int64_t last_flush_ms_ = -1;
  bool truncated_ = false;
  bool closed_ = false;
  std::string error_;
};

}  // namespace sipgw::recorder
