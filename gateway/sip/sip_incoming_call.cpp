#include "gateway/sip/sip_incoming_call.hpp"

#include <spdlog/spdlog.h>

#include "gateway/sip/sip_dialog_handle.hpp"

namespace sipgw::sip {
namespace {

// After our final non-2xx nua reports the end of the session at once; this only bounds it.
constexpr su_duration_t kFinalGuardMs = 5'000;
// Our 2xx is retransmitted until the ACK comes or Timer H (64*T1 = 32 s) ends the wait.
constexpr su_duration_t kAckGuardMs = 40'000;

class IncomingCallHandle final : public SipDialogHandle<SipIncomingCall, IncomingCallState> {
 public:
  IncomingCallHandle(std::weak_ptr<SipStack::Impl> impl, std::shared_ptr<IncomingCallState> state,
                     std::string call_id, std::shared_ptr<CallEventSink> sink)
      : SipDialogHandle(std::move(impl), std::move(state), std::move(call_id)),
        sink_(std::move(sink)) {}

  void set_event_handler(std::function<void(const CallEvent&)> on_event) override {
    sink_->set_handler(std::move(on_event));  // control thread, like every delivery
  }
  void ring(const std::string& early_sdp) override {
    run([early_sdp](IncomingCallState& s) { s.ring(early_sdp); });
  }
  void answer(const std::string& sdp) override {
    run([sdp](IncomingCallState& s) { s.answer(sdp); });
  }
  void reject(int code, const std::string& reason) override {
    run([code, reason](IncomingCallState& s) { s.reject(code, reason); });
  }

 private:
  std::shared_ptr<CallEventSink> sink_;
};

std::string str(const char* s) { return s ? s : ""; }

IncomingInvite describe(const sip_t* sip, const std::string& sdp) {
  IncomingInvite in;
  if (!sip) return in;
  if (sip->sip_call_id && sip->sip_call_id->i_id) in.call_id = sip->sip_call_id->i_id;
  if (sip->sip_request) in.request_user = str(sip->sip_request->rq_url->url_user);
  if (sip->sip_from) {
    in.from_user = str(sip->sip_from->a_url->url_user);
    in.from_display = str(sip->sip_from->a_display);
    // A quoted display name comes with its quotes: the control plane wants the text.
    if (in.from_display.size() >= 2 && in.from_display.front() == '"' &&
        in.from_display.back() == '"')
      in.from_display = in.from_display.substr(1, in.from_display.size() - 2);
    char buf[512];
    const url_t* u = sip->sip_from->a_url;
    // The bare sip:user@host[:port] (no parameters, no headers).
    url_t bare = *u;
    bare.url_params = nullptr;
    bare.url_headers = nullptr;
    if (url_e(buf, sizeof buf, &bare) > 0 && std::memchr(buf, '\0', sizeof buf))
      in.from_uri = buf;
    else
      in.from_uri = "sip:" + in.from_user + "@" + str(u->url_host);
  }
  if (sip->sip_to) in.to_user = str(sip->sip_to->a_url->url_user);
  in.sdp = sdp;
  return in;
}

}  // namespace

void accept_incoming_invite(SipStack::Impl& impl, nua_handle_t* nh, const sip_t* sip) {
  auto handler = impl.incoming_handler();
  if (!handler || impl.stopping) {
    // Nobody takes calls: the handle is destroyed when its session ends (on_unsolicited).
    nua_respond(nh, SIP_480_TEMPORARILY_UNAVAILABLE, NUTAG_WITH_THIS(impl.nua), TAG_END());
    return;
  }
  std::string sdp;
  if (sip && sip->sip_payload && sip->sip_payload->pl_data && sip->sip_payload->pl_len > 0 &&
      (!sip->sip_content_type || !sip->sip_content_type->c_type ||
       strcasecmp(sip->sip_content_type->c_type, "application/sdp") == 0))
    sdp.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  IncomingInvite invite = describe(sip, sdp);

  auto sink = std::make_shared<CallEventSink>(nullptr, true);
  auto state = std::make_shared<IncomingCallState>(&impl, invite.call_id, sink);
  state->take(nh);
  spdlog::debug("sip: incoming INVITE call-id {} for {} from {}", invite.call_id,
                invite.request_user, invite.from_uri);
  auto handle = std::make_shared<IncomingCallHandle>(impl.weak_from_this(), state,
                                                     invite.call_id, std::move(sink));
  // If the post is dropped (stopping), the handle dies here and detaches the state (480).
  impl.post_to_control([handler, handle = std::move(handle), invite = std::move(invite)] {
    (*handler)(handle, invite);
  });
}

IncomingCallState::IncomingCallState(SipStack::Impl* impl, std::string call_id,
                                     std::shared_ptr<CallEventSink> sink)
    : SipDialog(impl, std::move(call_id), std::move(sink)) {}

void IncomingCallState::take(nua_handle_t* nh) {
  nua_handle_bind(nh, static_cast<nua_hmagic_t*>(static_cast<NuaHandleHandler*>(this)));
  nh_.reset(nh);  // incoming handles are the application's to destroy
  impl_->adopt(shared_from_this());
}

void IncomingCallState::ring(const std::string& early_sdp) {
  if (phase_ != Phase::received || !nh_) return;
  if (early_sdp.empty()) {
    nua_respond(nh_.get(), SIP_180_RINGING, TAG_END());
  } else {
    // Early media (RFC 3960 gateway model): the answer in a 183.
    nua_respond(nh_.get(), SIP_183_SESSION_PROGRESS, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                SIPTAG_PAYLOAD_STR(early_sdp.c_str()), TAG_END());
  }
}

void IncomingCallState::answer(const std::string& sdp) {
  if (phase_ != Phase::received || !nh_) {
    spdlog::warn("sip: call {}: answer in the wrong state: ignored", call_id_);
    return;
  }
  phase_ = Phase::answered;
  nua_respond(nh_.get(), SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
              SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
}

void IncomingCallState::reject(int code, const std::string& reason) {
  if (phase_ != Phase::received) return;
  if (code < 300 || code > 699) code = 480;
  // The standard phrase (RFC 3261 §21: 486 Busy Here, 603 Decline) unless the client gave one.
  const char* standard = sip_status_phrase(code);
  send_final(code, reason.empty() ? (standard ? standard : "Rejected") : reason);
}

void IncomingCallState::send_final(int code, std::string reason) {
  phase_ = Phase::rejected;
  final_code_ = code;
  final_reason_ = std::move(reason);
  if (!nh_) return;
  arm_guard(kFinalGuardMs, final_code_, final_reason_.c_str());
  nua_respond(nh_.get(), final_code_, final_reason_.c_str(), TAG_END());
}

void IncomingCallState::hangup() {
  switch (phase_) {
    case Phase::received:
      send_final(480, "Temporarily Unavailable");
      return;
    case Phase::answered:
      // RFC 3261 §15: the callee must not send BYE before the ACK for its 2xx.
      bye_after_ack_ = true;
      arm_guard(kAckGuardMs, 408, "ACK not received");
      return;
    case Phase::confirmed:
      send_bye();
      return;
    case Phase::rejected:
    case Phase::ended:
      return;
  }
}

void IncomingCallState::detach() {
  detached_ = true;
  hangup();
}

void IncomingCallState::on_ack_received(const NuaMessage& m) {
  if (phase_ != Phase::answered) {
    SipDialog::on_ack_received(m);  // the ACK of a re-INVITE
    return;
  }
  phase_ = Phase::confirmed;
  // Our 200 carried the offer for a delayed-offer INVITE: the answer is in the ACK.
  report(make_call_event(CallEvent::Kind::confirmed, 200, "ACK", m.sdp));
  if (bye_after_ack_) send_bye();
}

void IncomingCallState::on_cancel_received(const NuaMessage&) {
  if (phase_ != Phase::received) return;
  // nua answers 200 to the CANCEL and 487 to the INVITE (RFC 3261 §9.2).
  phase_ = Phase::rejected;
  final_code_ = 487;
  final_reason_ = "CANCEL";
  report_terminated(487, "CANCEL");
  arm_guard(kFinalGuardMs, 487, "CANCEL");
}

void IncomingCallState::on_call_state(int callstate, const NuaMessage& m) {
  // After a non-2xx final the session goes back to `init` (nua then drops the usage);
  // a dialog that was up ends in `terminated`.
  const bool ended = callstate == nua_callstate_terminated ||
                     (callstate == nua_callstate_init && phase_ == Phase::rejected);
  if (!ended) return;
  const Phase was = phase_;
  phase_ = Phase::ended;
  if (was == Phase::rejected) return finish(final_code_, final_reason_);
  if (bye_sent_) return finish(200, "Hangup");
  if (was == Phase::answered) return finish(m.status >= 300 ? m.status : 408, "ACK not received");
  finish(m.status ? m.status : 200, m.phrase.empty() ? "Terminated" : m.phrase);
}

void IncomingCallState::on_stack_shutdown() {
  phase_ = Phase::ended;
  SipDialog::on_stack_shutdown();
}

}  // namespace sipgw::sip
