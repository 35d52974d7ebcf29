// RFC 3550 receive statistics: A.1 sequence bookkeeping (wrap, reordering, duplicates, the
// two-packet restart), A.3 cumulative loss, A.8 jitter of known arrival patterns.
#include "gateway/media/rtp_receive_statistics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

using namespace sipgw::media;

namespace {

constexpr uint32_t kSsrc = 0x5EED5EED;
constexpr int64_t kMs = 1000;  // µs

// Feeds packets `seqs` in that order: timestamp 160 per sequence step, arrival exactly on time
// (20 ms per step), so that only sequence bookkeeping is under test.
void feed(RtpReceiveStatistics& stats, const std::vector<uint16_t>& seqs, uint16_t first) {
  for (uint16_t seq : seqs) {
    const auto step = static_cast<uint16_t>(seq - first);
    stats.on_packet(kSsrc, seq, 1000u + 160u * step, 20 * kMs * step);
  }
}

}  // namespace

TEST(RtpReceiveStatistics, EmptyBeforeTheFirstPacket) {
  RtpReceiveStatistics stats;
  EXPECT_TRUE(stats.empty());
  const auto q = stats.summary();
  EXPECT_EQ(q.packets_expected, 0u);
  EXPECT_EQ(q.packets_received, 0u);
  EXPECT_EQ(q.packets_lost, 0u);
  EXPECT_EQ(q.mean_jitter_ms, 0.0);
}

TEST(RtpReceiveStatistics, CountsGapsAsLost) {
  RtpReceiveStatistics stats;
  feed(stats, {100, 101, 102, 105, 106, 110}, 100);  // 103, 104, 107, 108, 109 missing
  const auto q = stats.summary();
  EXPECT_EQ(q.packets_expected, 11u);
  EXPECT_EQ(q.packets_received, 6u);
  EXPECT_EQ(q.packets_lost, 5u);
  EXPECT_EQ(q.duplicates, 0u);
  EXPECT_EQ(stats.extended_highest_sequence(), 110u);
}

TEST(RtpReceiveStatistics, SequenceWrapExtendsTheHighestSequenceNumber) {
  RtpReceiveStatistics stats;
  // 65533 … 65535, 0 … 3 with 1 missing: the extended highest is one cycle + 3.
  feed(stats, {65533, 65534, 65535, 0, 2, 3}, 65533);
  EXPECT_EQ(stats.extended_highest_sequence(), 65536u + 3u);
  const auto q = stats.summary();
  EXPECT_EQ(q.packets_expected, 7u);
  EXPECT_EQ(q.packets_received, 6u);
  EXPECT_EQ(q.packets_lost, 1u);
}

TEST(RtpReceiveStatistics, ReorderedPacketsAreNotLost) {
  RtpReceiveStatistics stats;
  // 3 comes after 5, and 65535/0 swap across the wrap.
  feed(stats, {65530, 65531, 65532, 65534, 65533, 0, 65535, 1}, 65530);
  const auto q = stats.summary();
  EXPECT_EQ(q.packets_expected, 8u);
  EXPECT_EQ(q.packets_received, 8u);
  EXPECT_EQ(q.packets_lost, 0u);
  EXPECT_EQ(q.reordered, 2u);
  EXPECT_EQ(stats.extended_highest_sequence(), 65536u + 1u);
}

TEST(RtpReceiveStatistics, DuplicatesAreCountedButNotReceivedSoTheyCannotHideLoss) {
  RtpReceiveStatistics stats;
  // 12 is lost; 11 arrives three times, 10 twice (the second time after 13).
  feed(stats, {10, 11, 11, 13, 11, 10, 14}, 10);
  const auto q = stats.summary();
  EXPECT_EQ(q.packets_expected, 5u);
  EXPECT_EQ(q.packets_received, 4u);
  EXPECT_EQ(q.duplicates, 3u);
  EXPECT_EQ(q.packets_lost, 1u);  // RFC 3550 A.3 alone would say 5 − 7 = −2
}

TEST(RtpReceiveStatistics, LargeJumpIsIgnoredUnlessTheNextPacketConfirmsARestart) {
  RtpReceiveStatistics stats;
  feed(stats, {1000, 1001, 1002}, 1000);
  // One stray packet far away (more than MAX_DROPOUT ahead): not counted, no loss.
  stats.on_packet(kSsrc, 40000, 999, 100 * kMs);
  stats.on_packet(kSsrc, 1003, 1000u + 160u * 3, 60 * kMs);
  auto q = stats.summary();
  EXPECT_EQ(q.packets_expected, 4u);
  EXPECT_EQ(q.packets_received, 4u);
  EXPECT_EQ(q.packets_lost, 0u);
  // Two in a row far away: the sender restarted its numbering (A.1); the old numbering's
  // figures stay in the totals and the new one counts from its first packet.
  stats.on_packet(kSsrc, 20000, 5000, 80 * kMs);
  stats.on_packet(kSsrc, 20001, 5160, 100 * kMs);
  stats.on_packet(kSsrc, 20003, 5480, 140 * kMs);  // 20002 lost
  q = stats.summary();
  EXPECT_EQ(q.packets_expected, 4u + 3u);
  EXPECT_EQ(q.packets_received, 4u + 2u);
  EXPECT_EQ(q.packets_lost, 1u);
}

TEST(RtpReceiveStatistics, NewSsrcStartsANewSourceAndKeepsTheTotals) {
  RtpReceiveStatistics stats;
  feed(stats, {1, 2, 4}, 1);  // 3 lost
  stats.on_packet(0xBBBB, 50000, 7, 100 * kMs);
  stats.on_packet(0xBBBB, 50001, 167, 120 * kMs);
  EXPECT_EQ(stats.ssrc(), 0xBBBBu);
  const auto q = stats.summary();
  EXPECT_EQ(q.packets_expected, 4u + 2u);
  EXPECT_EQ(q.packets_received, 3u + 2u);
  EXPECT_EQ(q.packets_lost, 1u);
}

TEST(RtpReceiveStatistics, JitterIsZeroForPerfectlyPacedPackets) {
  RtpReceiveStatistics stats;
  std::vector<uint16_t> seqs;
  for (uint16_t s = 0; s < 100; ++s) seqs.push_back(s);
  feed(stats, seqs, 0);
  const auto q = stats.summary();
  EXPECT_EQ(stats.jitter(), 0u);
  EXPECT_EQ(q.jitter_ms, 0.0);
  EXPECT_EQ(q.max_jitter_ms, 0.0);
}

TEST(RtpReceiveStatistics, JitterFollowsTheRfcIntegerFormStepByStep) {
  RtpReceiveStatistics stats;
  stats.set_clock(8000);
  // Packet 0 and 1 on time; packet 2 is 2 ms late (16 ticks at 8 kHz): D = 16 → J = 16/16 = 1.
  stats.on_packet(kSsrc, 0, 0, 0);
  stats.on_packet(kSsrc, 1, 160, 20 * kMs);
  EXPECT_EQ(stats.jitter(), 0u);
  stats.on_packet(kSsrc, 2, 320, 42 * kMs);
  EXPECT_EQ(stats.jitter(), 1u);
  EXPECT_DOUBLE_EQ(stats.summary().jitter_ms, 1.0 / 8);  // 16/16 ticks at 8 kHz
  // Packet 3 on time again: D = 16 once more → J×16 = 16 + 16 − 1 = 31.
  stats.on_packet(kSsrc, 3, 480, 60 * kMs);
  EXPECT_DOUBLE_EQ(stats.summary().jitter_ms, 31.0 / 16 / 8);
}

TEST(RtpReceiveStatistics, JitterConvergesToTheAlternatingDelay) {
  // Every other packet arrives 10 ms late: |D| = 10 ms each time, so J → 10 ms (A.8).
  RtpReceiveStatistics stats;
  stats.set_clock(48000);  // Opus: the ms figure must not depend on the clock
  for (uint16_t s = 0; s < 500; ++s)
    stats.on_packet(kSsrc, s, 960u * s, 20 * kMs * s + (s % 2 ? 10 * kMs : 0));
  const auto q = stats.summary();
  EXPECT_NEAR(q.jitter_ms, 10.0, 0.05);
  EXPECT_NEAR(q.max_jitter_ms, 10.0, 0.05);
  EXPECT_GT(q.mean_jitter_ms, 9.0);  // it gets there within ~50 packets of 500
  EXPECT_LT(q.mean_jitter_ms, 10.0);
  EXPECT_EQ(q.packets_lost, 0u);
}

TEST(RtpReceiveStatistics, RepeatedTimestampsOfAnEventDoNotReadAsJitter) {
  // RFC 4733: every packet of one event carries the event's start timestamp.
  RtpReceiveStatistics stats;
  uint16_t seq = 0;
  for (int i = 0; i < 10; ++i, ++seq) stats.on_packet(kSsrc, seq, 160u * seq, 20 * kMs * seq);
  const uint32_t event_ts = 160u * seq;
  for (int i = 0; i < 5; ++i, ++seq) stats.on_packet(kSsrc, seq, event_ts, 20 * kMs * seq);
  for (int i = 0; i < 10; ++i, ++seq) stats.on_packet(kSsrc, seq, 160u * seq, 20 * kMs * seq);
  EXPECT_EQ(stats.summary().max_jitter_ms, 0.0);
  EXPECT_EQ(stats.summary().packets_received, 25u);
}

TEST(RtpReceiveStatistics, TimestampDiscontinuityRestartsTheTransitInsteadOfInflatingJitter) {
  RtpReceiveStatistics stats;
  stats.on_packet(kSsrc, 0, 0, 0);
  stats.on_packet(kSsrc, 1, 160, 20 * kMs);
  stats.on_packet(kSsrc, 2, 0x80000000u, 40 * kMs);  // the sender reset its clock
  stats.on_packet(kSsrc, 3, 0x80000000u + 160, 60 * kMs);
  EXPECT_EQ(stats.summary().max_jitter_ms, 0.0);
}
