#include "gateway/session/call_journal.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "gateway/events/recording_hook.hpp"
#include "gateway/session/event_bus.hpp"
#include "recorder/call_store.hpp"
#include "recorder/recorder.hpp"

namespace sipgw::session {
namespace {

constexpr auto kTouchPeriod = std::chrono::seconds(5);

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

recorder::CallOutcome outcome_for(HangupCause cause) {
  switch (cause) {
    case HangupCause::answered: return recorder::CallOutcome::answered;
    case HangupCause::no_answer: return recorder::CallOutcome::no_answer;
    case HangupCause::busy: return recorder::CallOutcome::busy;
    case HangupCause::rejected: return recorder::CallOutcome::rejected;
    case HangupCause::failed: return recorder::CallOutcome::failed;
    case HangupCause::cancelled: return recorder::CallOutcome::cancelled;
  }
  return recorder::CallOutcome::failed;
}

/// "20261121-195012_<call id>_<session id>": sortable by time, unique per call leg (both legs of
/// a call between two clients of this gateway share the Call-ID), safe as a file name.
std::string recording_base_name(const std::string& call_id, uint64_t session_id) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);
  std::string safe;
  for (char c : call_id) safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  return std::string(stamp) + "_" + safe.substr(0, 64) + "_" + std::to_string(session_id);
}

// ms rounded to the µs: the stored figure reads as what it is, not as 1.1250000000000002.
double round_ms(double ms) { return std::round(ms * 1000.0) / 1000.0; }

}  // namespace

recorder::MediaSummary media_summary(const media::MediaStats& stats) {
  recorder::MediaSummary m;
  m.packets_sent = static_cast<int64_t>(stats.browser_to_pbx_rtp);
  m.packets_received = static_cast<int64_t>(stats.pbx_to_browser_rtp);
  if (!stats.quality) return m;  // the media never closed: nothing was measured
  const media::MediaQuality& q = *stats.quality;
  // A received stream's figures exist once a packet of it arrived; its jitter once a second
  // one gave a transit-time difference.
  const auto received = [](const media::ReceivedStreamQuality& r, std::optional<int64_t>& lost,
                           std::optional<double>& jitter) {
    if (r.packets_expected == 0) return;
    lost = static_cast<int64_t>(r.packets_lost);
    if (r.packets_received >= 2) jitter = round_ms(r.mean_jitter_ms);
  };
  received(q.from_browser, m.browser_packets_lost, m.browser_jitter_ms);
  received(q.from_pbx, m.remote_packets_lost, m.remote_jitter_ms);
  if (m.browser_packets_lost || m.remote_packets_lost)
    m.packets_lost = m.browser_packets_lost.value_or(0) + m.remote_packets_lost.value_or(0);
  if (m.browser_jitter_ms || m.remote_jitter_ms)
    m.jitter_ms = std::max(m.browser_jitter_ms.value_or(0), m.remote_jitter_ms.value_or(0));
  const auto reported = [](const media::ReportedStreamQuality& r, std::optional<int64_t>& lost,
                           std::optional<double>& jitter) {
    if (r.reports == 0) return;
    lost = r.cumulative_lost;
    jitter = round_ms(r.mean_jitter_ms);
  };
  reported(q.browser_reports, m.browser_rtcp_lost, m.browser_rtcp_jitter_ms);
  reported(q.pbx_reports, m.remote_rtcp_lost, m.remote_rtcp_jitter_ms);
  return m;
}

namespace {

const char* to_string(CallJournal::RecordingState state) {
  switch (state) {
    case CallJournal::RecordingState::none: return "none";
    case CallJournal::RecordingState::recording: return "recording";
    case CallJournal::RecordingState::paused: return "paused";
    case CallJournal::RecordingState::completed: return "completed";
    case CallJournal::RecordingState::failed: return "failed";
  }
  return "none";
}

uint64_t next_recording_id() {
  static uint64_t id = 0;  // control thread only
  return ++id;
}

}  // namespace

CallJournal::CallJournal(const SessionServices& services, uint64_t session_id, std::string client_id,
                         const protocol::CallDetails& details, Call::Direction direction, std::string pbx,
                         std::function<void(const nlohmann::json&)> on_recording_update)
    : services_(services), session_id_(session_id), client_id_(std::move(client_id)), details_(details),
      on_recording_update_(std::move(on_recording_update)), touch_timer_(services.io) {
  if (!services_.call_store) return;
  recorder::CallStart start;
  start.call_id = details_.call_id;
  start.session_id = session_id_;
  start.client_id = client_id_;
  start.direction = direction == Call::Direction::outgoing ? recorder::CallDirection::outgoing
                                                           : recorder::CallDirection::incoming;
  start.caller = details_.caller;
  start.callee = details_.callee;
  start.caller_name = details_.caller_name;
  start.callee_name = details_.callee_name;
  start.pbx = std::move(pbx);
  start.started_at_ms = now_ms();
  services_.call_store->call_started(std::move(start));
}

void CallJournal::answered() {
  answered_ = true;
  keep_alive_in_store();
  if (services_.call_store) services_.call_store->call_answered(details_.call_id, session_id_, now_ms());
}

void CallJournal::keep_alive_in_store() {
  // After a crash the row ends at the last time it was touched (mark_interrupted), so an
  // interrupted call keeps a duration within kTouchPeriod of the truth.
  if (!services_.call_store || ended_) return;
  services_.call_store->touch_call(details_.call_id, session_id_, now_ms());
  std::weak_ptr<CallJournal> weak = weak_from_this();
  touch_timer_.expires_after(kTouchPeriod);
  touch_timer_.async_wait([weak](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->keep_alive_in_store();
  });
}

std::string CallJournal::start_recording(Call& call) {
  if (!services_.recorder) return "recording is disabled on this gateway";
  if (ended_ || !answered_ || !call.media()) return "the call is not answered";
  if (recording_state_ == RecordingState::recording) return {};
  if (recording_state_ == RecordingState::paused) {
    services_.recorder->resume(recording_id_);
    recording_state_ = RecordingState::recording;
    announce_recording();
    return {};
  }
  if (recording_state_ != RecordingState::none) return "the recording already ended";
  recording_id_ = next_recording_id();
  recorder::RecordingParams params;
  params.directory = services_.recording_directory;
  params.base_name = recording_base_name(details_.call_id, session_id_);
  // Both legs are tapped in the PBX's payload numbering (media_session.hpp, set_recording).
  const auto& codecs = call.codecs();
  if (codecs.audio_pt >= 0)
    params.remote_payload_types[static_cast<uint8_t>(codecs.audio_pt)] = {codecs.audio_encoding, codecs.audio_clock, 1};
  if (codecs.telephone_event_pt >= 0)
    params.remote_payload_types[static_cast<uint8_t>(codecs.telephone_event_pt)] = {"telephone-event",
                                                                                    codecs.telephone_event_clock, 1};
  std::weak_ptr<CallJournal> weak = weak_from_this();
  const SessionServices& services = services_;
  params.on_error = [weak, &services](uint64_t, const std::string& error) {
    services.post([weak, error] {
      if (auto self = weak.lock()) spdlog::warn("call {}: recording failed: {}", self->details_.call_id, error);
    });
  };
  // Until the file completes, the CDR points at the growing, always-playable ".part", so a
  // call interrupted by a crash still leads to its audio.
  if (services_.call_store)
    services_.call_store->recording_finished(
        details_.call_id, session_id_, params.directory + "/" + params.base_name + services_.recorder->part_suffix(), 0, 0);
  services_.recorder->start(recording_id_, std::move(params));
  call.media()->set_recording(&services_.recorder->queue(call.media()->worker_index()), recording_id_);
  recording_state_ = RecordingState::recording;
  spdlog::info("call {}: recording {} started", details_.call_id, recording_id_);
  announce_recording();
  return {};
}

std::string CallJournal::stop_recording() {
  if (recording_state_ != RecordingState::recording) return "no recording in progress";
  services_.recorder->pause(recording_id_);
  recording_state_ = RecordingState::paused;
  announce_recording();
  return {};
}

void CallJournal::ended(Call& call, int code, const std::string& reason, HangupCause cause) {
  if (ended_) return;
  ended_ = true;
  touch_timer_.cancel();
  if (services_.call_store) {
    recorder::CallEnd end;
    end.at_ms = now_ms();
    end.outcome = outcome_for(cause);
    end.sip_code = code;
    end.reason = reason;
    if (const auto stats = call.media_stats()) {
      end.media = media_summary(*stats);
    }
    services_.call_store->call_ended(details_.call_id, session_id_, end);
  }
  if (recording_state_ != RecordingState::recording && recording_state_ != RecordingState::paused) return;
  // The call's media is closed (no more pushes for this id), so stopping now loses nothing.
  auto self = shared_from_this();
  const SessionServices& services = services_;
  services_.recorder->stop(recording_id_, [self, &services](recorder::RecordingResult result) {
    services.post([self, result = std::move(result)] {
      self->on_recording_done(result.bytes, result.duration_ms, result.path, result.error);
    });
  });
}

void CallJournal::on_recording_done(uint64_t bytes, uint64_t duration_ms, const std::string& path,
                                    const std::string& error) {
  recording_path_ = path;
  recording_bytes_ = bytes;
  recording_duration_ms_ = duration_ms;
  recording_error_ = error;
  recording_state_ = error.empty() ? RecordingState::completed : RecordingState::failed;
  spdlog::info("call {}: recording {} {} ({} bytes, {} ms) {}", details_.call_id, recording_id_,
               to_string(recording_state_), bytes, duration_ms, path);
  if (services_.call_store && error.empty())
    services_.call_store->recording_finished(details_.call_id, session_id_, path, static_cast<int64_t>(bytes),
                                             static_cast<int64_t>(duration_ms));
  announce_recording();
  if (services_.recording_hook && services_.recording_hook->enabled() && error.empty()) {
    nlohmann::json record = {{"call_id", details_.call_id}, {"session_id", session_id_}, {"client_id", client_id_},
                             {"caller", details_.caller},   {"callee", details_.callee},
                             {"recording", recording_json()}};
    services_.recording_hook->on_recording_complete(record, path, details_.call_id);
  }
}

nlohmann::json CallJournal::recording_json() const {
  nlohmann::json recording = {{"recording_id", recording_id_}, {"state", to_string(recording_state_)}};
  if (recording_state_ == RecordingState::completed) {
    recording["path"] = recording_path_;
    recording["bytes"] = recording_bytes_;
    recording["duration_ms"] = recording_duration_ms_;
  }
  if (!recording_error_.empty()) recording["error"] = recording_error_;
  return recording;
}

void CallJournal::announce_recording() {
  auto recording = recording_json();
  if (on_recording_update_) on_recording_update_(recording);
  protocol::GatewayEvent event{session_id_, client_id_, "recordingupdated", details_, {}, {}, {}};
  event.recording = recording;
  services_.events.publish(event);
}

}  // namespace sipgw::session
