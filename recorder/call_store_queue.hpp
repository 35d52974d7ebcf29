#pragma once
// The call store's thread and its task queue: a mutex + condition variable in front of one
// thread that runs every task in the order posted. The thread takes whatever has queued up as
// one batch, so a burst of writes lands in one transaction (see CallStore).
//
// Threads: post() from any thread, never blocks on disk (the mutex guards a deque push only).
// close() from any thread but the store thread: it runs what is queued, then joins.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sipgw::recorder {

class CallStoreQueue {
 public:
  using Task = std::function<void()>;
  /// Runs one batch of tasks on the store thread, in order.
  using RunBatch = std::function<void(std::vector<Task>& batch)>;

  /// Starts the store thread; `run_batch` is called on it for every batch, the last time after
  /// close() was asked, with whatever was still queued.
  explicit CallStoreQueue(RunBatch run_batch);
  ~CallStoreQueue();  // close()
  CallStoreQueue(const CallStoreQueue&) = delete;
  CallStoreQueue& operator=(const CallStoreQueue&) = delete;

  /// Queues a task. Returns false (and drops it) once close() has begun. Any thread.
  bool post(Task task);
  /// Stops taking tasks, runs every queued one, joins the thread. Idempotent. Must not be called
  /// from the store thread (it would wait for itself): there it only stops taking tasks.
  void close();
  /// True on the store thread.
  bool on_store_thread() const { return std::this_thread::get_id() == thread_id_; }
  /// Tasks waiting (diagnostics). Any thread.
  size_t pending() const;

 private:
  void loop();

  RunBatch run_batch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> tasks_;  // guarded by mutex_
  bool closing_ = false;    // guarded by mutex_
  std::thread thread_;
  std::thread::id thread_id_;
};

}  // namespace sipgw::recorder
