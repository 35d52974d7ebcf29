#pragma once
// The SIP side: one sofia-sip `nua` (one UDP socket) serving every client, driven by one SIP
// thread that runs sofia's su_root and owns every nua_handle_t. Each registration has its own
// Contact user part so that later incoming INVITEs can find their client.
//
// Threads: public methods of SipStack, SipRegistration and SipCall may be called from the
// control thread; they hand work to the SIP thread. Event callbacks are delivered on the
// control thread through the `Post` function given to SipStack (values only, never sip_t*).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace sipgw::sip {

/// Runs a task on the control thread (e.g. asio::post to the io_context). Called from the SIP
/// thread; must not block.
using Post = std::function<void(std::function<void()>)>;

struct SipConfig {
  std::string bind_address = "127.0.0.1";  // local address of the SIP/UDP socket
  uint16_t port = 5080;                    // 0 = any free port
  std::string advertised_address;          // address in Via/Contact; empty = bind_address
  std::string user_agent = "SIP Gateway";
  uint32_t register_expires_s = 300;       // Expires we ask for; nua refreshes before expiry
};

/// An account on a PBX: AOR sip:user@domain, requests sent to domain:port over UDP.
struct Account {
  std::string user;
  std::string password;
  std::string domain;     // host name or IPv4 address of the PBX (registrar and proxy)
  uint16_t port = 5060;
  std::string display_name;
};

struct RegistrationEvent {
  enum class Kind {
    registered,    // 2xx; `expires_s` is what the registrar granted (may be shorter than asked)
    failed,        // final failure (wrong password, 403/404): no retry; `code`/`reason` from PBX
    lost,          // transient failure (408 timeout, 503, 5xx, network): the stack retries with
                   // exponential backoff (2 s doubling to 60 s) and reports `registered` again
                   // when it recovers; `retry_in_s` says when the next attempt goes out
    unregistered,  // the binding was removed (after `unregister`)
  };
  Kind kind;
  int code = 0;
  std::string reason;
  uint32_t expires_s = 0;
  uint32_t retry_in_s = 0;
};

struct CallEvent {
  enum class Kind {
    progress,        // outgoing: 1xx other than 100 (180, 183); `sdp` set for early media. Only the
                     // first dialog's SDP is reported when 183s fork (RFC 3261 §13.2.2.4: one
                     // dialog is pinned; later forks' 2xx get ACK + BYE)
    answered,        // outgoing: 2xx to our INVITE; `sdp` holds the answer (or the 183's again)
    confirmed,       // incoming: the ACK for our 2xx arrived; `sdp` = the PBX's answer when our 2xx
                     // carried the offer (delayed-offer INVITE, RFC 3261 §13.2.1), else empty
    remote_offer,    // in-dialog re-INVITE or UPDATE from the PBX with SDP (hold, codec change,
                     // session refresh): answer with SipCall::answer_remote_offer or reject; nua's
                     // 100 is sent at once; `is_update` tells UPDATE from re-INVITE
    offer_request,   // in-dialog re-INVITE without SDP (music on hold, transfer): answer with
                     // answer_remote_offer(our offer); the PBX's answer arrives as `remote_answer`
    remote_answer,   // the answer to our re-INVITE (`code` 200, `sdp`) or, after `offer_request`,
                     // the SDP of the ACK
    reoffer_failed,  // our re-INVITE got a non-2xx final; the dialog and old media continue
                     // (RFC 3261 §14.1); `code`/`reason`
    info_dtmf,       // INFO with application/dtmf-relay (or application/dtmf); `dtmf_digit`,
                     // `dtmf_duration_ms`; already answered 200
    terminated,      // final: non-2xx final to our INVITE, BYE from the PBX, CANCEL from the PBX
                     // for an incoming call (code 487, reason "CANCEL"), our CANCEL/BYE done
  };
  Kind kind;
  int code = 0;           // SIP status code (for `terminated` by PBX BYE: 200 with reason "BYE")
  std::string reason;     // SIP reason phrase or a description of the local cause
  std::string sdp;        // SDP body, if the message carried one
  bool is_update = false;        // remote_offer: came in UPDATE (RFC 3311) rather than re-INVITE
  char dtmf_digit = 0;           // info_dtmf: 0-9, *, #, A-D
  uint32_t dtmf_duration_ms = 0; // info_dtmf
};

class SipStack;

/// A registration of one account. Destroying it without `unregister` drops the handle
/// silently (the binding expires on the PBX).
class SipRegistration {
 public:
  virtual ~SipRegistration() = default;
  /// Sends REGISTER with Expires: 0; then `unregistered` (or `failed`). Stops any retry.
  virtual void unregister() = 0;
};

/// One INVITE dialog, outgoing or incoming. All methods: control thread; the work runs on the
/// SIP thread; results arrive as CallEvents.
class SipCall {
 public:
  virtual ~SipCall() = default;
  /// The SIP Call-ID (chosen by us before an outgoing INVITE; the PBX's for an incoming one).
  virtual const std::string& call_id() const = 0;
  /// Outgoing: CANCEL before a final response, BYE after answer. Incoming: 480 before answer
  /// (use SipIncomingCall::reject for another code), BYE after. Then `terminated`. Idempotent.
  virtual void hangup() = 0;
  /// Sends a re-INVITE with `sdp` (hold/unhold, RFC 3264 §8.4). Result: `remote_answer` or
  /// `reoffer_failed`. Only in a confirmed dialog with no offer/answer pending (else ignored,
  /// and `reoffer_failed` 491 is reported).
  virtual void reinvite(const std::string& sdp) = 0;
  /// Answers the pending `remote_offer` (200 OK with our answer) or `offer_request` (200 OK
  /// with our offer).
  virtual void answer_remote_offer(const std::string& sdp) = 0;
  /// Rejects the pending `remote_offer` (e.g. 488 Not Acceptable Here); the dialog continues.
  virtual void reject_remote_offer(int code, const std::string& reason) = 0;
  /// Sends INFO with Content-Type application/dtmf-relay ("Signal=5\r\nDuration=160\r\n").
  /// `digit`: 0-9 * # A-D; `duration_ms` 40-5000. Failures are logged only.
  virtual void send_info_dtmf(char digit, uint32_t duration_ms) = 0;
};

/// What an incoming INVITE said (values only).
struct IncomingInvite {
  std::string call_id;
  std::string request_user;   // user part of the Request-URI: the Contact user we registered
  std::string from_uri;       // "sip:1002@pbx"
  std::string from_user;      // "1002"
  std::string from_display;   // display name, may be empty
  std::string to_user;        // user part of To (the extension dialled)
  std::string sdp;            // the offer; empty for a delayed-offer INVITE
};

/// An incoming INVITE dialog. The handler that receives it must answer it (`ring`, `answer`,
/// `reject`) or drop it (the stack then answers 480).
class SipIncomingCall : public SipCall {
 public:
  /// Sets where this call's events go (control thread). Events that happened before (a CANCEL)
  /// are delivered right after.
  virtual void set_event_handler(std::function<void(const CallEvent&)> on_event) = 0;
  /// 180 Ringing (optionally 183 with `early_sdp` for early media).
  virtual void ring(const std::string& early_sdp = {}) = 0;
  /// 200 OK with `sdp` (our answer, or our offer for a delayed-offer INVITE); then `confirmed`.
  virtual void answer(const std::string& sdp) = 0;
  /// A final non-2xx answer, e.g. 486 Busy Here, 603 Decline; then `terminated`.
  virtual void reject(int code, const std::string& reason) = 0;
};

/// Receives every incoming initial INVITE (control thread).
using IncomingCallHandler = std::function<void(std::shared_ptr<SipIncomingCall> call, const IncomingInvite& invite)>;

class SipStack {
 public:
  SipStack(SipConfig config, Post post_to_control);
  ~SipStack();  // stops the SIP thread; outstanding handles are destroyed there
  SipStack(const SipStack&) = delete;
  SipStack& operator=(const SipStack&) = delete;

  /// Binds the socket and starts the SIP thread. Throws std::runtime_error if binding fails.
  void start();
  /// Stops the SIP thread (idempotent). Callbacks already posted may still run.
  void stop();

  /// The local port actually bound (after start).
  uint16_t port() const noexcept;

  /// Sends REGISTER for `account` with Contact sip:<contact_user>@<advertised>:<port>,
  /// answering 401/407 with digest credentials once per challenge; refreshes before expiry.
  /// `on_event` runs on the control thread, possibly many times (refresh failures too).
  std::shared_ptr<SipRegistration> register_account(
      const Account& account, const std::string& contact_user,
      std::function<void(const RegistrationEvent&)> on_event);

  /// Sends INVITE from `account`'s AOR to `target_uri` (e.g. "sip:1002@127.0.0.1:5060") with
  /// `sdp_offer`, authenticating 401/407 challenges with the account's credentials.
  std::shared_ptr<SipCall> invite(const Account& account, const std::string& contact_user,
                                  const std::string& target_uri, const std::string& sdp_offer,
                                  std::function<void(const CallEvent&)> on_event);

  /// Where incoming INVITEs go (call before `start`). Without a handler they get 480.
  void set_incoming_call_handler(IncomingCallHandler handler);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sipgw::sip
