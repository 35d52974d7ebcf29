// WebhookSender against real local receivers: retry until delivered (every event exactly once,
// in order), signatures, batching by size and age, isolation between targets, queue overflow,
// HTTPS with a self-signed certificate.
#include "gateway/events/webhook_sender.hpp"

#include <gtest/gtest.h>

#include "events_test_support.hpp"
#include "gateway/events/http_url.hpp"
#include "gateway/events/webhook_signature.hpp"
#include "test_receiver.hpp"

namespace sipgw::events::test {
namespace {

constexpr const char* kSecret = "s3cret-key";

WebhookConfig fast_config(const std::string& url) {
  WebhookConfig config;
  config.url = url;
  config.secret = kSecret;
  config.max_batch = 10;
  config.max_delay_ms = 50;
  config.timeout_ms = 2000;
  config.retry_initial_ms = 100;
  config.retry_max_ms = 400;
  return config;
}

long long ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

TEST(WebhookUrl, ParsesWhatTheConfigAccepts) {
  const HttpUrl a = parse_http_url("https://hooks.example.com/in?token=x#frag");
  EXPECT_TRUE(a.tls);
  EXPECT_EQ(a.host, "hooks.example.com");
  EXPECT_EQ(a.port, "443");
  EXPECT_EQ(a.target, "/in?token=x");
  EXPECT_EQ(a.host_header(), "hooks.example.com");
  EXPECT_EQ(a.log_label(), "https://hooks.example.com/in");
  const HttpUrl b = parse_http_url("http://[::1]:8080");
  EXPECT_FALSE(b.tls);
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, "8080");
  EXPECT_EQ(b.target, "/");
  EXPECT_EQ(b.host_header(), "[::1]:8080");
  EXPECT_THROW(parse_http_url("ftp://x/"), std::invalid_argument);
  EXPECT_THROW(parse_http_url("http://user:pw@x/"), std::invalid_argument);
  EXPECT_THROW(parse_http_url("http://x:99999/"), std::invalid_argument);
  EXPECT_THROW(parse_http_url("http:///path"), std::invalid_argument);
}

TEST(WebhookSignature, MatchesRfc4231TestCase2) {
  EXPECT_EQ(webhook_signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// Issue 4: "a webhook receiver that fails twice then succeeds gets every event once".
TEST(WebhookSender, ReceiverFailingTwiceThenSucceedingGetsEveryEventOnceInOrder) {
  TestReceiver receiver;
  receiver.script({Reply::kError500, Reply::kReset});
  ControlLoop loop;
  WebhookSender sender(loop.io, fast_config(receiver.url()));

  for (int seq = 1; seq <= 25; ++seq) sender.enqueue(make_event(seq));
  // More events arrive while the first batch is being retried: they must queue behind it.
  ASSERT_TRUE(loop.run_until([&] { return receiver.request_count() >= 2; }));
  for (int seq = 26; seq <= 40; ++seq) sender.enqueue(make_event(seq));
  ASSERT_TRUE(loop.run_until([&] { return sender.stats().delivered == 40; }));
  loop.run_for(150ms);  // nothing more may arrive

  EXPECT_EQ(all_seqs(receiver.accepted_bodies()), range(1, 40));
  const auto requests = receiver.requests();
  ASSERT_GE(requests.size(), 3u);
  // The same batch, body and delivery id on each retry; attempts numbered.
  EXPECT_EQ(seqs_of(requests[0].body), range(1, 10));
  EXPECT_EQ(requests[1].body, requests[0].body);
  EXPECT_EQ(requests[2].body, requests[0].body);
  EXPECT_EQ(requests[1].delivery, requests[0].delivery);
  EXPECT_EQ(requests[2].delivery, requests[0].delivery);
  EXPECT_EQ(requests[0].attempt, "1");
  EXPECT_EQ(requests[2].attempt, "3");
  EXPECT_NE(requests[3].delivery, requests[0].delivery);
  EXPECT_EQ(requests[0].delivery.size(), 36u);
  // Exponential backoff: 100 ms, then 200 ms.
  EXPECT_GE(ms_between(requests[0].at, requests[1].at), 90);
  EXPECT_GE(ms_between(requests[1].at, requests[2].at), 190);
  for (const auto& request : requests) {
    EXPECT_EQ(request.target, "/hook");
    EXPECT_EQ(request.content_type, "application/json");
    EXPECT_EQ(request.user_agent, "sip-gateway");
    EXPECT_TRUE(signature_valid(kSecret, request.body, request.signature)) << request.signature;
    EXPECT_LE(seqs_of(request.body).size(), 10u);
  }
  const WebhookStats stats = sender.stats();
  EXPECT_EQ(stats.delivered, 40u);
  EXPECT_EQ(stats.retries, 2u);
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_EQ(stats.in_flight, 0u);
  EXPECT_FALSE(stats.last_error.empty());
}

TEST(WebhookSender, TimeoutIsRetriedWithTheSameBatch) {
  TestReceiver receiver;
  receiver.script({Reply::kStall});
  ControlLoop loop;
  WebhookConfig config = fast_config(receiver.url());
  config.timeout_ms = 300;
  config.retry_initial_ms = 50;
  WebhookSender sender(loop.io, config);
  for (int seq = 1; seq <= 3; ++seq) sender.enqueue(make_event(seq));
  ASSERT_TRUE(loop.run_until([&] { return sender.stats().delivered == 3; }));

  EXPECT_EQ(all_seqs(receiver.accepted_bodies()), range(1, 3));
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].body, requests[0].body);
  EXPECT_GE(ms_between(requests[0].at, requests[1].at), 300 + 50 - 20);
  EXPECT_EQ(sender.stats().retries, 1u);
  EXPECT_NE(sender.stats().last_error.find("timed out"), std::string::npos) << sender.stats().last_error;
}

TEST(WebhookSender, UnreachableTargetKeepsTheBatchAndBacksOff) {
  // Connection refused on a port nobody listens on (yet).
  uint16_t port = 0;
  {
    TestReceiver probe;
    port = probe.port();
  }
  ControlLoop loop;
  WebhookConfig config = fast_config("http://127.0.0.1:" + std::to_string(port) + "/hook");
  config.retry_initial_ms = 20;
  config.retry_max_ms = 80;
  WebhookSender sender(loop.io, config);
  sender.enqueue(make_event(1));
  ASSERT_TRUE(loop.run_until([&] { return sender.stats().retries >= 4; }));
  EXPECT_NE(sender.stats().last_error.find("connect"), std::string::npos) << sender.stats().last_error;
  EXPECT_EQ(sender.stats().in_flight, 1u);
}

TEST(WebhookSender, BatchSizeAndMaxDelayAreHonoured) {
  TestReceiver receiver;
  ControlLoop loop;
  WebhookConfig config = fast_config(receiver.url());
  config.max_batch = 5;
  config.max_delay_ms = 1000;
  WebhookSender sender(loop.io, config);

  const auto start = Clock::now();
  for (int seq = 1; seq <= 12; ++seq) sender.enqueue(make_event(seq));
  ASSERT_TRUE(loop.run_until([&] { return receiver.request_count() == 2; }));
  EXPECT_LT(ms_between(start, Clock::now()), 500) << "full batches go out at once";
  ASSERT_TRUE(loop.run_until([&] { return receiver.request_count() == 3; }));
  auto requests = receiver.requests();
  EXPECT_EQ(seqs_of(requests[0].body), range(1, 5));
  EXPECT_EQ(seqs_of(requests[1].body), range(6, 10));
  EXPECT_EQ(seqs_of(requests[2].body), range(11, 12));
  EXPECT_GE(ms_between(start, requests[2].at), 990) << "a partial batch waits for max_delay";

  const auto lone = Clock::now();
  sender.enqueue(make_event(13));
  loop.run_for(700ms);
  EXPECT_EQ(receiver.request_count(), 3u) << "not yet: younger than max_delay";
  ASSERT_TRUE(loop.run_until([&] { return receiver.request_count() == 4; }));
  requests = receiver.requests();
  EXPECT_EQ(seqs_of(requests[3].body), std::vector<int>{13});
  EXPECT_GE(ms_between(lone, requests[3].at), 990);
  EXPECT_LT(ms_between(lone, requests[3].at), 2500);
  EXPECT_EQ(sender.stats().delivered, 13u);
  EXPECT_EQ(sender.stats().batches, 4u);
}

TEST(WebhookSender, SlowTargetDoesNotDelayAnotherTarget) {
  TestReceiver slow;
  slow.set_delay(3s);
  TestReceiver fast;
  ControlLoop loop;
  WebhookConfig config = fast_config("");
  config.max_batch = 5;
  config.max_delay_ms = 20;
  config.timeout_ms = 10000;
  config.url = slow.url();
  WebhookSender to_slow(loop.io, config);
  config.url = fast.url();
  WebhookSender to_fast(loop.io, config);

  const auto start = Clock::now();
  for (int seq = 1; seq <= 20; ++seq) {
    auto event = make_event(seq);  // one serialised event shared by both subscribers
    to_slow.enqueue(event);
    to_fast.enqueue(event);
    loop.run_for(10ms);
  }
  ASSERT_TRUE(loop.run_until([&] { return to_fast.stats().delivered == 20; }, 2s));
  EXPECT_LT(ms_between(start, Clock::now()), 1500);
  EXPECT_EQ(all_seqs(fast.accepted_bodies()), range(1, 20));
  EXPECT_EQ(to_slow.stats().delivered, 0u);
  EXPECT_EQ(slow.request_count(), 1u) << "one request in flight per target";
  EXPECT_EQ(to_slow.stats().queued + to_slow.stats().in_flight, 20u);
}

TEST(WebhookSender, FullQueueDropsTheOldestWaitingEventsAndCountsThem) {
  TestReceiver receiver;
  receiver.set_delay(400ms);
  ControlLoop loop;
  WebhookConfig config = fast_config(receiver.url());
  config.max_batch = 2;
  config.max_delay_ms = 0;
  config.max_queue = 5;
  WebhookSender sender(loop.io, config);

  sender.enqueue(make_event(1));  // goes out at once and is held by the slow receiver
  ASSERT_TRUE(loop.run_until([&] { return receiver.request_count() == 1; }));
  for (int seq = 2; seq <= 12; ++seq) sender.enqueue(make_event(seq));
  WebhookStats stats = sender.stats();
  EXPECT_EQ(stats.dropped, 6u);  // 2..7
  EXPECT_EQ(stats.queued, 5u);   // 8..12
  EXPECT_EQ(stats.in_flight, 1u);

  ASSERT_TRUE(loop.run_until([&] { return sender.stats().delivered == 6; }));
  EXPECT_EQ(all_seqs(receiver.accepted_bodies()), (std::vector<int>{1, 8, 9, 10, 11, 12}));
  EXPECT_EQ(sender.stats().dropped, 6u);
}

TEST(WebhookSender, HttpsWithSelfSignedCertificate) {
  const SelfSigned cert = make_self_signed_certificate();
  TestReceiver receiver(make_server_tls(cert));
  ControlLoop loop;

  WebhookConfig config = fast_config(receiver.url());
  config.tls_verify = false;
  WebhookSender unverified(loop.io, config);
  for (int seq = 1; seq <= 15; ++seq) unverified.enqueue(make_event(seq));
  ASSERT_TRUE(loop.run_until([&] { return unverified.stats().delivered == 15; }));
  EXPECT_EQ(all_seqs(receiver.accepted_bodies()), range(1, 15));
  for (const auto& request : receiver.requests()) EXPECT_TRUE(signature_valid(kSecret, request.body, request.signature));

  // Verification is on by default: the self-signed certificate is refused before any request.
  config.tls_verify = true;
  WebhookSender verified(loop.io, config);
  verified.enqueue(make_event(99));
  ASSERT_TRUE(loop.run_until([&] { return verified.stats().retries >= 1; }));
  EXPECT_EQ(verified.stats().delivered, 0u);
  EXPECT_EQ(verified.stats().last_error.rfind("tls: ", 0), 0u) << verified.stats().last_error;
  EXPECT_EQ(receiver.request_count(), receiver.accepted_bodies().size());
  EXPECT_EQ(all_seqs(receiver.accepted_bodies()), range(1, 15));
}

TEST(WebhookSender, UnsignedWhenNoSecret) {
  TestReceiver receiver;
  ControlLoop loop;
  WebhookConfig config = fast_config(receiver.url("/path?token=abc"));
  config.secret.clear();
  WebhookSender sender(loop.io, config);
  EXPECT_EQ(sender.label(), "http://127.0.0.1:" + std::to_string(receiver.port()) + "/path");
  sender.enqueue(make_event(1));
  ASSERT_TRUE(loop.run_until([&] { return sender.stats().delivered == 1; }));
  const auto requests = receiver.requests();
  EXPECT_EQ(requests[0].signature, "");
  EXPECT_EQ(requests[0].target, "/path?token=abc");
}

TEST(WebhookSender, DestroyingTheSenderCancelsTheRequestInFlight) {
  TestReceiver receiver;
  receiver.script({}, Reply::kStall);
  ControlLoop loop;
  {
    WebhookSender sender(loop.io, fast_config(receiver.url()));
    sender.enqueue(make_event(1));
    sender.enqueue(make_event(2));
    ASSERT_TRUE(loop.run_until([&] { return receiver.request_count() == 1; }));
  }
  loop.run_for(100ms);  // no handler may touch the destroyed sender
  EXPECT_EQ(receiver.request_count(), 1u);
}

}  // namespace
}  // namespace sipgw::events::test
