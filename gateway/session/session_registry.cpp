#include "gateway/session/session_registry.hpp"

#include <random>

#include "gateway/session/client_session.hpp"

namespace sipgw::session {

SessionRegistry::SessionRegistry(const SessionServices& services) : services_(services) {}

std::shared_ptr<server::ChannelHandler> SessionRegistry::open(std::shared_ptr<server::MessageChannel> channel) {
  auto session = std::make_shared<ClientSession>(services_, *this, channel);
  sessions_.emplace(session.get(), session);
  return session;
}

uint64_t SessionRegistry::allocate_id() {
  static std::mt19937_64 generator{std::random_device{}()};
  std::uniform_int_distribution<uint64_t> distribution(1, (uint64_t{1} << 53) - 1);
  for (;;) {
    const uint64_t id = distribution(generator);
    if (ids_.insert(id).second) return id;
  }
}

void SessionRegistry::remove(const ClientSession* session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  ids_.erase(session->session_id());
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
