#include "recorder/part_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace sipgw::recorder {

namespace {
bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}
}  // namespace

std::string normalized_directory(const std::string& directory) {
  std::string dir = directory.empty() ? "." : directory;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

std::string free_base_name(const std::string& directory, const std::string& base,
                           const std::vector<std::string>& extensions) {
  const std::string dir = normalized_directory(directory);
  for (int attempt = 1; attempt < 1000; ++attempt) {
    std::string name = attempt == 1 ? base : base + "-" + std::to_string(attempt);
    bool taken = false;
    for (const auto& ext : extensions) {
      const std::string path = dir + "/" + name + ext;
      if (exists(path) || exists(path + ".part")) {
        taken = true;
        break;
      }
    }
    if (!taken) return name;
  }
  return {};
}

bool create_part_file(const std::string& directory, const std::string& name, PartFile& out,
                      std::string& error) {
  const std::string dir = normalized_directory(directory);
  out.final_path = dir + "/" + name;
  out.part_path = out.final_path + ".part";
  out.fd = ::open(out.part_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out.fd < 0) {
    error = "open " + out.part_path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool write_all(int fd, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool pwrite_all(int fd, const void* data, size_t size, long long offset) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return true;
}

}  // namespace sipgw::recorder
