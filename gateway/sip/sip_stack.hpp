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
    registered,    // 2xx; `expires_s` is what the registrar granted
    failed,        // final failure (wrong password, 403/404, timeout); `code`/`reason` from PBX
    unregistered,  // the binding was removed (after `unregister`)
  };
  Kind kind;
  int code = 0;
  std::string reason;
  uint32_t expires_s = 0;
};

struct CallEvent {
  enum class Kind {
    progress,    // 1xx other than 100 (180 ringing, 183 session progress); `sdp` may be set
    answered,    // 2xx to our INVITE; `sdp` holds the answer; ACK already sent
    terminated,  // final: non-2xx response, BYE from the PBX, CANCEL done, or our BYE done
  };
  Kind kind;
  int code = 0;           // SIP status code (for `terminated` by PBX BYE: 200 with reason "BYE")
  std::string reason;     // SIP reason phrase or a description of the local cause
  std::string sdp;        // SDP body, if the message carried one
};

class SipStack;

/// A registration of one account. Destroying it without `unregister` drops the handle
/// silently (the binding expires on the PBX).
class SipRegistration {
 public:
  virtual ~SipRegistration() = default;
  /// Sends REGISTER with Expires: 0; then `unregistered` (or `failed`).
  virtual void unregister() = 0;
};

/// One outgoing INVITE dialog.
class SipCall {
 public:
  virtual ~SipCall() = default;
  /// The SIP Call-ID, chosen before the INVITE is sent.
  virtual const std::string& call_id() const = 0;
  /// CANCEL before a final response, BYE after answer; then `terminated`. Idempotent.
  virtual void hangup() = 0;
};

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

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sipgw::sip
