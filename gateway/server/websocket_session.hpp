#pragma once
// A WebSocket connection (RFC 6455) over plain TCP or TLS: the canonical Beast write queue,
// keep-alive pings, and a MessageChannel face toward the session code.
// Beast-heavy: include only from the server's own .cpp files.
#include <chrono>
#include <functional>
#include <memory>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "gateway/server/message_channel.hpp"

namespace sipgw::server {

using HandlerFactory = std::function<std::shared_ptr<ChannelHandler>(std::shared_ptr<MessageChannel>)>;

struct WebSocketOptions {
  size_t max_queued_frames = 1024;           // beyond this, frames to a slow peer are dropped
  std::chrono::seconds idle_timeout{30};     // close when silent this long; pings at half of it
};

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;

/// Completes the upgrade of `request` on `stream` and runs the connection until it closes;
/// `factory` is called once the handshake succeeded. Control thread.
void start_websocket(PlainStream stream, UpgradeRequest request, HandlerFactory factory, WebSocketOptions options);
void start_websocket(TlsStream stream, UpgradeRequest request, HandlerFactory factory, WebSocketOptions options);

}  // namespace sipgw::server
