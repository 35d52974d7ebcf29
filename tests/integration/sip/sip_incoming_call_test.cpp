// Incoming calls through the PBX: sipp calls as 1009 (digest-authenticated by Kamailio) the
// extension 1008, which the gateway registered with Contact user "gwin8"; Kamailio relays the
// INVITE to that Contact (record-routed, so every in-dialog request passes the PBX too).
#include "tests/integration/sip/sip_test_harness.hpp"

namespace sipgw::sip::test {
namespace {

class SipIncomingCalls : public SipStackIntegration {
 protected:
  void SetUp() override {
    SipStackIntegration::SetUp();
    reg_ = stack_->register_account(account("1008", "pass1008"), "gwin8", reg_inbox_.sink());
    auto e = reg_inbox_.next(10s);
    ASSERT_TRUE(e);
    ASSERT_EQ(e->kind, RegistrationEvent::Kind::registered) << e->code << " " << e->reason;
  }
  void TearDown() override {
    // Unregister, so that the next test's stack is the only binding of 1008 (no forking).
    if (reg_) {
      reg_->unregister();
      reg_inbox_.wait_for(RegistrationEvent::Kind::unregistered, 5s);
    }
    SipStackIntegration::TearDown();
  }

  // sipp as caller 1009 from local port `port` (media port `mport`) to 1008 via the PBX.
  std::string caller_args(int port, int mport) const {
    return "-s 1008 -au 1009 -ap pass1009 -i 127.0.0.1 -p " + std::to_string(port) + " -mp " +
           std::to_string(mport) + " 127.0.0.1:" + std::to_string(pbx_port());
  }
  void listen(const Incoming& in, Inbox<CallEvent>& inbox) {
    on_control([&] { in.call->set_event_handler(inbox.sink()); });
  }

  Inbox<RegistrationEvent> reg_inbox_{control_};
  std::shared_ptr<sipgw::sip::SipRegistration> reg_;
};

// Ring (183 with early SDP), answer, then every in-dialog case from the PBX and toward it.
TEST_F(SipIncomingCalls, FullDialog) {
  // -aa: a retransmitted INFO (its 200 late on a loaded machine) is answered, not fatal.
  SippRun sipp("full", "uac_full_dialog.xml", caller_args(5111, 6110) + " -aa");
  auto in = next_incoming(10s);
  ASSERT_TRUE(in) << "no incoming call";
  EXPECT_EQ(in->invite.request_user, "gwin8");
  EXPECT_EQ(in->invite.from_user, "1009");
  EXPECT_EQ(in->invite.from_display, "Caller 1009");
  EXPECT_EQ(in->invite.from_uri, "sip:1009@127.0.0.1");
  EXPECT_EQ(in->invite.to_user, "1008");
  EXPECT_NE(in->invite.sdp.find("m=audio 6110"), std::string::npos) << in->invite.sdp;
  EXPECT_FALSE(in->invite.call_id.empty());
  EXPECT_EQ(in->call->call_id(), in->invite.call_id);
  Inbox<CallEvent> ev(control_);
  listen(*in, ev);
  auto& call = *in->call;

  call.ring(sdp_with_port(41000));
  call.answer(sdp_with_port(41000));
  auto e = ev.next(10s);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, CallEvent::Kind::confirmed) << e->code << " " << e->reason;
  EXPECT_TRUE(e->sdp.empty());

  // Hold: re-INVITE with a=sendonly; our answer is recvonly (sipp checks it).
  e = ev.next(10s);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, CallEvent::Kind::remote_offer) << e->code << " " << e->reason;
  EXPECT_FALSE(e->is_update);
  EXPECT_NE(e->sdp.find("a=sendonly"), std::string::npos) << e->sdp;
  call.answer_remote_offer(sdp_with_port(41000, "recvonly"));

  // re-INVITE without SDP: our offer in the 200, the answer in the ACK.
  e = ev.next(10s);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, CallEvent::Kind::offer_request) << e->code << " " << e->reason;
  EXPECT_TRUE(e->sdp.empty());
  call.answer_remote_offer(sdp_with_port(41002));
  e = ev.next(10s);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, CallEvent::Kind::remote_answer) << e->code << " " << e->reason;
  EXPECT_NE(e->sdp.find("o=caller 2"), std::string::npos) << e->sdp;

  // UPDATE with SDP (RFC 3311).
  e = ev.next(10s);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, CallEvent::Kind::remote_offer) << e->code << " " << e->reason;
  EXPECT_TRUE(e->is_update);
  call.answer_remote_offer(sdp_with_port(41004));

  // INFO application/dtmf-relay from the PBX, then ours (sipp checks the body).
  e = ev.next(10s);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, CallEvent::Kind::info_dtmf) << e->code << " " << e->reason;
  EXPECT_EQ(e->dtmf_digit, '7');
  EXPECT_EQ(e->dtmf_duration_ms, 200u);
  call.send_info_dtmf('5', 160);
  std::this_thread::sleep_for(500ms);  // the INFO reaches sipp before our re-INVITE

  // Our re-INVITE (hold) answered 200, then one answered 488.
  call.reinvite(sdp_with_port(41000, "sendonly"));
  e = ev.next(10s);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, CallEvent::Kind::remote_answer) << e->code << " " << e->reason;
  EXPECT_EQ(e->code, 200);
  EXPECT_NE(e->sdp.find("o=caller 2"), std::string::npos) << e->sdp;
  // Our ACK and the next INVITE take different Kamailio workers: let the ACK get there first.
  std::this_thread::sleep_for(500ms);
  call.reinvite(sdp_with_port(41000));
  e = ev.next(10s);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, CallEvent::Kind::reoffer_failed) << e->code << " " << e->reason;
  EXPECT_EQ(e->code, 488);

  // The caller hangs up.
  e = ev.next(10s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, CallEvent::Kind::terminated);
  EXPECT_EQ(e->code, 200);
  EXPECT_EQ(e->reason, "BYE");
  EXPECT_EQ(sipp.get(), 0);
  EXPECT_FALSE(ev.next(300ms));
}

// INVITE without SDP: our 200 carries the offer, `confirmed` carries the ACK's answer.
TEST_F(SipIncomingCalls, DelayedOfferThenOurBye) {
  SippRun sipp("delayed", "uac_delayed_offer.xml", caller_args(5112, 6120));
  auto in = next_incoming(10s);
  ASSERT_TRUE(in) << "no incoming call";
  EXPECT_TRUE(in->invite.sdp.empty()) << in->invite.sdp;
  Inbox<CallEvent> ev(control_);
  listen(*in, ev);
  in->call->ring();
  in->call->answer(sdp_with_port(41010));
  auto e = ev.next(10s);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, CallEvent::Kind::confirmed) << e->code << " " << e->reason;
  EXPECT_NE(e->sdp.find("o=caller 2"), std::string::npos) << e->sdp;
  in->call->hangup();
  in->call->hangup();  // idempotent
  e = ev.next(10s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, CallEvent::Kind::terminated);
  EXPECT_EQ(e->code, 200) << e->reason;
  EXPECT_EQ(sipp.get(), 0);
}

// The caller cancels while we ring; the event arrives before the handler is set and is
// delivered when it is.
TEST_F(SipIncomingCalls, CancelBeforeTheHandlerIsSet) {
  SippRun sipp("cancel", "uac_cancel.xml", caller_args(5113, 6130));
  auto in = next_incoming(10s);
  ASSERT_TRUE(in) << "no incoming call";
  in->call->ring();
  ASSERT_EQ(sipp.get(), 0);  // 180, CANCEL, 200, 487, ACK
  Inbox<CallEvent> ev(control_);
  listen(*in, ev);
  auto e = ev.next(5s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, CallEvent::Kind::terminated);
  EXPECT_EQ(e->code, 487);
  EXPECT_EQ(e->reason, "CANCEL");
  in->call->answer(sdp_with_port(41020));  // too late: ignored
  EXPECT_FALSE(ev.next(300ms));
}

TEST_F(SipIncomingCalls, RejectBusy) {
  SippRun sipp("busy", "uac_rejected_486.xml", caller_args(5114, 6140));
  auto in = next_incoming(10s);
  ASSERT_TRUE(in) << "no incoming call";
  Inbox<CallEvent> ev(control_);
  listen(*in, ev);
  in->call->reject(486, "Busy Here");
  auto e = ev.next(10s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, CallEvent::Kind::terminated);
  EXPECT_EQ(e->code, 486);
  EXPECT_EQ(sipp.get(), 0);
}

// A handler that drops the call without answering: 480.
TEST_F(SipIncomingCalls, DroppedCallIs480) {
  SippRun sipp("dropped", "uac_rejected_480.xml", caller_args(5115, 6150));
  auto in = next_incoming(10s);
  ASSERT_TRUE(in) << "no incoming call";
  in.reset();
  EXPECT_EQ(sipp.get(), 0);
}

}  // namespace
}  // namespace sipgw::sip::test
