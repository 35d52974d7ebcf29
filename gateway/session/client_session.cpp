#include "gateway/session/client_session.hpp"

#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "gateway/session/event_bus.hpp"
#include "gateway/session/session_registry.hpp"

namespace sipgw::session {
namespace {

using protocol::ErrorCode;
using nlohmann::json;

constexpr auto kTeardownLimit = std::chrono::seconds(5);

/// Request-URI for `number` ("1002" or a full "sip:" URI) on domain:port (RFC 3261 §19.1).
std::string target_uri(const std::string& number, const std::string& domain, uint16_t port) {
  if (number.rfind("sip:", 0) == 0 || number.rfind("sips:", 0) == 0) return number;
  return "sip:" + number + "@" + domain + (port == 5060 ? "" : ":" + std::to_string(port));
}

}  // namespace

ClientSession::ClientSession(const SessionServices& services, SessionRegistry& registry,
                             std::weak_ptr<server::MessageChannel> channel)
    : services_(services), registry_(registry), channel_(std::move(channel)), teardown_timer_(services.io) {}

ClientSession::~ClientSession() = default;

void ClientSession::on_message(const std::string& frame) {
  if (closing_) return;
  auto parsed = protocol::parse_request(frame);
  current_request_ = parsed.name;
  if (parsed.error) return reply_error(parsed.transaction, parsed.error->code, parsed.error->reason);
  if (session_id_ == 0 && !std::holds_alternative<protocol::HelloRequest>(*parsed.request))
    return reply_error(parsed.transaction, ErrorCode::no_session, "send 'hello' first");
  std::visit([&](const auto& request) { handle(parsed.transaction, request); }, *parsed.request);
}

void ClientSession::handle(const std::optional<std::string>& tx, const protocol::HelloRequest& request) {
  if (session_id_ != 0) return reply_error(tx, ErrorCode::wrong_state, "this connection already has a session");
  session_id_ = registry_.allocate_id();
  client_id_ = request.client_id.value_or("session-" + std::to_string(session_id_));
  contact_user_ = "gw" + std::to_string(session_id_);
  spdlog::info("session {}: hello from client '{}'", session_id_, client_id_);
  reply_ok(tx, {{"session_id", session_id_}, {"version", protocol::kProtocolVersion}});
  publish("connected");
}

void ClientSession::handle(const std::optional<std::string>& tx, const protocol::RegisterRequest& request) {
  if (call_) return reply_error(tx, ErrorCode::wrong_state, "cannot change the registration during a call");
  account_ = sip::Account{request.user, request.password, request.domain, request.port, request.display_name};
  registration_state_ = RegistrationState::registering;
  std::weak_ptr<ClientSession> weak = weak_from_this();
  // A new registration replaces the old one; the old handle is dropped (its binding expires).
  registration_ = services_.sip.register_account(account_, contact_user_, [weak](const sip::RegistrationEvent& event) {
    if (auto self = weak.lock()) self->on_registration_event(event);
  });
  reply_ok(tx);
  emit("registering", {{"user", account_.user}, {"domain", account_.domain}});
}

void ClientSession::on_registration_event(const sip::RegistrationEvent& event) {
  switch (event.kind) {
    case sip::RegistrationEvent::Kind::registered:
      if (registration_state_ == RegistrationState::registered) return;  // a refresh
      if (registration_state_ != RegistrationState::registering) return;
      registration_state_ = RegistrationState::registered;
      spdlog::info("session {}: registered {}@{} for {} s", session_id_, account_.user, account_.domain, event.expires_s);
      emit("registered", {{"user", account_.user}, {"domain", account_.domain}, {"expires", event.expires_s}});
      publish("registered");
      break;
    case sip::RegistrationEvent::Kind::failed: {
      const bool was_registered = registration_state_ == RegistrationState::registered;
      registration_state_ = RegistrationState::none;
      registration_.reset();
      spdlog::warn("session {}: registration of {}@{} failed: {} {}", session_id_, account_.user, account_.domain,
                   event.code, event.reason);
      emit("registration_failed", {{"code", event.code}, {"reason", event.reason}});
      if (was_registered) publish("unregistered", event.code, event.reason);
      break;
    }
    case sip::RegistrationEvent::Kind::unregistered:
      registration_state_ = RegistrationState::none;
      registration_.reset();
      emit("unregistered", {{"code", event.code}, {"reason", event.reason}});
      publish("unregistered", event.code, event.reason);
      break;
  }
  finish_if_idle();
}

void ClientSession::handle(const std::optional<std::string>& tx, const protocol::UnregisterRequest&) {
  if (registration_state_ != RegistrationState::registered && registration_state_ != RegistrationState::registering)
    return reply_error(tx, ErrorCode::wrong_state, "not registered");
  registration_state_ = RegistrationState::unregistering;
  registration_->unregister();
  reply_ok(tx);
  emit("unregistering");
}

void ClientSession::handle(const std::optional<std::string>& tx, const protocol::CallRequest& request) {
  if (registration_state_ != RegistrationState::registered)
    return reply_error(tx, ErrorCode::wrong_state, "register before calling");
  if (call_) return reply_error(tx, ErrorCode::wrong_state, "a call is already in progress");
  auto call = std::make_shared<Call>(services_, weak_from_this());
  const auto target = target_uri(request.number, request.domain.value_or(account_.domain),
                                 request.port.value_or(request.domain ? 5060 : account_.port));
  if (auto error = call->start(account_, contact_user_, target, request.offer_sdp); !error.empty())
    return reply_error(tx, ErrorCode::unusable_sdp, error);
  call_ = std::move(call);
  pending_call_transaction_ = tx.value_or("");
  call_details_ = protocol::CallDetails{request.number, account_.user, "", request.number,
                                        account_.display_name.empty() ? account_.user : account_.display_name};
}

void ClientSession::handle(const std::optional<std::string>& tx, const protocol::TrickleRequest& request) {
  Call* call = find_call(request.call_id);
  if (!call) return reply_error(tx, ErrorCode::no_such_call, "no such call");
  for (const auto& candidate : request.candidates) call->add_remote_candidate(candidate.candidate);
  reply_ok(tx);
}

void ClientSession::handle(const std::optional<std::string>& tx, const protocol::HangupRequest& request) {
  Call* call = find_call(request.call_id);
  if (!call) return reply_error(tx, ErrorCode::no_such_call, "no such call");
  reply_ok(tx);
  call->hangup("hangup requested by the client");
}

void ClientSession::handle(const std::optional<std::string>& tx, const protocol::KeepaliveRequest&) { reply_ok(tx); }

Call* ClientSession::find_call(const std::optional<std::string>& call_id) {
  if (!call_ || call_->state() == Call::State::ended) return nullptr;
  if (call_id && !call_->call_id().empty() && *call_id != call_->call_id()) return nullptr;
  return call_.get();
}

void ClientSession::on_call_started(Call& call) {
  call_details_.call_id = call.call_id();
  if (pending_call_transaction_) {
    current_request_ = "call";
    reply_ok(*pending_call_transaction_, {{"call_id", call.call_id()}});
    pending_call_transaction_.reset();
  }
  emit("calling", {{"call_id", call.call_id()}, {"callee", call_details_.callee}});
  publish("calling");
}

void ClientSession::on_call_progress(Call& call, int code, const std::string& reason) {
  emit("progress", {{"call_id", call.call_id()}, {"code", code}, {"reason", reason}});
  publish("proceeding", code, reason);
}

void ClientSession::on_call_answered(Call& call, const std::string& answer_sdp) {
  emit("accepted", {{"call_id", call.call_id()}, {"jsep", {{"type", "answer"}, {"sdp", answer_sdp}}}});
  publish("answered");
}

void ClientSession::on_call_ended(Call& call, int code, const std::string& reason) {
  if (pending_call_transaction_) {
    // The call failed before the INVITE went out (media allocation failed).
    current_request_ = "call";
    reply_error(*pending_call_transaction_, ErrorCode::internal, reason);
    pending_call_transaction_.reset();
  } else {
    emit("hangup", {{"call_id", call.call_id()}, {"code", code}, {"reason", reason}});
    publish("hangup", code, reason);
  }
  auto ended = std::move(call_);  // keep the Call alive until this callback returns
  call_details_ = {};
  services_.post([ended] {});     // release it after the caller's frame unwinds
  if (closing_) unregister_for_teardown();
  finish_if_idle();
}

void ClientSession::unregister_for_teardown() {
  if (registration_state_ != RegistrationState::registered && registration_state_ != RegistrationState::registering)
    return;
  registration_state_ = RegistrationState::unregistering;
  registration_->unregister();
}

void ClientSession::on_close() {
  if (closing_) return;
  closing_ = true;
  if (session_id_ == 0) return registry_.remove(this);
  spdlog::info("session {}: connection closed; ending its call and registration", session_id_);
  // The call ends first (BYE/CANCEL) and the extension is unregistered once it has, so
  // subscribers always see hangup < unregistered < disconnected (see on_call_ended).
  if (call_) call_->hangup("the client disconnected");
  else unregister_for_teardown();
  std::weak_ptr<ClientSession> weak = weak_from_this();
  teardown_timer_.expires_after(kTeardownLimit);
  teardown_timer_.async_wait([weak](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->finished_) return;
    spdlog::warn("session {}: teardown did not finish in time; dropping it", self->session_id_);
    self->call_.reset();
    self->registration_.reset();
    self->registration_state_ = RegistrationState::none;
    self->finish_if_idle();
  });
  finish_if_idle();
}

void ClientSession::shut_down() {
  if (auto channel = channel_.lock()) channel->close();
  on_close();
}

void ClientSession::finish_if_idle() {
  if (!closing_ || finished_ || call_ || registration_state_ != RegistrationState::none) return;
  finished_ = true;
  teardown_timer_.cancel();
  publish("disconnected");
  spdlog::info("session {}: ended", session_id_);
  registry_.remove(this);
}

void ClientSession::send(std::string frame) {
  if (auto channel = channel_.lock()) channel->send(std::make_shared<const std::string>(std::move(frame)));
}

void ClientSession::reply_ok(const std::optional<std::string>& tx, json result) {
  send(protocol::make_success(current_request_, tx, std::move(result)));
}

void ClientSession::reply_error(const std::optional<std::string>& tx, ErrorCode code, std::string reason) {
  spdlog::debug("session {}: {} rejected: {} {}", session_id_, current_request_, static_cast<int>(code), reason);
  send(protocol::make_error(current_request_, tx, protocol::ProtocolError{code, std::move(reason)}));
}

void ClientSession::emit(std::string_view event, json fields) {
  send(protocol::make_event(event, session_id_, std::move(fields)));
}

void ClientSession::publish(std::string event, std::optional<int> code, std::optional<std::string> reason) {
  protocol::GatewayEvent body{session_id_, client_id_, std::move(event), std::nullopt, code, std::move(reason)};
  if (!call_details_.call_id.empty()) body.call_details = call_details_;
  services_.events.publish(body);
}

}  // namespace sipgw::session
