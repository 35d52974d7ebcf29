#pragma once
// One incoming INVITE dialog: created on the SIP thread when nua reports an initial INVITE
// (nua_i_invite on a handle that is not ours yet), handed to the control plane's
// IncomingCallHandler as a SipIncomingCall, answered from there (ring / answer / reject).
#include <memory>
#include <string>

#include "gateway/sip/sip_dialog.hpp"

namespace sipgw::sip {

/// SIP thread, inside the nua_i_invite callback: takes over `nh` (an incoming handle nua
/// created) and hands the call to `impl`'s incoming-call handler; without a handler (or when
/// stopping) answers 480 and destroys the handle.
void accept_incoming_invite(SipStack::Impl& impl, nua_handle_t* nh, const sip_t* sip);

/// SIP thread only (except construction).
class IncomingCallState final : public SipDialog {
 public:
  IncomingCallState(SipStack::Impl* impl, std::string call_id,
                    std::shared_ptr<CallEventSink> sink);

  /// Binds the handle to this state (the handle's hmagic) and adopts it.
  void take(nua_handle_t* nh);

  /// 180 Ringing, or 183 Session Progress with `early_sdp`. Before the final answer only.
  void ring(const std::string& early_sdp);
  /// 200 OK with `sdp`; `confirmed` follows on the ACK.
  void answer(const std::string& sdp);
  /// A final non-2xx (300-699; anything else becomes 480).
  void reject(int code, const std::string& reason);
  /// 480 before the answer, BYE after it (after the ACK if it has not arrived yet).
  void hangup() override;
  void detach() override;

  void on_ack_received(const NuaMessage& m) override;
  void on_cancel_received(const NuaMessage& m) override;
  void on_call_state(int callstate, const NuaMessage& m) override;
  void on_stack_shutdown() override;

 private:
  enum class Phase {
    received,   // INVITE received, no answer yet (maybe 180/183 sent)
    answered,   // our 200 sent, waiting for the ACK
    confirmed,  // ACK received
    rejected,   // our non-2xx (or nua's 487 after CANCEL) sent
    ended,
  };

  bool confirmed() const override { return phase_ == Phase::confirmed; }
  void send_final(int code, std::string reason);

  Phase phase_ = Phase::received;
  bool bye_after_ack_ = false;
  int final_code_ = 0;
  std::string final_reason_;
};

}  // namespace sipgw::sip
