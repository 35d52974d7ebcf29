#pragma once
#include <string>

namespace sipgw::sip {

/// A fresh SIP Call-ID: 22 characters from [A-Za-z0-9] (~131 bits), cryptographically seeded.
/// Any thread.
std::string make_call_id();

}  // namespace sipgw::sip
