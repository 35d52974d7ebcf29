#pragma once
// One outgoing INVITE dialog (a nua handle). The public SipCall handle lives on the control
// thread; CallState lives on the SIP thread and reports CallEvents through Post.
#include <functional>
#include <memory>
#include <string>

#include "gateway/sip/sip_dialog.hpp"

namespace sipgw::sip {

/// Control thread: picks the Call-ID, queues the INVITE and returns the public handle.
/// If the stack is not running, `on_event` gets `terminated` 503 at once (through Post).
std::shared_ptr<SipCall> start_call(const std::shared_ptr<SipStack::Impl>& impl,
                                    const Account& account, const std::string& contact_user,
                                    const std::string& target_uri, const std::string& sdp_offer,
                                    std::function<void(const CallEvent&)> on_event);

/// SIP thread only (except construction).
class CallState final : public SipDialog {
 public:
  CallState(SipStack::Impl* impl, Account account, std::string contact_user,
            std::string target_uri, std::string sdp_offer, std::string call_id,
            std::shared_ptr<CallEventSink> sink);

  void start();
  /// CANCEL before the final response, BYE after the answer (also when the answer races
  /// with the CANCEL). Idempotent.
  void hangup() override;
  void detach() override;

  void on_invite_response(const NuaMessage& m) override;
  void on_call_state(int callstate, const NuaMessage& m) override;
  void on_stack_shutdown() override;

 private:
  enum class Phase { idle, calling, early, answered, ended };

  bool confirmed() const override { return phase_ == Phase::answered; }
  bool authenticate(const NuaMessage& m) override;
  void on_provisional(const NuaMessage& m);

  const Account account_;
  const std::string contact_user_;
  const std::string target_uri_;
  const std::string sdp_offer_;
  Phase phase_ = Phase::idle;
  bool challenge_answered_ = false;
  bool hangup_requested_ = false;
  // RFC 3261 §13.2.2.4 / pitfall 12: the early dialog (To tag) whose 183 SDP we reported.
  std::string early_tag_;
  std::string early_sdp_;
};

}  // namespace sipgw::sip
