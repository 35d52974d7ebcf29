// SipStack against real peers: Kamailio (tests/pbx) on 127.0.0.1:$SIPGW_TEST_PBX_PORT and sipp
// phones started by run_sip_integration.sh (1002 answers, 1003 answers then sends BYE,
// 1004 rings until cancelled, 1005 is not registered). Every wait is bounded.
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

#include "gateway/sip/sip_stack.hpp"

using namespace std::chrono_literals;
using sipgw::sip::Account;
using sipgw::sip::CallEvent;
using sipgw::sip::RegistrationEvent;
using sipgw::sip::SipConfig;
using sipgw::sip::SipStack;

namespace {

uint16_t pbx_port() {
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

const char* kOffer =
    "v=0\r\n"
    "o=- 1 1 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n";

class SipStackIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("SIPGW_TEST_DEBUG")) spdlog::set_level(spdlog::level::debug);
    SipConfig config;
    config.bind_address = "127.0.0.1";
    config.port = 0;
    config.register_expires_s = 60;
    stack_ = std::make_unique<SipStack>(config, [this](std::function<void()> f) {
      control_.post(std::move(f));
    });
    stack_->start();
    ASSERT_NE(stack_->port(), 0);
  }
  void TearDown() override { stack_.reset(); }

  Account account(const std::string& user, const std::string& password) const {
    return Account{user, password, "127.0.0.1", pbx_port(), "Test " + user};
  }
  std::string target(const std::string& ext) const {
    return "sip:" + ext + "@127.0.0.1:" + std::to_string(pbx_port());
  }

  ControlThread control_;
  std::unique_ptr<SipStack> stack_;
};

TEST_F(SipStackIntegration, RegisterThenUnregister) {
  Inbox<RegistrationEvent> inbox(control_);
  auto reg = stack_->register_account(account("1001", "pass1001"), "gw1001", inbox.sink());
  auto e = inbox.next(10s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, RegistrationEvent::Kind::registered) << e->code << " " << e->reason;
  EXPECT_EQ(e->code, 200);
  EXPECT_GT(e->expires_s, 0u);
  EXPECT_LE(e->expires_s, 60u);

  reg->unregister();
  e = inbox.next(10s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, RegistrationEvent::Kind::unregistered) << e->code << " " << e->reason;
}

TEST_F(SipStackIntegration, WrongPasswordFails) {
  Inbox<RegistrationEvent> inbox(control_);
  auto reg = stack_->register_account(account("1001", "nope"), "gwbad", inbox.sink());
  auto e = inbox.next(10s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, RegistrationEvent::Kind::failed);
  EXPECT_TRUE(e->code == 401 || e->code == 403) << e->code;
  EXPECT_FALSE(inbox.next(1s)) << "no further event expected";
}

TEST_F(SipStackIntegration, CallAnsweredThenHangup) {
  Inbox<CallEvent> inbox(control_);
  auto call = stack_->invite(account("1001", "pass1001"), "gw1001", target("1002"), kOffer,
                             inbox.sink());
  ASSERT_EQ(call->call_id().size(), 22u);
  for (char c : call->call_id()) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));

  auto e = inbox.next(10s);
  ASSERT_TRUE(e);
  if (e->kind == CallEvent::Kind::progress) {
    EXPECT_EQ(e->code, 180);
    e = inbox.wait_for(CallEvent::Kind::answered, 10s);
    ASSERT_TRUE(e);
  }
  ASSERT_EQ(e->kind, CallEvent::Kind::answered) << e->code << " " << e->reason;
  EXPECT_EQ(e->code, 200);
  EXPECT_NE(e->sdp.find("m=audio"), std::string::npos) << e->sdp;

  call->hangup();
  call->hangup();  // idempotent
  e = inbox.next(10s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, CallEvent::Kind::terminated);
  EXPECT_EQ(e->code, 200) << e->reason;
  EXPECT_FALSE(inbox.next(500ms));
}

TEST_F(SipStackIntegration, UnregisteredTargetIs404) {
  Inbox<CallEvent> inbox(control_);
  auto call = stack_->invite(account("1001", "pass1001"), "gw1001", target("1005"), kOffer,
                             inbox.sink());
  auto e = inbox.wait_for(CallEvent::Kind::terminated, 10s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, 404) << e->reason;
}

TEST_F(SipStackIntegration, PbxSideBye) {
  Inbox<CallEvent> inbox(control_);
  auto call = stack_->invite(account("1001", "pass1001"), "gw1001", target("1003"), kOffer,
                             inbox.sink());
  auto e = inbox.wait_for(CallEvent::Kind::answered, 10s);
  ASSERT_TRUE(e);
  e = inbox.next(10s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, CallEvent::Kind::terminated);
  EXPECT_EQ(e->code, 200);
  EXPECT_EQ(e->reason, "BYE");
  call->hangup();  // after the end: no effect, no event
  EXPECT_FALSE(inbox.next(500ms));
}

TEST_F(SipStackIntegration, CancelWhileRinging) {
  Inbox<CallEvent> inbox(control_);
  auto call = stack_->invite(account("1001", "pass1001"), "gw1001", target("1004"), kOffer,
                             inbox.sink());
  auto e = inbox.next(10s);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, CallEvent::Kind::progress) << e->code << " " << e->reason;
  EXPECT_EQ(e->code, 180);
  call->hangup();
  e = inbox.next(15s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, CallEvent::Kind::terminated);
  EXPECT_EQ(e->code, 487) << e->reason;
}

TEST_F(SipStackIntegration, UnreachablePbxFails) {
  Inbox<RegistrationEvent> inbox(control_);
  Account nowhere = account("1001", "pass1001");
  nowhere.port = 5999;  // nothing listens there
  auto reg = stack_->register_account(nowhere, "gwnowhere", inbox.sink());
  auto e = inbox.next(40s);
  ASSERT_TRUE(e) << "no failure within 40 s";
  EXPECT_EQ(e->kind, RegistrationEvent::Kind::failed);
  EXPECT_TRUE(e->code == 408 || e->code == 503) << e->code << " " << e->reason;
}

// A PBX that swallows requests (no ICMP either): RFC 3261 Timer F (64*T1 = 32 s) gives 408.
TEST_F(SipStackIntegration, SilentPbxTimesOutWith408) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(5998);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  Inbox<RegistrationEvent> inbox(control_);
  Account silent = account("1001", "pass1001");
  silent.port = 5998;
  auto reg = stack_->register_account(silent, "gwsilent", inbox.sink());
  auto e = inbox.next(40s);
  ::close(fd);
  ASSERT_TRUE(e) << "no failure within 40 s";
  EXPECT_EQ(e->kind, RegistrationEvent::Kind::failed);
  EXPECT_EQ(e->code, 408) << e->reason;
}

TEST_F(SipStackIntegration, StopWithLiveRegistrationIsClean) {
  Inbox<RegistrationEvent> inbox(control_);
  auto reg = stack_->register_account(account("1006", "pass1006"), "gw1006", inbox.sink());
  auto e = inbox.next(10s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, RegistrationEvent::Kind::registered);
  const auto t0 = std::chrono::steady_clock::now();
  stack_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  reg->unregister();  // after stop: ignored
}

}  // namespace
