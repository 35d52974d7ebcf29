#include "gateway/session/event_bus.hpp"

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "gateway/events/webhook_sender.hpp"
#include "gateway/server/query_string.hpp"
#include "recorder/call_store.hpp"

namespace sipgw::session {
namespace {

constexpr int kReplayPage = 1000;  // recorder::kMaxEventPage

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

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct EventBus::Subscriber final : server::ChannelHandler, std::enable_shared_from_this<Subscriber> {
  EventBus* bus = nullptr;
  std::weak_ptr<server::MessageChannel> channel;
  std::string client_id;          // empty = every client
  std::set<std::string> events;   // empty = every event
  bool replaying = false;         // live events are held until the replay is sent
  int64_t replayed_up_to = 0;     // highest seq already sent
  std::deque<std::pair<int64_t, std::shared_ptr<const std::string>>> held;
  bool closed = false;

  bool wants(const std::string& event_client, const std::string& event_name) const {
    return (client_id.empty() || client_id == event_client) && (events.empty() || events.count(event_name));
  }
  void send(int64_t seq, std::shared_ptr<const std::string> frame) {
    if (seq <= replayed_up_to) return;  // already sent by the replay
    replayed_up_to = seq;
    if (auto c = channel.lock()) c->send(std::move(frame));
  }
  void on_message(const std::string&) override {}  // subscribers only receive
  void on_close() override {
    closed = true;
    spdlog::info("event subscriber left");
    bus->subscribers_.erase(shared_from_this());
  }
};

EventBus::EventBus(boost::asio::io_context& io, recorder::CallStore* store, int64_t first_seq)
    : io_(io), store_(store), next_seq_(first_seq) {}

EventBus::~EventBus() = default;

void EventBus::add_webhook(std::unique_ptr<events::WebhookSender> sender) { webhooks_.push_back(std::move(sender)); }

void EventBus::publish(const protocol::GatewayEvent& event) {
  const int64_t seq = next_seq_++;
  const int64_t at = now_ms();
  auto body = protocol::to_json(event);
  body["seq"] = seq;
  body["timestamp_ms"] = at;
  auto frame = std::make_shared<const std::string>(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (store_) store_->append_event(seq, at, event.session_id, event.client_id, event.event, *frame);
  for (const auto& subscriber : subscribers_) {
    if (!subscriber->wants(event.client_id, event.event)) continue;
    if (subscriber->replaying) subscriber->held.emplace_back(seq, frame);
    else subscriber->send(seq, frame);
  }
  for (const auto& webhook : webhooks_) webhook->enqueue(frame);
  spdlog::debug("event {} #{} session {} client {}", event.event, seq, event.session_id, event.client_id);
}

std::shared_ptr<server::ChannelHandler> EventBus::subscribe(std::shared_ptr<server::MessageChannel> channel,
                                                            const std::string& query) {
  auto subscriber = std::make_shared<Subscriber>();
  subscriber->bus = this;
  subscriber->channel = channel;
  subscriber->client_id = server::query_value(query, "client_id");
  subscriber->events = split_names(server::query_value(query, "events"));
  subscribers_.insert(subscriber);
  const auto since = server::query_value(query, "since");
  int64_t after = -1;
  if (!since.empty() && since.size() <= 18 && since.find_first_not_of("0123456789") == std::string::npos)
    after = std::stoll(since);
  spdlog::info("event subscriber joined from {}{}", channel->peer(),
               after >= 0 ? " (replay after #" + std::to_string(after) + ")" : "");
  if (after >= 0 && store_) {
    subscriber->replaying = true;
    subscriber->replayed_up_to = after;
    replay(subscriber, after);
  } else {
    subscriber->replayed_up_to = next_seq_ - 1;  // live from here
  }
  return subscriber;
}

void EventBus::replay(const std::shared_ptr<Subscriber>& subscriber, int64_t after_seq) {
  std::weak_ptr<Subscriber> weak = subscriber;
  store_->events_since(after_seq, kReplayPage, [this, weak](recorder::StoreResult<std::vector<recorder::StoredEvent>> page) {
    boost::asio::post(io_, [this, weak, page = std::move(page)]() mutable {
      auto subscriber = weak.lock();
      if (!subscriber || subscriber->closed) return;
      if (!page.ok()) {
        spdlog::warn("event replay failed: {}", page.error());
      } else {
        for (auto& stored : page.value())
          if (subscriber->wants(stored.client_id, stored.name))
            subscriber->send(stored.seq, std::make_shared<const std::string>(std::move(stored.body)));
          else
            subscriber->replayed_up_to = std::max(subscriber->replayed_up_to, stored.seq);
        if (static_cast<int>(page.value().size()) == kReplayPage) {
          // More stored events than one page: ask for the next page; live ones stay held.
          return replay(subscriber, page.value().back().seq);
        }
      }
      subscriber->replaying = false;
      for (auto& [seq, frame] : subscriber->held) subscriber->send(seq, std::move(frame));
      subscriber->held.clear();
    });
  });
}

}  // namespace sipgw::session
