#pragma once
// What an outgoing and an incoming INVITE dialog have in common once the dialog exists:
// offer/answer inside the dialog (re-INVITE and UPDATE from the PBX, our re-INVITE), INFO DTMF
// both ways, BYE both ways, and reporting CallEvents to the control thread.
//
// With NUTAG_MEDIA_ENABLE(0) nua has no SDP engine (soa): it only marks whether a message
// carried SDP, and we put every SDP in ourselves (SIPTAG_PAYLOAD_STR). An in-dialog re-INVITE is
// therefore never answered by nua (its auto-answer needs soa), UPDATE is an application method
// (NUTAG_APPL_METHOD), and each pending request is kept as a saved nua event so that the answer,
// which comes later from the control thread, can name it (NUTAG_WITH_SAVED).
//
// SIP thread only (except construction).
#include <memory>
#include <string>

#include "gateway/sip/call_event_sink.hpp"
#include "gateway/sip/nua_event_handler.hpp"
#include "gateway/sip/sip_stack_impl.hpp"

namespace sipgw::sip {

class SipDialog : public NuaHandleHandler {
 public:
  ~SipDialog() override;

  const std::string& call_id() const { return call_id_; }

  // --- operations from the public SipCall (run as tasks on the SIP thread) ---
  virtual void hangup() = 0;
  /// The public handle is gone: end the call if needed, report nothing more.
  virtual void detach() = 0;
  void reinvite(const std::string& sdp);
  void answer_remote_offer(const std::string& sdp);
  void reject_remote_offer(int code, const std::string& reason);
  void send_info_dtmf(char digit, uint32_t duration_ms);

  // --- NuaHandleHandler: in-dialog requests common to both directions ---
  /// Responses to our re-INVITE (or to a session refresh nua sent itself).
  void on_invite_response(const NuaMessage& m) override { on_reinvite_response(m); }
  void on_request_received(nua_event_t event, const NuaMessage& m) override;
  void on_ack_received(const NuaMessage& m) override;
  void on_info_response(const NuaMessage& m) override;
  void on_bye_response(const NuaMessage& m) override;
  void on_bye_received(const NuaMessage& m) override;
  void on_stack_shutdown() override;

 protected:
  SipDialog(SipStack::Impl* impl, std::string call_id, std::shared_ptr<CallEventSink> sink);

  /// The 2xx of the initial INVITE has been ACKed (sent by us or received): re-offers and
  /// INFO are allowed.
  virtual bool confirmed() const = 0;
  /// 401/407 to a request inside the dialog: answer the challenge (once per request). The
  /// default (no credentials) returns false.
  virtual bool authenticate(const NuaMessage&) { return false; }

  /// nua_r_invite while our re-INVITE is pending: reports remote_answer / reoffer_failed and
  /// returns true; false if no re-INVITE of ours is pending.
  bool on_reinvite_response(const NuaMessage& m);

  void report(CallEvent event);
  /// Reports `terminated` once (first cause wins).
  void report_terminated(int code, std::string reason);
  /// Reports `terminated` (if not yet) and destroys the nua handle (exactly once).
  void finish(int code, std::string reason);
  void send_bye();
  /// Bounds waits that depend on the peer (CANCEL/BYE answered, terminated state).
  void arm_guard(su_duration_t ms, int code, const char* reason);
  void cancel_guard();

  SipStack::Impl* impl_;
  const std::string call_id_;
  std::shared_ptr<CallEventSink> sink_;  // used on the control thread only
  NuaHandlePtr nh_;
  bool detached_ = false;
  bool terminated_reported_ = false;
  bool bye_sent_ = false;

 private:
  // The request from the PBX whose answer the control plane owes us.
  enum class RemoteOffer {
    none,
    reinvite_offer,     // re-INVITE with SDP: our 200 carries the answer
    reinvite_no_sdp,    // re-INVITE without SDP: our 200 carries our offer
    update_offer,       // UPDATE with SDP: our 200 carries the answer
    ack_answer,         // our offer went out in the 200; the answer comes in the ACK
  };

  void respond_pending(int status, const char* phrase, const std::string& sdp);
  void drop_saved();

  RemoteOffer remote_ = RemoteOffer::none;
  // nua_respond keeps the reason phrase pointer until the response is sent from the root's
  // queue, so a phrase we compose must outlive the call.
  std::string response_phrase_;
  nua_saved_event_t saved_[1] = {};
  bool has_saved_ = false;
  bool our_offer_pending_ = false;
  bool reinvite_challenge_answered_ = false;
  su_timer_t* guard_ = nullptr;
  int guard_code_ = 0;
  std::string guard_reason_;
};

}  // namespace sipgw::sip
