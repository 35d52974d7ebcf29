#pragma once
// Fan-out of gateway events (MISSION.md §2) to WebSocket subscribers on /events and to HTTP
// webhooks, with a persistent, numbered log so that nothing is lost across reconnects.
//
// Every event gets a strictly increasing `seq` here (continuing the stored log's numbering
// across restarts) and is written to the call store's event log. A subscriber that connects
// with `since=<seq>` first receives every stored event after that number, then the live stream,
// with no gap and no duplicate: live events are held while the replay query (which runs after
// every earlier write) is in flight. Each subscriber and each webhook has its own bounded queue:
// a slow one loses or delays only its own frames.
//
// Threads: control thread only (store results are posted back here).
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gateway/server/message_channel.hpp"
#include "protocol/gateway_event.hpp"

namespace boost::asio { class io_context; }
namespace sipgw::recorder { class CallStore; }
namespace sipgw::events { class WebhookSender; }

namespace sipgw::session {

class EventBus {
 public:
  /// `store` may be null (no persistence: `since` then replays nothing). `first_seq` is the
  /// number the next event gets (the stored maximum + 1).
  EventBus(boost::asio::io_context& io, recorder::CallStore* store, int64_t first_seq);
  ~EventBus();

  /// Numbers, persists and publishes one event to every matching subscriber and webhook.
  /// Serialised once.
  void publish(const protocol::GatewayEvent& event);

  /// Adds a webhook target; every later event is enqueued to it.
  void add_webhook(std::unique_ptr<events::WebhookSender> sender);

  /// Opens a subscriber for `channel`. `query` may hold filters: `client_id=X`,
  /// `events=a,b,c` (comma-separated names) and `since=<seq>` (replay what came after it).
  /// The returned handler unsubscribes on close.
  std::shared_ptr<server::ChannelHandler> subscribe(std::shared_ptr<server::MessageChannel> channel,
                                                    const std::string& query);

  size_t subscriber_count() const noexcept { return subscribers_.size(); }
  int64_t last_seq() const noexcept { return next_seq_ - 1; }

  struct Subscriber;

 private:
  void replay(const std::shared_ptr<Subscriber>& subscriber, int64_t after_seq);

  boost::asio::io_context& io_;
  recorder::CallStore* store_;
  int64_t next_seq_;
  std::set<std::shared_ptr<Subscriber>> subscribers_;
  std::vector<std::unique_ptr<events::WebhookSender>> webhooks_;
};

}  // namespace sipgw::session
