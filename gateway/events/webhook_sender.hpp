#pragma once
// WebhookSender: delivers gateway events to one HTTP(S) webhook target — issue 4 (b).
//
// Events are queued per target, sent in batches as a POST whose body is a JSON array of the
// events (each exactly the event object given to enqueue()), one request in flight per target,
// so a slow or dead target only delays itself. A failed POST (non-2xx, connect/TLS error,
// timeout) is retried with the SAME batch, body and delivery id after an exponential backoff,
// before anything queued behind it: order is kept and nothing queued is skipped.
//
// Delivery is at-least-once: a batch that reached the receiver but whose 2xx was lost (timeout,
// reset) is sent again. Receivers must dedupe by each event's `seq` (monotonic per gateway) or,
// for whole batches, by X-SipGateway-Delivery.
//
// Request headers:
//   Content-Type: application/json
//   User-Agent: sip-gateway
//   X-SipGateway-Delivery: <random id of the batch; the same on each retry of that batch>
//   X-SipGateway-Attempt: <1, 2, ... for that batch>
//   X-SipGateway-Signature: sha256=<hex HMAC-SHA256(secret, body)>   (RFC 2104; only with a secret)
//
// Memory bound: at most max_queue events wait; when full the OLDEST waiting event is dropped and
// counted (stats().dropped). The batch in flight (≤ max_batch events) is never dropped.
// Destroying the sender cancels the request in flight and discards what is queued.
//
// Threads: the constructor, every method and the destructor run on the io_context's thread (the
// control thread); the io_context must be run by one thread. Nothing blocks.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

namespace sipgw::events {

struct WebhookConfig {
  std::string url;                 ///< http://host[:port]/path or https://…
  std::string secret;              ///< HMAC key; empty = requests are not signed
  size_t max_batch = 50;           ///< events per POST (≥ 1)
  uint32_t max_delay_ms = 1000;    ///< a batch goes out when full or when its oldest event is this old
  size_t max_queue = 10000;        ///< waiting events (≥ 1); beyond, drop the oldest and count
  uint32_t timeout_ms = 5000;      ///< per attempt: resolve + connect + TLS + write + response header
  uint32_t retry_initial_ms = 1000;  ///< first backoff after a failed attempt …
  uint32_t retry_max_ms = 60000;     ///< … doubling up to this
  bool tls_verify = true;          ///< verify the https certificate and host name; false for self-signed test receivers
  /// POST each event alone as a bare JSON object instead of an array, as soon as it is queued
  /// (max_batch and max_delay_ms do not apply).
  /// Used by the recording hook, whose receiver expects one call record per request.
  bool single_object = false;
};

struct WebhookStats {
  uint64_t delivered = 0;  ///< events acknowledged with a 2xx
  uint64_t batches = 0;    ///< successful POSTs
  uint64_t retries = 0;    ///< failed attempts (each one is retried)
  uint64_t dropped = 0;    ///< events dropped because the queue was full
  std::string last_error;  ///< the last failed attempt, e.g. "HTTP 503 Service Unavailable"; empty if none
  size_t queued = 0;       ///< events waiting behind the current batch
  size_t in_flight = 0;    ///< events of the current batch (being sent or waiting for its retry)
};

class WebhookSender {
 public:
  /// Errors: throws std::invalid_argument for a bad URL or limits, std::runtime_error if the TLS
  /// context cannot be set up (configuration time only).
  WebhookSender(boost::asio::io_context& io, WebhookConfig config);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  /// Queues one event (a serialised JSON value, shared with other subscribers, not copied).
  /// Never blocks; may start a POST. Control thread.
  void enqueue(std::shared_ptr<const std::string> event_json);

  /// Counters for /healthz-style reporting and tests. Control thread.
  WebhookStats stats() const;

  /// "https://host:port/path" (no query), for logs.
  const std::string& label() const noexcept;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace sipgw::events
