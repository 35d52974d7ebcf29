#include "gateway/session/session_registry.hpp"

#include <random>

#include <spdlog/spdlog.h>

#include "gateway/session/client_session.hpp"

namespace sipgw::session {

SessionRegistry::SessionRegistry(const SessionServices& services) : services_(services) {}

std::shared_ptr<server::ChannelHandler> SessionRegistry::open(std::shared_ptr<server::MessageChannel> channel) {
  auto session = std::make_shared<ClientSession>(services_, *this, channel);
  sessions_.emplace(session.get(), session);
  return session;
}

uint64_t SessionRegistry::allocate_id(ClientSession* session) {
  static std::mt19937_64 generator{std::random_device{}()};
  std::uniform_int_distribution<uint64_t> distribution(1, (uint64_t{1} << 53) - 1);
  for (;;) {
    const uint64_t id = distribution(generator);
    if (by_id_.emplace(id, session).second) return id;
  }
}

std::shared_ptr<ClientSession> SessionRegistry::claim(uint64_t session_id, const std::string& secret) {
  auto it = by_id_.find(session_id);
  if (it == by_id_.end() || !it->second->claimable_with(secret)) return nullptr;
  return sessions_.at(it->second);
}

void SessionRegistry::route_incoming(std::shared_ptr<sip::SipIncomingCall> call, const sip::IncomingInvite& invite) {
  uint64_t id = 0;
  const auto& user = invite.request_user;
  if (user.size() > 2 && user.compare(0, 2, "gw") == 0 &&
      user.find_first_not_of("0123456789", 2) == std::string::npos && user.size() <= 18)
    id = std::stoull(user.substr(2));
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    spdlog::info("incoming call {} for unknown contact '{}': 404", invite.call_id, user);
    return call->reject(404, "Not Found");
  }
  it->second->on_incoming_call(std::move(call), invite);
}

void SessionRegistry::remove(const ClientSession* session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  if (auto id = session->session_id(); id != 0) {
    if (auto found = by_id_.find(id); found != by_id_.end() && found->second == session) by_id_.erase(found);
  }
  auto keep = std::move(it->second);  // destroyed after the erase, not inside the map
  sessions_.erase(it);
  if (sessions_.empty() && on_empty_) std::exchange(on_empty_, nullptr)();
}

void SessionRegistry::shut_down(std::function<void()> done) {
  if (sessions_.empty()) return done();
  on_empty_ = std::move(done);
  std::vector<std::shared_ptr<ClientSession>> all;
  for (auto& [_, session] : sessions_) all.push_back(session);
  for (auto& session : all) session->shut_down();
}

}  // namespace sipgw::session
