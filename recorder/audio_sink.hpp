#pragma once
// AudioSink: an audio file being written — interleaved 16-bit frames in, a "<name>.part" file
// that becomes "<name>" on close (part_file.hpp). Implemented by WavWriter (our own, the default)
// and SndfileWriter (FLAC, Ogg/Opus through libsndfile).
//
// Thread: whoever owns it (the recorder's file-writer thread); not thread-safe.
#include <cstddef>
#include <cstdint>
#include <string>

namespace sipgw::recorder {

class AudioSink {
 public:
  virtual ~AudioSink() = default;

  /// Appends `frames` interleaved frames (frames × channels samples). Returns false after a write
  /// error (`error()` says why; later calls do nothing).
  virtual bool write(const int16_t* interleaved, size_t frames) = 0;
  /// Makes everything written so far readable from the file as it is (WAV: writes the buffer and
  /// rewrites the header sizes). Returns false after a write error.
  virtual bool flush() = 0;
  /// Flushes, closes and renames the .part file to its final name. Idempotent. Returns false
  /// (and keeps the .part file) on error.
  virtual bool close() = 0;

  /// Frames accepted so far (excluding any discarded past a format limit).
  virtual uint64_t frames() const = 0;
  /// Bytes of the file on disk (after `close`: its final size).
  virtual uint64_t file_bytes() const = 0;
  /// A format limit was reached and later audio discarded (WAV: 4 GiB).
  virtual bool truncated() const = 0;
  virtual const std::string& part_path() const = 0;
  virtual const std::string& final_path() const = 0;
  /// Empty while everything succeeded; the first failure otherwise ("write <path>: <strerror>").
  virtual const std::string& error() const = 0;
};

}  // namespace sipgw::recorder
