#include "gateway/events/http_url.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace sipgw::events {
namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

[[noreturn]] void fail(std::string_view url, const char* why) {
  throw std::invalid_argument("invalid webhook URL '" + std::string(url) + "': " + why);
}

}  // namespace

HttpUrl parse_http_url(std::string_view url) {
  HttpUrl out;
  std::string_view rest;
  if (starts_with_nocase(url, "https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else if (starts_with_nocase(url, "http://")) {
    rest = url.substr(7);
  } else {
    fail(url, "the scheme must be http:// or https://");
  }
  rest = rest.substr(0, rest.find('#'));
  const size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view target = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) fail(url, "user info is not supported");

  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // RFC 3986 §3.2.2 IP-literal
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) fail(url, "unterminated IPv6 literal");
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') fail(url, "garbage after the IPv6 literal");
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) fail(url, "no host");
  if (port.empty()) {
    out.port = out.tls ? "443" : "80";
  } else {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      fail(url, "the port must be a number");
    const unsigned long value = std::stoul(std::string(port));
    if (value == 0 || value > 65535) fail(url, "the port must be 1..65535");
    out.port = std::to_string(value);
  }
  out.target = target.empty() || target.front() == '?' ? "/" + std::string(target) : std::string(target);
  return out;
}

std::string HttpUrl::host_header() const {
  const std::string bracketed = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const bool default_port = port == (tls ? "443" : "80");
  return default_port ? bracketed : bracketed + ":" + port;
}

std::string HttpUrl::log_label() const {
  return (tls ? "https://" : "http://") + host_header() + target.substr(0, target.find('?'));
}

}  // namespace sipgw::events
