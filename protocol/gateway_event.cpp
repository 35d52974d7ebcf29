#include "protocol/gateway_event.hpp"

namespace sipgw::protocol {

nlohmann::json to_json(const GatewayEvent& event) {
  nlohmann::json body = {
      {"session_id", event.session_id},
      {"client_id", event.client_id},
      {"event", event.event},
  };
  if (event.call_details) {
    const auto& call = *event.call_details;
    body["call_details"] = {
        {"callee", call.callee},           {"caller", call.caller},
        {"call_id", call.call_id},         {"callee_name", call.callee_name},
        {"caller_name", call.caller_name},
    };
  }
  if (event.code) body["code"] = *event.code;
  if (event.reason) body["reason"] = *event.reason;
  if (event.cause) body["cause"] = *event.cause;
  if (event.recording) body["recording"] = *event.recording;
  return body;
}

}  // namespace sipgw::protocol
