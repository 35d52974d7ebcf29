// RTCP SR/RR report blocks (RFC 3550 §6.4), the A.2 validity checks, what a peer's reports say
// about our stream (RtcpReportTracker), and malformed or truncated packets: never read past the
// end, counted.
#include "gateway/media/rtcp_report.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "gateway/media/media_quality_meter.hpp"
#include "gateway/media/rtcp_report_tracker.hpp"
#include "rtp_test_packets.hpp"

using namespace sipgw::media;

namespace {

constexpr uint32_t kOurs = 0x11223344;

struct Block {
  uint32_t ssrc;
  uint8_t fraction;
  int32_t lost;
  uint32_t highest;
  uint32_t jitter;
};

void append_block(std::vector<uint8_t>& p, const Block& b) {
  const size_t at = p.size();
  p.resize(at + 24, 0);
  write_u32(&p[at], b.ssrc);
  p[at + 4] = b.fraction;
  const auto lost = static_cast<uint32_t>(b.lost) & 0xFFFFFF;
  p[at + 5] = static_cast<uint8_t>(lost >> 16);
  p[at + 6] = static_cast<uint8_t>(lost >> 8);
  p[at + 7] = static_cast<uint8_t>(lost);
  write_u32(&p[at + 8], b.highest);
  write_u32(&p[at + 12], b.jitter);
  write_u32(&p[at + 16], 0xAABBCCDD);  // LSR
  write_u32(&p[at + 20], 0x00010000);  // DLSR: 1 s
}

void finish(std::vector<uint8_t>& p, size_t start) {
  write_u16(&p[start + 2], static_cast<uint16_t>((p.size() - start) / 4 - 1));
}

// An RR from `reporter` with `blocks`, appended to `p` (compound packets are built by calling
// this and the others in turn).
void append_rr(std::vector<uint8_t>& p, uint32_t reporter, const std::vector<Block>& blocks) {
  const size_t start = p.size();
  p.insert(p.end(), {static_cast<uint8_t>(0x80 | blocks.size()), 201, 0, 0, 0, 0, 0, 0});
  write_u32(&p[start + 4], reporter);
  for (const auto& b : blocks) append_block(p, b);
  finish(p, start);
}

void append_sr(std::vector<uint8_t>& p, uint32_t reporter, const std::vector<Block>& blocks) {
  const size_t start = p.size();
  p.resize(start + 28, 0);
  p[start] = static_cast<uint8_t>(0x80 | blocks.size());
  p[start + 1] = 200;
  write_u32(&p[start + 4], reporter);
  write_u32(&p[start + 20], 500);    // sender's packet count
  write_u32(&p[start + 24], 80000);  // octet count
  for (const auto& b : blocks) append_block(p, b);
  finish(p, start);
}

void append_sdes(std::vector<uint8_t>& p, uint32_t ssrc) {
  const size_t start = p.size();
  p.insert(p.end(), {0x81, 202, 0, 0, 0, 0, 0, 0, 1, 2, 'a', 'b', 0, 0, 0, 0});
  write_u32(&p[start + 4], ssrc);
  finish(p, start);
}

std::vector<RtcpReportBlock> blocks_of(const std::vector<uint8_t>& p, bool* valid = nullptr) {
  std::vector<RtcpReportBlock> out;
  const bool ok = for_each_report_block(p.data(), p.size(), [&](uint32_t, const RtcpReportBlock& b) {
    out.push_back(b);
  });
  if (valid) *valid = ok;
  return out;
}

}  // namespace

TEST(RtcpReport, ReceiverReportWithSeveralBlocks) {
  std::vector<uint8_t> p;
  append_rr(p, 0xCAFE, {{kOurs, 64, 7, 65536 + 100, 80}, {0x99, 0, -3, 12, 5}, {0x77, 255, 0x7FFFFF, 1, 0}});
  bool valid = false;
  const auto blocks = blocks_of(p, &valid);
  ASSERT_TRUE(valid);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0].ssrc, kOurs);
  EXPECT_EQ(blocks[0].fraction_lost, 64);
  EXPECT_EQ(blocks[0].cumulative_lost, 7);
  EXPECT_EQ(blocks[0].extended_highest_sequence, 65536u + 100u);
  EXPECT_EQ(blocks[0].jitter, 80u);
  EXPECT_EQ(blocks[0].last_sr, 0xAABBCCDDu);
  EXPECT_EQ(blocks[0].delay_since_last_sr, 0x10000u);
  EXPECT_EQ(blocks[1].cumulative_lost, -3);  // 24-bit signed (duplicates, §6.4.1)
  EXPECT_EQ(blocks[2].cumulative_lost, 0x7FFFFF);
  EXPECT_EQ(blocks[2].fraction_lost, 255);
}

TEST(RtcpReport, SenderReportBlocksFollowTheSenderInfoInACompoundPacket) {
  std::vector<uint8_t> p;
  append_sr(p, 0xCAFE, {{kOurs, 0, 2, 300, 40}});
  append_sdes(p, 0xCAFE);
  append_rr(p, 0xCAFE, {{0x55, 1, 1, 1, 1}});  // a second report part (RFC 3550 §6.1 allows)
  bool valid = false;
  const auto blocks = blocks_of(p, &valid);
  ASSERT_TRUE(valid);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].ssrc, kOurs);
  EXPECT_EQ(blocks[0].cumulative_lost, 2);
  EXPECT_EQ(blocks[0].jitter, 40u);
  EXPECT_EQ(blocks[1].ssrc, 0x55u);
}

TEST(RtcpReport, ReducedSizeRtcpWithoutAReportIsValid) {
  std::vector<uint8_t> p;
  append_sdes(p, 0xCAFE);  // RFC 5506: need not start with SR/RR
  bool valid = false;
  EXPECT_TRUE(blocks_of(p, &valid).empty());
  EXPECT_TRUE(valid);
}

TEST(RtcpReport, MalformedAndTruncatedPacketsAreRejectedWithoutReadingThem) {
  std::vector<uint8_t> good;
  append_rr(good, 0xCAFE, {{kOurs, 0, 1, 1, 1}, {0x99, 0, 1, 1, 1}});
  append_sdes(good, 0xCAFE);
  ASSERT_TRUE(rtcp_packet_valid(good.data(), good.size()));
  // Every truncation, on the heap at its exact size so that a read past the end is caught by
  // sanitizers and valgrind. Cut right after the RR, what is left is a whole (valid) packet.
  const size_t rr_size = 8 + 2 * 24;
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    bool valid = false;
    const auto blocks = blocks_of(cut, &valid);
    EXPECT_EQ(valid, n == rr_size) << "truncated to " << n;
    EXPECT_EQ(blocks.size(), n == rr_size ? 2u : 0u) << "truncated to " << n;
  }
  auto bad = good;
  bad[0] = 0x42;  // version 1
  EXPECT_FALSE(rtcp_packet_valid(bad.data(), bad.size()));
  bad = good;
  bad[0] = 0x83;  // claims 3 blocks in a part long enough for 2
  EXPECT_FALSE(rtcp_packet_valid(bad.data(), bad.size()));
  bad = good;
  write_u16(&bad[2], 200);  // length beyond the packet
  EXPECT_FALSE(rtcp_packet_valid(bad.data(), bad.size()));
  bad = good;
  bad[0] |= 0x20;  // padding in a part that is not the last
  EXPECT_FALSE(rtcp_packet_valid(bad.data(), bad.size()));
  bad = good;
  bad.push_back(0);  // not a whole number of words
  EXPECT_FALSE(rtcp_packet_valid(bad.data(), bad.size()));
  bad = good;
  bad.insert(bad.end(), {0x80, 201, 0, 1});  // a trailing part cut short
  EXPECT_FALSE(rtcp_packet_valid(bad.data(), bad.size()));
  EXPECT_FALSE(rtcp_packet_valid(nullptr, 0));
  // Padding on the last part that claims more than the part holds.
  auto padded = good;
  const size_t sdes = good.size() - 16;
  padded[sdes] |= 0x20;
  padded.back() = 13;
  EXPECT_FALSE(rtcp_packet_valid(padded.data(), padded.size()));
  padded.back() = 4;
  EXPECT_TRUE(rtcp_packet_valid(padded.data(), padded.size()));
}

TEST(RtcpReportTracker, KeepsOnlyBlocksAboutOurStream) {
  RtcpReportTracker tracker;
  tracker.set_clock(8000);
  std::vector<uint8_t> p;
  append_rr(p, 0xCAFE, {{0x99, 200, 50, 1, 800}, {kOurs, 26, 3, 1000, 80}});
  ASSERT_TRUE(tracker.on_rtcp(p.data(), p.size(), kOurs));
  p.clear();
  append_sr(p, 0xCAFE, {{kOurs, 0, 4, 1250, 160}});
  ASSERT_TRUE(tracker.on_rtcp(p.data(), p.size(), kOurs));
  const auto q = tracker.summary();
  EXPECT_EQ(q.reports, 2u);
  EXPECT_EQ(q.cumulative_lost, 4);
  EXPECT_DOUBLE_EQ(q.fraction_lost, 0.0);
  EXPECT_DOUBLE_EQ(q.max_fraction_lost, 26 / 256.0);
  EXPECT_DOUBLE_EQ(q.jitter_ms, 20.0);       // 160 ticks at 8 kHz
  EXPECT_DOUBLE_EQ(q.mean_jitter_ms, 15.0);  // (10 + 20) / 2
  EXPECT_DOUBLE_EQ(q.max_jitter_ms, 20.0);
  EXPECT_EQ(tracker.malformed(), 0u);
}

TEST(RtcpReportTracker, UnknownOwnSsrcTakesNothing) {
  RtcpReportTracker tracker;
  std::vector<uint8_t> p;
  append_rr(p, 0xCAFE, {{kOurs, 26, 3, 1000, 80}});
  EXPECT_TRUE(tracker.on_rtcp(p.data(), p.size(), 0));
  EXPECT_EQ(tracker.summary().reports, 0u);
}

TEST(RtcpReportTracker, ANewSsrcOfOursKeepsTheOldLossInTheTotal) {
  RtcpReportTracker tracker;
  std::vector<uint8_t> p;
  append_rr(p, 0xCAFE, {{kOurs, 0, 5, 100, 0}});
  tracker.on_rtcp(p.data(), p.size(), kOurs);
  p.clear();
  append_rr(p, 0xCAFE, {{0x1234, 0, 2, 10, 0}});
  tracker.on_rtcp(p.data(), p.size(), 0x1234);
  EXPECT_EQ(tracker.summary().cumulative_lost, 7);
}

TEST(RtcpReportTracker, CountsMalformedPackets) {
  RtcpReportTracker tracker;
  const std::vector<uint8_t> junk = {0x81, 201, 0, 7, 1, 2, 3, 4};  // one block claimed, none there
  EXPECT_FALSE(tracker.on_rtcp(junk.data(), junk.size(), kOurs));
  EXPECT_FALSE(tracker.on_rtcp(junk.data(), 3, kOurs));
  EXPECT_EQ(tracker.malformed(), 2u);
  EXPECT_EQ(tracker.summary().reports, 0u);
}

TEST(MediaQualityMeter, PbxReportsAreAboutTheBrowsersSsrc) {
  MediaQualityMeter meter;
  meter.set_clock(8000);
  constexpr uint32_t kBrowser = 0xB0B0B0B0;
  std::vector<uint8_t> rr;
  append_rr(rr, 0xCAFE, {{kBrowser, 0, 1, 5, 8}});
  meter.on_pbx_rtcp(rr.data(), rr.size());  // before any browser RTP: no SSRC to match yet
  for (uint16_t s = 0; s < 5; ++s) {
    const auto rtp = test::make_rtp(0, s, 160u * s, kBrowser);
    meter.on_browser_rtp(rtp.data(), rtp.size(), 20'000 * s);
  }
  meter.on_pbx_rtcp(rr.data(), rr.size());
  const std::vector<uint8_t> junk = {0x80, 201};
  meter.on_browser_rtcp(junk.data(), junk.size(), kOurs);
  const auto q = meter.snapshot();
  EXPECT_EQ(q.from_browser.packets_received, 5u);
  EXPECT_EQ(q.from_pbx.packets_received, 0u);
  EXPECT_EQ(q.pbx_reports.reports, 1u);
  EXPECT_EQ(q.pbx_reports.cumulative_lost, 1);
  EXPECT_DOUBLE_EQ(q.pbx_reports.jitter_ms, 1.0);
  EXPECT_EQ(q.browser_reports.reports, 0u);
  EXPECT_EQ(q.rtcp_malformed, 1u);
}
