// SipStack against real peers: Kamailio (tests/pbx) on 127.0.0.1:$SIPGW_TEST_PBX_PORT and sipp
// phones started by run_sip_integration.sh (1002 answers, 1003 answers then sends BYE,
// 1004 rings until cancelled, 1005 is not registered). Every wait is bounded.
#include "tests/integration/sip/sip_test_harness.hpp"

namespace sipgw::sip::test {
namespace {

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

// A transport error (ICMP port unreachable) is transient: `lost`, first retry in 2 s;
// unregister stops the retries.
TEST_F(SipStackIntegration, UnreachablePbxIsLostThenRetried) {
  Inbox<RegistrationEvent> inbox(control_);
  Account nowhere = account("1001", "pass1001");
  nowhere.port = 5999;  // nothing listens there
  auto reg = stack_->register_account(nowhere, "gwnowhere", inbox.sink());
  auto e = inbox.next(40s);
  ASSERT_TRUE(e) << "no failure within 40 s";
  EXPECT_EQ(e->kind, RegistrationEvent::Kind::lost);
  EXPECT_TRUE(e->code == 408 || e->code == 503) << e->code << " " << e->reason;
  EXPECT_EQ(e->retry_in_s, 2u);
  e = inbox.next(4s);  // the retry fails the same way, next in 4 s
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, RegistrationEvent::Kind::lost);
  EXPECT_EQ(e->retry_in_s, 4u);
  reg->unregister();
  e = inbox.next(2s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, RegistrationEvent::Kind::unregistered);
  EXPECT_FALSE(inbox.next(4500ms)) << "no retry after unregister";
}

// A PBX that swallows requests (no ICMP either): RFC 3261 Timer F (64*T1 = 32 s) gives 408,
// a transient failure (`lost`, retried).
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
  EXPECT_EQ(e->kind, RegistrationEvent::Kind::lost);
  EXPECT_EQ(e->code, 408) << e->reason;
  EXPECT_EQ(e->retry_in_s, 2u);
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
}  // namespace sipgw::sip::test
