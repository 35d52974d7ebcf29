#include "recorder/call_store_queue.hpp"

namespace sipgw::recorder {

CallStoreQueue::CallStoreQueue(RunBatch run_batch) : run_batch_(std::move(run_batch)) {
  thread_ = std::thread([this] { loop(); });
  thread_id_ = thread_.get_id();
}

CallStoreQueue::~CallStoreQueue() { close(); }

bool CallStoreQueue::post(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (closing_) return false;
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

void CallStoreQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  wake_.notify_one();
  if (on_store_thread()) return;
  if (thread_.joinable()) thread_.join();
}

size_t CallStoreQueue::pending() const {
  std::lock_guard lock(mutex_);
  return tasks_.size();
}

void CallStoreQueue::loop() {
  std::vector<Task> batch;
  for (;;) {
    bool last = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return closing_ || !tasks_.empty(); });
      batch.assign(std::make_move_iterator(tasks_.begin()), std::make_move_iterator(tasks_.end()));
      tasks_.clear();
      last = closing_;
    }
    if (!batch.empty()) run_batch_(batch);
    batch.clear();
    if (last) return;  // closing_ was set before we took the batch: nothing can follow it
  }
}

}  // namespace sipgw::recorder
