#pragma once
// SIP addresses derived from an Account (RFC 3261 §19.1, §20.20 name-addr).
#include <string>

#include "gateway/sip/sip_stack.hpp"

namespace sipgw::sip {

/// "sip:user@domain" (the AOR: To of REGISTER, From of everything).
std::string account_aor(const Account& account);
/// "\"Display\" <sip:user@domain>", or the bare AOR in <> without a display name.
std::string account_from(const Account& account);
/// "sip:domain:port" (the registrar / PBX).
std::string account_registrar(const Account& account);

}  // namespace sipgw::sip
