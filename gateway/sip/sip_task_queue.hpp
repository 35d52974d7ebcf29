#pragma once
// Control thread → SIP thread hand-off. A mutex-protected FIFO of closures plus an eventfd that
// is registered in the SIP thread's su_root (su_root_register): push() appends and writes the
// eventfd; the root wakes up on the SIP thread and runs every queued task there. We chose an
// eventfd over su_msg_send because the queue owns its closures (no sofia allocation per task,
// nothing leaks if the root goes away with tasks pending) and closing it is explicit.
#include <deque>
#include <functional>
#include <mutex>

#include "gateway/sip/sofia.hpp"

namespace sipgw::sip {

class SipTaskQueue {
 public:
  /// Creates the eventfd. Throws std::runtime_error on failure. Any thread.
  SipTaskQueue();
  ~SipTaskQueue();
  SipTaskQueue(const SipTaskQueue&) = delete;
  SipTaskQueue& operator=(const SipTaskQueue&) = delete;

  /// Any thread. Queues `task` to run on the SIP thread; false (task dropped) once closed.
  bool push(std::function<void()> task);

  /// SIP thread: registers the eventfd in `root` so that queued tasks run there.
  void attach(su_root_t* root);
  /// SIP thread: refuses further tasks, unregisters from the root and drops pending tasks.
  void close();

 private:
  static int on_readable(su_root_magic_t* magic, su_wait_t* wait, su_wakeup_arg_t* arg) noexcept;
  void run_pending();

  std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;
  bool closed_ = false;
  int fd_ = -1;
  su_root_t* root_ = nullptr;
  su_wait_t wait_[1];
};

}  // namespace sipgw::sip
