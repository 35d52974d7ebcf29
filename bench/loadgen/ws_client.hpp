#pragma once
// A WebSocket client (RFC 6455) for the load generator: ws:// or wss:// (certificate not
// verified: benchmarks run against self-signed certificates on loopback), one optional
// subprotocol, text messages. Built on Boost.Beast; outgoing messages are queued so `send`
// may be called at any time after `connect`.
//
// Threads: every call and every handler runs on the io_context's (single) thread.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

namespace sipgw::loadgen {

class WsClient {
 public:
  struct Handlers {
    std::function<void()> on_open;                       // handshake done; sends flow now
    std::function<void(std::string text)> on_message;    // one text message
    std::function<void(std::string reason)> on_close;    // closed or failed; once, last call
  };

  /// Throws std::invalid_argument for a URL that is not ws://HOST:PORT/PATH or wss://....
  static std::shared_ptr<WsClient> create(boost::asio::io_context& io, const std::string& url,
                                          std::string subprotocol, Handlers handlers);
  virtual ~WsClient() = default;

  /// Resolves, connects, (TLS handshake,) WebSocket handshake; then on_open or on_close.
  virtual void connect() = 0;
  /// Queues one text message (sent in order once open; dropped after close).
  virtual void send(std::string text) = 0;
  /// Starts a normal close; on_close follows. Handlers are not called after on_close.
  virtual void close() = 0;
};

}  // namespace sipgw::loadgen
