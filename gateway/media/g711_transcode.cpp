// G.711 μ-law ↔ A-law tables (see g711_transcode.hpp), built at compile time from the
// Recommendation's conversion tables, which map decoder output value numbers:
//   μ-law byte ^ 0xFF: bit 7 = negative, bits 0-6 = μ-law number 0..127 (Table 2a/2b);
//   A-law byte ^ 0xD5: bit 7 = negative, bits 0-6 = A-law number - 1, numbers 1..128 (Table 1a/1b).
#include "gateway/media/g711_transcode.hpp"

namespace sipgw::media::g711 {

namespace {

// G.711 Table 3, μ-law to A-law: indexed by the μ-law number 0..127, the A-law number.
constexpr std::array<uint8_t, 128> kTable3 = {
    1,   1,   2,   2,   3,   3,   4,   4,   5,   5,   6,   6,   7,   7,   8,   8,
    9,   10,  11,  12,  13,  14,  15,  16,  17,  18,  19,  20,  21,  22,  23,  24,
    25,  27,  29,  31,  33,  34,  35,  36,  37,  38,  39,  40,  41,  42,  43,  44,
    46,  48,  49,  50,  51,  52,  53,  54,  55,  56,  57,  58,  59,  60,  61,  62,
    64,  65,  66,  67,  68,  69,  70,  71,  72,  73,  74,  75,  76,  77,  78,  79,
    81,  82,  83,  84,  85,  86,  87,  88,  89,  90,  91,  92,  93,  94,  95,  96,
    97,  98,  99,  100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112,
    113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128,
};

// G.711 Table 4, A-law to μ-law: indexed by the A-law number - 1 (numbers 1..128), the μ-law
// number.
constexpr std::array<uint8_t, 128> kTable4 = {
    1,   3,   5,   7,   9,   11,  13,  15,  16,  17,  18,  19,  20,  21,  22,  23,
    24,  25,  26,  27,  28,  29,  30,  31,  32,  32,  33,  33,  34,  34,  35,  35,
    36,  37,  38,  39,  40,  41,  42,  43,  44,  45,  46,  47,  48,  48,  49,  49,
    50,  51,  52,  53,  54,  55,  56,  57,  58,  59,  60,  61,  62,  63,  64,  64,
    65,  66,  67,  68,  69,  70,  71,  72,  73,  74,  75,  76,  77,  78,  79,  79,
    80,  81,  82,  83,  84,  85,  86,  87,  88,  89,  90,  91,  92,  93,  94,  95,
    96,  97,  98,  99,  100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
    112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127,
};

constexpr std::array<uint8_t, 256> make_ulaw_to_alaw() {
  std::array<uint8_t, 256> table{};
  for (unsigned ulaw = 0; ulaw < 256; ++ulaw) {
    const unsigned inverted = ulaw ^ 0xFFu;
    const unsigned alaw_number = kTable3[inverted & 0x7Fu];
    table[ulaw] = static_cast<uint8_t>(((inverted & 0x80u) | (alaw_number - 1)) ^ 0xD5u);
  }
  return table;
}

constexpr std::array<uint8_t, 256> make_alaw_to_ulaw() {
  std::array<uint8_t, 256> table{};
  for (unsigned alaw = 0; alaw < 256; ++alaw) {
    const unsigned inverted = alaw ^ 0xD5u;
    const unsigned ulaw_number = kTable4[inverted & 0x7Fu];
    table[alaw] = static_cast<uint8_t>(((inverted & 0x80u) | ulaw_number) ^ 0xFFu);
  }
  return table;
}

constexpr auto kBuiltUlawToAlaw = make_ulaw_to_alaw();
constexpr auto kBuiltAlawToUlaw = make_alaw_to_ulaw();

// Zero of either sign, and full scale, map to their counterparts.
static_assert(kBuiltUlawToAlaw[0xFF] == 0xD5 && kBuiltUlawToAlaw[0x7F] == 0x55);
static_assert(kBuiltUlawToAlaw[0x80] == 0xAA && kBuiltUlawToAlaw[0x00] == 0x2A);
static_assert(kBuiltAlawToUlaw[0xAA] == 0x80 && kBuiltAlawToUlaw[0x2A] == 0x00);

}  // namespace

const std::array<uint8_t, 256> kUlawToAlaw = kBuiltUlawToAlaw;
const std::array<uint8_t, 256> kAlawToUlaw = kBuiltAlawToUlaw;

}  // namespace sipgw::media::g711
