#pragma once
// What the HTTP side serves: the demo page, /healthz, the two WebSocket endpoints and the
// /api/ handler (the call history API, gateway/server/call_api.hpp).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/server/message_channel.hpp"

namespace sipgw::server {

/// An HTTP request to a target under /api/, without Beast: what an API handler needs to answer.
struct ApiRequest {
  std::string method;         // "GET", "HEAD", "POST"…
  std::string target;         // path and query as received ("/api/calls?limit=10")
  std::string authorization;  // the Authorization header; "" when absent
  std::string range;          // the Range header; "" when absent
};

/// The answer to an ApiRequest. The HTTP session adds Server, Content-Length and keep-alive, and
/// leaves the body out of the answer to HEAD.
struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;       // the body, unless file_path is set
  std::string file_path;  // non-empty: the body is [file_offset, file_offset + file_length) of this file
  uint64_t file_offset = 0;
  uint64_t file_length = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // extra: WWW-Authenticate, Content-Range…
};

struct Routes {
  std::string web_root;      // static files; empty = none
  std::string events_token;  // required on /events?token=...; empty disables /events
  std::chrono::seconds websocket_idle_timeout{30};  // ping at half, close at this
  /// Opens a client protocol session on `/ws` (control thread).
  std::function<std::shared_ptr<ChannelHandler>(std::shared_ptr<MessageChannel>)> open_client;
  /// Opens an event subscriber on `/events`; `query` is the raw query string (control thread).
  std::function<std::shared_ptr<ChannelHandler>(std::shared_ptr<MessageChannel>, const std::string& query)>
      open_subscriber;
  /// Answers a request whose path is /api or under /api/ (any method). `respond` must be called
  /// exactly once, on the control thread, possibly before `api` returns. Empty: such targets are
  /// served like any other (404). Control thread.
  std::function<void(ApiRequest, std::function<void(ApiResponse)>)> api;
};

}  // namespace sipgw::server
