#pragma once
// A media worker: one thread running its own GMainContext. Every object a call's media touches
// (NiceAgent, DTLS, SRTP, the plain RTP/RTCP sockets toward the PBX) lives on exactly one worker,
// so the per-packet path takes no lock and makes no thread hop (see docs/architecture.md).
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

typedef struct _GMainContext GMainContext;
typedef struct _GMainLoop GMainLoop;

namespace sipgw::media {

class MediaWorker {
 public:
  /// Starts the thread. `index` only names it ("media-<index>") in logs and /proc.
  explicit MediaWorker(size_t index);
  /// Stops the loop and joins the thread (any thread but this worker's own).
  ~MediaWorker();
  MediaWorker(const MediaWorker&) = delete;
  MediaWorker& operator=(const MediaWorker&) = delete;

  /// The worker's context; attach sources and NiceAgents here.
  GMainContext* context() const noexcept { return context_; }

  /// Runs `task` on the worker thread (any thread; FIFO; never inline).
  void post(std::function<void()> task);

  /// Blocks until every task posted before this call has run (any thread but the worker's own).
  /// Used before freeing objects GLib may still call into.
  void barrier();

  /// True when called from this worker's thread.
  bool is_current() const noexcept;

  /// The index given at construction (0-based, dense within a pool). Any thread.
  size_t index() const noexcept { return index_; }

 private:
  struct TaskQueue;  // FIFO of posted tasks, drained by one idle source (media_worker.cpp)

  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  std::unique_ptr<TaskQueue> tasks_;
  std::thread thread_;
  std::thread::id thread_id_;
  size_t index_ = 0;
};

/// A fixed pool of workers; calls are spread round robin. Control thread only.
class MediaWorkerPool {
 public:
  explicit MediaWorkerPool(size_t count);  // count >= 1
  MediaWorker& next();
  size_t size() const noexcept { return workers_.size(); }

 private:
  std::vector<std::unique_ptr<MediaWorker>> workers_;
  size_t next_ = 0;
};

}  // namespace sipgw::media
