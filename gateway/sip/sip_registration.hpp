#pragma once
// One REGISTER usage (a nua handle) per account registration. The public SipRegistration
// handle lives on the control thread; RegistrationState lives on the SIP thread.
#include <functional>
#include <memory>
#include <string>

#include "gateway/sip/nua_event_handler.hpp"
#include "gateway/sip/registration_backoff.hpp"
#include "gateway/sip/sip_stack_impl.hpp"

namespace sipgw::sip {

/// Control thread: creates the state, queues the REGISTER and returns the public handle.
/// If the stack is not running, `on_event` gets `failed` 503 at once (through Post).
std::shared_ptr<SipRegistration> start_registration(
    const std::shared_ptr<SipStack::Impl>& impl, const Account& account,
    const std::string& contact_user, std::function<void(const RegistrationEvent&)> on_event);

/// SIP thread only (except construction).
class RegistrationState final : public NuaHandleHandler {
 public:
  RegistrationState(SipStack::Impl* impl, Account account, std::string contact_user,
                    std::function<void(const RegistrationEvent&)> on_event);

  void start();
  void unregister();
  /// The public handle is gone: destroy the nua handle silently (the binding expires).
  void detach();

  void on_register_response(const NuaMessage& m) override;
  void on_unregister_response(const NuaMessage& m) override;
  void on_stack_shutdown() override;

 private:
  /// Creates the nua handle and sends REGISTER (first attempt and every retry).
  void send_register();
  /// Transient failure: drops the handle, reports `lost` and arms the retry timer.
  void schedule_retry(int status, const std::string& phrase);
  void cancel_retry();
  /// 401/407: answers the challenge once; returns false if it was already answered.
  bool authenticate_once(const NuaMessage& m);
  void report(RegistrationEvent event);
  void finish();

  SipStack::Impl* impl_;
  const Account account_;
  const std::string contact_user_;
  const std::string registrar_;
  std::shared_ptr<std::function<void(const RegistrationEvent&)>> on_event_;
  NuaHandlePtr nh_;
  bool challenge_answered_ = false;
  bool unregistering_ = false;
  bool detached_ = false;
  RegistrationBackoff backoff_;
  su_timer_t* retry_timer_ = nullptr;
};

}  // namespace sipgw::sip
