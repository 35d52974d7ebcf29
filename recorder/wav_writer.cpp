#include "recorder/wav_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "recorder/part_file.hpp"

namespace sipgw::recorder {

namespace {

void put_le(std::vector<uint8_t>& out, uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

void le32(uint8_t* out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
}

}  // namespace

std::vector<uint8_t> WavWriter::header(uint16_t channels, uint32_t sample_rate, uint32_t data_bytes) {
  // RIFF/WAVE with a 16-byte "fmt " chunk (WAVE_FORMAT_PCM = 1) and one "data" chunk.
  std::vector<uint8_t> h;
  h.reserve(44);
  const uint32_t block_align = channels * 2u;
  h.insert(h.end(), {'R', 'I', 'F', 'F'});
  put_le(h, 36 + data_bytes, 4);
  h.insert(h.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
  put_le(h, 16, 4);
  put_le(h, 1, 2);  // PCM
  put_le(h, channels, 2);
  put_le(h, sample_rate, 4);
  put_le(h, sample_rate * block_align, 4);  // byte rate
  put_le(h, block_align, 2);
  put_le(h, 16, 2);  // bits per sample
  h.insert(h.end(), {'d', 'a', 't', 'a'});
  put_le(h, data_bytes, 4);
  return h;
}

std::unique_ptr<WavWriter> WavWriter::create(const std::string& directory,
                                             const std::string& base_name, const Options& options,
                                             std::string& error) {
  const std::string name = free_base_name(directory, base_name, {".wav"});
  if (name.empty()) {
    error = "no free file name for " + normalized_directory(directory) + "/" + base_name;
    return nullptr;
  }
  return create_named(directory, name, options, error);
}

std::unique_ptr<WavWriter> WavWriter::create_named(const std::string& directory, const std::string& name,
                                                   const Options& options, std::string& error) {
  if (options.channels == 0 || options.sample_rate == 0) {
    error = "invalid WAV format";
    return nullptr;
  }
  PartFile file;
  if (!create_part_file(directory, name + ".wav", file, error)) return nullptr;
  std::unique_ptr<WavWriter> writer(new WavWriter(file.fd, file.part_path, file.final_path, options));
  auto h = header(options.channels, options.sample_rate, 0);
  if (!write_all(file.fd, h.data(), h.size())) {
    error = "write " + file.part_path + ": " + std::strerror(errno);
    ::close(file.fd);
    writer->fd_ = -1;
    writer->closed_ = true;
    ::unlink(file.part_path.c_str());
    return nullptr;
  }
  return writer;
}

WavWriter::WavWriter(int fd, std::string part_path, std::string final_path, const Options& options)
    : fd_(fd),
      part_path_(std::move(part_path)),
      final_path_(std::move(final_path)),
      options_(options),
      block_align_(options.channels * 2u) {
  buffer_.reserve(options_.buffer_bytes + block_align_);
  // RIFF sizes are 32-bit: the RIFF size (36 + data) must stay below 2^32.
  max_frames_ = (0xFFFFFFFFull - 36) / block_align_;
}

WavWriter::~WavWriter() { close(); }

bool WavWriter::fail(const char* what) {
  if (error_.empty()) error_ = std::string(what) + " " + part_path_ + ": " + std::strerror(errno);
  return false;
}

bool WavWriter::write(const int16_t* interleaved, size_t frames) {
  if (fd_ < 0 || !error_.empty()) return false;
  if (frames_ + frames > max_frames_) {
    truncated_ = true;
    frames = static_cast<size_t>(max_frames_ - frames_);
  }
  const size_t samples = frames * options_.channels;
  // WAV is little-endian; so is every platform we build on (static_assert below).
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "WAV writer assumes little-endian");
  const auto* bytes = reinterpret_cast<const uint8_t*>(interleaved);
  size_t remaining = samples * 2;
  while (remaining > 0) {
    size_t room = options_.buffer_bytes > buffer_.size() ? options_.buffer_bytes - buffer_.size() : 0;
    if (room == 0) {
      if (!write_buffer()) return false;
      continue;
    }
    size_t n = remaining < room ? remaining : room;
    buffer_.insert(buffer_.end(), bytes, bytes + n);
    bytes += n;
    remaining -= n;
  }
  frames_ += frames;
  return true;
}

bool WavWriter::write_silence(size_t frames) {
  static const int16_t kZeros[2048] = {};
  const size_t chunk = 2048 / options_.channels;
  while (frames > 0) {
    size_t n = frames < chunk ? frames : chunk;
    if (!write(kZeros, n)) return false;
    frames -= n;
  }
  return true;
}

bool WavWriter::write_buffer() {
  if (buffer_.empty()) return true;
  if (!write_all(fd_, buffer_.data(), buffer_.size())) return fail("write");
  buffer_.clear();
  return true;
}

bool WavWriter::flush() {
  if (fd_ < 0 || !error_.empty()) return false;
  if (!write_buffer()) return false;
  // Data first, then the sizes: a kill between the two leaves sizes that undercount, never
  // sizes that point past the end of the file.
  uint8_t sizes[4];
  const uint32_t data = static_cast<uint32_t>(data_bytes());
  le32(sizes, 36 + data);
  if (!pwrite_all(fd_, sizes, 4, 4)) return fail("pwrite");
  le32(sizes, data);
  if (!pwrite_all(fd_, sizes, 4, 40)) return fail("pwrite");
  return true;
}

bool WavWriter::maybe_flush(int64_t now_ms) {
  if (last_flush_ms_ < 0) last_flush_ms_ = now_ms;
  if (now_ms - last_flush_ms_ < static_cast<int64_t>(options_.flush_interval_ms)) return error_.empty();
  last_flush_ms_ = now_ms;
  return flush();
}

bool WavWriter::close() {
  if (closed_) return error_.empty();
  closed_ = true;
  bool ok = flush();
  if (fd_ >= 0 && ::close(fd_) != 0 && ok) ok = fail("close");
  fd_ = -1;
  if (!ok) return false;
  if (::rename(part_path_.c_str(), final_path_.c_str()) != 0) return fail("rename");
  return true;
}

}  // namespace sipgw::recorder
