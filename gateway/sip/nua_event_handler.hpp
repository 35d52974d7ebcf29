#pragma once
// The typed view of sofia's nua events (in the spirit of resiprocate DUM's handler interfaces).
// nua_event_dispatch.cpp maps the `nua_event_t` switch onto these methods once; registrations
// and calls implement them. Everything here runs on the SIP thread only.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/sip/digest_challenge.hpp"
#include "gateway/sip/sofia.hpp"

namespace sipgw::sip {

/// Values copied out of a nua event's status line and sip_t (never keep the sip_t).
struct NuaMessage {
  int status = 0;
  std::string phrase;
  std::string sdp;                            // body, if Content-Type is application/sdp
  std::string content_type;                   // Content-Type without parameters, may be empty
  std::string body;                           // any body (SDP included)
  std::vector<DigestChallenge> challenges;    // WWW-Authenticate / Proxy-Authenticate
  struct Contact {
    std::string user;
    std::optional<uint32_t> expires;
  };
  std::vector<Contact> contacts;              // Contact headers (with their expires param)
  std::optional<uint32_t> expires;            // Expires header
  std::string to_tag;                         // tag of To (tells forked early dialogs apart)
};

/// One object per nua_handle_t we created; it is the handle's hmagic. The stack keeps a
/// shared_ptr to it while the handle lives (SipStack::Impl::adopt/release).
class NuaHandleHandler : public std::enable_shared_from_this<NuaHandleHandler> {
 public:
  virtual ~NuaHandleHandler() = default;

  // Responses to our requests (any status, provisional included).
  virtual void on_register_response(const NuaMessage&) {}
  virtual void on_unregister_response(const NuaMessage&) {}
  virtual void on_invite_response(const NuaMessage&) {}
  virtual void on_cancel_response(const NuaMessage&) {}
  virtual void on_bye_response(const NuaMessage&) {}

  virtual void on_info_response(const NuaMessage&) {}

  /// The peer ended the dialog with BYE (nua has answered 200).
  virtual void on_bye_received(const NuaMessage&) {}
  /// The ACK for our 2xx to an INVITE (initial or re-INVITE) arrived.
  virtual void on_ack_received(const NuaMessage&) {}
  /// The peer cancelled its pending INVITE (nua answers 200 to the CANCEL, 487 to the INVITE).
  virtual void on_cancel_received(const NuaMessage&) {}
  /// Another request inside our dialog that nua left to us to answer (re-INVITE, UPDATE, INFO…).
  /// `status` >= 200 means nua already answered it.
  virtual void on_request_received(nua_event_t event, const NuaMessage&) {}
  /// nua_i_state: the session (INVITE usage) entered `callstate` (enum nua_callstate).
  virtual void on_call_state(int callstate, const NuaMessage&) {}

  /// The stack is stopping: destroy the handle now, report nothing more.
  virtual void on_stack_shutdown() = 0;
};

/// Deleter for nua handles owned by a handler: nua_handle_destroy exactly once, SIP thread.
struct NuaHandleDeleter {
  void operator()(nua_handle_t* nh) const noexcept { nua_handle_destroy(nh); }
};
using NuaHandlePtr = std::unique_ptr<nua_handle_t, NuaHandleDeleter>;

/// The nua callback (the trampoline given to nua_create; `magic` is the SipStack::Impl).
void nua_event_trampoline(nua_event_t event, int status, char const* phrase, nua_t* nua,
                          nua_magic_t* magic, nua_handle_t* nh, nua_hmagic_t* hmagic,
                          sip_t const* sip, tagi_t tags[]) noexcept;

}  // namespace sipgw::sip
