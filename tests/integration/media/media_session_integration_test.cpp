// MediaSession against a fake browser (libnice controlling agent + OpenSSL DTLS server +
// libsrtp2) and a plain UDP "PBX", all on 127.0.0.1. ctest runs this binary in its own
// loopback-only network namespace. Every wait is bounded (10 s).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "fake_browser.hpp"
#include "media_test_support.hpp"
#include "gateway/media/dtls_certificate.hpp"
#include "gateway/media/media_session.hpp"
#include "gateway/media/media_worker.hpp"
#include "gateway/media/srtp_library.hpp"

using namespace sipgw::media;
using namespace std::chrono_literals;
using sipgw::media::test::FakeBrowser;
using namespace sipgw::media::test;

namespace {

constexpr int kPackets = 50;

class MediaSessionIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { spdlog::set_level(spdlog::level::debug); }

  MediaConfig config() const {
    MediaConfig c;
    c.ice_addresses = {"127.0.0.1"};
    c.plain_address = "127.0.0.1";
    c.port_min = 30000;
    c.port_max = 30999;
    c.dtls_timeout_ms = 8000;
    c.ice_timeout_ms = 8000;
    return c;
  }

  MediaWorker worker_{0};
  std::shared_ptr<const DtlsCertificate> certificate_ = DtlsCertificate::generate();
};

// Brings a session up against `browser`; returns the session with ICE+DTLS connected.
struct Connected {
  std::shared_ptr<MediaSession> session;
  LocalMediaParameters local;
  double ready_ms = 0;
  double connected_ms = 0;
};

}  // namespace

class MediaSessionFlow : public MediaSessionIntegration,
                         public ::testing::WithParamInterface<const char*> {};

TEST_P(MediaSessionFlow, RelaysRtpAndRtcpBothWays) {
  const std::string profile = GetParam();
  if (profile == "SRTP_AEAD_AES_128_GCM" && !SrtpLibrary::aead_gcm_supported())
    GTEST_SKIP() << "libsrtp without GCM";

  FakeBrowser browser(profile);
  browser.expect_gateway_fingerprint(certificate_->sha256_fingerprint());
  const RemoteWebRtcParameters offer = browser.gather_offer();
  ASSERT_FALSE(offer.candidates.empty());

  Events events;
  auto session = MediaSession::create(worker_, config(), certificate_, events.make(worker_));
  const auto t0 = std::chrono::steady_clock::now();
  session->start(offer);
  ASSERT_TRUE(events.wait([&] { return events.ready.has_value() || events.failed; }));
  ASSERT_FALSE(events.failed) << *events.failed;
  const auto t_ready = std::chrono::steady_clock::now();

  const LocalMediaParameters local = *events.ready;
  EXPECT_FALSE(local.ice_ufrag.empty());
  EXPECT_FALSE(local.ice_pwd.empty());
  ASSERT_FALSE(local.candidates.empty());
  for (const auto& candidate : local.candidates) {
    EXPECT_EQ(candidate.rfind("candidate:", 0), 0u) << candidate;
    EXPECT_NE(candidate.find(" 127.0.0.1 "), std::string::npos) << candidate;
    EXPECT_NE(candidate.find(" UDP "), std::string::npos) << candidate;
  }
  EXPECT_EQ(local.plain_address, "127.0.0.1");
  EXPECT_EQ(local.plain_rtp_port % 2, 0);
  EXPECT_EQ(local.plain_rtcp_port, local.plain_rtp_port + 1);
  EXPECT_GE(local.plain_rtp_port, 30000);
  EXPECT_LE(local.plain_rtcp_port, 30999);

  UdpSocket pbx_rtp;
  UdpSocket pbx_rtcp;
  session->set_pbx_endpoint("127.0.0.1", pbx_rtp.port(), pbx_rtcp.port());

  browser.apply_answer(local);
  ASSERT_TRUE(events.wait([&] { return events.connected || events.failed; }))
      << "ICE+DTLS did not connect within 10 s";
  ASSERT_FALSE(events.failed) << *events.failed;
  const auto t_connected = std::chrono::steady_clock::now();
  ASSERT_TRUE(browser.wait_dtls_connected(kTimeout));
  EXPECT_TRUE(browser.gateway_fingerprint_verified());
  EXPECT_EQ(browser.srtp_profile(), profile);
  std::printf("[ timing ] %s: start->on_ready %.1f ms, answer->on_connected %.1f ms\n",
              profile.c_str(),
              std::chrono::duration<double, std::milli>(t_ready - t0).count(),
              std::chrono::duration<double, std::milli>(t_connected - t_ready).count());

  // Browser -> PBX: SRTP in, identical plain RTP out on the PBX RTP port.
  for (int i = 0; i < kPackets; ++i) {
    const auto sent = rtp_packet(static_cast<uint16_t>(100 + i), 0xB0B0B0B0, 1);
    browser.send_rtp(sent);
    auto received = pbx_rtp.receive(kTimeout);
    ASSERT_TRUE(received) << "PBX got no RTP for packet " << i;
    EXPECT_EQ(*received, sent);
  }

  // PBX -> browser: plain RTP in, SRTP out that unprotects to the same bytes.
  std::vector<std::vector<uint8_t>> pbx_sent;
  for (int i = 0; i < kPackets; ++i) {
    pbx_sent.push_back(rtp_packet(static_cast<uint16_t>(5000 + i), 0xCAFE0001, 9));
    pbx_rtp.send_to(local.plain_rtp_port, pbx_sent.back());
    if (i % 10 == 9) std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(browser.wait_rtp(kPackets, kTimeout)) << browser.received_rtp().size();
  // Same packets, but on the gateway's own SSRC toward the browser (pitfall 5).
  const auto received = browser.received_rtp();
  ASSERT_EQ(received.size(), pbx_sent.size());
  const uint32_t gateway_ssrc = ssrc_of(received.front());
  EXPECT_NE(gateway_ssrc, 0xCAFE0001u);
  for (size_t i = 0; i < received.size(); ++i)
    EXPECT_EQ(received[i], with_ssrc(pbx_sent[i], 8, gateway_ssrc)) << i;
  EXPECT_EQ(browser.unprotect_failures(), 0u);

  // RTCP: PBX RTCP port (RTP+1 on the gateway) -> muxed SRTCP to the browser, and back.
  const auto pbx_rr = rtcp_receiver_report(0xCAFE0001);
  pbx_rtcp.send_to(local.plain_rtcp_port, pbx_rr);
  ASSERT_TRUE(browser.wait_rtcp(1, kTimeout));
  EXPECT_EQ(browser.received_rtcp().front(), with_ssrc(pbx_rr, 4, gateway_ssrc));

  const auto browser_rr = rtcp_receiver_report(0xB0B0B0B0);
  browser.send_rtcp(browser_rr);
  auto rtcp = pbx_rtcp.receive(kTimeout);
  ASSERT_TRUE(rtcp) << "PBX got no RTCP";
  EXPECT_EQ(*rtcp, browser_rr);

  // The worker counts a packet right after sending it: let it catch up with what we observed.
  for (int i = 0; i < 100 && session->stats().browser_to_pbx_rtcp == 0; ++i)
    std::this_thread::sleep_for(10ms);
  const MediaStats stats = session->stats();
  EXPECT_EQ(stats.browser_to_pbx_rtp, static_cast<uint64_t>(kPackets));
  EXPECT_EQ(stats.pbx_to_browser_rtp, static_cast<uint64_t>(kPackets));
  EXPECT_EQ(stats.browser_to_pbx_rtcp, 1u);
  EXPECT_EQ(stats.pbx_to_browser_rtcp, 1u);
  EXPECT_EQ(stats.srtp_errors, 0u);
  EXPECT_TRUE(events.callback_on_worker);

  // close(): nothing more reaches either side and no callback runs.
  session->close();
  session->close();  // idempotent
  const int callbacks_at_close = events.callbacks.load();
  const size_t browser_total = browser.packets_received_total();
  pbx_rtp.send_to(local.plain_rtp_port, rtp_packet(9999, 0xCAFE0001, 3));
  browser.send_rtp(rtp_packet(999, 0xB0B0B0B0, 3));
  EXPECT_FALSE(pbx_rtp.receive(300ms));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(events.callbacks.load(), callbacks_at_close);
  // At most the DTLS close_notify reached the browser after close.
  EXPECT_LE(browser.packets_received_total(), browser_total + 1);
  EXPECT_FALSE(events.failed);
}

INSTANTIATE_TEST_SUITE_P(Profiles, MediaSessionFlow,
                         ::testing::Values("SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM"),
                         [](const auto& info) {
                           return std::string(info.param) == "SRTP_AEAD_AES_128_GCM"
                                      ? std::string("AeadAes128Gcm")
                                      : std::string("Aes128CmSha1_80");
                         });

TEST_F(MediaSessionIntegration, WrongFingerprintFailsNamingIt) {
  FakeBrowser browser("SRTP_AES128_CM_SHA1_80");
  RemoteWebRtcParameters offer = browser.gather_offer();
  const std::string wrong = DtlsCertificate::generate()->sha256_fingerprint();
  offer.fingerprint = wrong;

  Events events;
  auto session = MediaSession::create(worker_, config(), certificate_, events.make(worker_));
  session->start(offer);
  ASSERT_TRUE(events.wait([&] { return events.ready.has_value() || events.failed; }));
  ASSERT_TRUE(events.ready);
  UdpSocket pbx_rtp;
  UdpSocket pbx_rtcp;
  session->set_pbx_endpoint("127.0.0.1", pbx_rtp.port(), pbx_rtcp.port());
  browser.apply_answer(*events.ready);
  ASSERT_TRUE(events.wait([&] { return events.connected || events.failed; }));
  EXPECT_FALSE(events.connected);
  ASSERT_TRUE(events.failed);
  EXPECT_NE(events.failed->find("fingerprint"), std::string::npos) << *events.failed;
  EXPECT_NE(events.failed->find(wrong), std::string::npos) << *events.failed;

  // No media flows after the failure: plain RTP toward the browser is dropped.
  pbx_rtp.send_to(events.ready->plain_rtp_port, rtp_packet(1, 2, 3));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(session->stats().pbx_to_browser_rtp, 0u);
  const int callbacks = events.callbacks.load();
  session->close();
  EXPECT_EQ(events.callbacks.load(), callbacks);
}

TEST_F(MediaSessionIntegration, TrickledCandidatesBeforeStartAndMdnsIgnored) {
  FakeBrowser browser("SRTP_AES128_CM_SHA1_80");
  browser.expect_gateway_fingerprint(certificate_->sha256_fingerprint());
  RemoteWebRtcParameters offer = browser.gather_offer();
  std::vector<std::string> trickled = std::move(offer.candidates);
  offer.candidates.clear();

  Events events;
  auto session = MediaSession::create(worker_, config(), certificate_, events.make(worker_));
  // An mDNS candidate the gateway cannot resolve comes first (pitfall 1), then real ones,
  // all before start().
  session->add_remote_candidate(
      "candidate:1 1 udp 2122260223 4f0a1c2e-3b7d-4e8f-9a10-1b2c3d4e5f60.local 54321 typ host");
  for (const auto& candidate : trickled) session->add_remote_candidate(candidate);
  session->start(offer);
  ASSERT_TRUE(events.wait([&] { return events.ready.has_value() || events.failed; }));
  ASSERT_TRUE(events.ready) << events.failed.value_or("");
  browser.apply_answer(*events.ready);
  ASSERT_TRUE(events.wait([&] { return events.connected || events.failed; }));
  EXPECT_TRUE(events.connected) << events.failed.value_or("");
  EXPECT_TRUE(browser.wait_dtls_connected(kTimeout));

  // Before set_pbx_endpoint, browser media is counted as dropped, not sent anywhere.
  browser.send_rtp(rtp_packet(1, 0xB0B0B0B0, 1));
  for (int i = 0; i < 100 && session->stats().dropped_no_pbx_endpoint == 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(session->stats().dropped_no_pbx_endpoint, 1u);
  session->close();
}

TEST_F(MediaSessionIntegration, PbxMediaBeforeDtlsIsDroppedAndCounted) {
  Events events;
  FakeBrowser browser("SRTP_AES128_CM_SHA1_80");
  auto session = MediaSession::create(worker_, config(), certificate_, events.make(worker_));
  session->start(browser.gather_offer());
  ASSERT_TRUE(events.wait([&] { return events.ready.has_value() || events.failed; }));
  ASSERT_TRUE(events.ready);
  // The answer is never applied: ICE cannot complete, so nothing may reach the browser.
  UdpSocket pbx_rtp;
  for (int i = 0; i < 5; ++i) pbx_rtp.send_to(events.ready->plain_rtp_port, rtp_packet(i, 1, 1));
  for (int i = 0; i < 100 && session->stats().dropped_before_dtls < 5; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(session->stats().dropped_before_dtls, 5u);
  EXPECT_EQ(session->stats().pbx_to_browser_rtp, 0u);
  EXPECT_EQ(browser.received_rtp().size(), 0u);
  session->close();
}

TEST_F(MediaSessionIntegration, IceTimeoutFails) {
  Events events;
  MediaConfig c = config();
  c.ice_timeout_ms = 500;
  FakeBrowser browser("SRTP_AES128_CM_SHA1_80");
  auto session = MediaSession::create(worker_, c, certificate_, events.make(worker_));
  RemoteWebRtcParameters offer = browser.gather_offer();
  offer.candidates.clear();  // nothing to check against
  session->start(offer);
  ASSERT_TRUE(events.wait([&] { return events.failed.has_value(); }));
  EXPECT_NE(events.failed->find("ICE"), std::string::npos) << *events.failed;
  session->close();
}

TEST_F(MediaSessionIntegration, SilentDtlsPeerIsRetriedThenTimesOut) {
  FakeBrowser browser("SRTP_AES128_CM_SHA1_80");
  browser.ignore_dtls();
  Events events;
  MediaConfig c = config();
  c.dtls_timeout_ms = 1500;
  auto session = MediaSession::create(worker_, c, certificate_, events.make(worker_));
  session->start(browser.gather_offer());
  ASSERT_TRUE(events.wait([&] { return events.ready.has_value() || events.failed; }));
  ASSERT_TRUE(events.ready);
  browser.apply_answer(*events.ready);
  ASSERT_TRUE(events.wait([&] { return events.failed.has_value(); }));
  EXPECT_FALSE(events.connected);
  EXPECT_NE(events.failed->find("DTLS handshake timed out"), std::string::npos) << *events.failed;
  // ClientHello at 0, then retransmissions at 400 ms and 1200 ms before the 1500 ms deadline.
  EXPECT_GE(browser.dtls_datagrams_ignored(), 3u);
  session->close();
}

TEST_F(MediaSessionIntegration, CloseBeforeAndDuringStartIsSafe) {
  Events events;
  {
    auto session = MediaSession::create(worker_, config(), certificate_, events.make(worker_));
    session->close();
    session->start(RemoteWebRtcParameters{});  // after close: ignored
  }
  for (int i = 0; i < 20; ++i) {
    RemoteWebRtcParameters offer;
    offer.ice_ufrag = "abcd";
    offer.ice_pwd = "abcdefghijklmnopqrstuvwx";
    offer.fingerprint_algorithm = "sha-256";
    offer.fingerprint = certificate_->sha256_fingerprint();
    auto session = MediaSession::create(worker_, config(), certificate_, events.make(worker_));
    session->start(offer);
    if (i % 2) std::this_thread::sleep_for(1ms);
    // Destroyed without an explicit close: the destructor closes.
  }
  worker_.barrier();
  const int callbacks = events.callbacks.load();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(events.callbacks.load(), callbacks);
}

TEST_F(MediaSessionIntegration, CloseFromInsideACallbackIsSafe) {
  FakeBrowser browser("SRTP_AES128_CM_SHA1_80");
  Events events;
  std::shared_ptr<MediaSession> session;
  std::promise<void> closed;
  auto closed_future = closed.get_future();
  MediaCallbacks callbacks = events.make(worker_);
  callbacks.on_ready = [&](const LocalMediaParameters&) {
    session->close();  // on the worker, inside libnice's gathering-done signal
    closed.set_value();
  };
  session = MediaSession::create(worker_, config(), certificate_, callbacks);
  session->start(browser.gather_offer());
  ASSERT_EQ(closed_future.wait_for(kTimeout), std::future_status::ready);
  worker_.barrier();
  session.reset();
  worker_.barrier();
}

TEST_F(MediaSessionIntegration, RejectsNonSha256Fingerprint) {
  Events events;
  auto session = MediaSession::create(worker_, config(), certificate_, events.make(worker_));
  RemoteWebRtcParameters offer;
  offer.ice_ufrag = "u";
  offer.ice_pwd = "p";
  offer.fingerprint_algorithm = "sha-1";
  offer.fingerprint = "AB:CD";
  session->start(offer);
  ASSERT_TRUE(events.wait([&] { return events.failed.has_value(); }));
  EXPECT_NE(events.failed->find("sha-1"), std::string::npos);
  session->close();
}
