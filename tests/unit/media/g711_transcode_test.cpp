// G.711 μ-law ↔ A-law tables: known values of the Recommendation's Tables 3 and 4, sign and
// order kept, and the double-conversion properties its notes state.
#include "gateway/media/g711_transcode.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <set>

using namespace sipgw::media;

namespace {

// Decoded values in the common 16-bit scale (μ-law × 4, A-law × 8), for order and error checks.
int ulaw_value(uint8_t ulaw) {
  const unsigned u = ulaw ^ 0xFFu;
  const int magnitude = ((((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)) - 0x84;
  return (u & 0x80) ? -magnitude : magnitude;
}
int alaw_value(uint8_t alaw) {
  const unsigned a = alaw ^ 0x55u;
  const unsigned segment = (a & 0x70) >> 4;
  int magnitude = static_cast<int>((a & 0x0F) << 4) + (segment == 0 ? 8 : 0x108);
  if (segment > 1) magnitude <<= segment - 1;
  return (a & 0x80) ? magnitude : -magnitude;
}
// Decoder output value numbers (Tables 1 and 2): μ-law 0..127, A-law 1..128.
unsigned ulaw_number(uint8_t ulaw) { return (ulaw ^ 0xFFu) & 0x7Fu; }
unsigned alaw_number(uint8_t alaw) { return ((alaw ^ 0xD5u) & 0x7Fu) + 1; }

}  // namespace

TEST(G711Transcode, KnownValues) {
  // Zero (both signs) and full scale.
  EXPECT_EQ(g711::ulaw_to_alaw(0xFF), 0xD5);
  EXPECT_EQ(g711::ulaw_to_alaw(0x7F), 0x55);
  EXPECT_EQ(g711::ulaw_to_alaw(0x80), 0xAA);
  EXPECT_EQ(g711::ulaw_to_alaw(0x00), 0x2A);
  EXPECT_EQ(g711::alaw_to_ulaw(0xD5), 0xFE);  // A-law number 1 → μ-law number 1
  EXPECT_EQ(g711::alaw_to_ulaw(0x55), 0x7E);
  EXPECT_EQ(g711::alaw_to_ulaw(0xAA), 0x80);
  EXPECT_EQ(g711::alaw_to_ulaw(0x2A), 0x00);
  // Where Table 3/4 is not "the nearest code" (μ number 80 → A number 81; A number 80 → μ 79),
  // and where some widely copied tables differ from the Recommendation.
  EXPECT_EQ(g711::ulaw_to_alaw(47), 5);
  EXPECT_EQ(g711::ulaw_to_alaw(175), 133);
  EXPECT_EQ(g711::alaw_to_ulaw(26), 48);
  EXPECT_EQ(g711::alaw_to_ulaw(154), 176);
  // Bottom of the μ-law range: pairs of μ-law codes share an A-law code (Table 3).
  EXPECT_EQ(g711::ulaw_to_alaw(0xFE), 0xD5);
  EXPECT_EQ(g711::ulaw_to_alaw(0xFD), 0xD4);
}

TEST(G711Transcode, KeepsSignAndOrderWithinOneStep) {
  for (unsigned code = 0; code < 256; ++code) {
    const auto u = static_cast<uint8_t>(code);
    const uint8_t a = g711::ulaw_to_alaw(u);
    EXPECT_EQ(u & 0x80, a & 0x80) << "u " << code;  // sign bit: set = positive in both laws
    // The A-law value is within one A-law step (at most 1024 in this scale, top segment) and
    // within 1/8 of the μ-law value above the lowest segments.
    const int error = std::abs(alaw_value(a) - ulaw_value(u));
    EXPECT_LE(error, std::max(16, std::abs(ulaw_value(u)) / 8)) << "u " << code;
    const auto a_in = static_cast<uint8_t>(code);
    const uint8_t u_out = g711::alaw_to_ulaw(a_in);
    EXPECT_EQ(a_in & 0x80, u_out & 0x80) << "a " << code;
    EXPECT_LE(std::abs(ulaw_value(u_out) - alaw_value(a_in)), std::max(16, std::abs(alaw_value(a_in)) / 8))
        << "a " << code;
  }
  // Monotonic: a louder sample never converts to a quieter one.
  for (unsigned n = 0; n + 1 < 128; ++n) {
    const auto quieter = static_cast<uint8_t>(0xFF ^ n);  // positive μ-law numbers n, n + 1
    const auto louder = static_cast<uint8_t>(0xFF ^ (n + 1));
    EXPECT_LE(alaw_value(g711::ulaw_to_alaw(quieter)), alaw_value(g711::ulaw_to_alaw(louder))) << n;
    const auto a_quieter = static_cast<uint8_t>(0xD5 ^ n);  // positive A-law numbers n+1, n+2
    const auto a_louder = static_cast<uint8_t>(0xD5 ^ (n + 1));
    EXPECT_LE(ulaw_value(g711::alaw_to_ulaw(a_quieter)), ulaw_value(g711::alaw_to_ulaw(a_louder))) << n;
  }
}

TEST(G711Transcode, DoubleConversionsAsTheRecommendationStates) {
  // Table 3 note 2: μ→A→μ changes only μ-law numbers 0, 2, 4, ..., 14 (each to the next number,
  // i.e. only the least significant bit of the octet).
  std::set<unsigned> changed;
  for (unsigned code = 0; code < 256; ++code) {
    const auto u = static_cast<uint8_t>(code);
    const uint8_t back = g711::alaw_to_ulaw(g711::ulaw_to_alaw(u));
    if (back == u) continue;
    EXPECT_EQ(back, u ^ 0x01) << code;
    EXPECT_EQ(ulaw_number(back), ulaw_number(u) + 1) << code;
    changed.insert(ulaw_number(u));
  }
  EXPECT_EQ(changed, (std::set<unsigned>{0, 2, 4, 6, 8, 10, 12, 14}));
  // Table 4 note 2: A→μ→A changes only A-law numbers 26, 28, 30, 32, 45, 47, 63 and 80, again
  // only in the least significant bit.
  changed.clear();
  for (unsigned code = 0; code < 256; ++code) {
    const auto a = static_cast<uint8_t>(code);
    const uint8_t back = g711::ulaw_to_alaw(g711::alaw_to_ulaw(a));
    if (back == a) continue;
    EXPECT_EQ(back, a ^ 0x01) << code;
    changed.insert(alaw_number(a));
  }
  EXPECT_EQ(changed, (std::set<unsigned>{26, 28, 30, 32, 45, 47, 63, 80}));
  // A second round trip changes nothing more.
  for (unsigned code = 0; code < 256; ++code) {
    const uint8_t once = g711::ulaw_to_alaw(static_cast<uint8_t>(code));
    EXPECT_EQ(g711::ulaw_to_alaw(g711::alaw_to_ulaw(once)), once) << code;
  }
}

TEST(G711Transcode, InPlaceOverABuffer) {
  uint8_t data[4] = {0xFF, 0x7F, 0x80, 0x00};
  g711::transcode(g711::kUlawToAlaw, data, sizeof data);
  EXPECT_EQ(data[0], 0xD5);
  EXPECT_EQ(data[1], 0x55);
  EXPECT_EQ(data[2], 0xAA);
  EXPECT_EQ(data[3], 0x2A);
  g711::transcode(g711::kAlawToUlaw, data, sizeof data);
  EXPECT_EQ(data[0], 0xFE);  // μ-law number 0 comes back as 1 (Table 3 note 2)
  EXPECT_EQ(data[1], 0x7E);
  EXPECT_EQ(data[2], 0x80);
  EXPECT_EQ(data[3], 0x00);
}
