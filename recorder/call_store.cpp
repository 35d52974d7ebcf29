#include "recorder/call_store.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <future>

#include "recorder/call_store_queue.hpp"
#include "recorder/call_store_sqlite.hpp"
#include "recorder/call_store_tables.hpp"
#include "recorder/schema_migrations.hpp"

namespace sipgw::recorder {

namespace {
constexpr const char* kClosed = "call store closed";
}  // namespace

struct CallStore::Impl {
  // Runs after the batch's COMMIT with its error ("" if it committed).
  using AfterCommit = std::function<void(const std::string& commit_error)>;

  std::string path;
  std::function<void(const std::string&)> on_error;
  sqlite::ConnectionPtr db;
  std::unique_ptr<CallStoreTables> tables;
  int version = 0;
  std::vector<AfterCommit> after_commit;  // store thread only: completions of the running batch
  std::unique_ptr<CallStoreQueue> queue;  // started last, closed first

  void report(const std::string& error) {
    try {
      if (on_error) {
        on_error(error);
      } else {
        spdlog::warn("call store {}: {}", path, error);
      }
    } catch (...) {
    }
  }

  template <class T>
  void deliver(const Callback<T>& done, StoreResult<T> result) {
    if (!done) {
      if (!result.ok()) report(result.error());
      return;
    }
    // A trampoline into the caller's code: nothing may escape into the store thread's loop.
    try {
      done(std::move(result));
    } catch (const std::exception& e) {
      report(std::string("a result callback threw: ") + e.what());
    } catch (...) {
      report("a result callback threw");
    }
  }

  // Posts `op` to the store thread; its result reaches `done` after the batch commits. A
  // write's result becomes the commit's error if the commit fails.
  template <class T>
  void post(std::function<StoreResult<T>(CallStoreTables&)> op, Callback<T> done, bool writes) {
    auto task = [this, op = std::move(op), done, writes]() mutable {
      StoreResult<T> result = op(*tables);
      after_commit.push_back([this, result = std::move(result), done = std::move(done),
                              writes](const std::string& commit_error) mutable {
        if (writes && result.ok() && !commit_error.empty()) {
          result = StoreResult<T>::failure("commit: " + commit_error);
        }
        deliver(done, std::move(result));
      });
    };
    if (!queue->post(std::move(task))) deliver(done, StoreResult<T>::failure(kClosed));
  }

  template <class T>
  StoreResult<T> blocking(std::function<StoreResult<T>(CallStoreTables&)> op, bool writes) {
    if (queue->on_store_thread()) {
      return StoreResult<T>::failure("a blocking call store method was called on its thread");
    }
    std::promise<StoreResult<T>> promise;
    auto future = promise.get_future();
    post<T>(std::move(op), [&promise](StoreResult<T> r) { promise.set_value(std::move(r)); },
            writes);
    return future.get();
  }

  // Store thread: one transaction around whatever queued up. If BEGIN fails (another process
  // holds the write lock past the busy timeout) the tasks still run, each in autocommit mode.
  void run_batch(std::vector<CallStoreQueue::Task>& batch) {
    const bool in_transaction = sqlite::exec(db.get(), "BEGIN IMMEDIATE").empty();
    for (auto& task : batch) task();
    std::string commit_error;
    if (in_transaction && sqlite3_get_autocommit(db.get())) {
      // An I/O or disk-full error inside a task made SQLite roll the whole transaction back.
      commit_error = "the transaction was rolled back by an earlier error";
      report("batch of " + std::to_string(batch.size()) + " operations: " + commit_error);
    } else if (in_transaction) {
      commit_error = sqlite::exec(db.get(), "COMMIT");
      if (!commit_error.empty()) {
        sqlite::exec(db.get(), "ROLLBACK");
        report("commit of " + std::to_string(batch.size()) + " operations: " + commit_error);
      }
    }
    std::vector<AfterCommit> done;
    done.swap(after_commit);
    for (auto& d : done) d(commit_error);
  }
};

CallStore::CallStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<CallStore> CallStore::open(CallStoreOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->path = options.path;
  impl->on_error = std::move(options.on_error);
  impl->db = sqlite::open_connection(options.path, options.busy_timeout_ms);
  impl->version = apply_schema_migrations(impl->db.get(), options.path);
  try {
    impl->tables = std::make_unique<CallStoreTables>(impl->db.get());
  } catch (const std::exception& e) {
    throw std::runtime_error("call store " + options.path + ": " + e.what());
  }
  Impl* raw = impl.get();
  // The connection is handed to the store thread here; the opening thread no longer uses it.
  impl->queue = std::make_unique<CallStoreQueue>(
      [raw](std::vector<CallStoreQueue::Task>& batch) { raw->run_batch(batch); });
  return std::unique_ptr<CallStore>(new CallStore(std::move(impl)));
}

CallStore::~CallStore() { close(); }

void CallStore::close() {
  if (!impl_->queue) return;
  if (impl_->queue->on_store_thread()) {
    impl_->report("close() called on the store thread: ignored");
    return;
  }
  impl_->queue->close();  // runs what is queued, joins
  impl_->tables.reset();  // finalizes the statements before the connection closes
  impl_->db.reset();      // the last connection checkpoints the WAL into the file
}

void CallStore::call_started(CallStart call, DoneCallback done) {
  impl_->post<Done>([c = std::move(call)](CallStoreTables& t) { return t.insert_call(c); },
                    std::move(done), true);
}

void CallStore::call_answered(std::string call_id, uint64_t session_id, int64_t at_ms,
                              DoneCallback done) {
  impl_->post<Done>([id = std::move(call_id), session_id, at_ms](CallStoreTables& t) {
    return t.answer_call(id, session_id, at_ms);
  }, std::move(done), true);
}

void CallStore::touch_call(std::string call_id, uint64_t session_id, int64_t at_ms,
                           DoneCallback done) {
  impl_->post<Done>([id = std::move(call_id), session_id, at_ms](CallStoreTables& t) {
    return t.touch_call(id, session_id, at_ms);
  }, std::move(done), true);
}

void CallStore::call_ended(std::string call_id, uint64_t session_id, CallEnd end,
                           DoneCallback done) {
  impl_->post<Done>([id = std::move(call_id), session_id, e = std::move(end)](
                        CallStoreTables& t) { return t.end_call(id, session_id, e); },
                    std::move(done), true);
}

void CallStore::recording_finished(std::string call_id, uint64_t session_id, std::string path,
                                   int64_t bytes, int64_t duration_ms, DoneCallback done) {
  impl_->post<Done>([id = std::move(call_id), session_id, p = std::move(path), bytes,
                     duration_ms](CallStoreTables& t) {
    return t.set_recording(id, session_id, p, bytes, duration_ms);
  }, std::move(done), true);
}

void CallStore::mark_interrupted(int64_t at_ms, Callback<int64_t> done) {
  impl_->post<int64_t>([at_ms](CallStoreTables& t) { return t.mark_interrupted(at_ms); },
                       std::move(done), true);
}

void CallStore::delete_recordings_older_than(int64_t cutoff_ms,
                                             Callback<std::vector<std::string>> done) {
  impl_->post<std::vector<std::string>>(
      [cutoff_ms](CallStoreTables& t) { return t.take_recordings_ended_before(cutoff_ms); },
      std::move(done), true);
}

void CallStore::list_calls(CallQuery query, Callback<std::vector<CallRecord>> done) {
  impl_->post<std::vector<CallRecord>>(
      [q = std::move(query)](CallStoreTables& t) { return t.list_calls(q); }, std::move(done),
      false);
}

void CallStore::get_call_legs(std::string call_id, Callback<std::vector<CallRecord>> done) {
  impl_->post<std::vector<CallRecord>>(
      [id = std::move(call_id)](CallStoreTables& t) { return t.get_call_legs(id); },
      std::move(done), false);
}

void CallStore::append_event(int64_t seq, int64_t at_ms, uint64_t session_id,
                             std::string client_id, std::string name, std::string body,
                             DoneCallback done) {
  StoredEvent e{seq, at_ms, session_id, std::move(client_id), std::move(name), std::move(body)};
  impl_->post<Done>([e = std::move(e)](CallStoreTables& t) { return t.insert_event(e); },
                    std::move(done), true);
}

void CallStore::events_since(int64_t after_seq, int limit,
                             Callback<std::vector<StoredEvent>> done) {
  impl_->post<std::vector<StoredEvent>>(
      [after_seq, limit](CallStoreTables& t) { return t.events_since(after_seq, limit); },
      std::move(done), false);
}

void CallStore::delete_events_older_than(int64_t cutoff_ms, Callback<int64_t> done) {
  impl_->post<int64_t>([cutoff_ms](CallStoreTables& t) { return t.delete_events_before(cutoff_ms); },
                       std::move(done), true);
}

void CallStore::flush(DoneCallback done) {
  impl_->post<Done>([](CallStoreTables&) { return StoreStatus(Done{}); }, std::move(done), true);
}

StoreResult<int64_t> CallStore::max_event_seq_blocking() {
  return impl_->blocking<int64_t>([](CallStoreTables& t) { return t.max_event_seq(); }, false);
}

StoreResult<int64_t> CallStore::mark_interrupted_blocking(int64_t at_ms) {
  return impl_->blocking<int64_t>(
      [at_ms](CallStoreTables& t) { return t.mark_interrupted(at_ms); }, true);
}

StoreResult<std::vector<CallRecord>> CallStore::list_calls_blocking(CallQuery query) {
  return impl_->blocking<std::vector<CallRecord>>(
      [q = std::move(query)](CallStoreTables& t) { return t.list_calls(q); }, false);
}

StoreResult<std::vector<CallRecord>> CallStore::get_call_legs_blocking(std::string call_id) {
  return impl_->blocking<std::vector<CallRecord>>(
      [id = std::move(call_id)](CallStoreTables& t) { return t.get_call_legs(id); }, false);
}

StoreResult<std::vector<StoredEvent>> CallStore::events_since_blocking(int64_t after_seq,
                                                                       int limit) {
  return impl_->blocking<std::vector<StoredEvent>>(
      [after_seq, limit](CallStoreTables& t) { return t.events_since(after_seq, limit); }, false);
}

StoreResult<std::vector<std::string>> CallStore::delete_recordings_older_than_blocking(
    int64_t cutoff_ms) {
  return impl_->blocking<std::vector<std::string>>(
      [cutoff_ms](CallStoreTables& t) { return t.take_recordings_ended_before(cutoff_ms); },
      true);
}

StoreResult<int64_t> CallStore::delete_events_older_than_blocking(int64_t cutoff_ms) {
  return impl_->blocking<int64_t>(
      [cutoff_ms](CallStoreTables& t) { return t.delete_events_before(cutoff_ms); }, true);
}

StoreStatus CallStore::flush_blocking() {
  return impl_->blocking<Done>([](CallStoreTables&) { return StoreStatus(Done{}); }, true);
}

const std::string& CallStore::path() const { return impl_->path; }
int CallStore::schema_version() const { return impl_->version; }

}  // namespace sipgw::recorder
