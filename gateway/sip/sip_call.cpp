#include "gateway/sip/sip_call.hpp"

#include <spdlog/spdlog.h>

#include "gateway/sip/call_id.hpp"
#include "gateway/sip/sip_addressing.hpp"

namespace sipgw::sip {
namespace {

// RFC 3261 §9.1 / Timer B: after a CANCEL the INVITE transaction ends within 64*T1 (32 s);
// we give the peer a little more before ending the call locally.
constexpr su_duration_t kHangupGuardMs = 34'000;
// After a BYE from the peer nua reports `terminated` at once; this only bounds that.
constexpr su_duration_t kByeGuardMs = 5'000;

class CallHandle final : public SipCall {
 public:
  CallHandle(std::weak_ptr<SipStack::Impl> impl, std::shared_ptr<CallState> state,
             std::string call_id)
      : impl_(std::move(impl)), state_(std::move(state)), call_id_(std::move(call_id)) {}
  ~CallHandle() override {
    if (auto impl = impl_.lock()) impl->run([state = state_] { state->detach(); });
  }
  const std::string& call_id() const override { return call_id_; }
  void hangup() override {
    if (auto impl = impl_.lock()) impl->run([state = state_] { state->hangup(); });
  }

 private:
  std::weak_ptr<SipStack::Impl> impl_;
  std::shared_ptr<CallState> state_;
  std::string call_id_;
};

}  // namespace

std::shared_ptr<SipCall> start_call(const std::shared_ptr<SipStack::Impl>& impl,
                                    const Account& account, const std::string& contact_user,
                                    const std::string& target_uri, const std::string& sdp_offer,
                                    std::function<void(const CallEvent&)> on_event) {
  std::string call_id = make_call_id();
  auto state = std::make_shared<CallState>(impl.get(), account, contact_user, target_uri,
                                           sdp_offer, call_id, on_event);
  if (!impl->run([state] { state->start(); }) && impl->post && on_event) {
    impl->post([on_event] {
      on_event({CallEvent::Kind::terminated, 503, "SIP stack not running", {}});
    });
  }
  return std::make_shared<CallHandle>(impl, std::move(state), std::move(call_id));
}

CallState::CallState(SipStack::Impl* impl, Account account, std::string contact_user,
                     std::string target_uri, std::string sdp_offer, std::string call_id,
                     std::function<void(const CallEvent&)> on_event)
    : impl_(impl),
      account_(std::move(account)),
      contact_user_(std::move(contact_user)),
      target_uri_(std::move(target_uri)),
      sdp_offer_(std::move(sdp_offer)),
      call_id_(std::move(call_id)),
      on_event_(std::make_shared<std::function<void(const CallEvent&)>>(std::move(on_event))) {}

CallState::~CallState() = default;  // guard_ and nh_ are released on the SIP thread (finish)

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
    finish(487, "Detached");
    return;
  }
  hangup();
}

void CallState::authenticate(const NuaMessage& m) {
  challenge_answered_ = true;
  std::vector<std::string> credentials;
  for (const auto& c : m.challenges)
    credentials.push_back(nua_auth_credentials(c, account_.user, account_.password));
  std::vector<tagi_t> tags;
  for (const auto& cred : credentials) tags.push_back(tagi_t{NUTAG_AUTH(cred.c_str())});
  tags.push_back(tagi_t{TAG_END()});
  nua_authenticate(nh_.get(), TAG_NEXT(tags.data()));
}

void CallState::on_invite_response(const NuaMessage& m) {
  if (phase_ == Phase::ended || m.status <= 100) return;
  if (m.status == 401 || m.status == 407) {
    if (hangup_requested_) return finish(487, "Request Terminated");
    if (challenge_answered_ || m.challenges.empty()) return finish(m.status, m.phrase);
    authenticate(m);
    return;
  }
  if (m.status < 200) {
    phase_ = Phase::early;
    if (!hangup_requested_) report({CallEvent::Kind::progress, m.status, m.phrase, m.sdp});
    return;
  }
  if (m.status < 300) {
    phase_ = Phase::answered;  // nua has sent the ACK (NUTAG_AUTOACK)
    if (hangup_requested_) {
      send_bye();  // the answer crossed our CANCEL: end the dialog it created
      return;
    }
    report({CallEvent::Kind::answered, m.status, m.phrase, m.sdp});
    return;
  }
  finish(m.status, m.phrase);  // 3xx-6xx (487 after our CANCEL)
}

void CallState::send_bye() {
  if (bye_sent_ || !nh_) return;
  bye_sent_ = true;
  arm_guard(kHangupGuardMs, 408, "BYE not answered");
  nua_bye(nh_.get(), TAG_END());
}

void CallState::on_bye_response(const NuaMessage& m) {
  if (m.status < 200) return;
  finish(m.status < 300 ? 200 : m.status, "Hangup");
}

void CallState::on_bye_received(const NuaMessage&) {
  report_terminated(200, "BYE");
  arm_guard(kByeGuardMs, 200, "BYE");  // nua reports `terminated` next; destroy then
}

void CallState::on_request_received(nua_event_t event, const NuaMessage& m) {
  if (m.status >= 200 || !nh_) return;  // nua already answered
  if (event == nua_i_invite || event == nua_i_update) {
    // Offers from the PBX inside the call (hold, session refresh) are a later issue;
    // RFC 3261 §14.2: 488 keeps the dialog and the previous session.
    nua_respond(nh_.get(), SIP_488_NOT_ACCEPTABLE, NUTAG_WITH_THIS(impl_->nua), TAG_END());
  } else {
    nua_respond(nh_.get(), SIP_501_NOT_IMPLEMENTED, NUTAG_WITH_THIS(impl_->nua), TAG_END());
  }
}

void CallState::on_call_state(int callstate, const NuaMessage& m) {
  if (callstate != nua_callstate_terminated) return;
  if (m.status >= 300)
    finish(m.status, m.phrase);
  else
    finish(hangup_requested_ ? 200 : m.status, hangup_requested_ ? "Hangup" : m.phrase);
}

void CallState::on_stack_shutdown() {
  detached_ = true;
  phase_ = Phase::ended;
  cancel_guard();
  nh_.reset();
}

void CallState::report(CallEvent event) {
  if (detached_) return;
  spdlog::debug("sip: call {} -> {} {} {}", call_id_, static_cast<int>(event.kind), event.code,
                event.reason);
  impl_->post_to_control([cb = on_event_, event = std::move(event)] {
    if (*cb) (*cb)(event);
  });
}

void CallState::report_terminated(int code, std::string reason) {
  if (terminated_reported_) return;
  terminated_reported_ = true;
  report({CallEvent::Kind::terminated, code, std::move(reason), {}});
}

void CallState::finish(int code, std::string reason) {
  report_terminated(code, std::move(reason));
  phase_ = Phase::ended;
  cancel_guard();
  if (!nh_) return;
  nh_.reset();
  impl_->release(this);  // may destroy *this: callers hold a shared_ptr (dispatch, tasks, timer)
}

void CallState::arm_guard(su_duration_t ms, int code, const char* reason) {
  cancel_guard();
  guard_ = impl_->create_timer();
  if (!guard_) return;
  guard_code_ = code;
  guard_reason_ = reason;
  su_timer_set_interval(
      guard_,
      [](su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg) {
        try {
          auto* self = static_cast<CallState*>(static_cast<void*>(arg));
          auto keep = self->shared_from_this();
          spdlog::warn("sip: call {}: {}", self->call_id_, self->guard_reason_);
          self->finish(self->guard_code_, self->guard_reason_);
        } catch (...) {
          spdlog::error("sip: call guard timer failed");
        }
      },
      static_cast<su_timer_arg_t*>(static_cast<void*>(this)), ms);
}

void CallState::cancel_guard() {
  if (!guard_) return;
  su_timer_destroy(guard_);
  guard_ = nullptr;
}

}  // namespace sipgw::sip
