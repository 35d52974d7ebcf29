#include "recorder/pcap_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "recorder/part_file.hpp"
#include "recorder/pcap_capture.hpp"

namespace sipgw::recorder {

std::unique_ptr<PcapFile> PcapFile::create_named(const std::string& directory, const std::string& name,
                                                 std::string& error) {
  PartFile file;
  if (!create_part_file(directory, name + ".pcap", file, error)) return nullptr;
  std::unique_ptr<PcapFile> pcap(new PcapFile(file.fd, file.part_path, file.final_path));
  if (!pcap->write(PcapCapture::file_header())) {
    error = pcap->error();
    pcap->close();
    ::unlink(file.part_path.c_str());
    return nullptr;
  }
  return pcap;
}

PcapFile::PcapFile(int fd, std::string part_path, std::string final_path)
    : fd_(fd), part_path_(std::move(part_path)), final_path_(std::move(final_path)) {}

PcapFile::~PcapFile() { close(); }

bool PcapFile::write(const std::vector<uint8_t>& records) {
  if (fd_ < 0 || !error_.empty()) return false;
  if (records.empty()) return true;
  if (!write_all(fd_, records.data(), records.size())) {
    error_ = "write " + part_path_ + ": " + std::strerror(errno);
    return false;
  }
  bytes_ += records.size();
  return true;
}

bool PcapFile::close() {
  if (closed_) return error_.empty();
  closed_ = true;
  if (fd_ >= 0 && ::close(fd_) != 0 && error_.empty()) error_ = "close " + part_path_ + ": " + std::strerror(errno);
  fd_ = -1;
  if (!error_.empty()) return false;
  if (::rename(part_path_.c_str(), final_path_.c_str()) != 0) {
    error_ = "rename " + part_path_ + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace sipgw::recorder
