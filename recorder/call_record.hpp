#pragma once
// Value types of the call store (recorder/call_store.hpp): one call history row (CDR: one call
// leg of a client session, identified by (call_id, session_id)), one persisted subscriber
// event, the queries over them and the result type every store operation reports with. Plain
// values: safe to copy between threads.
//
// Times are milliseconds since the Unix epoch, UTC.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace sipgw::recorder {

enum class CallDirection { outgoing, incoming };

/// How a call ended. Stored as the lower-case text below ("no-answer").
enum class CallOutcome {
  answered,     // it was answered (whoever hung up, whatever the BYE said)
  no_answer,    // not answered in time: 480, 408, our own ring timeout
  busy,         // 486, 600
  rejected,     // declined: 603, 403, 404, 488, a decline by the browser…
  failed,       // transport, media or protocol failure before the call was answered
  cancelled,    // the caller gave up while it rang (CANCEL, 487)
  interrupted,  // the gateway stopped (crash, SIGKILL) before the call ended: set at start-up
};

constexpr std::string_view to_string(CallDirection d) {
  return d == CallDirection::outgoing ? "outgoing" : "incoming";
}

constexpr std::string_view to_string(CallOutcome o) {
  switch (o) {
    case CallOutcome::answered: return "answered";
    case CallOutcome::no_answer: return "no-answer";
    case CallOutcome::busy: return "busy";
    case CallOutcome::rejected: return "rejected";
    case CallOutcome::failed: return "failed";
    case CallOutcome::cancelled: return "cancelled";
    case CallOutcome::interrupted: return "interrupted";
  }
  return "failed";
}

constexpr std::optional<CallDirection> parse_call_direction(std::string_view s) {
  if (s == "outgoing") return CallDirection::outgoing;
  if (s == "incoming") return CallDirection::incoming;
  return std::nullopt;
}

constexpr std::optional<CallOutcome> parse_call_outcome(std::string_view s) {
  for (auto o : {CallOutcome::answered, CallOutcome::no_answer, CallOutcome::busy,
                 CallOutcome::rejected, CallOutcome::failed, CallOutcome::cancelled,
                 CallOutcome::interrupted}) {
    if (to_string(o) == s) return o;
  }
  return std::nullopt;
}

/// What the call leg is known to be when it starts (outgoing: `call` request accepted; incoming:
/// the INVITE was routed to a session).
struct CallStart {
  std::string call_id;      // SIP Call-ID; with session_id it identifies the leg
  uint64_t session_id = 0;  // both legs of a call between two clients of one gateway share the
                            // Call-ID, never the session
  std::string client_id;
  CallDirection direction = CallDirection::outgoing;
  std::string caller;
  std::string callee;
  std::string caller_name;
  std::string callee_name;
  std::string pbx;  // host:port
  int64_t started_at_ms = 0;
};

/// The media quality summary of a call leg (issue 4; docs/protocol.md, "Call history API").
/// Each field is absent when nothing measured it: no packet of that stream arrived, no RTCP
/// report about it came. "Browser" and "remote" name the leg; the gateway measures what it
/// receives on each leg (RFC 3550 A.3 loss, A.8 jitter) and reads what each peer's RTCP report
/// blocks (§6.4.1) say about what the gateway sends it. Jitter figures are the mean of the
/// interarrival jitter estimate over the call, in ms.
struct MediaSummary {
  std::optional<int64_t> packets_sent;      // browser RTP relayed to the PBX
  std::optional<int64_t> packets_received;  // PBX RTP relayed to the browser
  std::optional<int64_t> packets_lost;      // browser_packets_lost + remote_packets_lost: every
                                            // packet the gateway saw missing, both directions
  std::optional<double> jitter_ms;          // the larger of browser_jitter_ms, remote_jitter_ms
  std::optional<int64_t> browser_packets_lost;  // browser → gateway, as the gateway counted
  std::optional<double> browser_jitter_ms;
  std::optional<int64_t> remote_packets_lost;   // PBX → gateway, as the gateway counted
  std::optional<double> remote_jitter_ms;
  std::optional<int64_t> browser_rtcp_lost;      // gateway → browser, the browser's RTCP:
  std::optional<double> browser_rtcp_jitter_ms;  // cumulative lost of its latest report, jitter
                                                 // averaged over its reports
  std::optional<int64_t> remote_rtcp_lost;       // gateway → PBX, the PBX's RTCP: same
  std::optional<double> remote_rtcp_jitter_ms;
};

struct CallEnd {
  int64_t at_ms = 0;
  CallOutcome outcome = CallOutcome::failed;
  std::optional<int> sip_code;  // the final SIP code, or the BYE's/CANCEL's when it ended in-dialog
  std::string reason;
  MediaSummary media;
};

/// One row of the `calls` table: one call leg.
struct CallRecord {
  int64_t id = 0;  // the row id: unique, never reused, increasing in the order legs started
  std::string call_id;
  uint64_t session_id = 0;
  std::string client_id;
  CallDirection direction = CallDirection::outgoing;
  std::string caller;
  std::string callee;
  std::string caller_name;
  std::string callee_name;
  std::string pbx;
  int64_t started_at_ms = 0;
  std::optional<int64_t> answered_at_ms;
  std::optional<int64_t> ended_at_ms;    // absent while the call is in progress
  std::optional<int64_t> duration_ms;    // answer → end; 0 for an unanswered call; absent while
                                         // in progress
  std::optional<CallOutcome> outcome;    // absent while in progress
  std::optional<int> sip_code;
  std::string reason;
  std::optional<std::string> recording_path;  // absent: none, or retention deleted the file
  std::optional<int64_t> recording_bytes;
  std::optional<int64_t> recording_duration_ms;
  MediaSummary media;
  int64_t last_known_at_ms = 0;  // latest time the store heard of the call (see touch_call)
};

/// Filter and page of `list_calls`: calls that started in [since_ms, until_ms), newest first.
struct CallQuery {
  std::optional<int64_t> since_ms;
  std::optional<int64_t> until_ms;
  std::optional<std::string> client_id;
  int limit = 100;  // clamped to [1, kMaxCallPage]
  int offset = 0;
};
inline constexpr int kMaxCallPage = 1000;

/// One persisted subscriber event (`events` table).
struct StoredEvent {
  int64_t seq = 0;  // assigned by the control thread, strictly increasing
  int64_t at_ms = 0;
  uint64_t session_id = 0;
  std::string client_id;
  std::string name;  // "calling", "hangup", …
  std::string body;  // the JSON text sent to subscribers
};
inline constexpr int kMaxEventPage = 1000;

/// The outcome of a store operation: a value, or the error text (SQLite's message, prefixed
/// with the operation). Never thrown.
template <class T>
class StoreResult {
 public:
  StoreResult(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  static StoreResult failure(std::string error) {
    StoreResult r{T{}};
    r.error_ = std::move(error);
    return r;
  }
  bool ok() const { return error_.empty(); }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return value_; }
  T&& value() && { return std::move(value_); }
  const std::string& error() const { return error_; }

 private:
  T value_;
  std::string error_;
};

/// Result of an operation that has no value.
struct Done {};
using StoreStatus = StoreResult<Done>;

}  // namespace sipgw::recorder
