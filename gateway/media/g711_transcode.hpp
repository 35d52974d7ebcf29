#pragma once
// G.711 μ-law ↔ A-law conversion in the coded domain (ITU-T G.711 (11/88) Tables 3 and 4), so the
// relay can carry a call whose two legs settled on different G.711 laws (a PBX re-INVITE that
// switches PCMU to PCMA) without renegotiating the browser: one table lookup per byte, same
// packet size, same timestamps.
//
// The tables are the Recommendation's, not encode(decode(x)): they keep the double conversions
// μ→A→μ and A→μ→A transparent except for the least significant bit of 8 codes each (Table 3
// note 2, Table 4 note 2). Built at compile time; no state, no allocation, no lock.
#include <array>
#include <cstddef>
#include <cstdint>

namespace sipgw::media::g711 {

/// Indexed by the μ-law byte on the wire (PCMU, RFC 3551 §4.5.14): the A-law byte.
extern const std::array<uint8_t, 256> kUlawToAlaw;
/// Indexed by the A-law byte on the wire (PCMA): the μ-law byte.
extern const std::array<uint8_t, 256> kAlawToUlaw;

inline uint8_t ulaw_to_alaw(uint8_t ulaw) noexcept { return kUlawToAlaw[ulaw]; }
inline uint8_t alaw_to_ulaw(uint8_t alaw) noexcept { return kAlawToUlaw[alaw]; }

/// Converts `size` bytes in place with `table` (kUlawToAlaw or kAlawToUlaw).
inline void transcode(const std::array<uint8_t, 256>& table, uint8_t* data, size_t size) noexcept {
  for (size_t i = 0; i < size; ++i) data[i] = table[data[i]];
}

}  // namespace sipgw::media::g711
