#pragma once
// One outgoing call of a client session: the WebRTC leg's media (MediaSession on a media
// worker) joined to the SIP dialog toward the PBX (SipCall on the SIP thread).
//
//   call request ─▶ media allocates, gathers ─▶ plain offer ─▶ INVITE ─▶ 1xx ─▶ 200 + answer
//                                                               └─▶ WebRTC answer to the browser
//
// Threads: control thread only. Media and SIP callbacks are posted back here and guarded by a
// weak_ptr, so a call that already ended ignores them.
#include <cstdint>
#include <memory>
#include <string>

#include "gateway/sip/sip_stack.hpp"
#include "gateway/session/session_services.hpp"

namespace sipgw::session {

class Call;

/// What a call reports to its owner (the client session). Control thread. The owner must not
/// destroy the Call from inside these callbacks other than by dropping its reference.
class CallListener {
 public:
  virtual ~CallListener() = default;
  /// The INVITE was sent; `call.call_id()` is now known.
  virtual void on_call_started(Call& call) = 0;
  /// 180/183 from the PBX.
  virtual void on_call_progress(Call& call, int code, const std::string& reason) = 0;
  /// 200 OK from the PBX; `answer_sdp` is the WebRTC answer for the browser.
  virtual void on_call_answered(Call& call, const std::string& answer_sdp) = 0;
  /// The call ended; called exactly once, last. `code` is the SIP code (or 500 for a local
  /// failure such as media), `reason` says why.
  virtual void on_call_ended(Call& call, int code, const std::string& reason) = 0;
};

class Call : public std::enable_shared_from_this<Call> {
 public:
  enum class State { allocating, inviting, early, answered, ended };

  Call(const SessionServices& services, std::weak_ptr<CallListener> listener);
  ~Call();

  /// Starts the call. Returns an error reason (and does nothing) when the browser's offer is
  /// unusable (no audio, no ICE credentials or fingerprint); the caller answers 488.
  std::string start(const sip::Account& account, const std::string& contact_user, const std::string& target_uri,
                    const std::string& offer_sdp);

  /// Adds one trickled browser ICE candidate ("candidate:..."). Any state before `ended`.
  void add_remote_candidate(const std::string& candidate);

  /// Ends the call: CANCEL or BYE toward the PBX, media closed; `on_call_ended` follows.
  void hangup(const std::string& reason = "hangup requested");

  const std::string& call_id() const noexcept { return call_id_; }
  State state() const noexcept { return state_; }

 private:
  void on_media_ready(const media::LocalMediaParameters& local);
  void on_media_failed(const std::string& reason);
  void on_sip_event(const sip::CallEvent& event);
  void end(int code, const std::string& reason);

  const SessionServices& services_;
  std::weak_ptr<CallListener> listener_;
  std::shared_ptr<media::MediaSession> media_;
  std::shared_ptr<sip::SipCall> sip_call_;
  media::LocalMediaParameters local_;
  sip::Account account_;
  std::string contact_user_;
  std::string target_uri_;
  std::string offer_sdp_;
  std::string call_id_;
  uint64_t sdp_session_id_ = 0;
  State state_ = State::allocating;
  bool hangup_requested_ = false;
};

}  // namespace sipgw::session
