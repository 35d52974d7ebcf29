#pragma once
// DTMF carried in SIP INFO bodies (pure code, no sofia types: unit-tested and fuzzable).
// Two de-facto formats exist (there is no RFC for either; RFC 6086 only frames INFO itself):
//   application/dtmf-relay  "Signal=5\r\nDuration=160\r\n"   (Cisco; Asterisk, FreeSWITCH)
//   application/dtmf        "5"                              (a bare digit or event code)
// Signal may also be an RFC 4733 event code (10 = '*', 11 = '#', 12-15 = 'A'-'D').
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipgw::sip {

struct DtmfDigit {
  char digit = 0;               // 0-9, *, #, A-D
  uint32_t duration_ms = 0;
};

inline constexpr uint32_t kDefaultDtmfDurationMs = 250;  // when the body has no Duration
inline constexpr uint32_t kMinDtmfDurationMs = 40;
inline constexpr uint32_t kMaxDtmfDurationMs = 5000;

/// True for "application/dtmf-relay" and "application/dtmf" (case-insensitive, parameters
/// after ';' ignored).
bool is_dtmf_content_type(std::string_view content_type);

/// Parses an INFO body of either content type. nullopt if no valid digit is found.
/// Duration is clamped to [kMinDtmfDurationMs, kMaxDtmfDurationMs].
std::optional<DtmfDigit> parse_dtmf_info(std::string_view content_type, std::string_view body);

/// The normalised digit (upper case A-D) or 0 if `c` is not a DTMF digit.
char normalize_dtmf_digit(char c);

/// "Signal=<digit>\r\nDuration=<ms>\r\n" for application/dtmf-relay; nullopt for an invalid
/// digit. The duration is clamped like above.
std::optional<std::string> format_dtmf_relay(char digit, uint32_t duration_ms);

}  // namespace sipgw::sip
