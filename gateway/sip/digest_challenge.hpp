#pragma once
// Digest challenges (RFC 3261 §22.4, RFC 2617) as values, and the credential string that
// nua_authenticate() expects: NUTAG_AUTH("Digest:\"realm\":user:password").
// Pure functions: no sofia types, so they are unit-testable and fuzzable.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipgw::sip {

struct DigestChallenge {
  std::string scheme;  // "Digest"
  std::string realm;   // unquoted
  bool stale = false;
};

/// Parses one challenge from its scheme and its auth-params as sofia splits them
/// (e.g. `realm="127.0.0.1"`, `nonce="…"`, `stale=true`). Returns nullopt without a realm.
std::optional<DigestChallenge> parse_digest_challenge(std::string_view scheme,
                                                      const std::vector<std::string_view>& params);

/// The value for NUTAG_AUTH: `<scheme>:"<realm>":<user>:<password>`. Characters that would
/// break sofia's parsing of the realm (`"` and `\`) are dropped from the realm.
std::string nua_auth_credentials(const DigestChallenge& challenge, std::string_view user,
                                 std::string_view password);

}  // namespace sipgw::sip
