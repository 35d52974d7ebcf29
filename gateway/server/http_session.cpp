#include "gateway/server/http_session.hpp"

#include <variant>

#include <boost/asio/dispatch.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include "gateway/server/query_string.hpp"
#include "gateway/server/static_files.hpp"
#include "gateway/server/websocket_session.hpp"

namespace sipgw::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

constexpr auto kRequestTimeout = std::chrono::seconds(30);
constexpr size_t kMaxRequestBody = 8 * 1024;

std::string query_of(beast::string_view target) {
  const auto q = target.find('?');
  return q == beast::string_view::npos ? std::string() : std::string(target.substr(q + 1));
}

std::string path_of(beast::string_view target) { return std::string(target.substr(0, target.find('?'))); }

bool is_api_path(const std::string& path) { return path == "/api" || path.rfind("/api/", 0) == 0; }

/// Lower bound of a download's speed before its write times out (bytes per second).
constexpr uint64_t kMinDownloadRate = 32 * 1024;

/// A window [offset, offset + length) of a file for http::basic_file_body, which sends size()
/// bytes from the file's current position (Beast 1.74): serves the Range of a recording.
class FileSlice {
 public:
  bool is_open() const { return file_.is_open(); }
  void close(beast::error_code& ec) { file_.close(ec); }
  void open(const char* path, beast::file_mode mode, beast::error_code& ec) {
    file_.open(path, mode, ec);
    length_ = ec ? 0 : file_.size(ec);
  }
  /// Narrows the file to [offset, offset + length); fails when that is not inside it.
  void select(uint64_t offset, uint64_t length, beast::error_code& ec) {
    const auto size = file_.size(ec);
    if (ec) return;
    if (offset > size || length > size - offset) {
      ec = beast::errc::make_error_code(beast::errc::invalid_argument);
      return;
    }
    file_.seek(offset, ec);
    length_ = length;
  }
  uint64_t size(beast::error_code& ec) const {
    ec = {};
    return length_;
  }
  uint64_t pos(beast::error_code& ec) const { return file_.pos(ec); }
  void seek(uint64_t offset, beast::error_code& ec) { file_.seek(offset, ec); }
  size_t read(void* buffer, size_t n, beast::error_code& ec) const { return file_.read(buffer, n, ec); }
  size_t write(const void* buffer, size_t n, beast::error_code& ec) { return file_.write(buffer, n, ec); }

 private:
  beast::file file_;
  uint64_t length_ = 0;
};

/// Constant-time comparison for the subscriber token.
bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

template <class Stream>
class HttpSession final : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <class... Args>
  HttpSession(std::shared_ptr<const Routes> routes, Args&&... args)
      : stream_(std::forward<Args>(args)...), routes_(std::move(routes)) {}

  void run() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(kRequestTimeout);
      stream_.async_handshake(boost::asio::ssl::stream_base::server,
                              beast::bind_front_handler(&HttpSession::on_handshake, this->shared_from_this()));
    } else {
      do_read();
    }
  }

 private:
  void on_handshake(beast::error_code ec) {
    if (ec) {
      spdlog::debug("tls handshake failed: {}", ec.message());
      return;
    }
    do_read();
  }

  void do_read() {
    parser_.emplace();
    parser_->body_limit(kMaxRequestBody);
    beast::get_lowest_layer(stream_).expires_after(kRequestTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return do_shutdown();
    if (ec) return;
    auto request = parser_->release();
    if (websocket::is_upgrade(request)) return upgrade(std::move(request));
    if (routes_->api && is_api_path(path_of(request.target()))) return serve_api(request);
    respond(handle(request));
  }

  void upgrade(UpgradeRequest request) {
    const auto path = path_of(request.target());
    WebSocketOptions options;
    options.idle_timeout = routes_->websocket_idle_timeout;
    if (path == "/ws" && routes_->open_client) {
      beast::get_lowest_layer(stream_).expires_never();
      start_websocket(std::move(stream_), std::move(request), routes_->open_client, options);
      return;
    }
    if (path == "/events" && routes_->open_subscriber && !routes_->events_token.empty()) {
      const auto query = query_of(request.target());
      if (!same_secret(query_value(query, "token"), routes_->events_token))
        return respond(text_response(request, http::status::unauthorized, "missing or wrong token\n"));
      auto open = routes_->open_subscriber;
      options.max_queued_frames = 4096;
      start_websocket(std::move(stream_), std::move(request),
                      [open, query](std::shared_ptr<MessageChannel> channel) { return open(std::move(channel), query); },
                      options);
      return;
    }
    respond(text_response(request, http::status::not_found, "no WebSocket endpoint here (use /ws or /events)\n"));
  }


  static http::response<http::string_body> text_response(const UpgradeRequest& request, http::status status,
                                                         std::string body) {
    http::response<http::string_body> response{status, request.version()};
    response.set(http::field::server, "sip-gateway");
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.keep_alive(request.keep_alive());
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
  }

  template <class Body>
  void respond(http::response<Body>&& response) {
    keep_alive_ = response.keep_alive();
    auto shared = std::make_shared<http::response<Body>>(std::move(response));
    http::async_write(stream_, *shared,
                      [self = this->shared_from_this(), shared](beast::error_code ec, std::size_t) {
                        self->on_write(ec);
                      });
  }

  void respond(std::variant<http::response<http::string_body>, http::response<http::file_body>>&& response) {
    std::visit([this](auto&& r) { respond(std::move(r)); }, std::move(response));
  }

  std::variant<http::response<http::string_body>, http::response<http::file_body>> handle(const UpgradeRequest& request) {
    if (request.method() != http::verb::get && request.method() != http::verb::head)
      return text_response(request, http::status::method_not_allowed, "only GET and HEAD\n");
    const auto path = path_of(request.target());
    if (path == "/healthz") return text_response(request, http::status::ok, "ok\n");
    auto file = resolve_static_file(routes_->web_root, std::string(request.target()));
    if (!file) return text_response(request, http::status::not_found, "not found\n");
    http::file_body::value_type body;
    beast::error_code ec;
    body.open(file->path.c_str(), beast::file_mode::scan, ec);
    if (ec) return text_response(request, http::status::not_found, "not found\n");
    const auto size = body.size();
    http::response<http::file_body> response{std::piecewise_construct, std::make_tuple(std::move(body)),
                                             std::make_tuple(http::status::ok, request.version())};
    response.set(http::field::server, "sip-gateway");
    response.set(http::field::content_type, file->content_type);
    response.set(http::field::cache_control, "no-cache");
    response.content_length(size);
    response.keep_alive(request.keep_alive());
    if (request.method() == http::verb::head) {
      http::response<http::string_body> head{http::status::ok, request.version()};
      head.set(http::field::content_type, file->content_type);
      head.content_length(size);
      head.keep_alive(request.keep_alive());
      return head;
    }
    return response;
  }

  /// Hands the request to Routes::api; its answer (maybe later, from a call store query) is
  /// written on this connection's executor.
  void serve_api(const UpgradeRequest& request) {
    ApiRequest api{std::string(request.method_string()), std::string(request.target()),
                   std::string(request[http::field::authorization]), std::string(request[http::field::range])};
    routes_->api(std::move(api), [self = this->shared_from_this(), version = request.version(),
                                  keep_alive = request.keep_alive(),
                                  head = request.method() == http::verb::head](ApiResponse response) mutable {
      auto executor = self->stream_.get_executor();
      boost::asio::dispatch(executor, [self = std::move(self), response = std::move(response), version, keep_alive,
                                       head]() mutable {
        self->send_api(std::move(response), version, keep_alive, head);
      });
    });
  }

  void send_api(ApiResponse api, unsigned version, bool keep_alive, bool head) {
    const auto fill = [&](auto& response) {
      response.result(static_cast<http::status>(api.status));
      response.version(version);
      response.set(http::field::server, "sip-gateway");
      response.set(http::field::content_type, api.content_type);
      for (const auto& [name, value] : api.headers) response.set(name, value);
      response.keep_alive(keep_alive);
    };
    if (!api.file_path.empty() && !head) {
      FileSlice file;
      beast::error_code ec;
      file.open(api.file_path.c_str(), beast::file_mode::scan, ec);
      if (!ec) file.select(api.file_offset, api.file_length, ec);
      http::response<http::basic_file_body<FileSlice>> response;
      if (!ec) response.body().reset(std::move(file), ec);
      if (!ec) {
        fill(response);
        response.content_length(api.file_length);
        // A recording can be large: allow for a slow but steady client.
        beast::get_lowest_layer(stream_).expires_after(kRequestTimeout +
                                                       std::chrono::seconds(api.file_length / kMinDownloadRate));
        return respond(std::move(response));
      }
      api = ApiResponse{};
      api.status = 404;
      api.body = "{\"error\":\"not_found\",\"message\":\"the file is gone\"}\n";
    }
    http::response<http::string_body> response;
    fill(response);
    // HEAD: the headers GET would send, Content-Length included, and no body.
    const uint64_t length = api.file_path.empty() ? api.body.size() : api.file_length;
    if (!head) response.body() = std::move(api.body);
    response.content_length(length);
    beast::get_lowest_layer(stream_).expires_after(kRequestTimeout);
    respond(std::move(response));
  }

  void on_write(beast::error_code ec) {
    if (ec) return;
    if (!keep_alive_) return do_shutdown();
    do_read();
  }

  void do_shutdown() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const Routes> routes_;
  bool keep_alive_ = false;
};

}  // namespace

void start_http_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> tls,
                        std::shared_ptr<const Routes> routes) {
  if (tls) {
    // The session keeps the context alive through the stream's reference; hold it too.
    auto session = std::make_shared<HttpSession<TlsStream>>(std::move(routes), std::move(socket), *tls);
    session->run();
  } else {
    std::make_shared<HttpSession<PlainStream>>(std::move(routes), std::move(socket))->run();
  }
}

}  // namespace sipgw::server
