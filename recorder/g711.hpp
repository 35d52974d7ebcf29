#pragma once
// G.711 (ITU-T G.711) decoding: μ-law (PCMU, RTP PT 0) and A-law (PCMA, RTP PT 8) to 16-bit
// linear PCM through 256-entry tables. Pure functions, any thread.
#include <cstddef>
#include <cstdint>

namespace sipgw::recorder {

/// The 256-entry decode tables (index: the coded byte as sent on the wire).
const int16_t* ulaw_table() noexcept;
const int16_t* alaw_table() noexcept;

inline int16_t ulaw_to_pcm(uint8_t code) noexcept { return ulaw_table()[code]; }
inline int16_t alaw_to_pcm(uint8_t code) noexcept { return alaw_table()[code]; }

/// Decodes `count` bytes into `count` samples.
void decode_ulaw(const uint8_t* in, size_t count, int16_t* out) noexcept;
void decode_alaw(const uint8_t* in, size_t count, int16_t* out) noexcept;

/// Encoders (the reference algorithms of G.711 / Sun's g711.c). Used by tests and the benchmark
/// to build synthetic calls; the recorder itself only decodes.
uint8_t pcm_to_ulaw(int16_t pcm) noexcept;
uint8_t pcm_to_alaw(int16_t pcm) noexcept;

}  // namespace sipgw::recorder
