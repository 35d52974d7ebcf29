// The stream toward the browser: our SSRC, continuous sequence numbers and timestamps across a
// PBX SSRC change, no gap for dropped packets, RTCP sender SSRC rewriting.
#include "gateway/media/outgoing_stream.hpp"

#include <gtest/gtest.h>

#include "rtp_test_packets.hpp"

using namespace sipgw::media;
using namespace sipgw::media::test;

namespace {
constexpr uint32_t kOurs = 0x11223344;
constexpr int64_t kMs = 1000;
}  // namespace

TEST(OutgoingStream, HidesPbxSsrcChange) {
  OutgoingStream stream(kOurs);
  stream.set_clock(8000);
  int64_t now = 0;
  for (int i = 0; i < 10; ++i, now += 20 * kMs) {
    auto p = make_rtp(0, static_cast<uint16_t>(30000 + i), 1000 + 160u * i, 0xAAAA);
    EXPECT_FALSE(stream.rewrite_rtp(p.data(), p.size(), now));
    const auto r = parse(p);
    EXPECT_EQ(r.ssrc, kOurs);
    EXPECT_EQ(r.seq, 30000 + i);       // the first PBX stream keeps its numbers
    EXPECT_EQ(r.ts, 1000 + 160u * i);
  }
  // Last: seq 30009, ts 2440 at t=180 ms. A transfer: a new SSRC 100 ms later, random numbers.
  now += 80 * kMs;  // t = 280 ms
  auto first = make_rtp(0, 7, 99'999'999, 0xBBBB);
  EXPECT_TRUE(stream.rewrite_rtp(first.data(), first.size(), now));
  auto r = parse(first);
  EXPECT_EQ(r.ssrc, kOurs);
  EXPECT_EQ(r.seq, 30010);
  EXPECT_EQ(r.ts, 2440u + 800u);  // 100 ms at 8 kHz
  EXPECT_TRUE(r.marker);
  auto second = make_rtp(0, 8, 99'999'999 + 160, 0xBBBB);
  EXPECT_FALSE(stream.rewrite_rtp(second.data(), second.size(), now + 20 * kMs));
  r = parse(second);
  EXPECT_EQ(r.seq, 30011);
  EXPECT_EQ(r.ts, 3400u);
  EXPECT_FALSE(r.marker);
  EXPECT_EQ(stream.pbx_ssrc(), 0xBBBBu);
}

TEST(OutgoingStream, DroppedPacketsLeaveNoGap) {
  OutgoingStream stream(kOurs);
  auto a = make_rtp(0, 65535, 0, 0xAAAA);
  stream.rewrite_rtp(a.data(), a.size(), 0);
  auto cn = make_rtp(13, 0, 160, 0xAAAA, 1);
  stream.drop_rtp(cn.data(), cn.size(), 20 * kMs);
  auto b = make_rtp(0, 1, 320, 0xAAAA);
  stream.rewrite_rtp(b.data(), b.size(), 40 * kMs);
  EXPECT_EQ(parse(b).seq, 0);  // wrapped, and the dropped one's number reused
}

TEST(OutgoingStream, RewritesRtcpSenderSsrcAndDropsBye) {
  OutgoingStream stream(kOurs);
  auto p = make_rtp(0, 10, 5000, 0xAAAA);
  stream.rewrite_rtp(p.data(), p.size(), 0);
  // SR (no report blocks) + SDES (one chunk, CNAME "x") + BYE.
  std::vector<uint8_t> rtcp = {
      0x80, 200, 0, 6, 0, 0, 0xAA, 0xAA, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x13, 0x88, 0, 0, 0, 9,
      0, 0, 1, 0,                                                  // SR: rtp ts 5000
      0x81, 202, 0, 2, 0, 0, 0xAA, 0xAA, 1, 1, 'x', 0,             // SDES
      0x81, 203, 0, 1, 0, 0, 0xAA, 0xAA};                          // BYE
  const size_t size = stream.rewrite_rtcp(rtcp.data(), rtcp.size());
  ASSERT_EQ(size, 28u + 12u);
  EXPECT_EQ(read_u32(rtcp.data() + 4), kOurs);
  EXPECT_EQ(read_u32(rtcp.data() + 16), 5000u);
  EXPECT_EQ(read_u32(rtcp.data() + 20), 1u);    // our packet count
  EXPECT_EQ(read_u32(rtcp.data() + 24), 160u);  // our payload octets
  EXPECT_EQ(read_u32(rtcp.data() + 28 + 4), kOurs);
  // An SR from another (stale) SSRC is dropped whole; an RR is rewritten.
  std::vector<uint8_t> stale = {0x80, 200, 0, 6, 0, 0, 0xCC, 0xCC, 0, 0, 0, 0, 0, 0, 0, 0,
                                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(stream.rewrite_rtcp(stale.data(), stale.size()), 0u);
  std::vector<uint8_t> rr = {0x80, 201, 0, 1, 0, 0, 0xCC, 0xCC};
  EXPECT_EQ(stream.rewrite_rtcp(rr.data(), rr.size()), 8u);
  EXPECT_EQ(read_u32(rr.data() + 4), kOurs);
  // Malformed length: dropped.
  std::vector<uint8_t> bad = {0x80, 201, 0, 9, 0, 0, 0, 1};
  EXPECT_EQ(stream.rewrite_rtcp(bad.data(), bad.size()), 0u);
}

TEST(OutgoingStream, BrowserReportsMapBackToThePbxStream) {
  OutgoingStream stream(kOurs);
  auto a = make_rtp(0, 100, 0, 0xAAAA);
  stream.rewrite_rtp(a.data(), a.size(), 0);
  auto b = make_rtp(0, 5, 0, 0xBBBB);  // SSRC change: offset 101 - 5 = 96
  stream.rewrite_rtp(b.data(), b.size(), 20 * kMs);
  std::vector<uint8_t> rr = {0x81, 201, 0, 7, 0xB0, 0xB0, 0xB0, 0xB0,
                             0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0, 0, 1, 0, 101,
                             0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  stream.translate_browser_rtcp(rr.data(), rr.size());
  EXPECT_EQ(read_u32(rr.data() + 8), 0xBBBBu);
  EXPECT_EQ(read_u32(rr.data() + 16), 0x00010005u);
}
