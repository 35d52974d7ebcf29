#pragma once
// The webhook body signature: HMAC-SHA256 (RFC 2104, FIPS 180-4) keyed with the target's
// secret over the exact request body bytes, sent as
//   X-SipGateway-Signature: sha256=<64 lowercase hex digits>
// A receiver recomputes it over the raw body it received and compares in constant time.
//
// Threads: pure; any thread.
#include <string>
#include <string_view>

namespace sipgw::events {

inline constexpr const char* kSignatureHeader = "X-SipGateway-Signature";

/// "sha256=" + lowercase hex of HMAC-SHA256(secret, body).
std::string webhook_signature(std::string_view secret, std::string_view body);

}  // namespace sipgw::events
