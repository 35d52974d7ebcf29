#include "gateway/sip/sofia_log.hpp"

#include <sofia-sip/su_log.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

extern "C" {
// Exported by libsofia-sip-ua but not declared in its public headers.
extern su_log_t nua_log[];
extern su_log_t nta_log[];
extern su_log_t tport_log[];
extern su_log_t iptsec_log[];
extern su_log_t sresolv_log[];
extern su_log_t nea_log[];
extern su_log_t soa_log[];
}

namespace sipgw::sip {
namespace {

bool g_trace = false;

// Sofia logs in fragments (one line in several calls); collect until a newline.
void log_to_spdlog(void*, char const* fmt, va_list ap) {
  thread_local std::string pending;
  char buf[2048];
  const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  if (n <= 0) return;
  pending.append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
  size_t pos;
  while ((pos = pending.find('\n')) != std::string::npos) {
    std::string line = pending.substr(0, pos);
    pending.erase(0, pos + 1);
    if (line.empty()) continue;
    if (g_trace)
      spdlog::info("sofia: {}", line);
    else
      spdlog::debug("sofia: {}", line);
  }
  if (pending.size() > 16384) pending.clear();
}

}  // namespace

bool configure_sofia_logging() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* env = std::getenv("SIPGW_SIP_TRACE");
    g_trace = env && std::strcmp(env, "0") != 0 && *env;
    su_log_t* logs[] = {su_log_default, nua_log,     nta_log, tport_log,
                        iptsec_log,     sresolv_log, nea_log, soa_log};
    for (su_log_t* log : logs) {
      su_log_redirect(log, &log_to_spdlog, nullptr);
      su_log_set_level(log, 0);
    }
    if (g_trace) {
      su_log_set_level(nua_log, 3);
      su_log_set_level(nta_log, 3);
      su_log_set_level(tport_log, 3);
    }
  });
  return g_trace;
}

}  // namespace sipgw::sip
