// G.711 decode tables against the ITU-T G.711 / Sun g711.c reference values.
#include "recorder/g711.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace sipgw::recorder;

TEST(G711, UlawKnownValues) {
  EXPECT_EQ(ulaw_to_pcm(0xFF), 0);       // positive zero
  EXPECT_EQ(ulaw_to_pcm(0x7F), 0);       // negative zero
  EXPECT_EQ(ulaw_to_pcm(0x80), 32124);   // largest positive
  EXPECT_EQ(ulaw_to_pcm(0x00), -32124);  // largest negative
  EXPECT_EQ(ulaw_to_pcm(0xFE), 8);
  EXPECT_EQ(ulaw_to_pcm(0x7E), -8);
  EXPECT_EQ(ulaw_to_pcm(0xF0), 120);
  EXPECT_EQ(ulaw_to_pcm(0xEF), 132);
  EXPECT_EQ(ulaw_to_pcm(0x8F), 16764);
}

TEST(G711, AlawKnownValues) {
  EXPECT_EQ(alaw_to_pcm(0xD5), 8);       // smallest positive
  EXPECT_EQ(alaw_to_pcm(0x55), -8);      // smallest negative
  EXPECT_EQ(alaw_to_pcm(0xAA), 32256);   // largest positive
  EXPECT_EQ(alaw_to_pcm(0x2A), -32256);  // largest negative
  EXPECT_EQ(alaw_to_pcm(0xD4), 24);
  EXPECT_EQ(alaw_to_pcm(0xC5), 264);
}

TEST(G711, TablesAreOddSymmetric) {
  for (int i = 0; i < 128; ++i) {
    EXPECT_EQ(ulaw_to_pcm(uint8_t(i)), -ulaw_to_pcm(uint8_t(i | 0x80))) << i;
    EXPECT_EQ(alaw_to_pcm(uint8_t(i)), -alaw_to_pcm(uint8_t(i | 0x80))) << i;
  }
}

TEST(G711, EncodeDecodeRoundTripWithinQuantisationStep) {
  for (int v = -32000; v <= 32000; v += 7) {
    const int16_t s = static_cast<int16_t>(v);
    // The quantisation step of the top segment is 1024 (μ-law) / 1024 (A-law).
    EXPECT_LE(std::abs(ulaw_to_pcm(pcm_to_ulaw(s)) - v), std::max(16, std::abs(v) / 16)) << v;
    EXPECT_LE(std::abs(alaw_to_pcm(pcm_to_alaw(s)) - v), std::max(16, std::abs(v) / 16)) << v;
  }
  for (int code = 0; code < 256; ++code) {
    // Every code decodes to a value that encodes back to an equivalent code.
    EXPECT_EQ(ulaw_to_pcm(pcm_to_ulaw(ulaw_to_pcm(uint8_t(code)))), ulaw_to_pcm(uint8_t(code))) << code;
    EXPECT_EQ(alaw_to_pcm(pcm_to_alaw(alaw_to_pcm(uint8_t(code)))), alaw_to_pcm(uint8_t(code))) << code;
  }
}

TEST(G711, BulkDecodeMatchesTable) {
  uint8_t in[256];
  int16_t out[256];
  for (int i = 0; i < 256; ++i) in[i] = uint8_t(i);
  decode_ulaw(in, 256, out);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(out[i], ulaw_table()[i]);
  decode_alaw(in, 256, out);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(out[i], alaw_table()[i]);
}
