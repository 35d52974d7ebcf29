#pragma once
// One outgoing INVITE dialog (a nua handle). The public SipCall handle lives on the control
// thread; CallState lives on the SIP thread and reports CallEvents through Post.
#include <functional>
#include <memory>
#include <string>

#include "gateway/sip/nua_event_handler.hpp"
#include "gateway/sip/sip_stack_impl.hpp"

namespace sipgw::sip {

/// Control thread: picks the Call-ID, queues the INVITE and returns the public handle.
/// If the stack is not running, `on_event` gets `terminated` 503 at once (through Post).
std::shared_ptr<SipCall> start_call(const std::shared_ptr<SipStack::Impl>& impl,
                                    const Account& account, const std::string& contact_user,
                                    const std::string& target_uri, const std::string& sdp_offer,
                                    std::function<void(const CallEvent&)> on_event);

/// SIP thread only (except construction).
class CallState final : public NuaHandleHandler {
 public:
  CallState(SipStack::Impl* impl, Account account, std::string contact_user,
            std::string target_uri, std::string sdp_offer, std::string call_id,
            std::function<void(const CallEvent&)> on_event);
  ~CallState() override;

  void start();
  /// CANCEL before the final response, BYE after the answer (also when the answer races
  /// with the CANCEL). Idempotent.
  void hangup();
  /// The public handle is gone: hang up if needed, report nothing more.
  void detach();

  void on_invite_response(const NuaMessage& m) override;
  void on_bye_response(const NuaMessage& m) override;
  void on_bye_received(const NuaMessage& m) override;
  void on_request_received(nua_event_t event, const NuaMessage& m) override;
  void on_call_state(int callstate, const NuaMessage& m) override;
  void on_stack_shutdown() override;

 private:
  enum class Phase { idle, calling, early, answered, ended };

  void authenticate(const NuaMessage& m);
  void send_bye();
  void report(CallEvent event);
  /// Reports `terminated` once (first cause wins).
  void report_terminated(int code, std::string reason);
  /// Reports `terminated` (if not yet) and destroys the nua handle (exactly once).
  void finish(int code, std::string reason);
  /// Bounds waits that depend on the peer (CANCEL/BYE answered, terminated state).
  void arm_guard(su_duration_t ms, int code, const char* reason);
  void cancel_guard();

  SipStack::Impl* impl_;
  const Account account_;
  const std::string contact_user_;
  const std::string target_uri_;
  const std::string sdp_offer_;
  const std::string call_id_;
  std::shared_ptr<std::function<void(const CallEvent&)>> on_event_;
  NuaHandlePtr nh_;
  Phase phase_ = Phase::idle;
  bool challenge_answered_ = false;
  bool hangup_requested_ = false;
  bool bye_sent_ = false;
  bool terminated_reported_ = false;
  bool detached_ = false;
  su_timer_t* guard_ = nullptr;
  int guard_code_ = 0;
  std::string guard_reason_;
};

}  // namespace sipgw::sip
