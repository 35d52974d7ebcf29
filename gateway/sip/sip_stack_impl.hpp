#pragma once
// Internal state of SipStack shared by the registration and call implementations.
// Members marked "SIP thread" are touched only there.
#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "gateway/sip/nua_event_handler.hpp"
#include "gateway/sip/sip_stack.hpp"
#include "gateway/sip/sip_task_queue.hpp"

namespace sipgw::sip {

struct SipStack::Impl : std::enable_shared_from_this<SipStack::Impl> {
  Impl(SipConfig config, Post post);

  /// Any thread: runs `task` on the SIP thread; false (dropped) if the stack is not running.
  bool run(std::function<void()> task) { return queue.push(std::move(task)); }

  /// SIP thread: hands `deliver` to the control thread unless the stack is stopping.
  void post_to_control(std::function<void()> deliver);

  /// SIP thread: keeps `handler` alive while its nua handle lives / drops it afterwards.
  void adopt(const std::shared_ptr<NuaHandleHandler>& handler);
  void release(NuaHandleHandler* handler);

  /// SIP thread: a one-shot timer on the root; returns nullptr when stopping.
  su_timer_t* create_timer() const;

  // --- called by nua_event_dispatch.cpp (SIP thread) ---
  void on_shutdown_response(int status);
  void on_unsolicited(nua_event_t event, int status, nua_handle_t* nh, int callstate,
                      const sip_t* sip);

  /// Any thread: the incoming-call handler (null if none).
  std::shared_ptr<const IncomingCallHandler> incoming_handler() const {
    std::lock_guard lock(handler_mutex);
    return incoming;
  }
  void set_incoming_handler(IncomingCallHandler handler) {
    auto h = handler ? std::make_shared<const IncomingCallHandler>(std::move(handler)) : nullptr;
    std::lock_guard lock(handler_mutex);
    incoming = std::move(h);
  }

  // --- lifecycle (control thread) ---
  void start();
  void stop();
  void thread_main(std::promise<void>* ready);
  void begin_shutdown();  // SIP thread
  void finish_shutdown(); // SIP thread

  const SipConfig config;
  const Post post;
  std::string advertised;  // address in Via/Contact
  SipTaskQueue queue;
  std::atomic<uint16_t> bound_port{0};

  mutable std::mutex handler_mutex;  // guards `incoming` (set on control, read on SIP thread)
  std::shared_ptr<const IncomingCallHandler> incoming;

  std::mutex lifecycle_mutex;  // start/stop
  std::thread thread;
  bool started = false;

  // SIP thread:
  su_home_t* home = nullptr;
  su_root_t* root = nullptr;
  nua_t* nua = nullptr;
  bool stopping = false;
  bool shutdown_done = false;
  bool live_released = false;
  su_timer_t* shutdown_timer = nullptr;
  std::unordered_map<NuaHandleHandler*, std::shared_ptr<NuaHandleHandler>> live;
};

}  // namespace sipgw::sip
