#include "gateway/session/event_bus.hpp"

#include <spdlog/spdlog.h>

#include "gateway/server/query_string.hpp"

namespace sipgw::session {
namespace {

std::set<std::string> split_names(const std::string& list) {
  std::set<std::string> names;
  size_t start = 0;
  while (start < list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) names.insert(list.substr(start, end - start));
    start = end + 1;
  }
  return names;
}

}  // namespace

struct EventBus::Subscriber final : server::ChannelHandler, std::enable_shared_from_this<Subscriber> {
  EventBus* bus = nullptr;
  std::weak_ptr<server::MessageChannel> channel;
  std::string client_id;          // empty = every client
  std::set<std::string> events;   // empty = every event

  bool wants(const protocol::GatewayEvent& event) const {
    return (client_id.empty() || client_id == event.client_id) && (events.empty() || events.count(event.event));
  }
  void on_message(const std::string&) override {}  // subscribers only receive
  void on_close() override {
    spdlog::info("event subscriber left");
    bus->subscribers_.erase(shared_from_this());
  }
};

void EventBus::publish(const protocol::GatewayEvent& event) {
  ++published_;
  std::shared_ptr<const std::string> frame;
  for (const auto& subscriber : subscribers_) {
    if (!subscriber->wants(event)) continue;
    auto channel = subscriber->channel.lock();
    if (!channel) continue;
    if (!frame) frame = std::make_shared<const std::string>(protocol::to_json(event).dump());
    channel->send(frame);
  }
  spdlog::debug("event {} session {} client {}", event.event, event.session_id, event.client_id);
}

std::shared_ptr<server::ChannelHandler> EventBus::subscribe(std::shared_ptr<server::MessageChannel> channel,
                                                            const std::string& query) {
  auto subscriber = std::make_shared<Subscriber>();
  subscriber->bus = this;
  subscriber->channel = channel;
  subscriber->client_id = server::query_value(query, "client_id");
  subscriber->events = split_names(server::query_value(query, "events"));
  subscribers_.insert(subscriber);
  spdlog::info("event subscriber joined from {}", channel->peer());
  return subscriber;
}

}  // namespace sipgw::session
