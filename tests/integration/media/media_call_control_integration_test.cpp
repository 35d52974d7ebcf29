#include <algorithm>
// Call control on a live session against the fake browser and fake PBX sockets: offerer mode,
// mute, DTMF both ways, PBX SSRC change, symmetric RTP, RTP timeout, PBX endpoint re-set and
// hold. Runs in ctest's loopback-only namespace; every wait is bounded.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "fake_browser.hpp"
#include "gateway/media/dtls_certificate.hpp"
#include "gateway/media/media_session.hpp"
#include "gateway/media/media_worker.hpp"
#include "gateway/media/rtp_header.hpp"
#include "gateway/media/telephone_event.hpp"
#include "media_test_support.hpp"

using namespace sipgw::media;
using namespace sipgw::media::test;

namespace {

constexpr uint32_t kBrowserSsrc = 0xB0B0B0B0;

std::vector<uint8_t> rtp(uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc, size_t payload = 160) {
  std::vector<uint8_t> p(12 + payload, 0x55);
  p[0] = 0x80;
  p[1] = pt;
  write_u16(p.data() + 2, seq);
  write_u32(p.data() + 4, ts);
  write_u32(p.data() + 8, ssrc);
  return p;
}

std::vector<uint8_t> event_packet(uint16_t seq, uint32_t ts, uint32_t ssrc, uint8_t event,
                                  bool end, uint16_t duration) {
  auto p = rtp(101, seq, ts, ssrc, 4);
  write_telephone_event(p.data() + 12, {event, end, 10, duration});
  return p;
}

RtpHeader view(std::vector<uint8_t>& p) { return RtpHeader(p.data(), p.size()); }

class CallControl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { spdlog::set_level(spdlog::level::debug); }

  MediaConfig config() const {
    MediaConfig c;
    c.ice_addresses = {"127.0.0.1"};
    c.port_min = 31000;
    c.port_max = 31999;
    c.dtls_timeout_ms = 8000;
    c.ice_timeout_ms = 8000;
    c.rtp_timeout_ms = 0;
    return c;
  }

  // Answerer mode (the browser offers), PBX endpoint set, ICE+DTLS connected.
  void connect(MediaConfig c) {
    browser_ = std::make_unique<FakeBrowser>("SRTP_AES128_CM_SHA1_80");
    session_ = MediaSession::create(worker_, c, certificate_, events_.make(worker_));
    session_->start(browser_->gather_offer());
    ASSERT_TRUE(events_.wait([&] { return events_.ready.has_value() || events_.failed; }));
    ASSERT_TRUE(events_.ready) << events_.failed.value_or("");
    local_ = *events_.ready;
    session_->set_pbx_endpoint("127.0.0.1", pbx_rtp_.port(), pbx_rtcp_.port());
    browser_->apply_answer(local_);
    ASSERT_TRUE(events_.wait([&] { return events_.connected || events_.failed; }));
    ASSERT_TRUE(events_.connected) << events_.failed.value_or("");
    ASSERT_TRUE(browser_->wait_dtls_connected(kTimeout));
  }

  void TearDown() override {
    if (session_) session_->close();
  }

  MediaWorker worker_{0};
  std::shared_ptr<const DtlsCertificate> certificate_ = DtlsCertificate::generate();
  Events events_;
  std::unique_ptr<FakeBrowser> browser_;
  std::shared_ptr<MediaSession> session_;
  LocalMediaParameters local_;
  UdpSocket pbx_rtp_;
  UdpSocket pbx_rtcp_;
};

}  // namespace

TEST_F(CallControl, OffererModeHandshake) {
  // The gateway offers: it controls ICE; the browser answers a=setup:active (DTLS client).
  browser_ = std::make_unique<FakeBrowser>("SRTP_AES128_CM_SHA1_80", FakeBrowser::Role::answerer);
  browser_->expect_gateway_fingerprint(certificate_->sha256_fingerprint());
  session_ = MediaSession::create(worker_, config(), certificate_, events_.make(worker_));
  session_->start_offer();
  ASSERT_TRUE(events_.wait([&] { return events_.ready.has_value() || events_.failed; }));
  ASSERT_TRUE(events_.ready) << events_.failed.value_or("");
  session_->set_pbx_endpoint("127.0.0.1", pbx_rtp_.port(), pbx_rtcp_.port());
  browser_->apply_answer(*events_.ready);  // our offer reaches the browser
  RemoteWebRtcParameters answer = browser_->gather_offer();
  EXPECT_FALSE(answer.dtls_client);
  // The answer's candidates come trickled, one of them before the answer itself.
  auto candidates = std::move(answer.candidates);
  answer.candidates.clear();
  session_->add_remote_candidate(candidates.front());
  session_->set_remote_answer(answer);
  for (size_t i = 1; i < candidates.size(); ++i) session_->add_remote_candidate(candidates[i]);
  ASSERT_TRUE(events_.wait([&] { return events_.connected || events_.failed; }))
      << "offerer mode did not connect";
  ASSERT_FALSE(events_.failed) << *events_.failed;
  ASSERT_TRUE(browser_->wait_dtls_connected(kTimeout));
  EXPECT_TRUE(browser_->gateway_fingerprint_verified());

  const auto sent = rtp(0, 1, 160, kBrowserSsrc);
  browser_->send_rtp(sent);
  auto got = pbx_rtp_.receive(kTimeout);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, sent);
  pbx_rtp_.send_to(events_.ready->plain_rtp_port, rtp(0, 9, 900, 0xCAFE));
  EXPECT_TRUE(browser_->wait_rtp(1, kTimeout));
}

TEST_F(CallControl, MuteSilencesAndDtmfGoesToThePbxInTheBrowserStream) {
  ASSERT_NO_FATAL_FAILURE(connect(config()));
  NegotiatedAudio audio;
  audio.pbx_telephone_event_pt = 101;
  audio.browser_telephone_event_pt = 101;
  session_->set_negotiated_audio(audio);
  worker_.barrier();  // applied before the next packet

  for (uint16_t seq = 100; seq < 105; ++seq) {
    browser_->send_rtp(rtp(0, seq, seq * 160u, kBrowserSsrc));
    ASSERT_TRUE(pbx_rtp_.receive(kTimeout));
  }
  session_->set_muted(true);
  worker_.barrier();  // applied before the next packet
  for (uint16_t seq = 105; seq < 108; ++seq) {
    browser_->send_rtp(rtp(0, seq, seq * 160u, kBrowserSsrc));
    auto silenced = pbx_rtp_.receive(kTimeout);  // PCMU keeps flowing, as digital silence
    ASSERT_TRUE(silenced) << "muted PCMU did not reach the PBX as silence";
    EXPECT_TRUE(std::all_of(silenced->begin() + 12, silenced->end(), [](uint8_t b) { return b == 0xFF; }))
        << "muted audio reached the PBX";
  }
  EXPECT_EQ(session_->stats().muted_packets, 3u);
  session_->set_muted(false);
  worker_.barrier();  // applied before the next packet

  session_->send_dtmf('7', 100);
  std::vector<std::vector<uint8_t>> events;
  while (auto p = pbx_rtp_.receive(1s)) events.push_back(*p);
  ASSERT_EQ(events.size(), 7u);  // 5 updates (the last with E) + 2 repeats of the end
  for (size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(i);
    auto h = view(events[i]);
    EXPECT_EQ(h.payload_type(), 101);
    EXPECT_EQ(h.ssrc(), kBrowserSsrc);
    EXPECT_EQ(h.sequence(), 108 + i);  // continuous after the silenced 105-107
    EXPECT_EQ(h.marker(), i == 0);
    TelephoneEvent e;
    ASSERT_TRUE(parse_telephone_event(h.payload(), h.payload_size(), e));
    EXPECT_EQ(e.event, 7);
    EXPECT_EQ(e.end, i >= 4);
    EXPECT_EQ(e.duration, std::min<size_t>(160 * (i + 1), 800));
    EXPECT_EQ(h.timestamp(), view(events[0]).timestamp());
  }
  EXPECT_GE(view(events[0]).timestamp(), 107u * 160u);  // at or after the last forwarded packet
  browser_->send_rtp(rtp(0, 108, 108 * 160u, kBrowserSsrc));
  auto after = pbx_rtp_.receive(kTimeout);
  ASSERT_TRUE(after);
  EXPECT_EQ(view(*after).sequence(), 115);
  EXPECT_EQ(session_->stats().dtmf_events_sent, 1u);
}

TEST_F(CallControl, PbxSsrcChangeIsInvisibleAtTheBrowser) {
  ASSERT_NO_FATAL_FAILURE(connect(config()));
  for (uint16_t i = 0; i < 10; ++i) pbx_rtp_.send_to(local_.plain_rtp_port, rtp(0, 4000 + i, 160u * i, 0xAAAA));
  ASSERT_TRUE(browser_->wait_rtp(10, kTimeout));
  std::this_thread::sleep_for(40ms);
  for (uint16_t i = 0; i < 10; ++i) pbx_rtp_.send_to(local_.plain_rtp_port, rtp(0, 60000 + i, 777u + 160u * i, 0xBBBB));
  ASSERT_TRUE(browser_->wait_rtp(20, kTimeout));
  auto received = browser_->received_rtp();
  const uint32_t ssrc = view(received[0]).ssrc();
  for (size_t i = 0; i < received.size(); ++i) {
    auto h = view(received[i]);
    EXPECT_EQ(h.ssrc(), ssrc) << i;
    EXPECT_EQ(h.sequence(), uint16_t(4000 + i)) << i;
    if (i > 0 && i != 10) EXPECT_EQ(h.timestamp() - view(received[i - 1]).timestamp(), 160u) << i;
  }
  // The jump at the switch is the wall-clock gap (>= 40 ms = 320 at 8 kHz), not the PBX's.
  const uint32_t jump = view(received[10]).timestamp() - view(received[9]).timestamp();
  EXPECT_GE(jump, 320u);
  EXPECT_LT(jump, 8000u);
  EXPECT_EQ(session_->stats().pbx_ssrc_changes, 1u);
  EXPECT_EQ(browser_->unprotect_failures(), 0u);
}

TEST_F(CallControl, DtmfFromThePbxIsReportedOnceAndForwarded) {
  ASSERT_NO_FATAL_FAILURE(connect(config()));
  NegotiatedAudio audio;
  audio.pbx_telephone_event_pt = 101;
  audio.browser_telephone_event_pt = 101;
  session_->set_negotiated_audio(audio);
  worker_.barrier();  // applied before the next packet
  uint16_t seq = 10;
  for (uint16_t d = 160; d <= 480; d += 160) pbx_rtp_.send_to(local_.plain_rtp_port, event_packet(seq++, 8000, 0xCAFE, 11, false, d));
  for (int i = 0; i < 3; ++i) pbx_rtp_.send_to(local_.plain_rtp_port, event_packet(seq++, 8000, 0xCAFE, 11, true, 640));
  ASSERT_TRUE(events_.wait([&] { return !events_.dtmf.empty(); }))
      << "pbx->browser rtp " << session_->stats().pbx_to_browser_rtp << ", browser got "
      << browser_->received_rtp().size();
  ASSERT_TRUE(browser_->wait_rtp(6, kTimeout));
  std::this_thread::sleep_for(100ms);
  std::lock_guard lock(events_.mutex);
  ASSERT_EQ(events_.dtmf.size(), 1u);
  EXPECT_EQ(events_.dtmf[0].first, '#');
  EXPECT_EQ(events_.dtmf[0].second, 80u);
  EXPECT_EQ(session_->stats().dtmf_events_received, 1u);
}

TEST_F(CallControl, SymmetricRtpLatchesOntoTheActualSource) {
  ASSERT_NO_FATAL_FAILURE(connect(config()));
  UdpSocket real_rtp;  // the PBX sends from other ports than its SDP said (NAT)
  UdpSocket real_rtcp;
  real_rtp.send_to(local_.plain_rtp_port, rtp(0, 1, 160, 0xCAFE));
  real_rtcp.send_to(local_.plain_rtcp_port, {0x80, 201, 0, 1, 0, 0, 0xCA, 0xFE});
  ASSERT_TRUE(browser_->wait_rtp(1, kTimeout));
  ASSERT_TRUE(browser_->wait_rtcp(1, kTimeout));
  browser_->send_rtp(rtp(0, 1, 160, kBrowserSsrc));
  browser_->send_rtcp({0x80, 201, 0, 1, 0xB0, 0xB0, 0xB0, 0xB0});
  EXPECT_TRUE(real_rtp.receive(kTimeout));
  EXPECT_TRUE(real_rtcp.receive(kTimeout));
  EXPECT_FALSE(pbx_rtp_.receive(100ms));
  EXPECT_FALSE(pbx_rtcp_.receive(100ms));
}

TEST_F(CallControl, RtpTimeoutFiresOnceAndRearms) {
  MediaConfig c = config();
  c.rtp_timeout_ms = 300;
  ASSERT_NO_FATAL_FAILURE(connect(c));
  pbx_rtp_.send_to(local_.plain_rtp_port, rtp(0, 1, 160, 0xCAFE));
  ASSERT_TRUE(events_.wait([&] { return events_.rtp_timeouts == 1; }));
  std::this_thread::sleep_for(700ms);
  {
    std::lock_guard lock(events_.mutex);
    EXPECT_EQ(events_.rtp_timeouts, 1);  // once
  }
  pbx_rtp_.send_to(local_.plain_rtp_port, rtp(0, 2, 320, 0xCAFE));  // media resumes: re-armed
  ASSERT_TRUE(events_.wait([&] { return events_.rtp_timeouts == 2; }));
  // We hold the PBX (its SDP says recvonly): no RTP is expected, no timeout.
  session_->set_direction(MediaDirection::recvonly);
  worker_.barrier();  // applied before the next packet
  pbx_rtp_.send_to(local_.plain_rtp_port, rtp(0, 3, 480, 0xCAFE));
  std::this_thread::sleep_for(800ms);
  std::lock_guard lock(events_.mutex);
  EXPECT_EQ(events_.rtp_timeouts, 2);
  EXPECT_FALSE(events_.failed);
}

TEST_F(CallControl, PbxEndpointMovesMidCallAndHoldSendsNothing) {
  ASSERT_NO_FATAL_FAILURE(connect(config()));
  browser_->send_rtp(rtp(0, 1, 160, kBrowserSsrc));
  ASSERT_TRUE(pbx_rtp_.receive(kTimeout));
  // re-INVITE: the PBX media moved. ICE/DTLS/SRTP stay; the browser stream keeps flowing.
  UdpSocket moved_rtp;
  UdpSocket moved_rtcp;
  session_->set_pbx_endpoint("127.0.0.1", moved_rtp.port(), moved_rtcp.port());
  worker_.barrier();
  browser_->send_rtp(rtp(0, 2, 320, kBrowserSsrc));
  auto got = moved_rtp.receive(kTimeout);
  ASSERT_TRUE(got);
  EXPECT_EQ(view(*got).sequence(), 2);
  moved_rtp.send_to(local_.plain_rtp_port, rtp(0, 50, 8000, 0xCAFE));
  ASSERT_TRUE(browser_->wait_rtp(1, kTimeout));
  // Hold, RFC 2543 style: nothing is sent.
  session_->set_pbx_endpoint("0.0.0.0", moved_rtp.port(), moved_rtcp.port());
  worker_.barrier();
  browser_->send_rtp(rtp(0, 3, 480, kBrowserSsrc));
  EXPECT_FALSE(moved_rtp.receive(300ms));
  EXPECT_FALSE(pbx_rtp_.receive(10ms));
  // Unhold: media flows again, without a sequence gap for the held packet.
  session_->set_pbx_endpoint("127.0.0.1", moved_rtp.port(), moved_rtcp.port());
  worker_.barrier();
  browser_->send_rtp(rtp(0, 4, 640, kBrowserSsrc));
  got = moved_rtp.receive(kTimeout);
  ASSERT_TRUE(got);
  EXPECT_EQ(view(*got).sequence(), 3);
  EXPECT_FALSE(events_.failed);
}

// Issue 4's media quality, end to end through real ICE/DTLS/SRTP: the gateway's own RFC 3550
// loss and jitter of what each side sends it, and what each side's RTCP reports say about what
// the gateway sends it; a malformed RTCP packet is counted, not parsed. The figures arrive with
// the snapshot the worker takes at close().
TEST_F(CallControl, MediaQualityOfBothLegsFromRtpAndRtcp) {
  ASSERT_NO_FATAL_FAILURE(connect(config()));
  // The browser paces its packets every 20 ms and loses two (seq 10, 20). The PBX sends bursts
  // of five every 100 ms (|D| = 20 ms inside a burst, 80 ms between: jitter of tens of ms),
  // loses one (1005) and swaps two (1007 before 1006).
  std::vector<uint16_t> pbx_order;
  for (uint16_t s = 1000; s < 1050; ++s)
    if (s != 1005) pbx_order.push_back(s);
  std::swap(pbx_order[5], pbx_order[6]);  // 1006, 1007 → 1007, 1006
  size_t pbx_next = 0;
  for (uint16_t i = 0; i < 50; ++i) {
    const auto seq = static_cast<uint16_t>(1 + i);
    if (seq != 10 && seq != 20) browser_->send_rtp(rtp(0, seq, 160u * seq, kBrowserSsrc));
    if (i % 5 == 4) {
      for (int b = 0; b < 5 && pbx_next < pbx_order.size(); ++b, ++pbx_next) {
        const uint16_t s = pbx_order[pbx_next];
        pbx_rtp_.send_to(local_.plain_rtp_port, rtp(0, s, 160u * (s - 1000u), 0xCAFE));
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  while (pbx_next < pbx_order.size()) {
    const uint16_t s = pbx_order[pbx_next++];
    pbx_rtp_.send_to(local_.plain_rtp_port, rtp(0, s, 160u * (s - 1000u), 0xCAFE));
  }
  ASSERT_TRUE(browser_->wait_rtp(49, kTimeout)) << browser_->received_rtp().size();
  const uint32_t gateway_ssrc = ssrc_of(browser_->received_rtp().front());

  // The PBX reports on the browser's stream: 10/256 lost lately, 2 in all, jitter 24 ticks.
  std::vector<uint8_t> pbx_rr = {0x81, 201, 0, 7, 0, 0, 0xCA, 0xFE};
  pbx_rr.resize(32, 0);
  write_u32(&pbx_rr[8], kBrowserSsrc);
  pbx_rr[12] = 10;
  pbx_rr[15] = 2;
  write_u32(&pbx_rr[16], 50);
  write_u32(&pbx_rr[20], 24);  // 3 ms at 8 kHz
  pbx_rtcp_.send_to(local_.plain_rtcp_port, pbx_rr);
  // The browser reports on the gateway's stream: 1 lost, jitter 40 ticks.
  auto browser_rr = pbx_rr;
  write_u32(&browser_rr[4], kBrowserSsrc);
  write_u32(&browser_rr[8], gateway_ssrc);
  browser_rr[12] = 0;
  browser_rr[15] = 1;
  write_u32(&browser_rr[20], 40);  // 5 ms
  browser_->send_rtcp(browser_rr);
  // A truncated RR from the PBX: one report block claimed, none there.
  pbx_rtcp_.send_to(local_.plain_rtcp_port, {0x81, 201, 0, 1, 0, 0, 0xCA, 0xFE});
  ASSERT_TRUE(pbx_rtcp_.receive(kTimeout)) << "the browser's RR did not reach the PBX";
  ASSERT_TRUE(browser_->wait_rtcp(1, kTimeout));
  for (int i = 0; i < 100 && session_->stats().rtcp_malformed == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(session_->stats().rtcp_malformed, 1u);
  EXPECT_FALSE(session_->stats().quality) << "the snapshot comes with close()";

  session_->close();
  const auto stats = session_->stats();
  ASSERT_TRUE(stats.quality);
  const MediaQuality& q = *stats.quality;
  EXPECT_EQ(q.from_browser.packets_expected, 50u);
  EXPECT_EQ(q.from_browser.packets_received, 48u);
  EXPECT_EQ(q.from_browser.packets_lost, 2u);
  EXPECT_EQ(q.from_pbx.packets_expected, 50u);
  EXPECT_EQ(q.from_pbx.packets_received, 49u);
  EXPECT_EQ(q.from_pbx.packets_lost, 1u);
  EXPECT_EQ(q.from_pbx.reordered, 1u);
  EXPECT_GT(q.from_pbx.mean_jitter_ms, 8.0);
  EXPECT_LT(q.from_browser.mean_jitter_ms, q.from_pbx.mean_jitter_ms);
  std::printf("[ quality ] jitter from browser %.2f ms (mean %.2f), from PBX %.2f ms (mean %.2f)\n",
              q.from_browser.jitter_ms, q.from_browser.mean_jitter_ms, q.from_pbx.jitter_ms,
              q.from_pbx.mean_jitter_ms);
  EXPECT_EQ(q.pbx_reports.reports, 1u);
  EXPECT_EQ(q.pbx_reports.cumulative_lost, 2);
  EXPECT_DOUBLE_EQ(q.pbx_reports.fraction_lost, 10 / 256.0);
  EXPECT_DOUBLE_EQ(q.pbx_reports.jitter_ms, 3.0);
  EXPECT_EQ(q.browser_reports.reports, 1u);
  EXPECT_EQ(q.browser_reports.cumulative_lost, 1);
  EXPECT_DOUBLE_EQ(q.browser_reports.jitter_ms, 5.0);
  EXPECT_EQ(q.rtcp_malformed, 1u);
}
