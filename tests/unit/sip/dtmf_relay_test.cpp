#include "gateway/sip/dtmf_relay.hpp"

#include <gtest/gtest.h>

using namespace sipgw::sip;

TEST(DtmfRelay, ParsesCiscoDtmfRelayBody) {
  auto d = parse_dtmf_info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->digit, '5');
  EXPECT_EQ(d->duration_ms, 160u);
}

TEST(DtmfRelay, ToleratesCaseSpacesLfAndParameters) {
  auto d = parse_dtmf_info("Application/DTMF-Relay; charset=x", "signal= *\nduration = 400\n");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->digit, '*');
  EXPECT_EQ(d->duration_ms, 400u);
}

TEST(DtmfRelay, EventCodesMapToDigits) {
  EXPECT_EQ(parse_dtmf_info("application/dtmf-relay", "Signal=10\r\n")->digit, '*');
  EXPECT_EQ(parse_dtmf_info("application/dtmf-relay", "Signal=11\r\n")->digit, '#');
  EXPECT_EQ(parse_dtmf_info("application/dtmf-relay", "Signal=12\r\n")->digit, 'A');
  EXPECT_EQ(parse_dtmf_info("application/dtmf-relay", "Signal=d\r\n")->digit, 'D');
  EXPECT_FALSE(parse_dtmf_info("application/dtmf-relay", "Signal=16\r\n"));
}

TEST(DtmfRelay, DefaultAndClampedDuration) {
  EXPECT_EQ(parse_dtmf_info("application/dtmf-relay", "Signal=1")->duration_ms,
            kDefaultDtmfDurationMs);
  EXPECT_EQ(parse_dtmf_info("application/dtmf-relay", "Signal=1\r\nDuration=5\r\n")->duration_ms,
            kMinDtmfDurationMs);
  EXPECT_EQ(
      parse_dtmf_info("application/dtmf-relay", "Signal=1\r\nDuration=999999\r\n")->duration_ms,
      kMaxDtmfDurationMs);
  EXPECT_EQ(
      parse_dtmf_info("application/dtmf-relay", "Signal=1\r\nDuration=abc\r\n")->duration_ms,
      kDefaultDtmfDurationMs);
}

TEST(DtmfRelay, BareApplicationDtmf) {
  auto d = parse_dtmf_info("application/dtmf", "#\r\n");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->digit, '#');
  EXPECT_EQ(d->duration_ms, kDefaultDtmfDurationMs);
  EXPECT_EQ(parse_dtmf_info("application/dtmf", "11")->digit, '#');
}

TEST(DtmfRelay, RejectsGarbageAndOtherTypes) {
  EXPECT_FALSE(parse_dtmf_info("application/sdp", "Signal=5\r\n"));
  EXPECT_FALSE(parse_dtmf_info("application/dtmf-relay", ""));
  EXPECT_FALSE(parse_dtmf_info("application/dtmf-relay", "Signal=\r\n"));
  EXPECT_FALSE(parse_dtmf_info("application/dtmf-relay", "Signal=x\r\n"));
  EXPECT_FALSE(parse_dtmf_info("application/dtmf-relay", "Duration=100\r\n"));
  EXPECT_FALSE(parse_dtmf_info("application/dtmf", "55"));
  EXPECT_FALSE(parse_dtmf_info("application/dtmf", std::string_view("\0", 1)));
}

TEST(DtmfRelay, FormatsAndRoundTrips) {
  EXPECT_EQ(format_dtmf_relay('5', 160), "Signal=5\r\nDuration=160\r\n");
  EXPECT_EQ(format_dtmf_relay('b', 10), "Signal=B\r\nDuration=40\r\n");
  EXPECT_FALSE(format_dtmf_relay('x', 100));
  EXPECT_FALSE(format_dtmf_relay('\0', 100));
  for (char c : std::string("0123456789*#ABCD")) {
    auto body = format_dtmf_relay(c, 250);
    ASSERT_TRUE(body);
    auto d = parse_dtmf_info("application/dtmf-relay", *body);
    ASSERT_TRUE(d) << c;
    EXPECT_EQ(d->digit, c);
    EXPECT_EQ(d->duration_ms, 250u);
  }
}
