#include "protocol/messages.hpp"

#include <cctype>
#include <limits>

namespace sipgw::protocol {
namespace {

using nlohmann::json;

constexpr size_t kMaxTransactionChars = 64;
constexpr size_t kMaxClientIdChars = 128;
constexpr size_t kMaxFieldChars = 256;
constexpr size_t kMaxSdpBytes = 32 * 1024;
constexpr size_t kMaxCandidatesPerTrickle = 64;

/// Thrown inside this file only, caught by parse_request: keeps field checks one-liners.
struct FieldError {
  ErrorCode code;
  std::string reason;
};

[[noreturn]] void fail(std::string reason, ErrorCode code = ErrorCode::bad_request) {
  throw FieldError{code, std::move(reason)};
}

std::optional<std::string> optional_string(const json& body, const char* field,
                                           size_t max_chars = kMaxFieldChars) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) fail(std::string("field '") + field + "' must be a string");
  const auto& value = it->get_ref<const std::string&>();
  if (value.size() > max_chars)
    fail(std::string("field '") + field + "' is longer than " + std::to_string(max_chars) + " characters");
  return value;
}

std::string required_string(const json& body, const char* field, size_t max_chars = kMaxFieldChars) {
  auto value = optional_string(body, field, max_chars);
  if (!value || value->empty()) fail(std::string("missing field '") + field + "'");
  return *value;
}

std::optional<uint16_t> optional_port(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (it->is_number_integer()) {
    const auto value = it->get<int64_t>();
    if (value >= 1 && value <= 65535) return static_cast<uint16_t>(value);
  } else if (it->is_string()) {
    // Integrators often pass ports as strings ("5060"); accept digits only.
    const auto& text = it->get_ref<const std::string&>();
    if (!text.empty() && text.size() <= 5 && text.find_first_not_of("0123456789") == std::string::npos) {
      const auto value = std::stoi(text);
      if (value >= 1 && value <= 65535) return static_cast<uint16_t>(value);
    }
  }
  fail(std::string("field '") + field + "' must be a port number 1-65535");
}

IceCandidate parse_candidate(const json& value) {
  if (!value.is_object()) fail("each candidate must be an object {candidate, sdpMid, sdpMLineIndex}");
  IceCandidate candidate;
  candidate.candidate = optional_string(value, "candidate", 1024).value_or("");
  if (candidate.candidate.rfind("a=", 0) == 0) candidate.candidate.erase(0, 2);
  if (!candidate.candidate.empty() && candidate.candidate.rfind("candidate:", 0) != 0)
    fail("candidate must start with 'candidate:'");
  candidate.sdp_mid = optional_string(value, "sdpMid");
  if (auto it = value.find("sdpMLineIndex"); it != value.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 64)
      fail("field 'sdpMLineIndex' must be a small non-negative integer");
    candidate.sdp_mline_index = it->get<int>();
  }
  return candidate;
}

Request parse_body(const std::string& name, const json& body) {
  if (name == "hello") return HelloRequest{optional_string(body, "client_id", kMaxClientIdChars)};
  if (name == "register") {
    RegisterRequest request;
    request.user = required_string(body, "user");
    request.password = optional_string(body, "password").value_or("");
    request.domain = required_string(body, "domain");
    request.port = optional_port(body, "port").value_or(5060);
    request.transport = optional_string(body, "transport").value_or("udp");
    for (auto& c : request.transport) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (request.transport != "udp") fail("transport '" + request.transport + "' is not supported (only 'udp')");
    request.display_name = optional_string(body, "display_name").value_or("");
    return request;
  }
  if (name == "unregister") return UnregisterRequest{};
  if (name == "call") {
    CallRequest request;
    request.number = required_string(body, "number");
    request.domain = optional_string(body, "domain");
    request.port = optional_port(body, "port");
    auto jsep = body.find("jsep");
    if (jsep == body.end() || !jsep->is_object()) fail("missing field 'jsep' (an object {type, sdp})");
    if (required_string(*jsep, "type") != "offer") fail("field 'jsep.type' must be 'offer'");
    request.offer_sdp = required_string(*jsep, "sdp", kMaxSdpBytes);
    return request;
  }
  if (name == "trickle") {
    TrickleRequest request;
    request.call_id = optional_string(body, "call_id");
    if (auto it = body.find("candidate"); it != body.end() && !it->is_null()) {
      auto candidate = parse_candidate(*it);
      if (candidate.candidate.empty()) request.completed = true;
      else request.candidates.push_back(std::move(candidate));
    }
    if (auto it = body.find("candidates"); it != body.end() && !it->is_null()) {
      if (!it->is_array()) fail("field 'candidates' must be an array");
      if (it->size() > kMaxCandidatesPerTrickle) fail("too many candidates in one trickle (max 64)");
      for (const auto& value : *it) {
        auto candidate = parse_candidate(value);
        if (candidate.candidate.empty()) request.completed = true;
        else request.candidates.push_back(std::move(candidate));
      }
    }
    if (auto it = body.find("completed"); it != body.end() && !it->is_null()) {
      if (!it->is_boolean()) fail("field 'completed' must be a boolean");
      request.completed = request.completed || it->get<bool>();
    }
    if (request.candidates.empty() && !request.completed)
      fail("trickle needs 'candidate', 'candidates' or 'completed'");
    return request;
  }
  if (name == "hangup") return HangupRequest{optional_string(body, "call_id")};
  if (name == "keepalive") return KeepaliveRequest{};
  if (name == "accept") {
    AcceptRequest request;
    request.call_id = optional_string(body, "call_id");
    auto jsep = body.find("jsep");
    if (jsep == body.end() || !jsep->is_object()) fail("missing field 'jsep' (an object {type, sdp})");
    if (required_string(*jsep, "type") != "answer") fail("field 'jsep.type' must be 'answer'");
    request.answer_sdp = required_string(*jsep, "sdp", kMaxSdpBytes);
    return request;
  }
  if (name == "decline") {
    DeclineRequest request;
    request.call_id = optional_string(body, "call_id");
    if (auto it = body.find("code"); it != body.end() && !it->is_null()) {
      if (!it->is_number_integer() || it->get<int64_t>() < 400 || it->get<int64_t>() > 699)
        fail("field 'code' must be a SIP final error code 400-699");
      request.code = it->get<int>();
    }
    request.reason = optional_string(body, "reason").value_or("");
    return request;
  }
  if (name == "hold" || name == "unhold") return HoldRequest{optional_string(body, "call_id"), name == "hold"};
  if (name == "mute" || name == "unmute") return MuteRequest{optional_string(body, "call_id"), name == "mute"};
  if (name == "start_recording" || name == "stop_recording")
    return RecordingRequest{optional_string(body, "call_id"), name == "start_recording"};
  if (name == "dtmf") {
    DtmfRequest request;
    request.call_id = optional_string(body, "call_id");
    request.digits = required_string(body, "digits", 32);
    for (auto& c : request.digits) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != '*' && c != '#' && (c < 'A' || c > 'D'))
        fail("field 'digits' may only hold 0-9, *, # and A-D");
    }
    if (auto it = body.find("duration_ms"); it != body.end() && !it->is_null()) {
      if (!it->is_number_integer() || it->get<int64_t>() < 40 || it->get<int64_t>() > 5000)
        fail("field 'duration_ms' must be an integer 40-5000");
      request.duration_ms = it->get<uint32_t>();
    }
    const auto method = optional_string(body, "method").value_or("auto");
    if (method == "auto") request.method = DtmfMethod::automatic;
    else if (method == "rfc4733") request.method = DtmfMethod::rfc4733;
    else if (method == "info") request.method = DtmfMethod::info;
    else fail("field 'method' must be 'auto', 'rfc4733' or 'info'");
    return request;
  }
  if (name == "claim") {
    ClaimRequest request;
    auto it = body.find("session_id");
    if (it == body.end() || !it->is_number_unsigned() || it->get<uint64_t>() == 0)
      fail("missing field 'session_id' (the number returned by hello)");
    request.session_id = it->get<uint64_t>();
    request.secret = required_string(body, "secret", 128);
    return request;
  }
  fail("unknown request '" + name + "'", ErrorCode::unknown_request);
}

}  // namespace

ParsedRequest parse_request(std::string_view frame) {
  ParsedRequest parsed;
  parsed.name = "error";
  if (frame.size() > kMaxMessageBytes) {
    parsed.error = ProtocolError{ErrorCode::bad_request, "message larger than 64 KiB"};
    return parsed;
  }
  json body = json::parse(frame, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    parsed.error = ProtocolError{ErrorCode::bad_request, "malformed JSON"};
    return parsed;
  }
  if (!body.is_object()) {
    parsed.error = ProtocolError{ErrorCode::bad_request, "a message must be a JSON object"};
    return parsed;
  }
  if (auto it = body.find("transaction"); it != body.end() && it->is_string() &&
                                          it->get_ref<const std::string&>().size() <= kMaxTransactionChars)
    parsed.transaction = it->get<std::string>();
  auto it = body.find("request");
  if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
      it->get_ref<const std::string&>().size() > 32) {
    parsed.error = ProtocolError{ErrorCode::bad_request, "missing field 'request'"};
    return parsed;
  }
  parsed.name = it->get<std::string>();
  if (!parsed.transaction) {
    parsed.error = ProtocolError{ErrorCode::bad_request, "missing field 'transaction' (a string of at most 64 characters)"};
    return parsed;
  }
  try {
    parsed.request = parse_body(parsed.name, body);
  } catch (const FieldError& error) {
    parsed.error = ProtocolError{error.code, error.reason};
  } catch (const std::exception& error) {  // nlohmann type errors: never escape
    parsed.error = ProtocolError{ErrorCode::bad_request, error.what()};
  }
  return parsed;
}

std::string make_success(std::string_view name, const std::optional<std::string>& transaction, json result) {
  json message = json::object();
  message["response"] = name;
  message["transaction"] = transaction ? json(*transaction) : json(nullptr);
  message["ok"] = true;
  if (result.is_object())
    for (auto& [key, value] : result.items()) message[key] = std::move(value);
  return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string make_error(std::string_view name, const std::optional<std::string>& transaction,
                       const ProtocolError& error) {
  json message = json::object();
  message["response"] = name;
  message["transaction"] = transaction ? json(*transaction) : json(nullptr);
  message["ok"] = false;
  message["error"] = {{"code", static_cast<int>(error.code)}, {"reason", error.reason}};
  return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string make_event(std::string_view name, uint64_t session_id, json fields) {
  json message = json::object();
  message["event"] = name;
  message["session_id"] = session_id;
  if (fields.is_object())
    for (auto& [key, value] : fields.items()) message[key] = std::move(value);
  return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace sipgw::protocol
