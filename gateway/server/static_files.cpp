#include "gateway/server/static_files.hpp"

#include <filesystem>
#include <system_error>

namespace sipgw::server {
namespace {

std::string_view content_type_for(const std::filesystem::path& path) {
  const auto ext = path.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".wav") return "audio/wav";
  if (ext == ".txt" || ext == ".md") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

std::optional<StaticFile> resolve_static_file(const std::string& web_root, std::string_view target) {
  namespace fs = std::filesystem;
  if (web_root.empty() || target.empty() || target.front() != '/') return std::nullopt;
  target = target.substr(0, target.find_first_of("?#"));
  if (target.find("..") != std::string_view::npos || target.find('\0') != std::string_view::npos ||
      target.find('\\') != std::string_view::npos)
    return std::nullopt;
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(web_root, ec);
  if (ec) return std::nullopt;
  fs::path path = root / fs::path(std::string(target.substr(1)));
  if (fs::is_directory(path, ec)) path /= "index.html";
  path = fs::weakly_canonical(path, ec);
  if (ec || !fs::is_regular_file(path, ec)) return std::nullopt;
  const auto relative = path.lexically_relative(root);
  if (relative.empty() || *relative.begin() == "..") return std::nullopt;
  return StaticFile{path.string(), std::string(content_type_for(path))};
}

}  // namespace sipgw::server
