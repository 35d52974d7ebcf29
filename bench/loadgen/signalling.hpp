#pragma once
// One simulated browser's signalling towards a WebRTC-to-SIP gateway — ours (JSON protocol,
// docs/protocol.md) or Janus's SIP plugin (janus-protocol over WebSocket) — so the same load
// runs against both. The browser always offers (all candidates in the SDP, no trickle), the
// far end answers.
//
// Threads: every method and every Listener callback runs on the load generator's io_context
// thread.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>

namespace sipgw::loadgen {

/// A SIP account on the PBX: AOR sip:user@domain, registrar domain:port (UDP).
struct SipAccount {
  std::string user;
  std::string password;
  std::string domain = "127.0.0.1";
  uint16_t port = 5060;
};

class Signalling {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    /// The gateway registered the account on the PBX (REGISTER 200).
    virtual void on_registered() = 0;
    /// The far end answered the call; `answer_sdp` is the gateway's WebRTC SDP answer.
    virtual void on_call_answered(const std::string& answer_sdp) = 0;
    /// The call ended without our hangup (far end BYE, error response); `reason` names it.
    virtual void on_call_ended(const std::string& reason) = 0;
    /// Anything else that ends this client (connection lost, registration refused, error
    /// reply); `what` names it.
    virtual void on_error(const std::string& what) = 0;
  };

  virtual ~Signalling() = default;
  /// Connects, opens the session and registers `account`; on_registered or on_error follows.
  virtual void start(const SipAccount& account) = 0;
  /// Calls sip:callee@domain:port of the account with a complete SDP offer.
  virtual void call(const std::string& callee, const std::string& offer_sdp) = 0;
  /// Ends the current call (BYE, or CANCEL before the answer). No callback follows.
  virtual void hangup() = 0;
  /// Unregisters (best effort) and closes the connection. No callback follows.
  virtual void close() = 0;
};

/// Our gateway: `url` like wss://127.0.0.1:8443/ws (requests hello, register, call, hangup).
std::unique_ptr<Signalling> make_gateway_signalling(boost::asio::io_context& io, std::string url,
                                                    Signalling::Listener& listener);
/// Janus 1.1.2 SIP plugin: `url` like ws://127.0.0.1:8188/ (create, attach janus.plugin.sip,
/// register, call, hangup; keepalive every 25 s).
std::unique_ptr<Signalling> make_janus_signalling(boost::asio::io_context& io, std::string url,
                                                  Signalling::Listener& listener);

}  // namespace sipgw::loadgen
