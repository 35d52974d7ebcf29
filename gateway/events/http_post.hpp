#pragma once
// HttpPoster: sends HTTP/1.1 POST requests (RFC 9112) to one URL, over TCP or TLS, each on a
// fresh connection ("Connection: close"), asynchronously on an asio io_context.
// It is the only HTTP client code of the gateway's outgoing hooks (webhooks, recording hook);
// Beast and OpenSSL stay in http_post.cpp.
//
// Threads: every method, and every completion handler, runs on the io_context's thread (the
// control thread). The io_context must be run by one thread. Nothing here blocks.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include "gateway/events/http_url.hpp"

namespace sipgw::events {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// How one POST ended.
struct HttpPostResult {
  /// Transport failure (resolve, connect, TLS handshake or certificate, write, read), or
  /// boost::asio::error::timed_out when the whole exchange exceeded its timeout. Empty when a
  /// response header was received.
  boost::system::error_code error;
  std::string step;    ///< where `error` happened: "resolve", "connect", "tls", "write", "read"
  unsigned status = 0; ///< HTTP status code when `error` is empty
  std::string reason;  ///< the response's reason phrase

  /// Success is any 2xx status (RFC 9110 §15.3). Redirects are not followed.
  bool ok() const noexcept { return !error && status >= 200 && status < 300; }
  /// "HTTP 500 Internal Server Error" or "connect: Connection refused", for logs and stats.
  std::string describe() const;
};

class HttpPoster {
 public:
  using Handler = std::function<void(const HttpPostResult&)>;

  /// `tls_verify` (https only): verify the server's certificate chain against the system's
  /// default CA paths and its name against the URL's host (RFC 6125, IP literals against IP
  /// SANs). Turn off only for self-signed test receivers.
  /// Errors: throws std::runtime_error if the TLS context cannot be set up (setup time).
  HttpPoster(boost::asio::io_context& io, HttpUrl url, bool tls_verify);
  /// Cancels every request in flight; their handlers are not called.
  ~HttpPoster();
  HttpPoster(const HttpPoster&) = delete;
  HttpPoster& operator=(const HttpPoster&) = delete;

  /// Starts one POST of `body` with `headers` added to Host, Content-Length and
  /// "Connection: close". `timeout` bounds the whole exchange (resolve + connect + TLS handshake
  /// + write + reading the response header); the response body is not read. `done` is called
  /// exactly once on the control thread, never from inside post(), unless cancel() or the
  /// destructor runs first. Several posts may be in flight; callers that need ordering keep one.
  void post(std::string body, HttpHeaders headers, std::chrono::milliseconds timeout, Handler done);

  /// Aborts every request in flight without calling their handlers. Control thread.
  void cancel();

  const HttpUrl& url() const noexcept;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sipgw::events
