#pragma once
// The public side of a dialog (SipCall / SipIncomingCall), living on the control thread: every
// method hands its work to the dialog's state on the SIP thread. Dropping the handle detaches
// the state (which ends the call if it is still up).
#include <memory>
#include <string>

#include "gateway/sip/sip_dialog.hpp"

namespace sipgw::sip {

template <typename Interface, typename State>
class SipDialogHandle : public Interface {
 public:
  SipDialogHandle(std::weak_ptr<SipStack::Impl> impl, std::shared_ptr<State> state,
                  std::string call_id)
      : impl_(std::move(impl)), state_(std::move(state)), call_id_(std::move(call_id)) {}
  ~SipDialogHandle() override {
    run([](State& s) { s.detach(); });
  }
  const std::string& call_id() const override { return call_id_; }
  void hangup() override {
    run([](State& s) { s.hangup(); });
  }
  void reinvite(const std::string& sdp) override {
    run([sdp](State& s) { s.reinvite(sdp); });
  }
  void answer_remote_offer(const std::string& sdp) override {
    run([sdp](State& s) { s.answer_remote_offer(sdp); });
  }
  void reject_remote_offer(int code, const std::string& reason) override {
    run([code, reason](State& s) { s.reject_remote_offer(code, reason); });
  }
  void send_info_dtmf(char digit, uint32_t duration_ms) override {
    run([digit, duration_ms](State& s) { s.send_info_dtmf(digit, duration_ms); });
  }

 protected:
  /// Queues `f(state)` for the SIP thread (dropped if the stack is gone or stopping).
  template <typename F>
  void run(F f) {
    if (auto impl = impl_.lock()) impl->run([state = state_, f = std::move(f)] { f(*state); });
  }

  std::weak_ptr<SipStack::Impl> impl_;
  std::shared_ptr<State> state_;
  std::string call_id_;
};

}  // namespace sipgw::sip
