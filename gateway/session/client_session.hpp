#pragma once
// One browser client on /ws: speaks protocol v1 (docs/protocol.md), owns the client's PBX
// registration and its call, reports client events to the browser and gateway events to the
// subscribers. A session ends when its WebSocket closes: its call is hung up (BYE/CANCEL), its
// extension unregistered, and `disconnected` published once both are done (at most 5 s).
//
// Threads: control thread only.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "gateway/server/message_channel.hpp"
#include "gateway/session/call.hpp"
#include "protocol/gateway_event.hpp"
#include "protocol/messages.hpp"

namespace sipgw::session {

class SessionRegistry;

class ClientSession final : public server::ChannelHandler,
                            public CallListener,
                            public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(const SessionServices& services, SessionRegistry& registry,
                std::weak_ptr<server::MessageChannel> channel);
  ~ClientSession() override;

  // server::ChannelHandler
  void on_message(const std::string& frame) override;
  void on_close() override;

  /// Ends the session as if its WebSocket closed (gateway shutdown), and closes the socket.
  void shut_down();

  uint64_t session_id() const noexcept { return session_id_; }
  const std::string& client_id() const noexcept { return client_id_; }

 private:
  enum class RegistrationState { none, registering, registered, unregistering };

  // One handler per request (docs/protocol.md).
  void handle(const std::optional<std::string>& tx, const protocol::HelloRequest& request);
  void handle(const std::optional<std::string>& tx, const protocol::RegisterRequest& request);
  void handle(const std::optional<std::string>& tx, const protocol::UnregisterRequest& request);
  void handle(const std::optional<std::string>& tx, const protocol::CallRequest& request);
  void handle(const std::optional<std::string>& tx, const protocol::TrickleRequest& request);
  void handle(const std::optional<std::string>& tx, const protocol::HangupRequest& request);
  void handle(const std::optional<std::string>& tx, const protocol::KeepaliveRequest& request);

  // CallListener
  void on_call_started(Call& call) override;
  void on_call_progress(Call& call, int code, const std::string& reason) override;
  void on_call_answered(Call& call, const std::string& answer_sdp) override;
  void on_call_ended(Call& call, int code, const std::string& reason) override;

  void on_registration_event(const sip::RegistrationEvent& event);
  Call* find_call(const std::optional<std::string>& call_id);

  void send(std::string frame);
  void reply_ok(const std::optional<std::string>& tx, nlohmann::json result = nlohmann::json::object());
  void reply_error(const std::optional<std::string>& tx, protocol::ErrorCode code, std::string reason);
  void emit(std::string_view event, nlohmann::json fields = nlohmann::json::object());
  void publish(std::string event, std::optional<int> code = {}, std::optional<std::string> reason = {});
  /// Closing: sends the un-REGISTER once no call is left.
  void unregister_for_teardown();
  void finish_if_idle();

  const SessionServices& services_;
  SessionRegistry& registry_;
  std::weak_ptr<server::MessageChannel> channel_;
  std::string current_request_;  // name of the request being handled, for its response
  uint64_t session_id_ = 0;      // 0 until hello
  std::string client_id_;

  sip::Account account_;
  std::string contact_user_;
  std::shared_ptr<sip::SipRegistration> registration_;
  RegistrationState registration_state_ = RegistrationState::none;

  std::shared_ptr<Call> call_;
  std::optional<std::string> pending_call_transaction_;  // `call` response waits for the INVITE
  protocol::CallDetails call_details_;

  bool closing_ = false;
  bool finished_ = false;
  boost::asio::steady_timer teardown_timer_;
};

}  // namespace sipgw::session
