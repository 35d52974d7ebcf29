#pragma once
// The client protocol, version 1 (docs/protocol.md; JSON Schema in protocol/schema/).
// Parsing of client requests into typed values and building of responses and events.
// Pure: no I/O, no threads, no clocks. Never throws on any input (fuzzed).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace sipgw::protocol {

inline constexpr int kProtocolVersion = 1;
inline constexpr size_t kMaxMessageBytes = 64 * 1024;

/// Error codes of responses (docs/protocol.md, "Error codes").
enum class ErrorCode : int {
  bad_request = 400,
  no_session = 401,
  no_such_call = 404,
  wrong_state = 409,
  unusable_sdp = 488,
  internal = 500,
  unknown_request = 501,
};

struct ProtocolError {
  ErrorCode code = ErrorCode::bad_request;
  std::string reason;
};

struct HelloRequest {
  std::optional<std::string> client_id;
};

struct RegisterRequest {
  std::string user;
  std::string password;
  std::string domain;
  uint16_t port = 5060;
  std::string transport = "udp";
  std::string display_name;
};

struct UnregisterRequest {};

struct CallRequest {
  std::string number;                 // extension or full sip: URI
  std::optional<std::string> domain;  // default: the registered account's
  std::optional<uint16_t> port;
  std::string offer_sdp;              // jsep.sdp with jsep.type == "offer"
};

/// One trickled ICE candidate (RTCIceCandidateInit); an empty `candidate` is end-of-candidates.
struct IceCandidate {
  std::string candidate;  // "candidate:..." (may also come with an "a=" prefix; stripped)
  std::optional<std::string> sdp_mid;
  std::optional<int> sdp_mline_index;
};

struct TrickleRequest {
  std::optional<std::string> call_id;
  std::vector<IceCandidate> candidates;
  bool completed = false;
};

struct HangupRequest {
  std::optional<std::string> call_id;
};

struct KeepaliveRequest {};

/// `accept`: answers an incoming call with the browser's JSEP answer.
struct AcceptRequest {
  std::optional<std::string> call_id;
  std::string answer_sdp;  // jsep.sdp with jsep.type == "answer"
};

/// `decline`: rejects an incoming call with a final SIP code (default 486 Busy Here).
struct DeclineRequest {
  std::optional<std::string> call_id;
  int code = 486;          // 400-699
  std::string reason;      // optional reason phrase; empty = the standard one
};

/// `hold` / `unhold` (re-INVITE toward the PBX, RFC 3264 §8.4).
struct HoldRequest {
  std::optional<std::string> call_id;
  bool hold = true;
};

/// `mute` / `unmute` (the gateway stops or resumes forwarding the browser's audio).
struct MuteRequest {
  std::optional<std::string> call_id;
  bool mute = true;
};

enum class DtmfMethod { automatic, rfc4733, info };

/// `dtmf`: sends digits toward the PBX (RFC 4733 events, or SIP INFO).
struct DtmfRequest {
  std::optional<std::string> call_id;
  std::string digits;            // 1-32 characters of 0-9 * # A-D
  uint32_t duration_ms = 100;    // per digit, 40-5000
  DtmfMethod method = DtmfMethod::automatic;  // automatic: RFC 4733 when negotiated, else INFO
};

/// `start_recording` / `stop_recording`: starts or resumes, and pauses, the call's recording.
struct RecordingRequest {
  std::optional<std::string> call_id;
  bool start = true;
};

/// `claim`: re-attaches a new connection to a session whose connection dropped.
struct ClaimRequest {
  uint64_t session_id = 0;
  std::string secret;   // the `secret` returned by `hello`
};

using Request = std::variant<HelloRequest, RegisterRequest, UnregisterRequest, CallRequest,
                             TrickleRequest, HangupRequest, KeepaliveRequest, AcceptRequest,
                             DeclineRequest, HoldRequest, MuteRequest, DtmfRequest, ClaimRequest,
                             RecordingRequest>;

/// The outcome of parsing one frame. `name` and `transaction` are filled whenever they could be
/// read, so that even an invalid request gets a response naming it.
struct ParsedRequest {
  std::string name;                        // "register", ...; "error" if unreadable
  std::optional<std::string> transaction;  // absent if missing or not a string
  std::optional<Request> request;          // set on success
  std::optional<ProtocolError> error;      // set on failure
};

/// Parses one client frame. Errors: 400 for invalid JSON / non-object / missing or mistyped
/// fields (the reason names the field), 501 for unknown request names.
ParsedRequest parse_request(std::string_view frame);

/// `{"response": name, "transaction": ..., "ok": true, ...result}`; `result` must be an object.
std::string make_success(std::string_view name, const std::optional<std::string>& transaction,
                         nlohmann::json result = nlohmann::json::object());

/// `{"response": name, "transaction": ..., "ok": false, "error": {"code", "reason"}}`.
std::string make_error(std::string_view name, const std::optional<std::string>& transaction,
                       const ProtocolError& error);

/// `{"event": name, "session_id": id, ...fields}`; `fields` must be an object.
std::string make_event(std::string_view name, uint64_t session_id,
                       nlohmann::json fields = nlohmann::json::object());

}  // namespace sipgw::protocol
