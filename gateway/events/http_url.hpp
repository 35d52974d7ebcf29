#pragma once
// An http:// or https:// URL split into what an HTTP/1.1 client needs (RFC 9110 §4.2,
// RFC 3986 §3): scheme, host, port and request target.
//
// Threads: pure; any thread.
#include <string>
#include <string_view>

namespace sipgw::events {

struct HttpUrl {
  bool tls = false;     ///< https
  std::string host;     ///< name or IP literal, without IPv6 brackets
  std::string port;     ///< decimal; "80"/"443" when the URL has none
  std::string target;   ///< path and query, at least "/"; the fragment is dropped

  /// The Host header value (RFC 9110 §7.2): host, plus ":port" when not the scheme's default.
  std::string host_header() const;
  /// "scheme://host:port/path" without the query (which may carry tokens), for logs.
  std::string log_label() const;
};

/// Parses "http[s]://host[:port][/path][?query]". IPv6 literals in brackets. User info
/// ("user:pass@") is refused: secrets belong in the webhook's HMAC key, not in the URL.
/// Errors: throws std::invalid_argument with the reason (configuration time only).
HttpUrl parse_http_url(std::string_view url);

}  // namespace sipgw::events
