// PacketQueue: FIFO order, a full ring drops and counts without blocking, RTP parsing, and one
// producer thread against one consumer thread.
#include "recorder/packet_queue.hpp"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

using namespace sipgw::recorder;

namespace {
RecordedPacket packet(uint16_t seq, uint16_t size = 160) {
  RecordedPacket p;
  p.recording_id = 7;
  p.sequence = seq;
  p.payload_size = size;
  for (int i = 0; i < size; ++i) p.payload[i] = uint8_t(seq + i);
  return p;
}
}  // namespace

TEST(PacketQueue, CapacityIsAPowerOfTwo) {
  EXPECT_EQ(PacketQueue(4096).capacity(), 4096u);
  EXPECT_EQ(PacketQueue(1000).capacity(), 1024u);
  EXPECT_EQ(PacketQueue(1).capacity(), 2u);
  EXPECT_EQ(PacketQueue().capacity(), PacketQueue::kDefaultCapacity);
}

TEST(PacketQueue, FifoWithPayload) {
  PacketQueue q(8);
  EXPECT_EQ(q.front(), nullptr);
  for (uint16_t i = 0; i < 5; ++i) ASSERT_TRUE(q.try_push(packet(i)));
  for (uint16_t i = 0; i < 5; ++i) {
    const RecordedPacket* p = q.front();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->sequence, i);
    EXPECT_EQ(p->recording_id, 7u);
    EXPECT_EQ(p->payload_size, 160);
    EXPECT_EQ(p->payload[10], uint8_t(i + 10));
    q.pop();
  }
  EXPECT_EQ(q.front(), nullptr);
  EXPECT_EQ(q.pushed(), 5u);
  EXPECT_EQ(q.dropped(), 0u);
}

TEST(PacketQueue, FullRingDropsCountsAndNeverBlocks) {
  PacketQueue q(16);
  for (uint16_t i = 0; i < 16; ++i) ASSERT_TRUE(q.try_push(packet(i)));
  // No consumer: 100000 more pushes must all fail fast and be counted.
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100000; ++i) EXPECT_FALSE(q.try_push(packet(uint16_t(i))));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(q.dropped(), 100000u);
  EXPECT_EQ(q.pushed(), 16u);
  EXPECT_LT(elapsed, std::chrono::seconds(1));  // ~µs each at most; a blocking push would hang
  // The ring still holds the first 16, in order, and accepts again once one is consumed.
  EXPECT_EQ(q.front()->sequence, 0);
  q.pop();
  EXPECT_TRUE(q.try_push(packet(99)));
}

TEST(PacketQueue, ParsesRtpHeaderCsrcExtensionAndPadding) {
  PacketQueue q(4);
  std::vector<uint8_t> rtp = {
      0xB1, 0x80 | 8, 0x12, 0x34,  // V=2 P=1 X=1 CC=1; M=1 PT=8; seq 0x1234
      0x00, 0x01, 0x02, 0x03,      // timestamp
      0xCA, 0xFE, 0xBA, 0xBE,      // SSRC
      0x11, 0x22, 0x33, 0x44,      // CSRC
      0xBE, 0xDE, 0x00, 0x01,      // extension: profile, 1 word
      0x10, 0xAA, 0x00, 0x00,      // extension data
      0x55, 0x56, 0x57,            // payload
      0x00, 0x02};                 // 2 bytes of padding
  ASSERT_TRUE(q.try_push_rtp(42, Leg::remote, 123456, rtp.data(), rtp.size()));
  const RecordedPacket* p = q.front();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->recording_id, 42u);
  EXPECT_EQ(p->leg, Leg::remote);
  EXPECT_EQ(p->arrival_us, 123456);
  EXPECT_EQ(p->payload_type, 8);
  EXPECT_TRUE(p->marker);
  EXPECT_EQ(p->sequence, 0x1234);
  EXPECT_EQ(p->timestamp, 0x00010203u);
  EXPECT_EQ(p->ssrc, 0xCAFEBABEu);
  ASSERT_EQ(p->payload_size, 3);
  EXPECT_EQ(p->payload[0], 0x55);
  EXPECT_EQ(p->payload[2], 0x57);

  const uint8_t not_rtp[] = {0x16, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(q.try_push_rtp(42, Leg::browser, 0, not_rtp, sizeof not_rtp));
  const uint8_t short_rtp[] = {0x80, 0x00, 0x00};
  EXPECT_FALSE(q.try_push_rtp(42, Leg::browser, 0, short_rtp, sizeof short_rtp));
  EXPECT_EQ(q.dropped(), 0u);  // invalid packets are not drops
}

TEST(PacketQueue, WakesTheConsumerAtHalfFull) {
  PacketQueue q(8);
  int fd = eventfd(0, EFD_NONBLOCK);
  ASSERT_GE(fd, 0);
  q.set_wake_fd(fd);
  uint64_t value = 0;
  for (uint16_t i = 0; i < 3; ++i) q.try_push(packet(i));
  EXPECT_LT(read(fd, &value, sizeof value), 0);  // nothing yet
  q.try_push(packet(3));                         // 4 of 8
  ASSERT_EQ(read(fd, &value, sizeof value), ssize_t(sizeof value));
  EXPECT_EQ(value, 1u);
  close(fd);
}

TEST(PacketQueue, OneProducerOneConsumerKeepOrderAndCount) {
  PacketQueue q(64);
  constexpr int kPackets = 200000;
  std::thread producer([&] {
    for (int i = 0; i < kPackets; ++i) {
      RecordedPacket p = packet(uint16_t(i), 16);
      p.recording_id = uint64_t(i);  // a counter that does not wrap
      q.try_push(p);
    }
  });
  uint64_t received = 0;
  int64_t last = -1;
  bool ordered = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (const RecordedPacket* p = q.front()) {
      // The counter only increases: drops make gaps, never reorderings or duplicates.
      const auto n = static_cast<int64_t>(p->recording_id);
      if (n <= last) ordered = false;
      if (p->payload[3] != uint8_t(p->sequence + 3)) ordered = false;
      last = n;
      q.pop();
      ++received;
    } else if (q.pushed() + q.dropped() == uint64_t(kPackets) && q.front() == nullptr) {
      break;
    }
  }
  producer.join();
  EXPECT_TRUE(ordered);
  EXPECT_EQ(received, q.pushed());
  EXPECT_EQ(q.pushed() + q.dropped(), uint64_t(kPackets));
}
