#include "recorder/g711.hpp"

#include <array>

namespace sipgw::recorder {

namespace {

// G.711 μ-law: the byte is transmitted inverted; sign bit, 3-bit exponent, 4-bit mantissa,
// with a bias of 0x84 (132) in the 14-bit domain scaled to 16 bits.
constexpr int16_t ulaw_decode_one(uint8_t u) {
  u = static_cast<uint8_t>(~u);
  int t = ((u & 0x0F) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return static_cast<int16_t>((u & 0x80) ? (0x84 - t) : (t - 0x84));
}

// G.711 A-law: even bits inverted (XOR 0x55); sign bit set means positive.
constexpr int16_t alaw_decode_one(uint8_t a) {
  a ^= 0x55;
  int t = (a & 0x0F) << 4;
  int seg = (a & 0x70) >> 4;
  if (seg == 0) {
    t += 8;
  } else {
    t += 0x108;
    t <<= seg - 1;
  }
  return static_cast<int16_t>((a & 0x80) ? t : -t);
}

template <int16_t (*F)(uint8_t)>
constexpr std::array<int16_t, 256> make_table() {
  std::array<int16_t, 256> table{};
  for (int i = 0; i < 256; ++i) table[i] = F(static_cast<uint8_t>(i));
  return table;
}

constexpr auto kUlaw = make_table<ulaw_decode_one>();
constexpr auto kAlaw = make_table<alaw_decode_one>();

}  // namespace

const int16_t* ulaw_table() noexcept { return kUlaw.data(); }
const int16_t* alaw_table() noexcept { return kAlaw.data(); }

void decode_ulaw(const uint8_t* in, size_t count, int16_t* out) noexcept {
  for (size_t i = 0; i < count; ++i) out[i] = kUlaw[in[i]];
}

void decode_alaw(const uint8_t* in, size_t count, int16_t* out) noexcept {
  for (size_t i = 0; i < count; ++i) out[i] = kAlaw[in[i]];
}

uint8_t pcm_to_ulaw(int16_t pcm) noexcept {
  constexpr int kBias = 0x84;
  constexpr int kClip = 32635;
  int sample = pcm;
  int sign = 0;
  if (sample < 0) {
    sample = -sample;
    sign = 0x80;
  }
  if (sample > kClip) sample = kClip;
  sample += kBias;
  int exponent = 7;
  for (int mask = 0x4000; (sample & mask) == 0 && exponent > 0; mask >>= 1) --exponent;
  int mantissa = (sample >> (exponent + 3)) & 0x0F;
  return static_cast<uint8_t>(~(sign | (exponent << 4) | mantissa));
}

uint8_t pcm_to_alaw(int16_t pcm) noexcept {
  int sample = pcm >> 3;  // 13-bit
  int mask;
  if (sample >= 0) {
    mask = 0xD5;
  } else {
    mask = 0x55;
    sample = -sample - 1;
  }
  static constexpr int kSegEnd[8] = {0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};
  int seg = 0;
  while (seg < 8 && sample > kSegEnd[seg]) ++seg;
  if (seg >= 8) return static_cast<uint8_t>(0x7F ^ mask);
  int aval = seg << 4;
  aval |= (seg < 2) ? (sample >> 1) & 0x0F : (sample >> seg) & 0x0F;
  return static_cast<uint8_t>(aval ^ mask);
}

}  // namespace sipgw::recorder
