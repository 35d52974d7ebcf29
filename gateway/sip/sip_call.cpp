#include "gateway/sip/sip_call.hpp"

#include <spdlog/spdlog.h>

#include "gateway/sip/call_id.hpp"
#include "gateway/sip/digest_authentication.hpp"
#include "gateway/sip/sip_addressing.hpp"
#include "gateway/sip/sip_dialog_handle.hpp"

namespace sipgw::sip {
namespace {

// RFC 3261 §9.1 / Timer B: after a CANCEL the INVITE transaction ends within 64*T1 (32 s);
// we give the peer a little more before ending the call locally.
constexpr su_duration_t kHangupGuardMs = 34'000;

using CallHandle = SipDialogHandle<SipCall, CallState>;

}  // namespace

std::shared_ptr<SipCall> start_call(const std::shared_ptr<SipStack::Impl>& impl,
                                    const Account& account, const std::string& contact_user,
                                    const std::string& target_uri, const std::string& sdp_offer,
                                    std::function<void(const CallEvent&)> on_event) {
  std::string call_id = make_call_id();
  auto sink = std::make_shared<CallEventSink>(on_event, false);
  auto state = std::make_shared<CallState>(impl.get(), account, contact_user, target_uri,
                                           sdp_offer, call_id, std::move(sink));
  if (!impl->run([state] { state->start(); }) && impl->post && on_event) {
    impl->post([on_event] {
      on_event({CallEvent::Kind::terminated, 503, "SIP stack not running", {}});
    });
  }
  return std::make_shared<CallHandle>(impl, std::move(state), std::move(call_id));
}

CallState::CallState(SipStack::Impl* impl, Account account, std::string contact_user,
                     std::string target_uri, std::string sdp_offer, std::string call_id,
                     std::shared_ptr<CallEventSink> sink)
    : SipDialog(impl, std::move(call_id), std::move(sink)),
      account_(std::move(account)),
      contact_user_(std::move(contact_user)),
      target_uri_(std::move(target_uri)),
      sdp_offer_(std::move(sdp_offer)) {}

void CallState::start() {
  if (impl_->stopping || detached_) return;
  const std::string from = account_from(account_);
  nh_.reset(nua_handle(impl_->nua, static_cast<nua_hmagic_t*>(static_cast<NuaHandleHandler*>(this)),
                       SIPTAG_TO_STR(target_uri_.c_str()), SIPTAG_FROM_STR(from.c_str()),
                       SIPTAG_CALL_ID_STR(call_id_.c_str()), TAG_END()));
  if (!nh_) {
    report_terminated(500, "nua_handle failed");
    return;
  }
  impl_->adopt(shared_from_this());
  phase_ = Phase::calling;
  spdlog::debug("sip: INVITE {} from {} call-id {}", target_uri_, from, call_id_);
  nua_invite(nh_.get(), NUTAG_URL(target_uri_.c_str()), NUTAG_M_USERNAME(contact_user_.c_str()),
             SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp_offer_.c_str()),
             TAG_END());
}

void CallState::hangup() {
  if (phase_ == Phase::ended || hangup_requested_) return;
  hangup_requested_ = true;
  if (!nh_) return;
  arm_guard(kHangupGuardMs, 408, "Hangup not answered");
  if (phase_ == Phase::answered)
    send_bye();
  else
    nua_cancel(nh_.get(), TAG_END());  // RFC 3261 §9: CANCEL the pending INVITE
}

void CallState::detach() {
  detached_ = true;
  if (phase_ == Phase::ended) return;
  if (phase_ == Phase::idle) {
    phase_ = Phase::ended;
    finish(487, "Detached");
    return;
  }
  hangup();
}

bool CallState::authenticate(const NuaMessage& m) {
  return answer_digest_challenges(nh_.get(), m.challenges, account_);
}

void CallState::on_provisional(const NuaMessage& m) {
  phase_ = Phase::early;
  if (hangup_requested_) return;
  CallEvent e = make_call_event(CallEvent::Kind::progress, m.status, m.phrase);
  if (!m.sdp.empty()) {
    // Pitfall 12: when 183s fork, the browser can apply one early answer only; keep the first
    // early dialog's SDP and report the others' provisional responses without SDP.
    if (early_tag_.empty()) {
      early_tag_ = m.to_tag;
      early_sdp_ = m.sdp;
    }
    if (m.to_tag == early_tag_) e.sdp = m.sdp;
  }
  report(std::move(e));
}

void CallState::on_invite_response(const NuaMessage& m) {
  if (phase_ == Phase::ended || m.status <= 100) return;
  if (phase_ == Phase::answered) {
    // A response to our re-INVITE, or to a session refresh nua sent itself (RFC 4028).
    on_reinvite_response(m);
    return;
  }
  if (m.status == 401 || m.status == 407) {
    if (hangup_requested_) return finish(487, "Request Terminated");
    if (challenge_answered_ || !authenticate(m)) return finish(m.status, m.phrase);
    challenge_answered_ = true;
    return;
  }
  if (m.status < 200) return on_provisional(m);
  if (m.status < 300) {
    phase_ = Phase::answered;  // nua has sent the ACK (NUTAG_AUTOACK)
    if (hangup_requested_) {
      send_bye();  // the answer crossed our CANCEL: end the dialog it created
      return;
    }
    // The answer may have come in a 183 already (200 without SDP): report it again.
    std::string sdp = m.sdp;
    if (sdp.empty()) sdp = early_sdp_;
    report(make_call_event(CallEvent::Kind::answered, m.status, m.phrase, std::move(sdp)));
    return;
  }
  phase_ = Phase::ended;
  finish(m.status, m.phrase);  // 3xx-6xx (487 after our CANCEL)
}

void CallState::on_call_state(int callstate, const NuaMessage& m) {
  if (callstate != nua_callstate_terminated) return;
  phase_ = Phase::ended;
  if (m.status >= 300)
    finish(m.status, m.phrase);
  else
    finish(hangup_requested_ ? 200 : m.status, hangup_requested_ ? "Hangup" : m.phrase);
}

void CallState::on_stack_shutdown() {
  phase_ = Phase::ended;
  SipDialog::on_stack_shutdown();
}

}  // namespace sipgw::sip
