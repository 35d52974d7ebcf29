#include "gateway/media/media_worker.hpp"

#include <glib.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>

namespace sipgw::media {

// The task queue of one worker. Posting pushes under a mutex and, when the queue was idle,
// attaches one idle source to the worker's context; the source drains the queue in FIFO order
// on the worker thread. (g_main_context_invoke_full would run the task inline when called from
// the worker itself, which `post` promises never to do.) Posting is a control-plane operation:
// the per-packet path never posts.
struct MediaWorker::TaskQueue {
  std::mutex mutex;
  std::deque<std::function<void()>> tasks;
  bool scheduled = false;
  GMainContext* context = nullptr;
  std::string name;

  static gboolean drain(gpointer data) {
    auto* self = static_cast<TaskQueue*>(data);
    std::deque<std::function<void()>> batch;
    {
      std::lock_guard lock(self->mutex);
      batch.swap(self->tasks);
      self->scheduled = false;
    }
    for (auto& task : batch) {
      try {
        task();
      } catch (const std::exception& e) {
        spdlog::error("{}: task threw: {}", self->name, e.what());
      } catch (...) {
        spdlog::error("{}: task threw an unknown exception", self->name);
      }
    }
    return G_SOURCE_REMOVE;
  }

  void push(std::function<void()> task) {
    bool attach = false;
    {
      std::lock_guard lock(mutex);
      tasks.push_back(std::move(task));
      if (!scheduled) {
        scheduled = true;
        attach = true;
      }
    }
    if (attach) {
      GSource* source = g_idle_source_new();
      g_source_set_priority(source, G_PRIORITY_DEFAULT);
      g_source_set_callback(source, &TaskQueue::drain, this, nullptr);
      g_source_attach(source, context);
      g_source_unref(source);
    }
  }
};

MediaWorker::MediaWorker(size_t index) : index_(index) {
  context_ = g_main_context_new();
  loop_ = g_main_loop_new(context_, FALSE);
  tasks_ = std::make_unique<TaskQueue>();
  tasks_->context = context_;
  tasks_->name = "media-" + std::to_string(index);
  std::promise<std::thread::id> started;
  auto started_future = started.get_future();
  thread_ = std::thread([this, index, &started] {
    const std::string name = "media-" + std::to_string(index);
    pthread_setname_np(pthread_self(), name.c_str());
    g_main_context_push_thread_default(context_);
    started.set_value(std::this_thread::get_id());
    spdlog::debug("{}: running", name);
    g_main_loop_run(loop_);
    g_main_context_pop_thread_default(context_);
    spdlog::debug("{}: stopped", name);
  });
  thread_id_ = started_future.get();
}

MediaWorker::~MediaWorker() {
  if (is_current()) {
    spdlog::critical("MediaWorker destroyed from its own thread");
    std::terminate();
  }
  post([loop = loop_] { g_main_loop_quit(loop); });
  if (thread_.joinable()) thread_.join();
  // Dropping the context destroys any source still attached (a pending drain included); the
  // task queue is freed after it, with the members.
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
}

void MediaWorker::post(std::function<void()> task) {
  tasks_->push(std::move(task));
}

void MediaWorker::barrier() {
  if (is_current()) {
    spdlog::error("MediaWorker::barrier called from the worker itself; ignored");
    return;
  }
  std::promise<void> done;
  auto future = done.get_future();
  post([&done] { done.set_value(); });
  future.wait();
}

bool MediaWorker::is_current() const noexcept { return std::this_thread::get_id() == thread_id_; }

MediaWorkerPool::MediaWorkerPool(size_t count) {
  if (count == 0) throw std::invalid_argument("MediaWorkerPool needs at least one worker");
  workers_.reserve(count);
  for (size_t i = 0; i < count; ++i) workers_.push_back(std::make_unique<MediaWorker>(i));
}

MediaWorker& MediaWorkerPool::next() {
  MediaWorker& worker = *workers_[next_];
  next_ = (next_ + 1) % workers_.size();
  return worker;
}

}  // namespace sipgw::media
