#pragma once
// The event body streamed to subscribers (MISSION.md §2, docs/protocol.md "Subscriber stream").
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace sipgw::protocol {

/// The call a gateway event refers to; absent when the session has no call.
struct CallDetails {
  std::string callee;
  std::string caller;
  std::string call_id;  // SIP Call-ID
  std::string callee_name;
  std::string caller_name;
};

/// Gateway event names: connected, disconnected, registered, unregistered, calling,
/// proceeding, incomingcall, answered, hangup.
struct GatewayEvent {
  uint64_t session_id = 0;
  std::string client_id;
  std::string event;
  std::optional<CallDetails> call_details;
  std::optional<int> code;        // SIP code, on hangup / proceeding
  std::optional<std::string> reason;
  std::optional<std::string> cause;  // on hangup: answered, no-answer, busy, rejected, failed, cancelled
  std::optional<nlohmann::json> recording;  // on recordingupdated: {recording_id, state, path?, bytes?, duration_ms?}
};

/// The JSON body: {"session_id", "client_id", "event", "call_details"?, "code"?, "reason"?,
/// "cause"?, "recording"?}.
nlohmann::json to_json(const GatewayEvent& event);

}  // namespace sipgw::protocol
