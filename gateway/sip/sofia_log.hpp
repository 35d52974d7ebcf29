#pragma once
// Sofia-SIP's global logging, owned in one place: every sofia log (nua, nta, tport, resolver,
// auth…) is routed to spdlog and silenced by default. SIPGW_SIP_TRACE=1 in the environment
// turns on message tracing (TPTAG_LOG) and routes sofia's output at info level.
namespace sipgw::sip {

/// Idempotent, any thread (call before nua_create). Returns true if tracing is enabled.
bool configure_sofia_logging();

}  // namespace sipgw::sip
