#include "gateway/events/webhook_sender.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <stdexcept>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "gateway/events/http_post.hpp"
#include "gateway/events/webhook_signature.hpp"

namespace sipgw::events {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

WebhookConfig validated(WebhookConfig config) {
  auto fail = [&](const std::string& why) { throw std::invalid_argument("webhook " + config.url + ": " + why); };
  if (config.max_batch == 0) fail("max_batch must be at least 1");
  if (config.max_queue == 0) fail("max_queue must be at least 1");
  if (config.timeout_ms == 0) fail("timeout_ms must be at least 1");
  if (config.retry_initial_ms == 0) fail("retry_initial_ms must be at least 1");
  if (config.retry_max_ms < config.retry_initial_ms) fail("retry_max_ms must be at least retry_initial_ms");
  if (config.single_object) config.max_batch = 1;
  return config;
}

/// 128 random bits as a UUID-shaped string (RFC 9562 version 4 layout).
std::string new_delivery_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
    id += kHex[bytes[i] >> 4];
    id += kHex[bytes[i] & 0xf];
  }
  return id;
}

}  // namespace

struct WebhookSender::State : std::enable_shared_from_this<State> {
  struct Waiting {
    std::shared_ptr<const std::string> event;
    Clock::time_point queued_at;
  };

  const WebhookConfig config;
  HttpPoster poster;
  const std::string label;
  asio::steady_timer flush_timer;  // armed while the oldest waiting event is younger than max_delay
  bool flush_armed = false;
  asio::steady_timer retry_timer;

  std::deque<Waiting> waiting;
  // The current batch: set when it is first sent, cleared only on a 2xx.
  size_t batch_events = 0;
  std::string batch_body;
  std::string delivery_id;
  unsigned attempt = 0;
  milliseconds backoff;

  WebhookStats counters;

  State(asio::io_context& io, WebhookConfig cfg)
      : config(validated(std::move(cfg))),
        poster(io, parse_http_url(config.url), config.tls_verify),
        label(poster.url().log_label()),
        flush_timer(io),
        retry_timer(io),
        backoff(config.retry_initial_ms) {}

  void enqueue(std::shared_ptr<const std::string> event) {
    if (!event) return;
    if (waiting.size() >= config.max_queue) {
      waiting.pop_front();
      ++counters.dropped;
      if (counters.dropped == 1 || counters.dropped % 1000 == 0)
        spdlog::warn("webhook {}: queue full ({} events), dropped the oldest ({} dropped so far)", label,
                     config.max_queue, counters.dropped);
    }
    waiting.push_back({std::move(event), Clock::now()});
    maybe_send();
  }

  /// Sends the next batch if none is pending and one is due (full, or its oldest event has
  /// waited max_delay); otherwise arms the flush timer for when it will be due.
  void maybe_send() {
    if (batch_events != 0) return;  // one batch at a time: in flight or waiting for its retry
    if (waiting.empty()) return;
    const Clock::time_point due = waiting.front().queued_at + milliseconds(config.max_delay_ms);
    if (waiting.size() >= config.max_batch || Clock::now() >= due) return send_next_batch();
    if (flush_armed) return;
    flush_armed = true;
    flush_timer.expires_at(due);
    flush_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->flush_armed = false;
      self->maybe_send();
    });
  }

  void send_next_batch() {
    if (flush_armed) {
      flush_timer.cancel();
      flush_armed = false;
    }
    batch_events = std::min(config.max_batch, waiting.size());
    size_t bytes = 2;
    for (size_t i = 0; i < batch_events; ++i) bytes += waiting[i].event->size() + 1;
    batch_body.clear();
    batch_body.reserve(bytes);
    if (!config.single_object) batch_body += '[';
    for (size_t i = 0; i < batch_events; ++i) {
      if (i) batch_body += ',';
      batch_body += *waiting.front().event;
      waiting.pop_front();
    }
    if (!config.single_object) batch_body += ']';
    delivery_id = new_delivery_id();
    attempt = 0;
    send_attempt();
  }

  void send_attempt() {
    ++attempt;
    HttpHeaders headers{{"Content-Type", "application/json"},
                        {"User-Agent", "sip-gateway"},
                        {"X-SipGateway-Delivery", delivery_id},
                        {"X-SipGateway-Attempt", std::to_string(attempt)}};
    if (!config.secret.empty()) headers.emplace_back(kSignatureHeader, webhook_signature(config.secret, batch_body));
    poster.post(batch_body, std::move(headers), milliseconds(config.timeout_ms),
                [weak = weak_from_this()](const HttpPostResult& result) {
                  if (auto self = weak.lock()) self->on_result(result);
                });
  }

  void on_result(const HttpPostResult& result) {
    if (result.ok()) {
      if (attempt > 1)
        spdlog::info("webhook {}: delivery {} succeeded on attempt {}", label, delivery_id, attempt);
      counters.delivered += batch_events;
      ++counters.batches;
      batch_events = 0;
      batch_body.clear();
      backoff = milliseconds(config.retry_initial_ms);
      maybe_send();
      return;
    }
    ++counters.retries;
    counters.last_error = result.describe();
    spdlog::warn("webhook {}: delivery {} ({} events) attempt {} failed: {}; retrying in {} ms", label, delivery_id,
                 batch_events, attempt, counters.last_error, backoff.count());
    retry_timer.expires_after(backoff);
    backoff = std::min(backoff * 2, milliseconds(config.retry_max_ms));
    retry_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->send_attempt();
    });
  }

  void stop() {
    poster.cancel();
    flush_timer.cancel();
    retry_timer.cancel();
  }
};

WebhookSender::WebhookSender(asio::io_context& io, WebhookConfig config)
    : state_(std::make_shared<State>(io, std::move(config))) {
  const WebhookConfig& cfg = state_->config;
  const std::string batching =
      cfg.single_object ? "one object per POST"
                        : fmt::format("batches of up to {} events, {} ms max delay", cfg.max_batch, cfg.max_delay_ms);
  spdlog::info("webhook {}: {}, queue {}, {}", state_->label, batching, cfg.max_queue,
               cfg.secret.empty() ? "unsigned" : "HMAC-SHA256 signed");
}

WebhookSender::~WebhookSender() { state_->stop(); }

void WebhookSender::enqueue(std::shared_ptr<const std::string> event_json) { state_->enqueue(std::move(event_json)); }

WebhookStats WebhookSender::stats() const {
  WebhookStats stats = state_->counters;
  stats.queued = state_->waiting.size();
  stats.in_flight = state_->batch_events;
  return stats;
}

const std::string& WebhookSender::label() const noexcept { return state_->label; }

}  // namespace sipgw::events
