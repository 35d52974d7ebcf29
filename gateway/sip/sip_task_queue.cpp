#include "gateway/sip/sip_task_queue.hpp"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace sipgw::sip {

SipTaskQueue::SipTaskQueue() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

SipTaskQueue::~SipTaskQueue() {
  if (fd_ >= 0) ::close(fd_);
}

bool SipTaskQueue::push(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    tasks_.push_back(std::move(task));
  }
  const uint64_t one = 1;
  // A full counter (impossible in practice) still leaves the fd readable: ignore EAGAIN.
  [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
  return true;
}

void SipTaskQueue::attach(su_root_t* root) {
  root_ = root;
  if (su_wait_create(wait_, fd_, SU_WAIT_IN) < 0 ||
      su_root_register(root, wait_, &SipTaskQueue::on_readable,
                       reinterpret_cast<su_wakeup_arg_t*>(this), 0) < 0) {
    throw std::runtime_error("su_root_register(eventfd) failed");
  }
}

void SipTaskQueue::close() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    dropped.swap(tasks_);
  }
  if (root_) {
    su_root_unregister(root_, wait_, &SipTaskQueue::on_readable,
                       reinterpret_cast<su_wakeup_arg_t*>(this));
    root_ = nullptr;
  }
  // `dropped` is destroyed here, on the SIP thread, releasing whatever the closures captured.
}

int SipTaskQueue::on_readable(su_root_magic_t*, su_wait_t*, su_wakeup_arg_t* arg) noexcept {
  try {
    reinterpret_cast<SipTaskQueue*>(arg)->run_pending();
  } catch (const std::exception& e) {
    spdlog::error("sip: task queue: {}", e.what());
  } catch (...) {
    spdlog::error("sip: task queue: unknown exception");
  }
  return 0;
}

void SipTaskQueue::run_pending() {
  uint64_t count = 0;
  [[maybe_unused]] auto n = ::read(fd_, &count, sizeof count);
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(tasks_);
  }
  for (auto& task : batch) {
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("sip: task failed: {}", e.what());
    } catch (...) {
      spdlog::error("sip: task failed: unknown exception");
    }
  }
}

}  // namespace sipgw::sip
