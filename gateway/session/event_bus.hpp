#pragma once
// Fan-out of gateway events (MISSION.md §2) to every WebSocket subscriber on /events.
// Each subscriber has its own bounded queue (its connection's write queue): a slow subscriber
// loses its own frames, never delays the others.
//
// Threads: control thread only.
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gateway/server/message_channel.hpp"
#include "protocol/gateway_event.hpp"

namespace sipgw::session {

class EventBus {
 public:
  /// Publishes one event to every subscriber whose filter matches. Serialised once.
  void publish(const protocol::GatewayEvent& event);

  /// Opens a subscriber for `channel`. `query` may hold filters: `client_id=X` and
  /// `events=a,b,c` (comma-separated event names). The returned handler unsubscribes on close.
  std::shared_ptr<server::ChannelHandler> subscribe(std::shared_ptr<server::MessageChannel> channel,
                                                    const std::string& query);

  size_t subscriber_count() const noexcept { return subscribers_.size(); }
  uint64_t published() const noexcept { return published_; }

  struct Subscriber;

 private:
  std::set<std::shared_ptr<Subscriber>> subscribers_;
  uint64_t published_ = 0;
};

}  // namespace sipgw::session
