#include "gateway/sip/sip_addressing.hpp"

namespace sipgw::sip {
namespace {

std::string host(const std::string& domain) {
  if (domain.find(':') != std::string::npos && domain.front() != '[') return "[" + domain + "]";
  return domain;
}

}  // namespace

std::string account_aor(const Account& account) {
  return "sip:" + account.user + "@" + host(account.domain);
}

std::string account_from(const Account& account) {
  if (account.display_name.empty()) return "<" + account_aor(account) + ">";
  std::string quoted = "\"";
  for (char c : account.display_name) {
    if (c == '\r' || c == '\n') continue;
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  quoted += "\" <" + account_aor(account) + ">";
  return quoted;
}

std::string account_registrar(const Account& account) {
  return "sip:" + host(account.domain) + ":" + std::to_string(account.port);
}

}  // namespace sipgw::sip
