#pragma once
// One browser client on /ws: speaks protocol v1 (docs/protocol.md), owns the client's PBX
// registration and its call, reports client events to the browser and gateway events to the
// subscribers.
//
// A session ends when its WebSocket closes: its call is hung up (BYE/CANCEL), then its extension
// unregistered, and `disconnected` published (at most 5 s). With a re-attach grace period
// (server.reattach_grace_s), a dropped session is kept — registration and call untouched — and a
// new connection may `claim` it with the session id and secret from `hello`; events meanwhile are
// kept (up to 256) and replayed.
//
// Threads: control thread only.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "gateway/server/message_channel.hpp"
#include "gateway/session/call.hpp"
#include "gateway/session/call_journal.hpp"
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

  /// Ends the session as if its WebSocket closed for good (gateway shutdown).
  void shut_down();

  /// An INVITE for this session's Contact. Rejects it (480 when not registered, 486 + a
  /// `missed_call` event while another call is active) or offers it to the browser.
  void on_incoming_call(std::shared_ptr<sip::SipIncomingCall> sip_call, const sip::IncomingInvite& invite);

  /// True when a `claim` with `secret` may take this session over (detached, secret matches).
  bool claimable_with(const std::string& secret) const;

  uint64_t session_id() const noexcept { return session_id_; }
  const std::string& client_id() const noexcept { return client_id_; }

 private:
  enum class RegistrationState { none, registering, registered, unregistering };
  using Tx = std::optional<std::string>;

  // One handler per request (docs/protocol.md).
  void handle(const Tx& tx, const protocol::HelloRequest& request);
  void handle(const Tx& tx, const protocol::ClaimRequest& request);
  void handle(const Tx& tx, const protocol::RegisterRequest& request);
  void handle(const Tx& tx, const protocol::UnregisterRequest& request);
  void handle(const Tx& tx, const protocol::CallRequest& request);
  void handle(const Tx& tx, const protocol::AcceptRequest& request);
  void handle(const Tx& tx, const protocol::DeclineRequest& request);
  void handle(const Tx& tx, const protocol::TrickleRequest& request);
  void handle(const Tx& tx, const protocol::HangupRequest& request);
  void handle(const Tx& tx, const protocol::HoldRequest& request);
  void handle(const Tx& tx, const protocol::MuteRequest& request);
  void handle(const Tx& tx, const protocol::DtmfRequest& request);
  void handle(const Tx& tx, const protocol::RecordingRequest& request);
  void handle(const Tx& tx, const protocol::KeepaliveRequest& request);

  // CallListener
  void on_call_started(Call& call) override;
  void on_call_offered(Call& call, const std::string& offer_sdp) override;
  void on_call_progress(Call& call, int code, const std::string& reason, const std::string& early_answer_sdp) override;
  void on_call_answered(Call& call, const std::string& answer_sdp) override;
  void on_call_updated(Call& call, const std::string& direction, const std::string& initiator,
                       const std::string& what) override;
  void on_call_dtmf(Call& call, char digit, uint32_t duration_ms, const std::string& method) override;
  void on_call_ended(Call& call, int code, const std::string& reason, HangupCause cause) override;

  void on_registration_event(const sip::RegistrationEvent& event);
  Call* find_call(const std::optional<std::string>& call_id);

  /// A claiming connection takes over this detached session; replies to its `claim`.
  void attach(std::weak_ptr<server::MessageChannel> channel, const Tx& tx);
  void detach();
  void begin_teardown();
  /// Closing: sends the un-REGISTER once no call is left.
  void unregister_for_teardown();
  void finish_if_idle();
  void open_journal(Call& call);

  void send(std::string frame);
  void reply_ok(std::string_view name, const Tx& tx, nlohmann::json result = nlohmann::json::object());
  void reply_error(std::string_view name, const Tx& tx, protocol::ErrorCode code, std::string reason);
  void emit(std::string_view event, nlohmann::json fields = nlohmann::json::object());
  void publish(std::string event, std::optional<int> code = {}, std::optional<std::string> reason = {},
               std::optional<std::string> cause = {});

  const SessionServices& services_;
  SessionRegistry& registry_;
  std::weak_ptr<server::MessageChannel> channel_;
  std::shared_ptr<ClientSession> claimed_;  // this connection claimed that session: forward to it
  std::string current_request_;             // name of the request being handled
  uint64_t session_id_ = 0;                 // 0 until hello
  std::string client_id_;
  std::string secret_;                      // proves ownership in `claim`

  sip::Account account_;
  std::string contact_user_;
  std::shared_ptr<sip::SipRegistration> registration_;
  RegistrationState registration_state_ = RegistrationState::none;
  uint64_t registration_generation_ = 0;  // which registration's events count
  std::map<uint64_t, std::shared_ptr<sip::SipRegistration>> retiring_registrations_;  // un-REGISTER in flight

  std::shared_ptr<Call> call_;
  std::shared_ptr<CallJournal> journal_;  // the call's CDR row and recording
  std::optional<std::string> pending_call_transaction_;  // `call` response waits for the INVITE
  protocol::CallDetails call_details_;

  bool detached_ = false;                   // connection gone, waiting for a claim
  std::deque<std::string> missed_events_;   // events while detached, replayed on claim
  bool closing_ = false;
  bool finished_ = false;
  boost::asio::steady_timer grace_timer_;
  boost::asio::steady_timer teardown_timer_;
};

}  // namespace sipgw::session
