#include "gateway/sip/digest_challenge.hpp"

#include <algorithm>
#include <cctype>

namespace sipgw::sip {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// RFC 3261 quoted-string: strips the quotes and resolves quoted-pair escapes.
std::string unquote(std::string_view v) {
  v = trim(v);
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
  v = v.substr(1, v.size() - 2);
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) ++i;
    out.push_back(v[i]);
  }
  return out;
}

}  // namespace

std::optional<DigestChallenge> parse_digest_challenge(
    std::string_view scheme, const std::vector<std::string_view>& params) {
  DigestChallenge challenge;
  challenge.scheme = std::string(trim(scheme));
  if (challenge.scheme.empty()) return std::nullopt;
  bool has_realm = false;
  for (std::string_view param : params) {
    const auto eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = trim(param.substr(0, eq));
    const std::string_view value = param.substr(eq + 1);
    if (iequals(name, "realm")) {
      challenge.realm = unquote(value);
      has_realm = true;
    } else if (iequals(name, "stale")) {
      challenge.stale = iequals(unquote(value), "true");
    }
  }
  if (!has_realm) return std::nullopt;
  return challenge;
}

std::string nua_auth_credentials(const DigestChallenge& challenge, std::string_view user,
                                 std::string_view password) {
  std::string realm;
  for (char c : challenge.realm)
    if (c != '"' && c != '\\') realm.push_back(c);
  std::string out;
  out.reserve(challenge.scheme.size() + realm.size() + user.size() + password.size() + 5);
  out.append(challenge.scheme).append(":\"").append(realm).append("\":");
  out.append(user).append(":").append(password);
  return out;
}

}  // namespace sipgw::sip
