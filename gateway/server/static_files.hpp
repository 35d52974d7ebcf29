#pragma once
// Resolution of request targets to files under the web root (the demo page).
#include <optional>
#include <string>
#include <string_view>

namespace sipgw::server {

struct StaticFile {
  std::string path;          // absolute path of an existing regular file
  std::string content_type;  // e.g. "text/html; charset=utf-8"
};

/// Maps `target` ("/", "/app.js?x=1") to a file under `web_root`. Rejects "..", NUL and
/// anything that resolves outside the root; "/" and directories map to index.html.
/// Returns nullopt when there is no such file. Control thread (blocking stat, small).
std::optional<StaticFile> resolve_static_file(const std::string& web_root, std::string_view target);

}  // namespace sipgw::server
