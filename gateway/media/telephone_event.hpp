#pragma once
// The RFC 4733 §2.3 telephone-event payload (event, E bit, volume, duration) and the DTMF digit
// to event code mapping of §3.2 (0-9 → 0-9, * → 10, # → 11, A-D → 12-15).
//
// Threads: pure functions.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "gateway/media/rtp_header.hpp"

namespace sipgw::media {

struct TelephoneEvent {
  static constexpr size_t kSize = 4;
  uint8_t event = 0;
  bool end = false;
  uint8_t volume = 0;      // 0-63: power level in -dBm0
  uint16_t duration = 0;   // in the telephone-event clock
};

/// Event code of a DTMF digit ('a'-'d' accepted too); nullopt for anything else.
constexpr std::optional<uint8_t> dtmf_event_code(char digit) noexcept {
  if (digit >= '0' && digit <= '9') return static_cast<uint8_t>(digit - '0');
  if (digit == '*') return 10;
  if (digit == '#') return 11;
  if (digit >= 'A' && digit <= 'D') return static_cast<uint8_t>(12 + digit - 'A');
  if (digit >= 'a' && digit <= 'd') return static_cast<uint8_t>(12 + digit - 'a');
  return std::nullopt;
}

/// Digit of a DTMF event code; 0 for codes that are not DTMF (flash, tones, ...).
constexpr char dtmf_digit(uint8_t code) noexcept {
  constexpr char kDigits[] = "0123456789*#ABCD";
  return code < 16 ? kDigits[code] : 0;
}

inline bool parse_telephone_event(const uint8_t* payload, size_t size,
                                  TelephoneEvent& out) noexcept {
  if (size < TelephoneEvent::kSize) return false;
  out.event = payload[0];
  out.end = (payload[1] & 0x80) != 0;
  out.volume = payload[1] & 0x3f;
  out.duration = read_u16(payload + 2);
  return true;
}

inline void write_telephone_event(uint8_t* out, const TelephoneEvent& event) noexcept {
  out[0] = event.event;
  out[1] = static_cast<uint8_t>((event.end ? 0x80 : 0) | (event.volume & 0x3f));  // R = 0
  write_u16(out + 2, event.duration);
}

}  // namespace sipgw::media
