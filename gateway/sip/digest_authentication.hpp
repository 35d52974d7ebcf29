#pragma once
// Answering a 401/407 on a nua handle with the account's credentials (RFC 3261 §22.2-22.3).
// SIP thread only.
#include <vector>

#include "gateway/sip/digest_challenge.hpp"
#include "gateway/sip/sip_stack.hpp"
#include "gateway/sip/sofia.hpp"

namespace sipgw::sip {

/// Calls nua_authenticate on `nh` with one NUTAG_AUTH per challenge (a 401 and a 407 realm may
/// both be present). Returns false when there is nothing to answer (no challenge, no handle).
bool answer_digest_challenges(nua_handle_t* nh, const std::vector<DigestChallenge>& challenges,
                              const Account& account);

}  // namespace sipgw::sip
