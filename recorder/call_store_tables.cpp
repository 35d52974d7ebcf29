#include "recorder/call_store_tables.hpp"

#include <algorithm>
#include <limits>

namespace sipgw::recorder {
namespace {

#define CALL_COLUMNS                                                                           \
  "call_id, session_id, client_id, direction, caller, callee, caller_name, callee_name, pbx, " \
  "started_at, answered_at, ended_at, duration_ms, outcome, sip_code, reason, "                \
  "recording_path, recording_bytes, recording_duration_ms, "                                   \
  "packets_sent, packets_received, packets_lost, jitter_ms, last_known_at, id, "               \
  "browser_packets_lost, browser_jitter_ms, remote_packets_lost, remote_jitter_ms, "           \
  "browser_rtcp_lost, browser_rtcp_jitter_ms, remote_rtcp_lost, remote_rtcp_jitter_ms"

constexpr const char* kInterruptedReason = "gateway stopped before the call ended";

template <class T>
StoreResult<T> failed(const char* op, const std::string& detail) {
  return StoreResult<T>::failure(std::string(op) + ": " + detail);
}

std::optional<int64_t> opt_int(const std::optional<int>& v) {
  return v ? std::optional<int64_t>(*v) : std::nullopt;
}

}  // namespace

CallStoreTables::CallStoreTables(sqlite3* db)
    : db_(db),
      insert_call_(db,
                   "INSERT INTO calls(call_id, session_id, client_id, direction, caller, callee,"
                   " caller_name, callee_name, pbx, started_at, last_known_at)"
                   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)"),
      answer_call_(db,
                   "UPDATE calls SET answered_at = ?2, last_known_at = MAX(last_known_at, ?2)"
                   " WHERE call_id = ?1 AND session_id = ?3"
                   " AND answered_at IS NULL AND ended_at IS NULL"),
      touch_call_(db,
                  "UPDATE calls SET last_known_at = MAX(last_known_at, ?2)"
                  " WHERE call_id = ?1 AND session_id = ?3 AND ended_at IS NULL"),
      end_call_(db,
                "UPDATE calls SET ended_at = ?2,"
                " duration_ms = CASE WHEN answered_at IS NULL THEN 0"
                "                    ELSE MAX(0, ?2 - answered_at) END,"
                " outcome = ?3, sip_code = ?4, reason = ?5, packets_sent = ?6,"
                " packets_received = ?7, packets_lost = ?8, jitter_ms = ?9,"
                " browser_packets_lost = ?11, browser_jitter_ms = ?12,"
                " remote_packets_lost = ?13, remote_jitter_ms = ?14,"
                " browser_rtcp_lost = ?15, browser_rtcp_jitter_ms = ?16,"
                " remote_rtcp_lost = ?17, remote_rtcp_jitter_ms = ?18,"
                " last_known_at = MAX(last_known_at, ?2)"
                " WHERE call_id = ?1 AND session_id = ?10 AND ended_at IS NULL"),
      set_recording_(db,
                     "UPDATE calls SET recording_path = ?2, recording_bytes = ?3,"
                     " recording_duration_ms = ?4 WHERE call_id = ?1 AND session_id = ?5"),
      mark_interrupted_(db,
                        "UPDATE calls SET ended_at = MIN(last_known_at, ?1),"
                        " duration_ms = CASE WHEN answered_at IS NULL THEN 0"
                        "   ELSE MAX(0, MIN(last_known_at, ?1) - answered_at) END,"
                        " outcome = 'interrupted', reason = ?2"
                        " WHERE ended_at IS NULL"),
      old_recordings_(db,
                      "SELECT recording_path FROM calls"
                      " WHERE recording_path IS NOT NULL AND ended_at < ?1"),
      clear_recordings_(db,
                        "UPDATE calls SET recording_path = NULL"
                        " WHERE recording_path IS NOT NULL AND ended_at < ?1"),
      list_calls_(db, "SELECT " CALL_COLUMNS " FROM calls"
                      " WHERE started_at >= ?1 AND started_at < ?2"
                      " ORDER BY started_at DESC, id DESC LIMIT ?3 OFFSET ?4"),
      list_calls_of_client_(db, "SELECT " CALL_COLUMNS " FROM calls"
                                " WHERE client_id = ?5 AND started_at >= ?1 AND started_at < ?2"
                                " ORDER BY started_at DESC, id DESC LIMIT ?3 OFFSET ?4"),
      get_call_legs_(db, "SELECT " CALL_COLUMNS " FROM calls WHERE call_id = ?1 ORDER BY id"),
      insert_event_(db,
                    "INSERT INTO events(seq, at_ms, session_id, client_id, event, body)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)"),
      events_since_(db,
                    "SELECT seq, at_ms, session_id, client_id, event, body FROM events"
                    " WHERE seq > ?1 ORDER BY seq LIMIT ?2"),
      delete_events_(db, "DELETE FROM events WHERE at_ms < ?1"),
      max_event_seq_(db,
                     "SELECT MAX(COALESCE((SELECT MAX(seq) FROM events), 0),"
                     " COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0))") {}

StoreStatus CallStoreTables::run_update_one(sqlite::Statement& st, const char* op,
                                            const std::string& call_id, uint64_t session_id) {
  sqlite::ResetOnExit reset(st);
  if (auto err = st.run(); !err.empty()) return failed<Done>(op, err);
  if (sqlite3_changes(db_) == 0) {
    return failed<Done>(op, "no open call with Call-ID " + call_id + " in session " +
                                std::to_string(session_id));
  }
  return Done{};
}

StoreStatus CallStoreTables::insert_call(const CallStart& c) {
  sqlite::ResetOnExit reset(insert_call_);
  insert_call_.bind(1, c.call_id)
      .bind(2, static_cast<int64_t>(c.session_id))  // bit pattern: round-trips every uint64
      .bind(3, c.client_id)
      .bind(4, to_string(c.direction))
      .bind(5, c.caller)
      .bind(6, c.callee)
      .bind(7, c.caller_name)
      .bind(8, c.callee_name)
      .bind(9, c.pbx)
      .bind(10, c.started_at_ms);
  if (auto err = insert_call_.run(); !err.empty()) return failed<Done>("call_started", err);
  return Done{};
}

StoreStatus CallStoreTables::answer_call(const std::string& call_id, uint64_t session_id,
                                         int64_t at_ms) {
  answer_call_.bind(1, call_id).bind(2, at_ms).bind(3, static_cast<int64_t>(session_id));
  return run_update_one(answer_call_, "call_answered", call_id, session_id);
}

StoreStatus CallStoreTables::touch_call(const std::string& call_id, uint64_t session_id,
                                        int64_t at_ms) {
  sqlite::ResetOnExit reset(touch_call_);
  touch_call_.bind(1, call_id).bind(2, at_ms).bind(3, static_cast<int64_t>(session_id));
  // No row changed is fine: the call may just have ended.
  if (auto err = touch_call_.run(); !err.empty()) return failed<Done>("touch_call", err);
  return Done{};
}

StoreStatus CallStoreTables::end_call(const std::string& call_id, uint64_t session_id,
                                      const CallEnd& end) {
  end_call_.bind(1, call_id)
      .bind(2, end.at_ms)
      .bind(3, to_string(end.outcome))
      .bind(4, opt_int(end.sip_code))
      .bind(5, end.reason)
      .bind(6, end.media.packets_sent)
      .bind(7, end.media.packets_received)
      .bind(8, end.media.packets_lost)
      .bind(9, end.media.jitter_ms)
      .bind(10, static_cast<int64_t>(session_id))
      .bind(11, end.media.browser_packets_lost)
      .bind(12, end.media.browser_jitter_ms)
      .bind(13, end.media.remote_packets_lost)
      .bind(14, end.media.remote_jitter_ms)
      .bind(15, end.media.browser_rtcp_lost)
      .bind(16, end.media.browser_rtcp_jitter_ms)
      .bind(17, end.media.remote_rtcp_lost)
      .bind(18, end.media.remote_rtcp_jitter_ms);
  return run_update_one(end_call_, "call_ended", call_id, session_id);
}

StoreStatus CallStoreTables::set_recording(const std::string& call_id, uint64_t session_id,
                                           const std::string& path, int64_t bytes,
                                           int64_t duration_ms) {
  set_recording_.bind(1, call_id)
      .bind(2, path)
      .bind(3, bytes)
      .bind(4, duration_ms)
      .bind(5, static_cast<int64_t>(session_id));
  sqlite::ResetOnExit reset(set_recording_);
  if (auto err = set_recording_.run(); !err.empty()) return failed<Done>("recording_finished", err);
  if (sqlite3_changes(db_) == 0) {
    return failed<Done>("recording_finished",
                        "no call " + call_id + " in session " + std::to_string(session_id));
  }
  return Done{};
}

StoreResult<int64_t> CallStoreTables::mark_interrupted(int64_t at_ms) {
  sqlite::ResetOnExit reset(mark_interrupted_);
  mark_interrupted_.bind(1, at_ms).bind(2, std::string_view(kInterruptedReason));
  if (auto err = mark_interrupted_.run(); !err.empty()) {
    return failed<int64_t>("mark_interrupted", err);
  }
  return static_cast<int64_t>(sqlite3_changes(db_));
}

StoreResult<std::vector<std::string>> CallStoreTables::take_recordings_ended_before(
    int64_t cutoff_ms) {
  // Two statements with the same WHERE; the store thread is the only writer and runs them back
  // to back inside the batch's transaction, so they see the same rows. (UPDATE … RETURNING
  // would hand back the new value, NULL, not the path.)
  constexpr const char* op = "delete_recordings_older_than";
  std::vector<std::string> paths;
  {
    sqlite::ResetOnExit reset(old_recordings_);
    old_recordings_.bind(1, cutoff_ms);
    while (old_recordings_.step()) paths.push_back(old_recordings_.column_text(0));
    if (!old_recordings_.error().empty()) {
      return failed<std::vector<std::string>>(op, old_recordings_.error());
    }
  }
  sqlite::ResetOnExit reset(clear_recordings_);
  clear_recordings_.bind(1, cutoff_ms);
  if (auto err = clear_recordings_.run(); !err.empty()) {
    return failed<std::vector<std::string>>(op, err);
  }
  return paths;
}

CallRecord CallStoreTables::read_call(const sqlite::Statement& st) const {
  CallRecord r;
  r.call_id = st.column_text(0);
  r.session_id = static_cast<uint64_t>(st.column_int64(1));
  r.client_id = st.column_text(2);
  r.direction = parse_call_direction(st.column_text(3)).value_or(CallDirection::outgoing);
  r.caller = st.column_text(4);
  r.callee = st.column_text(5);
  r.caller_name = st.column_text(6);
  r.callee_name = st.column_text(7);
  r.pbx = st.column_text(8);
  r.started_at_ms = st.column_int64(9);
  r.answered_at_ms = st.column_optional_int64(10);
  r.ended_at_ms = st.column_optional_int64(11);
  r.duration_ms = st.column_optional_int64(12);
  if (auto o = st.column_optional_text(13)) r.outcome = parse_call_outcome(*o);
  if (auto code = st.column_optional_int64(14)) r.sip_code = static_cast<int>(*code);
  r.reason = st.column_text(15);
  r.recording_path = st.column_optional_text(16);
  r.recording_bytes = st.column_optional_int64(17);
  r.recording_duration_ms = st.column_optional_int64(18);
  r.media.packets_sent = st.column_optional_int64(19);
  r.media.packets_received = st.column_optional_int64(20);
  r.media.packets_lost = st.column_optional_int64(21);
  r.media.jitter_ms = st.column_optional_double(22);
  r.last_known_at_ms = st.column_int64(23);
  r.id = st.column_int64(24);
  r.media.browser_packets_lost = st.column_optional_int64(25);
  r.media.browser_jitter_ms = st.column_optional_double(26);
  r.media.remote_packets_lost = st.column_optional_int64(27);
  r.media.remote_jitter_ms = st.column_optional_double(28);
  r.media.browser_rtcp_lost = st.column_optional_int64(29);
  r.media.browser_rtcp_jitter_ms = st.column_optional_double(30);
  r.media.remote_rtcp_lost = st.column_optional_int64(31);
  r.media.remote_rtcp_jitter_ms = st.column_optional_double(32);
  return r;
}

StoreResult<std::vector<CallRecord>> CallStoreTables::list_calls(const CallQuery& q) {
  sqlite::Statement& st = q.client_id ? list_calls_of_client_ : list_calls_;
  sqlite::ResetOnExit reset(st);
  st.bind(1, q.since_ms.value_or(std::numeric_limits<int64_t>::min()))
      .bind(2, q.until_ms.value_or(std::numeric_limits<int64_t>::max()))
      .bind(3, static_cast<int64_t>(std::clamp(q.limit, 1, kMaxCallPage)))
      .bind(4, static_cast<int64_t>(std::max(q.offset, 0)));
  if (q.client_id) st.bind(5, std::string_view(*q.client_id));
  std::vector<CallRecord> calls;
  while (st.step()) calls.push_back(read_call(st));
  if (!st.error().empty()) return failed<std::vector<CallRecord>>("list_calls", st.error());
  return calls;
}

StoreResult<std::vector<CallRecord>> CallStoreTables::get_call_legs(const std::string& call_id) {
  sqlite::ResetOnExit reset(get_call_legs_);
  get_call_legs_.bind(1, call_id);
  std::vector<CallRecord> legs;
  while (get_call_legs_.step()) legs.push_back(read_call(get_call_legs_));
  if (!get_call_legs_.error().empty()) {
    return failed<std::vector<CallRecord>>("get_call_legs", get_call_legs_.error());
  }
  return legs;
}

StoreStatus CallStoreTables::insert_event(const StoredEvent& e) {
  sqlite::ResetOnExit reset(insert_event_);
  insert_event_.bind(1, e.seq)
      .bind(2, e.at_ms)
      .bind(3, static_cast<int64_t>(e.session_id))
      .bind(4, e.client_id)
      .bind(5, e.name)
      .bind(6, e.body);
  if (auto err = insert_event_.run(); !err.empty()) {
    return failed<Done>("append_event", "seq " + std::to_string(e.seq) + ": " + err);
  }
  return Done{};
}

StoreResult<std::vector<StoredEvent>> CallStoreTables::events_since(int64_t after_seq,
                                                                    int limit) {
  sqlite::ResetOnExit reset(events_since_);
  events_since_.bind(1, after_seq).bind(2, static_cast<int64_t>(std::clamp(limit, 1,
                                                                           kMaxEventPage)));
  std::vector<StoredEvent> events;
  while (events_since_.step()) {
    StoredEvent e;
    e.seq = events_since_.column_int64(0);
    e.at_ms = events_since_.column_int64(1);
    e.session_id = static_cast<uint64_t>(events_since_.column_int64(2));
    e.client_id = events_since_.column_text(3);
    e.name = events_since_.column_text(4);
    e.body = events_since_.column_text(5);
    events.push_back(std::move(e));
  }
  if (!events_since_.error().empty()) {
    return failed<std::vector<StoredEvent>>("events_since", events_since_.error());
  }
  return events;
}

StoreResult<int64_t> CallStoreTables::delete_events_before(int64_t cutoff_ms) {
  sqlite::ResetOnExit reset(delete_events_);
  delete_events_.bind(1, cutoff_ms);
  if (auto err = delete_events_.run(); !err.empty()) {
    return failed<int64_t>("delete_events_older_than", err);
  }
  return static_cast<int64_t>(sqlite3_changes(db_));
}

StoreResult<int64_t> CallStoreTables::max_event_seq() {
  sqlite::ResetOnExit reset(max_event_seq_);
  int64_t seq = max_event_seq_.step() ? max_event_seq_.column_int64(0) : 0;
  if (!max_event_seq_.error().empty()) {
    return failed<int64_t>("max_event_seq", max_event_seq_.error());
  }
  return seq;
}

}  // namespace sipgw::recorder
