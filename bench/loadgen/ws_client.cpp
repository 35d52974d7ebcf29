// WsClient: Beast WebSocket client, plain or TLS, one implementation templated on the stream.
#include "bench/loadgen/ws_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <stdexcept>

namespace sipgw::loadgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;
};

Url parse_url(const std::string& url) {
  Url u;
  std::string rest;
  if (url.rfind("wss://", 0) == 0) {
    u.tls = true;
    rest = url.substr(6);
  } else if (url.rfind("ws://", 0) == 0) {
    rest = url.substr(5);
  } else {
    throw std::invalid_argument("not a ws:// or wss:// URL: " + url);
  }
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = authority.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == authority.size())
    throw std::invalid_argument("URL needs HOST:PORT: " + url);
  u.host = authority.substr(0, colon);
  u.port = authority.substr(colon + 1);
  return u;
}

asio::ssl::context& client_tls_context() {
  static asio::ssl::context context = [] {
    asio::ssl::context c(asio::ssl::context::tls_client);
    c.set_verify_mode(asio::ssl::verify_none);
    return c;
  }();
  return context;
}

template <class Stream>
class Client final : public WsClient, public std::enable_shared_from_this<Client<Stream>> {
 public:
  template <class... StreamArgs>
  Client(asio::io_context& io, Url url, std::string subprotocol, Handlers handlers,
         StreamArgs&&... args)
      : resolver_(io),
        ws_(std::forward<StreamArgs>(args)...),
        url_(std::move(url)),
        subprotocol_(std::move(subprotocol)),
        handlers_(std::move(handlers)) {}

  void connect() override {
    resolver_.async_resolve(
        url_.host, url_.port,
        [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
          if (ec) return self->finish("resolve: " + ec.message());
          self->on_resolved(r);
        });
  }

  void send(std::string text) override {
    if (closed_ || closing_) return;
    outbox_.push_back(std::move(text));
    if (open_ && outbox_.size() == 1 && !writing_) write_next();
  }

  void close() override {
    if (closed_ || closing_) return;
    closing_ = true;
    if (!open_) {
      beast::get_lowest_layer(ws_).close();
      return finish("closed by us");
    }
    // A close frame is a write: it must wait for the queued messages (Beast allows one write
    // at a time), so the last of them starts it.
    if (outbox_.empty() && !writing_) start_close();
  }

 private:
  void start_close() {
    ws_.async_close(websocket::close_code::normal,
                    [self = this->shared_from_this()](beast::error_code) {
                      self->finish("closed by us");
                    });
  }

  void on_resolved(const tcp::resolver::results_type& results) {
    auto& layer = beast::get_lowest_layer(ws_);
    layer.expires_after(std::chrono::seconds(10));
    layer.async_connect(results, [self = this->shared_from_this()](
                                     beast::error_code ec, const tcp::endpoint&) {
      if (ec) return self->finish("connect: " + ec.message());
      beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true));
      self->after_connect();
    });
  }

  void after_connect() {
    if constexpr (std::is_same_v<Stream, websocket::stream<beast::ssl_stream<beast::tcp_stream>>>) {
      ws_.next_layer().async_handshake(
          asio::ssl::stream_base::client, [self = this->shared_from_this()](beast::error_code ec) {
            if (ec) return self->finish("tls handshake: " + ec.message());
            self->websocket_handshake();
          });
    } else {
      websocket_handshake();
    }
  }

  void websocket_handshake() {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    std::string subprotocol = subprotocol_;
    ws_.set_option(websocket::stream_base::decorator([subprotocol](websocket::request_type& req) {
      if (!subprotocol.empty()) req.set(beast::http::field::sec_websocket_protocol, subprotocol);
    }));
    ws_.text(true);
    ws_.async_handshake(url_.host + ":" + url_.port, url_.target,
                        [self = this->shared_from_this()](beast::error_code ec) {
                          if (ec) return self->finish("websocket handshake: " + ec.message());
                          self->open_ = true;
                          if (self->handlers_.on_open) self->handlers_.on_open();
                          if (!self->outbox_.empty() && !self->writing_) self->write_next();
                          self->read_next();
                        });
  }

  void read_next() {
    ws_.async_read(inbox_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->finish(ec == websocket::error::closed ? "closed by peer"
                                                                 : "read: " + ec.message());
      std::string text = beast::buffers_to_string(self->inbox_.data());
      self->inbox_.consume(self->inbox_.size());
      if (!self->closed_ && self->handlers_.on_message) self->handlers_.on_message(std::move(text));
      if (!self->closed_) self->read_next();
    });
  }

  void write_next() {
    writing_ = true;
    in_flight_ = std::move(outbox_.front());
    outbox_.pop_front();
    ws_.async_write(asio::buffer(in_flight_),
                    [self = this->shared_from_this()](beast::error_code ec, size_t) {
                      // After finish() the queue is gone; the buffer was kept alive by
                      // `in_flight_` until here.
                      self->writing_ = false;
                      self->in_flight_.clear();
                      if (self->closed_) return;
                      if (ec) return self->finish("write: " + ec.message());
                      if (!self->outbox_.empty()) return self->write_next();
                      if (self->closing_) self->start_close();
                    });
  }

  void finish(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    open_ = false;
    outbox_.clear();
    auto on_close = std::move(handlers_.on_close);
    handlers_ = {};
    if (on_close) on_close(reason);
  }

  tcp::resolver resolver_;
  Stream ws_;
  Url url_;
  std::string subprotocol_;
  Handlers handlers_;
  beast::flat_buffer inbox_;
  std::deque<std::string> outbox_;  // queued, not yet written
  std::string in_flight_;           // the message being written (Beast: one write at a time)
  bool writing_ = false;
  bool open_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

using PlainStream = websocket::stream<beast::tcp_stream>;
using TlsStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace

std::shared_ptr<WsClient> WsClient::create(asio::io_context& io, const std::string& url,
                                           std::string subprotocol, Handlers handlers) {
  Url parsed = parse_url(url);
  if (parsed.tls) {
    return std::make_shared<Client<TlsStream>>(io, std::move(parsed), std::move(subprotocol),
                                               std::move(handlers), io, client_tls_context());
  }
  return std::make_shared<Client<PlainStream>>(io, std::move(parsed), std::move(subprotocol),
                                               std::move(handlers), io);
}

}  // namespace sipgw::loadgen
