#pragma once
// The paper trail of one call: its row in the call history (CDR, recorder/call_store.hpp) and
// its recording (recorder/recorder.hpp). Created by the client session when a call gets its
// Call-ID; outlives the session when needed, so a recording that completes after the browser
// left is still stored, announced (`recordingupdated` to subscribers) and shipped (the
// recording hook).
//
// Threads: control thread only. The recorder's completion arrives on the recorder thread and is
// posted here.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "gateway/session/call.hpp"
#include "gateway/session/session_services.hpp"
#include "protocol/gateway_event.hpp"
#include "recorder/call_record.hpp"

namespace sipgw::session {

/// The CDR's media summary (recorder::MediaSummary) from a closed media session's counters and
/// quality snapshot: packets relayed each way; the gateway's own RFC 3550 loss and mean jitter
/// per received stream; what each peer's RTCP reports said (latest cumulative loss, mean
/// jitter). packets_lost sums the two received streams' losses, jitter_ms is the larger of their
/// jitters. A figure nothing measured stays absent. Any thread (pure).
recorder::MediaSummary media_summary(const media::MediaStats& stats);

class CallJournal : public std::enable_shared_from_this<CallJournal> {
 public:
  enum class RecordingState { none, recording, paused, completed, failed };

  /// Writes the call's first CDR row. `on_recording_update` tells the client (may outlive it:
  /// capture weakly); subscribers are told through the event bus directly.
  CallJournal(const SessionServices& services, uint64_t session_id, std::string client_id,
              const protocol::CallDetails& details, Call::Direction direction, std::string pbx,
              std::function<void(const nlohmann::json& recording)> on_recording_update);

  void answered();

  /// Starts (or resumes) recording `call`'s media. Returns "" or why not (recording disabled,
  /// call not answered).
  std::string start_recording(Call& call);
  /// Pauses the recording: nothing is written until `start_recording` again. Returns "" or why not.
  std::string stop_recording();

  /// The call ended (its media already closed): completes the recording and the CDR row.
  void ended(Call& call, int code, const std::string& reason, HangupCause cause);

  RecordingState recording_state() const noexcept { return recording_state_; }

 private:
  void keep_alive_in_store();
  nlohmann::json recording_json() const;
  void announce_recording();
  void on_recording_done(uint64_t bytes, uint64_t duration_ms, const std::string& path, const std::string& error);

  const SessionServices& services_;
  uint64_t session_id_;
  std::string client_id_;
  protocol::CallDetails details_;
  std::function<void(const nlohmann::json&)> on_recording_update_;
  RecordingState recording_state_ = RecordingState::none;
  uint64_t recording_id_ = 0;
  std::string recording_path_;
  uint64_t recording_bytes_ = 0;
  uint64_t recording_duration_ms_ = 0;
  std::string recording_error_;
  bool answered_ = false;
  bool ended_ = false;
  boost::asio::steady_timer touch_timer_;  // moves the row's last_known_at while the call lasts
};

}  // namespace sipgw::session
