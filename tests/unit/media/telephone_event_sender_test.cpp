// RFC 4733 §2.5 generation: sequence/timestamp/marker/end bits, duration growth, three end
// packets, audio suppressed while the event plays, sequence offset afterwards.
#include "gateway/media/telephone_event_sender.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "gateway/media/telephone_event.hpp"
#include "rtp_test_packets.hpp"

using namespace sipgw::media;
using namespace sipgw::media::test;

namespace {

constexpr uint32_t kSsrc = 0xB0B0B0B0;
constexpr int64_t kMs = 1000;

struct Generated {
  Parsed rtp;
  TelephoneEvent event;
};

Generated decode(const TelephoneEventSender::Packet& packet) {
  Generated g{parse(packet.bytes.data(), packet.size), {}};
  EXPECT_TRUE(parse_telephone_event(packet.bytes.data() + 12, packet.size - 12, g.event));
  return g;
}

TelephoneEventSender::Params pcmu() {
  return {101, 8000, 8000, 20};
}

}  // namespace

TEST(TelephoneEventSender, GeneratesOneEventPerRfc4733) {
  TelephoneEventSender sender;
  int64_t now = 1'000'000;
  // Browser audio: seq 1000.., ts 160 per 20 ms.
  for (int i = 0; i < 5; ++i) {
    auto p = make_rtp(0, static_cast<uint16_t>(1000 + i), 50'000 + 160u * i, kSsrc);
    ASSERT_TRUE(sender.on_browser_rtp(p.data(), p.size(), now));
    EXPECT_EQ(parse(p).seq, 1000 + i);  // no offset yet
    now += 20 * kMs;
  }
  // Last packet: seq 1004, ts 50640 at now-20ms. The event starts 10 ms later.
  now -= 10 * kMs;
  ASSERT_TRUE(sender.enqueue('5', 100));
  std::vector<Generated> out;
  TelephoneEventSender::Packet packet;
  std::vector<uint8_t> audio;
  uint16_t browser_seq = 1005;
  uint32_t browser_ts = 50'800;
  for (int tick = 0; tick < 20 && (sender.busy() || out.empty()); ++tick) {
    if (sender.tick(now, pcmu(), packet)) out.push_back(decode(packet));
    // Browser audio keeps arriving: suppressed while the event plays.
    if (sender.busy()) {
      audio = make_rtp(0, browser_seq++, browser_ts, kSsrc);
      browser_ts += 160;
      EXPECT_FALSE(sender.on_browser_rtp(audio.data(), audio.size(), now + 5 * kMs));
    }
    now += 20 * kMs;
  }
  // 100 ms at 20 ms: durations 160..800, the last (E) three times: 5 + 2 packets.
  ASSERT_EQ(out.size(), 7u);
  const uint32_t event_ts = 50'640 + 80;  // +10 ms at 8 kHz
  for (size_t i = 0; i < out.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(out[i].rtp.pt, 101);
    EXPECT_EQ(out[i].rtp.ssrc, kSsrc);
    EXPECT_EQ(out[i].rtp.seq, 1005 + i);  // continuous with the browser's stream
    EXPECT_EQ(out[i].rtp.ts, event_ts);   // all packets of an event share its timestamp
    EXPECT_EQ(out[i].rtp.marker, i == 0);
    EXPECT_EQ(out[i].event.event, 5);
    EXPECT_EQ(out[i].event.volume, 10);
    EXPECT_EQ(out[i].event.duration, std::min<size_t>(160 * (i + 1), 800));
    EXPECT_EQ(out[i].event.end, i >= 4);
  }
  EXPECT_EQ(sender.events_started(), 1u);
  // After the event the browser's packets follow the last end packet without a gap.
  auto after = make_rtp(0, browser_seq, browser_ts, kSsrc);
  ASSERT_TRUE(sender.on_browser_rtp(after.data(), after.size(), now));
  EXPECT_EQ(parse(after).seq, 1005 + 7);
  EXPECT_TRUE(parse(after).marker);  // a new talkspurt
  auto next = make_rtp(0, static_cast<uint16_t>(browser_seq + 1), browser_ts + 160, kSsrc);
  ASSERT_TRUE(sender.on_browser_rtp(next.data(), next.size(), now + 20 * kMs));
  EXPECT_EQ(parse(next).seq, 1005 + 8);
  EXPECT_FALSE(parse(next).marker);
}

TEST(TelephoneEventSender, OpusClockAndQueuedDigits) {
  TelephoneEventSender sender;
  int64_t now = 5'000'000;
  auto p = make_rtp(111, 65534, 0xFFFFF000u, kSsrc);  // sequence and timestamp about to wrap
  ASSERT_TRUE(sender.on_browser_rtp(p.data(), p.size(), now));
  ASSERT_TRUE(sender.enqueue('#', 40));
  ASSERT_TRUE(sender.enqueue('a', 60));
  EXPECT_FALSE(sender.enqueue('x', 100));
  const TelephoneEventSender::Params opus{110, 48000, 48000, 20};
  std::vector<Generated> out;
  TelephoneEventSender::Packet packet;
  for (int tick = 0; tick < 50 && sender.busy(); ++tick, now += 20 * kMs)
    if (sender.tick(now, opus, packet)) out.push_back(decode(packet));
  // '#' 40 ms: 960, 1920(E) x3 = 4 packets; 'A' 60 ms: 960, 1920, 2880(E) x3 = 5 packets.
  ASSERT_EQ(out.size(), 9u);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].rtp.seq, uint16_t(65535 + i)) << i;
  EXPECT_EQ(out[0].event.event, 11);
  EXPECT_EQ(out[0].rtp.ts, 0xFFFFF000u);  // started at once
  EXPECT_EQ(out[3].event.duration, 1920);
  EXPECT_TRUE(out[3].event.end);
  EXPECT_EQ(out[4].event.event, 12);
  EXPECT_TRUE(out[4].rtp.marker);
  // The second event starts 4 ticks (80 ms = 3840 at 48 kHz) after the first.
  EXPECT_EQ(out[4].rtp.ts, 0xFFFFF000u + 3840u);
  EXPECT_EQ(out[8].event.duration, 2880);
  EXPECT_EQ(sender.events_started(), 2u);
}

TEST(TelephoneEventSender, WaitsForTheBrowserStreamAndDropsWithoutPt) {
  TelephoneEventSender sender;
  TelephoneEventSender::Packet packet;
  ASSERT_TRUE(sender.enqueue('1', 100));
  EXPECT_FALSE(sender.tick(0, pcmu(), packet));  // no SSRC known yet
  EXPECT_TRUE(sender.busy());
  auto p = make_rtp(0, 10, 1600, kSsrc);
  ASSERT_TRUE(sender.on_browser_rtp(p.data(), p.size(), 0));
  TelephoneEventSender::Params none = pcmu();
  none.payload_type = -1;
  EXPECT_FALSE(sender.tick(20 * kMs, none, packet));
  EXPECT_EQ(sender.dropped_no_pt(), 1u);
  EXPECT_FALSE(sender.busy());
}

TEST(TelephoneEventSender, DroppedBrowserPacketsLeaveNoGap) {
  TelephoneEventSender sender;
  auto a = make_rtp(0, 100, 0, kSsrc);
  ASSERT_TRUE(sender.on_browser_rtp(a.data(), a.size(), 0));
  for (uint16_t s = 101; s < 110; ++s) {
    auto muted = make_rtp(0, s, 0, kSsrc);
    sender.on_browser_rtp_dropped(muted.data(), muted.size(), 0);
  }
  auto b = make_rtp(0, 110, 0, kSsrc);
  ASSERT_TRUE(sender.on_browser_rtp(b.data(), b.size(), 0));
  EXPECT_EQ(parse(b).seq, 101);
  EXPECT_TRUE(parse(b).marker);
}
