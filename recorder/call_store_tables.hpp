#pragma once
// The SQL of the call store: the prepared statements over the `calls` and `events` tables and
// one method per operation. Each method is one statement (so it is atomic by itself) and
// reports SQLite's message instead of throwing.
//
// Threads: the store thread only (CallStore posts every call here); no locks.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "recorder/call_record.hpp"
#include "recorder/call_store_sqlite.hpp"

namespace sipgw::recorder {

class CallStoreTables {
 public:
  /// Prepares every statement; throws std::runtime_error if one does not compile (start-up).
  explicit CallStoreTables(sqlite3* db);

  StoreStatus insert_call(const CallStart& c);
  // A leg is (call_id, session_id).
  StoreStatus answer_call(const std::string& call_id, uint64_t session_id, int64_t at_ms);
  StoreStatus touch_call(const std::string& call_id, uint64_t session_id, int64_t at_ms);
  StoreStatus end_call(const std::string& call_id, uint64_t session_id, const CallEnd& end);
  StoreStatus set_recording(const std::string& call_id, uint64_t session_id,
                            const std::string& path, int64_t bytes, int64_t duration_ms);
  /// Ends every open call as `interrupted` at min(its last known time, at_ms). Returns how many.
  StoreResult<int64_t> mark_interrupted(int64_t at_ms);
  /// Clears recording_path of calls that ended before `cutoff_ms`; returns the paths cleared.
  StoreResult<std::vector<std::string>> take_recordings_ended_before(int64_t cutoff_ms);

  StoreResult<std::vector<CallRecord>> list_calls(const CallQuery& q);
  /// Every leg with this Call-ID, oldest first (row id order).
  StoreResult<std::vector<CallRecord>> get_call_legs(const std::string& call_id);

  StoreStatus insert_event(const StoredEvent& e);
  StoreResult<std::vector<StoredEvent>> events_since(int64_t after_seq, int limit);
  StoreResult<int64_t> delete_events_before(int64_t cutoff_ms);
  /// The highest seq ever stored (kept by AUTOINCREMENT even if retention deleted the rows).
  StoreResult<int64_t> max_event_seq();

 private:
  StoreStatus run_update_one(sqlite::Statement& st, const char* op, const std::string& call_id,
                             uint64_t session_id);
  CallRecord read_call(const sqlite::Statement& st) const;

  sqlite3* db_;
  sqlite::Statement insert_call_;
  sqlite::Statement answer_call_;
  sqlite::Statement touch_call_;
  sqlite::Statement end_call_;
  sqlite::Statement set_recording_;
  sqlite::Statement mark_interrupted_;
  sqlite::Statement old_recordings_;
  sqlite::Statement clear_recordings_;
  sqlite::Statement list_calls_;
  sqlite::Statement list_calls_of_client_;
  sqlite::Statement get_call_legs_;
  sqlite::Statement insert_event_;
  sqlite::Statement events_since_;
  sqlite::Statement delete_events_;
  sqlite::Statement max_event_seq_;
};

}  // namespace sipgw::recorder
