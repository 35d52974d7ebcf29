#include "recorder/sndfile_writer.hpp"

#include <sndfile.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recorder/part_file.hpp"

namespace sipgw::recorder {

std::unique_ptr<SndfileWriter> SndfileWriter::create_named(const std::string& directory, const std::string& name,
                                                           RecordingFormat format, uint16_t channels,
                                                           uint32_t sample_rate, std::string& error) {
  SF_INFO info{};
  info.channels = channels;
  info.samplerate = static_cast<int>(sample_rate);
  switch (format) {
    case RecordingFormat::flac: info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16; break;
    case RecordingFormat::ogg_opus: info.format = SF_FORMAT_OGG | SF_FORMAT_OPUS; break;
    case RecordingFormat::wav:
      error = "SndfileWriter writes flac and ogg only";
      return nullptr;
  }
  if (!sf_format_check(&info)) {
    error = std::string("libsndfile cannot write ") + std::string(to_string(format)) + " at " +
            std::to_string(sample_rate) + " Hz, " + std::to_string(channels) + " channels";
    return nullptr;
  }
  PartFile file;
  if (!create_part_file(directory, name + std::string(file_extension(format)), file, error)) return nullptr;
  // close_desc = SF_TRUE: libsndfile owns the descriptor from here on, also when it fails.
  SNDFILE* sf = sf_open_fd(file.fd, SFM_WRITE, &info, SF_TRUE);
  if (sf == nullptr) {
    error = "libsndfile " + file.part_path + ": " + sf_strerror(nullptr);
    ::unlink(file.part_path.c_str());
    return nullptr;
  }
  return std::unique_ptr<SndfileWriter>(new SndfileWriter(sf, file.part_path, file.final_path));
}

SndfileWriter::SndfileWriter(SNDFILE* file, std::string part_path, std::string final_path)
    : file_(file), part_path_(std::move(part_path)), final_path_(std::move(final_path)) {}

SndfileWriter::~SndfileWriter() { close(); }

bool SndfileWriter::write(const int16_t* interleaved, size_t frames) {
  if (file_ == nullptr || !error_.empty()) return false;
  const sf_count_t written = sf_writef_short(file_, interleaved, static_cast<sf_count_t>(frames));
  if (written != static_cast<sf_count_t>(frames) || sf_error(file_) != SF_ERR_NO_ERROR) {
    error_ = "write " + part_path_ + ": " + sf_strerror(file_);
    return false;
  }
  frames_ += frames;
  return true;
}

bool SndfileWriter::flush() { return error_.empty(); }

uint64_t SndfileWriter::file_bytes() const noexcept {
  struct stat st;
  if (::stat((closed_ && error_.empty() ? final_path_ : part_path_).c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

bool SndfileWriter::close() {
  if (closed_) return error_.empty();
  closed_ = true;
  // sf_close writes what the encoder still holds (and FLAC's STREAMINFO totals).
  if (sf_close(file_) != 0 && error_.empty()) error_ = "close " + part_path_ + ": " + sf_strerror(nullptr);
  file_ = nullptr;
  if (!error_.empty()) return false;
  if (::rename(part_path_.c_str(), final_path_.c_str()) != 0) {
    error_ = "rename " + part_path_ + ": " + std::string(strerror(errno));
    return false;
  }
  return true;
}

}  // namespace sipgw::recorder
