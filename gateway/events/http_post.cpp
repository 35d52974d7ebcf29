#include "gateway/events/http_post.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace sipgw::events {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

/// Bound on the response header we parse; the body is never read.
constexpr uint32_t kMaxResponseHeader = 16 * 1024;

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

std::string HttpPostResult::describe() const {
  if (error) return step + ": " + error.message();
  return "HTTP " + std::to_string(status) + (reason.empty() ? "" : " " + reason);
}

/// The interface the poster keeps of each request in flight, to cancel it.
struct PostOperationBase {
  virtual ~PostOperationBase() = default;
  virtual void cancel() = 0;
};

struct HttpPoster::Impl {
  asio::io_context& io;
  HttpUrl url;
  bool tls_verify = true;
  std::shared_ptr<asio::ssl::context> tls;  // https only
  std::vector<std::weak_ptr<PostOperationBase>> in_flight;

  Impl(asio::io_context& io, HttpUrl url, bool tls_verify) : io(io), url(std::move(url)), tls_verify(tls_verify) {}
};

namespace {

using TcpStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

/// One POST: resolve → connect → [TLS handshake] → write → read the response header. Every
/// pending operation owns the operation (shared_from_this); one deadline timer bounds it all.
template <class Stream>
class PostOperation final : public PostOperationBase, public std::enable_shared_from_this<PostOperation<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <class... StreamArgs>
  PostOperation(const HttpPoster::Impl& poster, http::request<http::string_body> request,
                HttpPoster::Handler done, StreamArgs&&... stream_args)
      : tls_(poster.tls), url_(poster.url), tls_verify_(poster.tls_verify), resolver_(poster.io), deadline_(poster.io),
        stream_(std::forward<StreamArgs>(stream_args)...), request_(std::move(request)), done_(std::move(done)) {
    parser_.header_limit(kMaxResponseHeader);
  }

  void start(std::chrono::milliseconds timeout) {
    auto self = this->shared_from_this();
    deadline_.expires_after(timeout);
    deadline_.async_wait([self](boost::system::error_code ec) {
      if (ec) return;  // cancelled: the operation finished first
      self->timed_out_ = true;
      self->abort_io();
    });
    resolver_.async_resolve(url_.host, url_.port,
                            [self](boost::system::error_code ec, tcp::resolver::results_type endpoints) {
                              if (ec) return self->finish(ec, "resolve");
                              self->connect(endpoints);
                            });
  }

  void cancel() override {
    done_ = nullptr;
    finished_ = true;
    deadline_.cancel();
    abort_io();
  }

 private:
  void connect(const tcp::resolver::results_type& endpoints) {
    beast::get_lowest_layer(stream_).async_connect(
        endpoints, [self = this->shared_from_this()](boost::system::error_code ec, const tcp::endpoint&) {
          if (ec) return self->finish(ec, "connect");
          beast::get_lowest_layer(self->stream_).socket().set_option(tcp::no_delay(true), ec);
          self->handshake();
        });
  }

  void handshake() {
    if constexpr (kTls) {
      // RFC 6066 §3: SNI carries DNS names only, never IP literals.
      if (!is_ip_literal(url_.host)) SSL_set_tlsext_host_name(stream_.native_handle(), url_.host.c_str());
      if (tls_verify_) {
        stream_.set_verify_mode(asio::ssl::verify_peer);
        stream_.set_verify_callback(asio::ssl::host_name_verification(url_.host));
      } else {
        stream_.set_verify_mode(asio::ssl::verify_none);
      }
      stream_.async_handshake(asio::ssl::stream_base::client, [self = this->shared_from_this()](boost::system::error_code ec) {
        if (ec) return self->finish(ec, "tls");
        self->write();
      });
    } else {
      write();
    }
  }

  void write() {
    http::async_write(stream_, request_, [self = this->shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec) return self->finish(ec, "write");
      self->read();
    });
  }

  void read() {
    http::async_read_header(stream_, buffer_, parser_, [self = this->shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec) return self->finish(ec, "read");
      self->finish({}, "");
    });
  }

  void finish(boost::system::error_code ec, const char* step) {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    HttpPostResult result;
    if (timed_out_) {
      result.error = asio::error::timed_out;
      result.step = step;
    } else if (ec) {
      result.error = ec;
      result.step = step;
    } else {
      result.status = parser_.get().result_int();
      result.reason = std::string(parser_.get().reason());
    }
    // A new connection per request: no TLS close_notify exchange, the request said
    // "Connection: close" and we have what we need.
    abort_io();
    if (auto done = std::move(done_)) {
      done_ = nullptr;
      done(result);
    }
  }

  void abort_io() {
    resolver_.cancel();
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  const std::shared_ptr<asio::ssl::context> tls_;  // outlives stream_ even if the poster goes
  const HttpUrl url_;
  const bool tls_verify_;
  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  Stream stream_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::empty_body> parser_;
  HttpPoster::Handler done_;
  bool finished_ = false;
  bool timed_out_ = false;
};

}  // namespace

HttpPoster::HttpPoster(asio::io_context& io, HttpUrl url, bool tls_verify)
    : impl_(std::make_shared<Impl>(io, std::move(url), tls_verify)) {
  if (!impl_->url.tls) return;
  impl_->tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  impl_->tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                          asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                          asio::ssl::context::no_tlsv1_1);
  if (tls_verify) {
    try {
      impl_->tls->set_default_verify_paths();
    } catch (const std::exception& error) {
      throw std::runtime_error(std::string("cannot load the system CA certificates: ") + error.what());
    }
  }
}

HttpPoster::~HttpPoster() { cancel(); }

const HttpUrl& HttpPoster::url() const noexcept { return impl_->url; }

void HttpPoster::post(std::string body, HttpHeaders headers, std::chrono::milliseconds timeout, Handler done) {
  http::request<http::string_body> request{http::verb::post, impl_->url.target, 11};
  request.set(http::field::host, impl_->url.host_header());
  for (auto& [name, value] : headers) request.set(name, value);
  request.set(http::field::connection, "close");
  request.body() = std::move(body);
  request.prepare_payload();

  auto& in_flight = impl_->in_flight;
  std::erase_if(in_flight, [](const auto& op) { return op.expired(); });
  if (impl_->url.tls) {
    auto op = std::make_shared<PostOperation<TlsStream>>(*impl_, std::move(request), std::move(done), impl_->io, *impl_->tls);
    in_flight.push_back(op);
    op->start(timeout);
  } else {
    auto op = std::make_shared<PostOperation<TcpStream>>(*impl_, std::move(request), std::move(done), impl_->io);
    in_flight.push_back(op);
    op->start(timeout);
  }
}

void HttpPoster::cancel() {
  for (const auto& weak : impl_->in_flight)
    if (auto op = weak.lock()) op->cancel();
  impl_->in_flight.clear();
}

}  // namespace sipgw::events
