// Fuzz target: the JSON client protocol (protocol/messages.hpp).
// Properties checked for every input:
//  - parse_request never throws and sets exactly one of `request` / `error`;
//  - the response/event builders never throw on whatever was parsed, and produce JSON that
//    parses back with the same name and transaction;
//  - a successfully parsed request, written back as a frame, parses to the same request.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "protocol/messages.hpp"
#include "fuzz_check.hpp"

namespace {

using nlohmann::json;
using namespace sipgw::protocol;

void put(json& out, const char* key, const std::optional<std::string>& value) {
  if (value) out[key] = *value;
}

json candidate_json(const IceCandidate& c) {
  json out = {{"candidate", c.candidate}};
  put(out, "sdpMid", c.sdp_mid);
  if (c.sdp_mline_index) out["sdpMLineIndex"] = *c.sdp_mline_index;
  return out;
}

// The request's fields as a client frame would carry them (without request/transaction).
json fields_of(const Request& request) {
  return std::visit(
      [](const auto& r) -> json {
        using T = std::decay_t<decltype(r)>;
        json out = json::object();
        if constexpr (std::is_same_v<T, HelloRequest>) {
          put(out, "client_id", r.client_id);
        } else if constexpr (std::is_same_v<T, RegisterRequest>) {
          out = {{"user", r.user},         {"password", r.password},   {"domain", r.domain},
                 {"port", r.port},         {"transport", r.transport}, {"display_name", r.display_name}};
        } else if constexpr (std::is_same_v<T, CallRequest>) {
          out = {{"number", r.number}, {"jsep", {{"type", "offer"}, {"sdp", r.offer_sdp}}}};
          put(out, "domain", r.domain);
          if (r.port) out["port"] = *r.port;
        } else if constexpr (std::is_same_v<T, TrickleRequest>) {
          put(out, "call_id", r.call_id);
          // One in "candidate", the rest in "candidates": a parse accepts up to 1 + 64.
          if (!r.candidates.empty()) {
            out["candidate"] = candidate_json(r.candidates.front());
            json rest = json::array();
            for (size_t i = 1; i < r.candidates.size(); ++i) rest.push_back(candidate_json(r.candidates[i]));
            out["candidates"] = std::move(rest);
          }
          if (r.completed) out["completed"] = true;
        } else if constexpr (std::is_same_v<T, HangupRequest>) {
          put(out, "call_id", r.call_id);
        }
        return out;
      },
      request);
}

json parse_json(const std::string& text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(value.is_object(), "a builder produced something that is not a JSON object");
  return value;
}

json transaction_json(const std::optional<std::string>& transaction) {
  return transaction ? json(*transaction) : json(nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  const ParsedRequest parsed = parse_request(frame);
  FUZZ_CHECK(parsed.request.has_value() != parsed.error.has_value(), "exactly one of request/error");
  FUZZ_CHECK(!parsed.name.empty(), "a parsed request always has a name");

  // Builders: whatever came out of the parser must be answerable without an exception.
  if (parsed.error) {
    const json error = parse_json(make_error(parsed.name, parsed.transaction, *parsed.error));
    FUZZ_CHECK(error["response"] == parsed.name, "make_error lost the name");
    FUZZ_CHECK(error["transaction"] == transaction_json(parsed.transaction), "make_error lost the transaction");
    FUZZ_CHECK(error["error"]["code"] == static_cast<int>(parsed.error->code), "make_error lost the code");
    const json event = parse_json(make_event(parsed.name, UINT64_MAX, {{"reason", parsed.error->reason}}));
    FUZZ_CHECK(event["event"] == parsed.name, "make_event lost the name");
    return 0;
  }

  const json fields = fields_of(*parsed.request);
  const json success = parse_json(make_success(parsed.name, parsed.transaction, fields));
  FUZZ_CHECK(success["response"] == parsed.name, "make_success lost the name");
  FUZZ_CHECK(success["transaction"] == transaction_json(parsed.transaction), "make_success lost the transaction");
  parse_json(make_event(parsed.name, 0, fields));

  // Round trip: the request written back as a frame parses to the same request.
  json frame_again = fields;
  frame_again["request"] = parsed.name;
  frame_again["transaction"] = *parsed.transaction;
  const ParsedRequest again = parse_request(frame_again.dump());
  FUZZ_CHECK(again.request.has_value(), again.error ? again.error->reason.c_str() : "no request");
  FUZZ_CHECK(again.request->index() == parsed.request->index(), "round trip changed the request type");
  FUZZ_CHECK(fields_of(*again.request) == fields, "round trip changed the request's fields");
  return 0;
}
