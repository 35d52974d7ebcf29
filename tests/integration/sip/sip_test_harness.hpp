#pragma once
// Shared harness of the SIP integration tests: a stand-in control thread, bounded event inboxes,
// the fixture owning a SipStack, and sipp runs (real peers: Kamailio from tests/pbx and sipp,
// started by run_sip_integration.sh; see there for who listens where).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <future>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "gateway/sip/sip_stack.hpp"

using namespace std::chrono_literals;
using sipgw::sip::Account;
using sipgw::sip::CallEvent;
using sipgw::sip::RegistrationEvent;
using sipgw::sip::SipConfig;
using sipgw::sip::SipStack;

namespace sipgw::sip::test {

inline uint16_t pbx_port() {
  const char* p = std::getenv("SIPGW_TEST_PBX_PORT");
  return static_cast<uint16_t>(p ? std::atoi(p) : 5070);
}

// Stands in for the asio control thread: runs posted tasks in order on its own thread.
class ControlThread {
 public:
  ControlThread() : thread_([this] { loop(); }) {}
  ~ControlThread() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_all();
  }
  std::thread::id id() const { return thread_.get_id(); }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return done_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool done_ = false;
  std::thread thread_;
};

// Collects events delivered on the control thread; waits are bounded.
template <typename Event>
class Inbox {
 public:
  explicit Inbox(const ControlThread& control) : control_(control) {}
  std::function<void(const Event&)> sink() {
    return [this](const Event& e) {
      EXPECT_EQ(std::this_thread::get_id(), control_.id()) << "event not on the control thread";
      {
        std::lock_guard lock(mutex_);
        events_.push_back(e);
      }
      cv_.notify_all();
    };
  }
  std::optional<Event> next(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return !events_.empty(); })) return std::nullopt;
    Event e = events_.front();
    events_.pop_front();
    return e;
  }
  // Skips events of other kinds until `kind` arrives (or the timeout).
  std::optional<Event> wait_for(typename Event::Kind kind, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto e = next(left);
      if (!e || e->kind == kind) return e;
    }
  }

 private:
  const ControlThread& control_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Event> events_;
};

inline const char* kOffer =
    "v=0\r\n"
    "o=- 1 1 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n";

// An SDP with a recognisable media port (sipp scenarios check for "m=audio <port>").
inline std::string sdp_with_port(int port, const char* direction = "sendrecv") {
  return "v=0\r\no=- 7 " + std::to_string(port) + " IN IP4 127.0.0.1\r\ns=-\r\n"
         "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " + std::to_string(port) +
         " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=" + direction + "\r\n";
}

// Runs sipp (bounded by `timeout`) on another thread; get() gives its exit code (0 = the
// scenario passed). Its output goes to $SIPGW_TEST_WORK/sipp-<tag>.log, printed on failure.
class SippRun {
 public:
  SippRun(const std::string& tag, const std::string& scenario, const std::string& args,
          int timeout_s = 20) {
    const char* scen = std::getenv("SIPGW_TEST_SCENARIOS");
    const char* work = std::getenv("SIPGW_TEST_WORK");
    log_ = std::string(work ? work : "/tmp") + "/sipp-" + tag + ".log";
    const std::string cmd = "timeout " + std::to_string(timeout_s) + " sipp -sf " +
                            (scen ? scen : ".") + "/" + scenario + " " + args +
                            " -m 1 -nostdin -trace_err -error_file " + log_ + ".err >" + log_ +
                            " 2>&1";
    result_ = std::async(std::launch::async, [cmd] {
      const int rc = std::system(cmd.c_str());
      return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    });
  }
  /// Waits for sipp to end; prints its error log when it failed.
  int get() {
    const int rc = result_.get();
    if (rc != 0) {
      std::system(("tail -n 40 " + log_ + ".err 2>/dev/null").c_str());
    }
    return rc;
  }

 private:
  std::string log_;
  std::future<int> result_;
};

// An incoming call as the handler received it.
struct Incoming {
  std::shared_ptr<sipgw::sip::SipIncomingCall> call;
  sipgw::sip::IncomingInvite invite;
};

class SipStackIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("SIPGW_TEST_DEBUG")) spdlog::set_level(spdlog::level::debug);
    SipConfig config;
    config.bind_address = "127.0.0.1";
    config.port = 0;
    config.register_expires_s = 60;
    configure(config);
    stack_ = std::make_unique<SipStack>(config, [this](std::function<void()> f) {
      control_.post(std::move(f));
    });
    stack_->set_incoming_call_handler(
        [this](std::shared_ptr<sipgw::sip::SipIncomingCall> call,
               const sipgw::sip::IncomingInvite& invite) {
          EXPECT_EQ(std::this_thread::get_id(), control_.id());
          {
            std::lock_guard lock(incoming_mutex_);
            incoming_.push_back({std::move(call), invite});
          }
          incoming_cv_.notify_all();
        });
    stack_->start();
    ASSERT_NE(stack_->port(), 0);
  }
  void TearDown() override { stack_.reset(); }
  /// Lets a derived fixture change the stack's configuration before it starts.
  virtual void configure(SipConfig&) {}

  Account account(const std::string& user, const std::string& password) const {
    return Account{user, password, "127.0.0.1", pbx_port(), "Test " + user};
  }
  std::string target(const std::string& ext) const {
    return "sip:" + ext + "@127.0.0.1:" + std::to_string(pbx_port());
  }

  // The next incoming call the handler received (bounded wait).
  std::optional<Incoming> next_incoming(std::chrono::milliseconds timeout) {
    std::unique_lock lock(incoming_mutex_);
    if (!incoming_cv_.wait_for(lock, timeout, [&] { return !incoming_.empty(); }))
      return std::nullopt;
    Incoming in = std::move(incoming_.front());
    incoming_.pop_front();
    return in;
  }

  // Runs `f` on the control thread and waits for it (set_event_handler is control-thread only).
  void on_control(std::function<void()> f) {
    std::promise<void> done;
    control_.post([&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  ControlThread control_;
  std::unique_ptr<SipStack> stack_;
  std::mutex incoming_mutex_;
  std::condition_variable incoming_cv_;
  std::deque<Incoming> incoming_;
};

}  // namespace sipgw::sip::test
