#pragma once
// What the HTTP side serves: the demo page, /healthz, and the two WebSocket endpoints.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "gateway/server/message_channel.hpp"

namespace sipgw::server {

struct Routes {
  std::string web_root;      // static files; empty = none
  std::string events_token;  // required on /events?token=...; empty disables /events
  std::chrono::seconds websocket_idle_timeout{30};  // ping at half, close at this
  /// Opens a client protocol session on `/ws` (control thread).
  std::function<std::shared_ptr<ChannelHandler>(std::shared_ptr<MessageChannel>)> open_client;
  /// Opens an event subscriber on `/events`; `query` is the raw query string (control thread).
  std::function<std::shared_ptr<ChannelHandler>(std::shared_ptr<MessageChannel>, const std::string& query)>
      open_subscriber;
};

}  // namespace sipgw::server
