#include "gateway/sip/dtmf_relay.hpp"

#include <algorithm>
#include <cctype>

namespace sipgw::sip {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<uint32_t> parse_uint(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 9) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v;
}

uint32_t clamp_duration(uint32_t ms) {
  return std::clamp(ms, kMinDtmfDurationMs, kMaxDtmfDurationMs);
}

// A signal value: one DTMF character, or an RFC 4733 event code 0-15.
char parse_signal(std::string_view value) {
  value = trim(value);
  if (value.size() == 1) return normalize_dtmf_digit(value.front());
  if (auto code = parse_uint(value); code && *code <= 15)
    return "0123456789*#ABCD"[*code];
  return 0;
}

}  // namespace

char normalize_dtmf_digit(char c) {
  if (c >= '0' && c <= '9') return c;
  if (c == '*' || c == '#') return c;
  if (c >= 'a' && c <= 'd') return static_cast<char>(c - 'a' + 'A');
  if (c >= 'A' && c <= 'D') return c;
  return 0;
}

bool is_dtmf_content_type(std::string_view content_type) {
  content_type = trim(content_type.substr(0, content_type.find(';')));
  return iequals(content_type, "application/dtmf-relay") ||
         iequals(content_type, "application/dtmf");
}

std::optional<DtmfDigit> parse_dtmf_info(std::string_view content_type, std::string_view body) {
  if (!is_dtmf_content_type(content_type)) return std::nullopt;
  DtmfDigit out;
  out.duration_ms = kDefaultDtmfDurationMs;
  const std::string_view whole = body;
  bool saw_key = false;
  // Lines "Key=Value" separated by CRLF or LF; keys are case-insensitive.
  while (!body.empty()) {
    const size_t eol = body.find('\n');
    std::string_view line = body.substr(0, eol);
    body = eol == std::string_view::npos ? std::string_view{} : body.substr(eol + 1);
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    saw_key = true;
    const std::string_view key = trim(line.substr(0, eq));
    const std::string_view value = line.substr(eq + 1);
    if (iequals(key, "Signal")) {
      out.digit = parse_signal(value);
    } else if (iequals(key, "Duration")) {
      if (auto d = parse_uint(value)) out.duration_ms = *d;
    }
  }
  if (!saw_key) out.digit = parse_signal(whole);  // application/dtmf: a bare digit or code
  if (out.digit == 0) return std::nullopt;
  out.duration_ms = clamp_duration(out.duration_ms);
  return out;
}

std::optional<std::string> format_dtmf_relay(char digit, uint32_t duration_ms) {
  const char d = normalize_dtmf_digit(digit);
  if (d == 0) return std::nullopt;
  return "Signal=" + std::string(1, d) + "\r\nDuration=" +
         std::to_string(clamp_duration(duration_ms)) + "\r\n";
}

}  // namespace sipgw::sip
