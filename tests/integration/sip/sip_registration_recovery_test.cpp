// Registration over time: a PBX that goes away and comes back (its own Kamailio instance on
// 127.0.0.1:5071, started and stopped by the test), and a registrar that grants a shorter
// interval than asked (sipp on 127.0.0.1:5096). run_sip_integration.sh runs these in a process
// of their own, alongside the other tests, since they wait for timers.
#include <signal.h>

#include <fstream>

#include "tests/integration/sip/sip_test_harness.hpp"

namespace sipgw::sip::test {
namespace {

// True while something has 127.0.0.1:`port`/UDP bound.
bool udp_port_bound(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0;
  ::close(fd);
  return bound;
}

bool wait_until(std::function<bool()> cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

// The bundled PBX (tests/pbx/run-kamailio.sh), as a process the test starts and kills.
class KamailioProcess {
 public:
  explicit KamailioProcess(uint16_t port) : port_(port) {}
  ~KamailioProcess() { stop(); }

  bool start() {
    const char* src = std::getenv("SIPGW_TEST_SRC");
    const char* work = std::getenv("SIPGW_TEST_WORK");
    if (!src || !work) return false;
    const std::string dir = std::string(work) + "/pbx-" + std::to_string(port_) + "-" +
                            std::to_string(++runs_);
    // run-kamailio.sh execs kamailio in the foreground: $! is Kamailio's main process.
    const std::string cmd = "sh -c '" + std::string(src) + "/tests/pbx/run-kamailio.sh " + dir +
                            " 127.0.0.1 " + std::to_string(port_) + " >" + dir + ".log 2>&1 & " +
                            "echo $! >" + dir + ".pid'";
    if (std::system(cmd.c_str()) != 0) return false;
    std::ifstream(dir + ".pid") >> pid_;
    return pid_ > 0 && wait_until([&] { return udp_port_bound(port_); }, 5s);
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!wait_until([&] { return !udp_port_bound(port_); }, 3s)) ::kill(pid_, SIGKILL);
    wait_until([&] { return !udp_port_bound(port_); }, 2s);
    pid_ = 0;
  }

 private:
  const uint16_t port_;
  pid_t pid_ = 0;
  int runs_ = 0;
};

class SipRegistrationRecovery : public SipStackIntegration {
 protected:
  void configure(SipConfig& config) override { config.register_expires_s = 5; }  // min_expires
};

// The PBX dies: the refresh fails (ICMP: transport error) -> `lost` with the first retry in
// 2 s; the PBX comes back -> `registered` again.
TEST_F(SipRegistrationRecovery, LostWhilePbxDownThenRegisteredAgain) {
  KamailioProcess pbx(5071);
  ASSERT_TRUE(pbx.start()) << "second Kamailio did not start";
  Inbox<RegistrationEvent> inbox(control_);
  Account acc{"1007", "pass1007", "127.0.0.1", 5071, "Recovery"};
  auto reg = stack_->register_account(acc, "gwrecover", inbox.sink());
  auto e = inbox.next(10s);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, RegistrationEvent::Kind::registered) << e->code << " " << e->reason;
  EXPECT_EQ(e->expires_s, 5u);

  pbx.stop();
  e = inbox.wait_for(RegistrationEvent::Kind::lost, 10s);  // refresh within the 5 s
  ASSERT_TRUE(e) << "no `lost` after the PBX went away";
  EXPECT_TRUE(e->code == 503 || e->code == 408) << e->code << " " << e->reason;
  EXPECT_EQ(e->retry_in_s, 2u);

  ASSERT_TRUE(pbx.start());
  // The next retry (2 s, or 4 s if the PBX was not up yet) succeeds.
  bool registered = false;
  for (int i = 0; i < 3 && !registered; ++i) {
    e = inbox.next(8s);
    ASSERT_TRUE(e) << "no event after the PBX came back";
    if (e->kind == RegistrationEvent::Kind::lost) {
      EXPECT_EQ(e->retry_in_s, 4u << i);  // 4, 8: the schedule goes on
      continue;
    }
    ASSERT_EQ(e->kind, RegistrationEvent::Kind::registered) << e->code << " " << e->reason;
    registered = true;
  }
  ASSERT_TRUE(registered);
  reg->unregister();
  e = inbox.wait_for(RegistrationEvent::Kind::unregistered, 5s);
  EXPECT_TRUE(e);
}

class SipShortExpiry : public SipStackIntegration {
 protected:
  void configure(SipConfig& config) override { config.register_expires_s = 300; }
};

// We ask 300 s, the registrar grants 10 s: the refresh honours the 10 s.
TEST_F(SipShortExpiry, GrantedExpiryShorterThanAskedIsRefreshedInTime) {
  SippRun registrar("registrar", "uas_registrar_short_expiry.xml",
                    "-i 127.0.0.1 -p 5096 -mp 6200", 30);
  ASSERT_TRUE(wait_until([] { return udp_port_bound(5096); }, 5s));
  Inbox<RegistrationEvent> inbox(control_);
  Account acc{"1000", "pass1000", "127.0.0.1", 5096, "Short"};
  auto reg = stack_->register_account(acc, "gwshort", inbox.sink());
  auto e = inbox.next(5s);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, RegistrationEvent::Kind::registered) << e->code << " " << e->reason;
  EXPECT_EQ(e->expires_s, 10u);
  const auto t0 = std::chrono::steady_clock::now();
  e = inbox.next(11s);
  ASSERT_TRUE(e) << "no refresh within the granted 10 s";
  EXPECT_EQ(e->kind, RegistrationEvent::Kind::registered);
  EXPECT_EQ(e->expires_s, 10u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  reg->unregister();
  e = inbox.next(5s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, RegistrationEvent::Kind::unregistered) << e->code << " " << e->reason;
  EXPECT_EQ(registrar.get(), 0);
}

}  // namespace
}  // namespace sipgw::sip::test
