#pragma once
// Every client session, by session id. Hands out session ids (random, below 2^53 so they are
// exact in JavaScript) and keeps closing sessions alive until their teardown is done.
//
// Threads: control thread only.
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <unordered_map>

#include "gateway/server/message_channel.hpp"
#include "gateway/session/session_services.hpp"

namespace sipgw::session {

class ClientSession;

class SessionRegistry {
 public:
  explicit SessionRegistry(const SessionServices& services);

  /// Opens a session for a new /ws connection (it has no id until `hello`).
  std::shared_ptr<server::ChannelHandler> open(std::shared_ptr<server::MessageChannel> channel);

  /// A fresh, unused session id in [1, 2^53).
  uint64_t allocate_id();

  /// The session finished its teardown; drop it.
  void remove(const ClientSession* session);

  /// Ends every session (gateway shutdown); `done` runs when all are gone.
  void shut_down(std::function<void()> done);

  size_t size() const noexcept { return sessions_.size(); }

 private:
  const SessionServices& services_;
  std::unordered_map<const ClientSession*, std::shared_ptr<ClientSession>> sessions_;
  std::set<uint64_t> ids_;
  std::function<void()> on_empty_;
};

}  // namespace sipgw::session
