// RFC 4733 detection: one report per event on its end bit, the three end packets deduplicated
// by timestamp, lost end packets reported when the next event begins.
#include "gateway/media/telephone_event_detector.hpp"

#include <gtest/gtest.h>

#include "rtp_test_packets.hpp"

using namespace sipgw::media;
using namespace sipgw::media::test;

namespace {
std::optional<TelephoneEventDetector::Detected> feed(TelephoneEventDetector& d, uint32_t ssrc,
                                                     uint32_t ts, uint8_t event, bool end,
                                                     uint16_t duration, uint32_t clock = 8000) {
  const auto p = make_event(101, 1, ts, ssrc, event, end, duration);
  return d.on_packet(ssrc, ts, p.data() + 12, 4, clock);
}
}  // namespace

TEST(TelephoneEventDetector, ReportsOnceOnEnd) {
  TelephoneEventDetector d;
  EXPECT_FALSE(feed(d, 1, 8000, 9, false, 160));
  EXPECT_FALSE(feed(d, 1, 8000, 9, false, 320));
  EXPECT_FALSE(feed(d, 1, 8000, 9, false, 320));  // a repeated update
  auto end = feed(d, 1, 8000, 9, true, 800);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->digit, '9');
  EXPECT_EQ(end->duration_ms, 100u);
  EXPECT_FALSE(feed(d, 1, 8000, 9, true, 800));  // 2nd and 3rd end packets
  EXPECT_FALSE(feed(d, 1, 8000, 9, true, 800));
  // The same digit again is a new event (new timestamp).
  auto again = feed(d, 1, 9600, 9, true, 400);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->duration_ms, 50u);
}

TEST(TelephoneEventDetector, DigitsClockAndLostEnd) {
  TelephoneEventDetector d;
  EXPECT_FALSE(feed(d, 7, 100, 10, false, 960, 48000));
  EXPECT_FALSE(feed(d, 7, 100, 10, false, 4800, 48000));
  // All end packets lost; the next event reports the previous one.
  auto lost = feed(d, 7, 20000, 11, false, 960, 48000);
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->digit, '*');
  EXPECT_EQ(lost->duration_ms, 100u);
  auto hash = feed(d, 7, 20000, 11, true, 9600, 48000);
  ASSERT_TRUE(hash);
  EXPECT_EQ(hash->digit, '#');
  EXPECT_EQ(hash->duration_ms, 200u);
  // Non-DTMF events (16 = flash) are not reported; short payloads are ignored.
  EXPECT_FALSE(feed(d, 7, 30000, 16, true, 800));
  const uint8_t two[2] = {1, 0x80};
  EXPECT_FALSE(d.on_packet(7, 40000, two, 2, 8000));
  auto d_digit = feed(d, 7, 50000, 15, true, 800);
  ASSERT_TRUE(d_digit);
  EXPECT_EQ(d_digit->digit, 'D');
}
