#pragma once
// CallStore: the call history (CDR, one row per call leg of a client session) and the persisted
// subscriber event log, in one SQLite file (WAL mode, synchronous=NORMAL, schema migrations applied at open).
//
// Threads: the store owns one thread, which owns the only connection. Every operation —
// writes and reads alike — is posted to it through a mutex + condition variable queue, runs in
// the order posted, and the control thread never waits on disk. Whatever has queued up runs as
// one transaction, so a burst of events costs one commit. Results come back through a callback
// that runs ON THE STORE THREAD: the caller posts to its own thread from there (asio::post)
// and must not call back into the store's blocking methods from it. A write without a callback
// that fails is reported to CallStoreOptions::on_error (also on the store thread). After
// close() no task runs: callbacks of later calls run at once, on the calling thread, with the
// error "call store closed".
//
// Ordering guarantee: a read runs after every operation posted before it. So
// `events_since(seq)` posted after `append_event(seq+1 …)` returns that event: a subscriber
// reconnecting with `since=<seq>` misses nothing the control thread appended before asking.
//
// The `*_blocking` methods wait for the store thread: for tests and start-up only (before the
// control thread serves anything), never on the control thread while it serves, never on the
// store thread (they fail there instead of deadlocking).
//
// Call legs: a leg is identified by (call_id, session_id), not by the SIP Call-ID alone. When two
// clients of the same gateway call each other the PBX passes the INVITE through, so the caller's
// outgoing leg and the callee's incoming leg carry the same Call-ID; each gets its own row.
//
// Times: milliseconds since the Unix epoch, UTC. No exceptions except from open().
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "recorder/call_record.hpp"

namespace sipgw::recorder {

struct CallStoreOptions {
  std::string path;  // the database file; created (with its -wal/-shm siblings) if absent
  int busy_timeout_ms = 5000;  // how long to wait when another connection holds the lock
  /// Errors of writes posted without a callback, and of commits. Store thread. Default: logged
  /// with spdlog::warn.
  std::function<void(const std::string& error)> on_error;
};

class CallStore {
 public:
  template <class T>
  using Callback = std::function<void(StoreResult<T>)>;  // runs on the store thread
  using DoneCallback = std::function<void(StoreStatus)>;  // runs on the store thread

  /// Opens or creates the file, enables WAL, applies pending migrations, prepares statements
  /// and starts the store thread. Throws std::runtime_error naming the file. Start-up thread.
  static std::unique_ptr<CallStore> open(CallStoreOptions options);

  ~CallStore();  // close()
  CallStore(const CallStore&) = delete;
  CallStore& operator=(const CallStore&) = delete;

  /// Runs every operation already posted (their callbacks included), then closes the file.
  /// Idempotent. Any thread but the store thread; blocks until the queue is drained.
  void close();

  // ---- Call history (writes). Any thread (the control thread); never block. ----

  /// Inserts the leg's row ((call_id, session_id) must be new). last_known_at starts at
  /// started_at.
  void call_started(CallStart call, DoneCallback done = {});
  /// Sets answered_at of a leg in progress.
  void call_answered(std::string call_id, uint64_t session_id, int64_t at_ms,
                     DoneCallback done = {});
  /// Moves the leg's last known time forward (e.g. every RTCP report or every few seconds), so
  /// a call cut off by a crash ends near where it really stopped. A finished leg is ignored.
  void touch_call(std::string call_id, uint64_t session_id, int64_t at_ms,
                  DoneCallback done = {});
  /// Ends a leg in progress: ended_at, outcome, code, reason, media summary; duration_ms is
  /// computed (ended_at − answered_at, 0 if never answered). Fails if the leg is unknown or
  /// already ended.
  void call_ended(std::string call_id, uint64_t session_id, CallEnd end, DoneCallback done = {});
  /// Records the finished recording of a leg (before or after call_ended).
  void recording_finished(std::string call_id, uint64_t session_id, std::string path,
                          int64_t bytes, int64_t duration_ms, DoneCallback done = {});
  /// Start-up, after a crash or SIGKILL: every leg without ended_at gets outcome
  /// "interrupted", ended_at = min(its last known time, at_ms) and the duration up to it.
  /// Reports how many calls were marked.
  void mark_interrupted(int64_t at_ms, Callback<int64_t> done = {});
  /// Retention: clears recording_path of every call that ended before `cutoff_ms` and reports
  /// those paths; the caller deletes the files (off the control thread). The CDR rows stay.
  void delete_recordings_older_than(int64_t cutoff_ms, Callback<std::vector<std::string>> done);

  // ---- Call history (reads). Any thread; the result comes on the store thread. ----

  /// Legs started in [since_ms, until_ms) (optionally of one client), newest first, paged.
  void list_calls(CallQuery query, Callback<std::vector<CallRecord>> done);
  /// Every leg with this SIP Call-ID, oldest first (by row id); empty when there is none.
  void get_call_legs(std::string call_id, Callback<std::vector<CallRecord>> done);

  // ---- Event log. Any thread (the control thread); never block. ----

  /// Persists one subscriber event. `seq` is assigned by the control thread, strictly
  /// increasing from max_event_seq_blocking() + 1, so live subscribers can carry it before the
  /// row lands. A reused seq fails (reported, not thrown).
  void append_event(int64_t seq, int64_t at_ms, uint64_t session_id, std::string client_id,
                    std::string name, std::string body, DoneCallback done = {});
  /// Events with seq > after_seq in seq order, at most `limit` (clamped to [1, kMaxEventPage]);
  /// fewer than `limit` means the caller has caught up with everything posted before.
  void events_since(int64_t after_seq, int limit, Callback<std::vector<StoredEvent>> done);
  /// Retention: deletes events older than cutoff_ms; reports how many. Numbering never
  /// restarts (max_event_seq keeps the highest seq ever stored).
  void delete_events_older_than(int64_t cutoff_ms, Callback<int64_t> done = {});

  /// Calls `done` once everything posted before has been committed.
  void flush(DoneCallback done);

  // ---- Blocking variants: tests and start-up only (see above). Any thread but the store's.

  /// The highest event seq ever stored (0 for a new file): the control thread's starting point.
  StoreResult<int64_t> max_event_seq_blocking();
  StoreResult<int64_t> mark_interrupted_blocking(int64_t at_ms);
  StoreResult<std::vector<CallRecord>> list_calls_blocking(CallQuery query);
  StoreResult<std::vector<CallRecord>> get_call_legs_blocking(std::string call_id);
  StoreResult<std::vector<StoredEvent>> events_since_blocking(int64_t after_seq, int limit);
  StoreResult<std::vector<std::string>> delete_recordings_older_than_blocking(int64_t cutoff_ms);
  StoreResult<int64_t> delete_events_older_than_blocking(int64_t cutoff_ms);
  StoreStatus flush_blocking();

  /// The file, and the schema version it had after open()'s migrations. Any thread.
  const std::string& path() const;
  int schema_version() const;

  struct Impl;

 private:
  explicit CallStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sipgw::recorder
