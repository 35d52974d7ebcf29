#include "gateway/sip/digest_authentication.hpp"

#include <string>

namespace sipgw::sip {

bool answer_digest_challenges(nua_handle_t* nh, const std::vector<DigestChallenge>& challenges,
                              const Account& account) {
  if (challenges.empty() || !nh) return false;
  std::vector<std::string> credentials;
  for (const auto& c : challenges) credentials.push_back(nua_auth_credentials(c, account.user, account.password));
  std::vector<tagi_t> tags;
  for (const auto& cred : credentials) tags.push_back(tagi_t{NUTAG_AUTH(cred.c_str())});
  tags.push_back(tagi_t{TAG_END()});
  nua_authenticate(nh, TAG_NEXT(tags.data()));  // nua copies the tag list before returning
  return true;
}

}  // namespace sipgw::sip
