#pragma once
// PcapFile: a recording's raw capture on disk, "<name>.pcap.part" renamed to "<name>.pcap" on
// close. The records come formatted from the recorder thread (PcapCapture); this only appends
// them. pcap has no sizes to keep up to date: a killed process leaves a file readable up to its
// last whole record.
//
// Thread: whoever owns it (the recorder's file-writer thread); not thread-safe.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sipgw::recorder {

class PcapFile {
 public:
  /// Creates exactly "<directory>/<name>.pcap.part" (O_EXCL) and writes the pcap file header.
  /// nullptr + `error` on failure.
  static std::unique_ptr<PcapFile> create_named(const std::string& directory, const std::string& name,
                                                std::string& error);
  ~PcapFile();
  PcapFile(const PcapFile&) = delete;
  PcapFile& operator=(const PcapFile&) = delete;

  /// Appends formatted records. false after a write error (`error()` says why).
  bool write(const std::vector<uint8_t>& records);
  /// Closes and renames to "<name>.pcap". Idempotent. false (the .part kept) on error.
  bool close();

  uint64_t file_bytes() const noexcept { return bytes_; }
  const std::string& part_path() const noexcept { return part_path_; }
  const std::string& final_path() const noexcept { return final_path_; }
  const std::string& error() const noexcept { return error_; }

 private:
  PcapFile(int fd, std::string part_path, std::string final_path);

  int fd_;
  std::string part_path_;
  std::string final_path_;
  uint64_t bytes_ = 0;
  bool closed_ = false;
  std::string error_;
};

}  // namespace sipgw::recorder
