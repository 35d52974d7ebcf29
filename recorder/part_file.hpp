#pragma once
// Part files: every file the recorder writes is created as "<name>.part" (O_EXCL) and renamed to
// "<name>" once complete, so a reader never mistakes a growing file for a finished one. A
// recording's files (audio, optional capture) share one base name: `free_base_name` picks the
// first of "<base>", "<base>-2", "<base>-3", … that none of them uses yet.
//
// Thread: any (plain functions; the recorder calls them on its file-writer thread).
#include <string>
#include <vector>

namespace sipgw::recorder {

/// `directory` without a trailing '/', "." when empty.
std::string normalized_directory(const std::string& directory);

/// The first of base, base-2, … (up to base-999) such that for every extension `e` in
/// `extensions` (with its dot: ".wav", ".pcap") neither "<dir>/<b><e>" nor "<dir>/<b><e>.part"
/// exists. Empty when none is free.
std::string free_base_name(const std::string& directory, const std::string& base,
                           const std::vector<std::string>& extensions);

struct PartFile {
  int fd = -1;             ///< open for writing (O_WRONLY | O_CLOEXEC), owned by the caller
  std::string part_path;   ///< "<dir>/<name>.part"
  std::string final_path;  ///< "<dir>/<name>"
};

/// Creates "<directory>/<name>.part" with O_CREAT | O_EXCL, mode 0644. Returns false and sets
/// `error` ("open <path>: <strerror>") when it exists or cannot be created.
bool create_part_file(const std::string& directory, const std::string& name, PartFile& out,
                      std::string& error);

/// write(2) all of `data`, retrying on EINTR and short writes. false: errno says why.
bool write_all(int fd, const void* data, size_t size);
/// pwrite(2) all of `data` at `offset`, retrying on EINTR and short writes. false: errno says why.
bool pwrite_all(int fd, const void* data, size_t size, long long offset);

}  // namespace sipgw::recorder
