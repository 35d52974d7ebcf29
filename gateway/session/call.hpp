#pragma once
// One call of a client session, outgoing or incoming: the WebRTC leg's media (a MediaSession on
// a media worker) joined to the SIP dialog toward the PBX (a SipCall on the SIP thread).
//
//   outgoing: call ─▶ media gathers ─▶ plain offer ─▶ INVITE ─▶ 1xx/183 ─▶ 200 ─▶ WebRTC answer
//   incoming: INVITE ─▶ media gathers ─▶ WebRTC offer ─▶ incomingcall ─▶ accept ─▶ 200 ─▶ ACK
//
// In-dialog changes from the PBX (hold, music on hold, codec change, session refresh, offerless
// re-INVITE, UPDATE) are answered here from the call's own state; the browser is told with
// `on_call_updated` but its ICE/DTLS are never touched (ANCHORS.md pitfalls 2, 13-15).
//
// Threads: control thread only. Media and SIP callbacks are posted back here and guarded by a
// weak_ptr, so a call that already ended ignores them.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gateway/session/session_services.hpp"
#include "gateway/sip/sip_stack.hpp"
#include "protocol/messages.hpp"
#include "protocol/sdp_negotiation.hpp"

namespace sipgw::session {

class Call;

/// How a call ended, in words a CRM can use (docs/protocol.md, `hangup`).
enum class HangupCause { answered, no_answer, busy, rejected, failed, cancelled };
const char* to_string(HangupCause cause);

/// What a call reports to its owner (the client session). Control thread. The owner must not
/// destroy the Call from inside these callbacks other than by dropping its reference.
class CallListener {
 public:
  virtual ~CallListener() = default;
  /// Outgoing: the INVITE was sent; `call.call_id()` is now known.
  virtual void on_call_started(Call& call) = 0;
  /// Incoming: the WebRTC offer for the browser is ready (`incomingcall`).
  virtual void on_call_offered(Call& call, const std::string& offer_sdp) = 0;
  /// Outgoing: 180/183. `early_answer_sdp` is the WebRTC answer when a 183 brought early media
  /// (apply it at once), else empty.
  virtual void on_call_progress(Call& call, int code, const std::string& reason,
                                const std::string& early_answer_sdp) = 0;
  /// Answered. Outgoing: `answer_sdp` is the WebRTC answer, empty when early media already
  /// delivered it. Incoming: the PBX acknowledged our 200 OK; `answer_sdp` empty.
  virtual void on_call_answered(Call& call, const std::string& answer_sdp) = 0;
  /// The media direction changed (hold/unhold from either side, or a PBX re-offer).
  /// `direction` is ours ("sendrecv", "sendonly", "recvonly", "inactive"); `initiator` is
  /// "local" or "remote"; `what` describes it ("hold", "unhold", "re-INVITE", "UPDATE").
  virtual void on_call_updated(Call& call, const std::string& direction, const std::string& initiator,
                               const std::string& what) = 0;
  /// A DTMF digit from the PBX (`method` "rfc4733" or "info").
  virtual void on_call_dtmf(Call& call, char digit, uint32_t duration_ms, const std::string& method) = 0;
  /// The call ended; called exactly once, last. `code` is the SIP code (or 4xx/5xx for a
  /// local cause such as media failure), `reason` says why.
  virtual void on_call_ended(Call& call, int code, const std::string& reason, HangupCause cause) = 0;
};

class Call : public std::enable_shared_from_this<Call> {
 public:
  enum class Direction { outgoing, incoming };
  enum class State {
    allocating,  // media gathering
    inviting,    // outgoing: INVITE sent, no answer yet
    offered,     // incoming: the browser has the offer; waiting for accept/decline
    answering,   // incoming: 200 OK sent, waiting for the ACK
    answered,
    ended,
  };

  Call(const SessionServices& services, std::weak_ptr<CallListener> listener, Direction direction);
  ~Call();

  /// Outgoing: starts the call. Returns an error reason (and does nothing) when the browser's
  /// offer is unusable; the caller answers 488.
  std::string start_outgoing(const sip::Account& account, const std::string& contact_user,
                             const std::string& target_uri, const std::string& offer_sdp);

  /// Incoming: takes over `sip_call`, allocates media and builds the browser's offer; then
  /// `on_call_offered` (or `on_call_ended` when the PBX's offer is unusable: 488 to the PBX).
  void start_incoming(std::shared_ptr<sip::SipIncomingCall> sip_call, const sip::IncomingInvite& invite);

  /// Incoming: the browser's answer. Returns an error reason (the caller answers 488 to the
  /// browser and may still decline) or "" when the 200 OK is on its way.
  std::string accept(const std::string& answer_sdp);

  /// Incoming: rejects with `code` (486, 603, ...) before answer.
  void decline(int code, const std::string& reason);

  /// Adds one trickled browser ICE candidate ("candidate:..."). Any state before `ended`.
  void add_remote_candidate(const std::string& candidate);

  /// Ends the call: CANCEL or BYE toward the PBX (480 for an unanswered incoming call), media
  /// closed; `on_call_ended` follows.
  void hangup(const std::string& reason = "hangup requested");

  /// Puts the PBX on hold (re-INVITE with a=sendonly) or takes it off (a=sendrecv). `done` runs
  /// with 200 or the PBX's failure code; the call continues either way (RFC 3261 §14.1).
  void hold(bool on, std::function<void(int code, const std::string& reason)> done);

  /// Stops or resumes forwarding the browser's audio to the PBX.
  void mute(bool on);

  /// Sends `digits` toward the PBX. Returns "" or an error reason (e.g. rfc4733 asked but not
  /// negotiated).
  std::string send_dtmf(const std::string& digits, uint32_t duration_ms, protocol::DtmfMethod method);

  const std::string& call_id() const noexcept { return call_id_; }
  Direction direction() const noexcept { return direction_; }
  State state() const noexcept { return state_; }
  bool on_hold() const noexcept { return local_direction_ != protocol::Direction::sendrecv; }
  bool muted() const noexcept { return muted_; }
  /// The media session (null before the call started). For the recorder tap.
  media::MediaSession* media() const noexcept { return media_.get(); }
  /// What the current PBX SDP negotiated (payload types as the PBX sends them).
  const protocol::NegotiatedCodecs& codecs() const noexcept { return codecs_; }
  /// Packet counters of the media, also after it closed; nullopt without media.
  std::optional<media::MediaStats> media_stats() const;

 private:
  void create_media();
  void on_media_ready(const media::LocalMediaParameters& local);
  void on_media_failed(const std::string& reason);
  void on_sip_event(const sip::CallEvent& event);
  void on_outgoing_answer(const sip::CallEvent& event);
  void on_early_media(const sip::CallEvent& event);
  void on_remote_offer(const sip::CallEvent& event);
  void on_remote_answer(const sip::CallEvent& event);
  /// Points the media at what `pbx_sdp` describes (address, ports, codecs, direction).
  bool apply_pbx_sdp(const std::string& pbx_sdp);
  protocol::WebRtcEndpoint webrtc_endpoint(const std::string& setup) const;
  protocol::PlainEndpoint plain_endpoint();
  void end(int code, const std::string& reason);

  const SessionServices& services_;
  std::weak_ptr<CallListener> listener_;
  const Direction direction_;
  std::shared_ptr<media::MediaSession> media_;
  std::shared_ptr<sip::SipCall> sip_call_;
  std::shared_ptr<sip::SipIncomingCall> incoming_;  // same object as sip_call_ when incoming
  media::LocalMediaParameters local_;
  sip::Account account_;
  std::string contact_user_;
  std::string target_uri_;
  std::string browser_sdp_;      // outgoing: the browser's offer; incoming: our offer to it
  std::string pbx_offer_sdp_;    // incoming: the PBX's offer (empty for a delayed offer)
  std::string last_plain_sdp_;   // the last SDP we sent the PBX (offer or answer)
  std::string negotiated_sdp_;   // the PBX SDP whose codecs the browser accepted
  std::string call_id_;
  uint64_t sdp_session_id_ = 0;
  uint64_t sdp_version_ = 1;
  protocol::NegotiatedCodecs codecs_;
  int browser_audio_pt_ = -1;    // the browser's audio codec, set by the first negotiation
  protocol::Direction local_direction_ = protocol::Direction::sendrecv;  // our wish (hold)
  std::function<void(int, const std::string&)> pending_hold_;
  bool pending_hold_on_ = false;
  bool offer_request_pending_ = false;   // we answered an offerless re-INVITE; answer in ACK
  bool early_answer_sent_ = false;       // the browser already has the answer (183)
  bool hangup_requested_ = false;
  bool declined_ = false;
  bool was_answered_ = false;
  bool muted_ = false;
  State state_ = State::allocating;
};

}  // namespace sipgw::session
