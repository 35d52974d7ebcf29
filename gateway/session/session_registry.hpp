#pragma once
// Every client session, by session id. Hands out session ids (random, below 2^53 so they are
// exact in JavaScript), routes incoming INVITEs to the session whose Contact user they name,
// lets a new connection claim a detached session, and keeps closing sessions alive until their
// teardown is done.
//
// Threads: control thread only.
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "gateway/server/message_channel.hpp"
#include "gateway/session/session_services.hpp"
#include "gateway/sip/sip_stack.hpp"

namespace sipgw::session {

class ClientSession;

class SessionRegistry {
 public:
  explicit SessionRegistry(const SessionServices& services);

  /// Opens a session for a new /ws connection (it has no id until `hello`).
  std::shared_ptr<server::ChannelHandler> open(std::shared_ptr<server::MessageChannel> channel);

  /// A fresh, unused session id in [1, 2^53) for `session`, which it now answers to.
  uint64_t allocate_id(ClientSession* session);

  /// The detached session `session_id` if `secret` is its secret, else null.
  std::shared_ptr<ClientSession> claim(uint64_t session_id, const std::string& secret);

  /// An incoming INVITE: to the session whose Contact user ("gw<session id>") is the
  /// Request-URI's user; 404 when there is none.
  void route_incoming(std::shared_ptr<sip::SipIncomingCall> call, const sip::IncomingInvite& invite);

  /// The session finished its teardown (or was only a forwarder); drop it.
  void remove(const ClientSession* session);

  /// Ends every session (gateway shutdown); `done` runs when all are gone.
  void shut_down(std::function<void()> done);

  size_t size() const noexcept { return sessions_.size(); }

 private:
  const SessionServices& services_;
  std::unordered_map<const ClientSession*, std::shared_ptr<ClientSession>> sessions_;
  std::unordered_map<uint64_t, ClientSession*> by_id_;
  std::function<void()> on_empty_;
};

}  // namespace sipgw::session
