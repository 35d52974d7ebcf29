#include "gateway/sip/sip_registration.hpp"

#include <spdlog/spdlog.h>

#include "gateway/sip/digest_authentication.hpp"
#include "gateway/sip/sip_addressing.hpp"

namespace sipgw::sip {
namespace {

class RegistrationHandle final : public SipRegistration {
 public:
  RegistrationHandle(std::weak_ptr<SipStack::Impl> impl, std::shared_ptr<RegistrationState> state)
      : impl_(std::move(impl)), state_(std::move(state)) {}
  ~RegistrationHandle() override {
    if (auto impl = impl_.lock()) impl->run([state = state_] { state->detach(); });
  }
  void unregister() override {
    if (auto impl = impl_.lock()) impl->run([state = state_] { state->unregister(); });
  }

 private:
  std::weak_ptr<SipStack::Impl> impl_;
  std::shared_ptr<RegistrationState> state_;
};

}  // namespace

std::shared_ptr<SipRegistration> start_registration(
    const std::shared_ptr<SipStack::Impl>& impl, const Account& account,
    const std::string& contact_user, std::function<void(const RegistrationEvent&)> on_event) {
  auto state =
      std::make_shared<RegistrationState>(impl.get(), account, contact_user, on_event);
  if (!impl->run([state] { state->start(); }) && impl->post && on_event) {
    impl->post([on_event] {
      on_event({RegistrationEvent::Kind::failed, 503, "SIP stack not running", 0, 0});
    });
  }
  return std::make_shared<RegistrationHandle>(impl, std::move(state));
}

RegistrationState::RegistrationState(SipStack::Impl* impl, Account account,
                                     std::string contact_user,
                                     std::function<void(const RegistrationEvent&)> on_event)
    : impl_(impl),
      account_(std::move(account)),
      contact_user_(std::move(contact_user)),
      registrar_(account_registrar(account_)),
      on_event_(std::make_shared<std::function<void(const RegistrationEvent&)>>(
          std::move(on_event))) {}

void RegistrationState::start() {
  if (impl_->stopping || detached_) return;
  impl_->adopt(shared_from_this());
  send_register();
}

void RegistrationState::send_register() {
  if (impl_->stopping || detached_ || unregistering_) return;
  const std::string aor = account_aor(account_);
  const std::string from = account_from(account_);
  nh_.reset(nua_handle(impl_->nua, static_cast<nua_hmagic_t*>(static_cast<NuaHandleHandler*>(this)),
                       SIPTAG_TO_STR(aor.c_str()), SIPTAG_FROM_STR(from.c_str()), TAG_END()));
  if (!nh_) {
    report({RegistrationEvent::Kind::failed, 500, "nua_handle failed", 0, 0});
    finish();
    return;
  }
  challenge_answered_ = false;
  const std::string expires = std::to_string(impl_->config.register_expires_s);
  spdlog::debug("sip: REGISTER {} via {} contact user {}", aor, registrar_, contact_user_);
  // nua refreshes the binding itself, from the interval the registrar granted in the 200
  // (our Contact's expires parameter, else Expires), not the one we asked for.
  nua_register(nh_.get(), NUTAG_REGISTRAR(registrar_.c_str()),
               NUTAG_M_USERNAME(contact_user_.c_str()), SIPTAG_EXPIRES_STR(expires.c_str()),
               TAG_END());
}

void RegistrationState::schedule_retry(int status, const std::string& phrase) {
  // A fresh handle per attempt: nua's registration usage after a failed (refresh) REGISTER is
  // not something to build on, and destroying the handle sends nothing.
  nh_.reset();
  cancel_retry();
  const uint32_t delay = backoff_.next_delay_s();
  retry_timer_ = impl_->create_timer();
  if (!retry_timer_) return;  // stopping
  su_timer_set_interval(
      retry_timer_,
      [](su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg) {
        try {
          auto* self = static_cast<RegistrationState*>(static_cast<void*>(arg));
          auto keep = std::static_pointer_cast<RegistrationState>(self->shared_from_this());
          self->cancel_retry();
          self->send_register();
        } catch (...) {
          spdlog::error("sip: registration retry timer failed");
        }
      },
      static_cast<su_timer_arg_t*>(static_cast<void*>(this)),
      static_cast<su_duration_t>(delay) * 1000);
  RegistrationEvent e{RegistrationEvent::Kind::lost, status, phrase, 0, 0};
  e.retry_in_s = delay;
  report(std::move(e));
}

void RegistrationState::cancel_retry() {
  if (!retry_timer_) return;
  su_timer_destroy(retry_timer_);
  retry_timer_ = nullptr;
}

void RegistrationState::unregister() {
  if (unregistering_ || detached_) return;
  if (!nh_) {
    // Between retries: nothing is registered through us any more; just stop retrying.
    unregistering_ = true;
    const bool was_retrying = retry_timer_ != nullptr;
    cancel_retry();
    if (was_retrying) report({RegistrationEvent::Kind::unregistered, 0, "Not registered", 0, 0});
    finish();
    return;
  }
  cancel_retry();
  unregistering_ = true;
  challenge_answered_ = false;
  nua_unregister(nh_.get(), NUTAG_REGISTRAR(registrar_.c_str()),
                 NUTAG_M_USERNAME(contact_user_.c_str()), TAG_END());
}

void RegistrationState::detach() {
  detached_ = true;
  finish();
}

bool RegistrationState::authenticate_once(const NuaMessage& m) {
  if (challenge_answered_ || m.challenges.empty()) return false;
  challenge_answered_ = true;
  return answer_digest_challenges(nh_.get(), m.challenges, account_);
}

void RegistrationState::on_register_response(const NuaMessage& m) {
  if (m.status < 200 || unregistering_) return;
  if (m.status == 401 || m.status == 407) {
    if (authenticate_once(m)) return;
    report({RegistrationEvent::Kind::failed, m.status, m.phrase, 0, 0});
    return;
  }
  challenge_answered_ = false;
  if (m.status >= 300) {
    if (is_transient_register_failure(m.status)) return schedule_retry(m.status, m.phrase);
    report({RegistrationEvent::Kind::failed, m.status, m.phrase, 0, 0});
    return;
  }
  backoff_.reset();
  // RFC 3261 §10.2.4: the registrar states the granted interval in our Contact's expires
  // parameter, else in Expires.
  uint32_t granted = impl_->config.register_expires_s;
  bool found = false;
  for (const auto& c : m.contacts) {
    if (c.user == contact_user_ && c.expires) {
      granted = *c.expires;
      found = true;
      break;
    }
  }
  if (!found && m.expires) granted = *m.expires;
  report({RegistrationEvent::Kind::registered, m.status, m.phrase, granted, 0});
}

void RegistrationState::on_unregister_response(const NuaMessage& m) {
  if (m.status < 200) return;
  if (m.status == 401 || m.status == 407) {
    if (authenticate_once(m)) return;
    report({RegistrationEvent::Kind::failed, m.status, m.phrase, 0, 0});
    finish();
    return;
  }
  if (m.status >= 300)
    report({RegistrationEvent::Kind::failed, m.status, m.phrase, 0, 0});
  else
    report({RegistrationEvent::Kind::unregistered, m.status, m.phrase, 0, 0});
  finish();
}

void RegistrationState::on_stack_shutdown() {
  detached_ = true;
  cancel_retry();
  nh_.reset();
}

void RegistrationState::report(RegistrationEvent event) {
  if (detached_) return;
  spdlog::debug("sip: registration {} -> {} {} {}", account_aor(account_),
                static_cast<int>(event.kind), event.code, event.reason);
  impl_->post_to_control([cb = on_event_, event = std::move(event)] {
    if (*cb) (*cb)(event);
  });
}

void RegistrationState::finish() {
  cancel_retry();
  nh_.reset();
  impl_->release(this);  // may destroy *this: callers hold a shared_ptr (dispatch, tasks)
}

}  // namespace sipgw::sip
