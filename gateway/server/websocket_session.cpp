#include "gateway/server/websocket_session.hpp"

#include <deque>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <spdlog/spdlog.h>

#include "protocol/messages.hpp"

namespace sipgw::server {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;

template <class Stream>
class WebSocketSession final : public MessageChannel,
                               public std::enable_shared_from_this<WebSocketSession<Stream>> {
 public:
  WebSocketSession(Stream&& stream, HandlerFactory factory, WebSocketOptions options)
      : ws_(std::move(stream)), factory_(std::move(factory)), options_(options) {
    beast::error_code ec;
    auto endpoint = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
    peer_ = ec ? "?" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  }

  void run(UpgradeRequest request) {
    beast::get_lowest_layer(ws_).expires_never();  // the websocket timeout takes over
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = std::chrono::seconds(30);
    timeout.idle_timeout = options_.idle_timeout;
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.read_message_max(protocol::kMaxMessageBytes);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& response) { response.set(beast::http::field::server, "sip-gateway"); }));
    ws_.async_accept(request, beast::bind_front_handler(&WebSocketSession::on_accept, this->shared_from_this()));
  }

  void send(std::shared_ptr<const std::string> frame) override {
    if (finished_ || close_requested_) return;
    if (queue_.size() >= options_.max_queued_frames) {
      if (dropped_++ % 100 == 0) spdlog::warn("websocket {}: peer too slow, {} frames dropped", peer_, dropped_);
      return;
    }
    queue_.push_back(std::move(frame));
    if (queue_.size() == 1 && accepted_) do_write();
  }

  void close() override {
    if (finished_ || close_requested_) return;
    close_requested_ = true;
    if (queue_.empty() && accepted_) do_close();
  }

  const std::string& peer() const override { return peer_; }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) return finish(ec);
    accepted_ = true;
    handler_ = factory_(this->shared_from_this());
    factory_ = nullptr;
    if (!queue_.empty()) do_write();
    else if (close_requested_) do_close();
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WebSocketSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return finish(ec);
    std::string frame = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (handler_) handler_->on_message(frame);
    if (!finished_) do_read();
  }

  void do_write() {
    ws_.text(true);
    ws_.async_write(boost::asio::buffer(*queue_.front()),
                    beast::bind_front_handler(&WebSocketSession::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) return finish(ec);
    queue_.pop_front();
    if (!queue_.empty()) do_write();
    else if (close_requested_) do_close();
  }

  void do_close() {
    ws_.async_close(websocket::close_code::normal, [self = this->shared_from_this()](beast::error_code) {});
  }

  void finish(beast::error_code ec) {
    if (finished_) return;
    finished_ = true;
    if (ec && ec != websocket::error::closed && ec != boost::asio::error::operation_aborted)
      spdlog::debug("websocket {}: {}", peer_, ec.message());
    queue_.clear();
    if (auto handler = std::move(handler_)) handler->on_close();
  }

  websocket::stream<Stream> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  HandlerFactory factory_;
  std::shared_ptr<ChannelHandler> handler_;
  WebSocketOptions options_;
  std::string peer_;
  size_t dropped_ = 0;
  bool accepted_ = false;
  bool close_requested_ = false;
  bool finished_ = false;
};

}  // namespace

void start_websocket(PlainStream stream, UpgradeRequest request, HandlerFactory factory, WebSocketOptions options) {
  std::make_shared<WebSocketSession<PlainStream>>(std::move(stream), std::move(factory), options)
      ->run(std::move(request));
}

void start_websocket(TlsStream stream, UpgradeRequest request, HandlerFactory factory, WebSocketOptions options) {
  std::make_shared<WebSocketSession<TlsStream>>(std::move(stream), std::move(factory), options)
      ->run(std::move(request));
}

}  // namespace sipgw::server
