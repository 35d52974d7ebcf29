#include "gateway/session/client_session.hpp"

#include <random>

#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "gateway/session/event_bus.hpp"
#include "gateway/session/session_registry.hpp"

namespace sipgw::session {
namespace {

using protocol::ErrorCode;
using nlohmann::json;

constexpr auto kTeardownLimit = std::chrono::seconds(5);
constexpr size_t kMaxMissedEvents = 256;

/// Request-URI for `number` ("1002" or a full "sip:" URI) on domain:port (RFC 3261 §19.1).
std::string target_uri(const std::string& number, const std::string& domain, uint16_t port) {
  if (number.rfind("sip:", 0) == 0 || number.rfind("sips:", 0) == 0) return number;
  return "sip:" + number + "@" + domain + (port == 5060 ? "" : ":" + std::to_string(port));
}

std::string random_secret() {
  static std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string secret(32, '0');
  for (auto& c : secret) c = kHex[generator() % 16];
  return secret;
}

}  // namespace

ClientSession::ClientSession(const SessionServices& services, SessionRegistry& registry,
                             std::weak_ptr<server::MessageChannel> channel)
    : services_(services), registry_(registry), channel_(std::move(channel)), grace_timer_(services.io),
      teardown_timer_(services.io) {}

ClientSession::~ClientSession() = default;

void ClientSession::on_message(const std::string& frame) {
  if (claimed_) return claimed_->on_message(frame);
  if (closing_) return;
  auto parsed = protocol::parse_request(frame);
  current_request_ = parsed.name;
  if (parsed.error) return reply_error(parsed.name, parsed.transaction, parsed.error->code, parsed.error->reason);
  const bool opens_session = std::holds_alternative<protocol::HelloRequest>(*parsed.request) ||
                             std::holds_alternative<protocol::ClaimRequest>(*parsed.request);
  if (session_id_ == 0 && !opens_session)
    return reply_error(parsed.name, parsed.transaction, ErrorCode::no_session, "send 'hello' first");
  std::visit([&](const auto& request) { handle(parsed.transaction, request); }, *parsed.request);
}

// ---- session ------------------------------------------------------------------------------

void ClientSession::handle(const Tx& tx, const protocol::HelloRequest& request) {
  if (session_id_ != 0) return reply_error("hello", tx, ErrorCode::wrong_state, "this connection already has a session");
  session_id_ = registry_.allocate_id(this);
  client_id_ = request.client_id.value_or("session-" + std::to_string(session_id_));
  contact_user_ = "gw" + std::to_string(session_id_);
  secret_ = random_secret();
  spdlog::info("session {}: hello from client '{}'", session_id_, client_id_);
  reply_ok("hello", tx, {{"session_id", session_id_}, {"version", protocol::kProtocolVersion}, {"secret", secret_},
                         {"reattach_grace_s", services_.reattach_grace_s}});
  publish("connected");
}

void ClientSession::handle(const Tx& tx, const protocol::ClaimRequest& request) {
  if (session_id_ != 0) return reply_error("claim", tx, ErrorCode::wrong_state, "this connection already has a session");
  auto target = registry_.claim(request.session_id, request.secret);
  if (!target)
    return reply_error("claim", tx, ErrorCode::no_such_call, "no such session to claim (wrong secret, or its grace period ended)");
  claimed_ = target;
  registry_.remove(this);  // this empty session object only forwards from now on
  claimed_->attach(channel_, tx);
}

bool ClientSession::claimable_with(const std::string& secret) const {
  return detached_ && !closing_ && !secret_.empty() && secret == secret_;
}

void ClientSession::attach(std::weak_ptr<server::MessageChannel> channel, const Tx& tx) {
  channel_ = std::move(channel);
  detached_ = false;
  grace_timer_.cancel();
  json call = nullptr;
  if (call_) call = {{"call_id", call_->call_id()}, {"held", call_->on_hold()}, {"muted", call_->muted()}};
  spdlog::info("session {}: claimed by a new connection; replaying {} event(s)", session_id_, missed_events_.size());
  reply_ok("claim", tx, {{"session_id", session_id_}, {"client_id", client_id_},
                         {"registered", registration_state_ == RegistrationState::registered}, {"call", call},
                         {"missed_events", missed_events_.size()}});
  while (!missed_events_.empty()) {
    send(std::move(missed_events_.front()));
    missed_events_.pop_front();
  }
}

void ClientSession::on_close() {
  if (claimed_) return claimed_->on_close();
  if (closing_ || detached_) return;
  if (session_id_ == 0) {
    closing_ = true;
    return registry_.remove(this);
  }
  if (services_.reattach_grace_s > 0) return detach();
  begin_teardown();
}

void ClientSession::detach() {
  detached_ = true;
  spdlog::info("session {}: connection lost; kept {} s for a claim", session_id_, services_.reattach_grace_s);
  std::weak_ptr<ClientSession> weak = weak_from_this();
  grace_timer_.expires_after(std::chrono::seconds(services_.reattach_grace_s));
  grace_timer_.async_wait([weak](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || !self->detached_) return;
    spdlog::info("session {}: not claimed in time", self->session_id_);
    self->begin_teardown();
  });
}

void ClientSession::begin_teardown() {
  if (closing_) return;
  closing_ = true;
  detached_ = false;
  spdlog::info("session {}: ending its call and registration", session_id_);
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
    self->retiring_registrations_.clear();
    self->registration_state_ = RegistrationState::none;
    self->finish_if_idle();
  });
  finish_if_idle();
}

void ClientSession::shut_down() {
  if (auto channel = channel_.lock()) channel->close();
  if (session_id_ == 0) {
    closing_ = true;
    return registry_.remove(this);
  }
  begin_teardown();
}

void ClientSession::unregister_for_teardown() {
  if (registration_state_ != RegistrationState::registered && registration_state_ != RegistrationState::registering)
    return;
  registration_state_ = RegistrationState::unregistering;
  registration_->unregister();
}

void ClientSession::finish_if_idle() {
  if (!closing_ || finished_ || call_ || registration_state_ != RegistrationState::none) return;
  finished_ = true;
  teardown_timer_.cancel();
  publish("disconnected");
  spdlog::info("session {}: ended", session_id_);
  registry_.remove(this);
}

void ClientSession::handle(const Tx& tx, const protocol::KeepaliveRequest&) { reply_ok("keepalive", tx); }

// ---- registration ---------------------------------------------------------------------------

void ClientSession::handle(const Tx& tx, const protocol::RegisterRequest& request) {
  if (call_) return reply_error("register", tx, ErrorCode::wrong_state, "cannot change the registration during a call");
  // A client that registers again (maybe as another user) must not leave its old binding
  // behind: the old registration is removed, and kept alive until its un-REGISTER is answered.
  if (registration_) {
    if (registration_state_ != RegistrationState::unregistering) registration_->unregister();
    retiring_registrations_.emplace(registration_generation_, std::move(registration_));
  }
  account_ = sip::Account{request.user, request.password, request.domain, request.port, request.display_name};
  registration_state_ = RegistrationState::registering;
  const uint64_t generation = ++registration_generation_;
  std::weak_ptr<ClientSession> weak = weak_from_this();
  registration_ = services_.sip.register_account(
      account_, contact_user_, [weak, generation](const sip::RegistrationEvent& event) {
        auto self = weak.lock();
        if (!self) return;
        if (generation == self->registration_generation_) return self->on_registration_event(event);
        // A replaced registration only reports its end.
        if (event.kind == sip::RegistrationEvent::Kind::unregistered || event.kind == sip::RegistrationEvent::Kind::failed)
          self->retiring_registrations_.erase(generation);
      });
  reply_ok("register", tx);
  emit("registering", {{"user", account_.user}, {"domain", account_.domain}});
}

void ClientSession::on_registration_event(const sip::RegistrationEvent& event) {
  using Kind = sip::RegistrationEvent::Kind;
  switch (event.kind) {
    case Kind::registered:
      if (registration_state_ != RegistrationState::registering) return;  // a refresh
      registration_state_ = RegistrationState::registered;
      spdlog::info("session {}: registered {}@{} for {} s", session_id_, account_.user, account_.domain, event.expires_s);
      emit("registered", {{"user", account_.user}, {"domain", account_.domain}, {"expires", event.expires_s}});
      publish("registered");
      break;
    case Kind::lost: {
      // Transient: the SIP stack retries by itself; the client hears once per loss.
      const bool was_registered = registration_state_ == RegistrationState::registered;
      if (registration_state_ == RegistrationState::unregistering) break;
      registration_state_ = RegistrationState::registering;
      spdlog::warn("session {}: registration of {}@{} lost ({} {}), retry in {} s", session_id_, account_.user,
                   account_.domain, event.code, event.reason, event.retry_in_s);
      emit("registration_failed",
           {{"code", event.code}, {"reason", event.reason}, {"retrying", true}, {"retry_in_s", event.retry_in_s}});
      if (was_registered) publish("unregistered", event.code, event.reason);
      break;
    }
    case Kind::failed: {
      const bool was_registered = registration_state_ == RegistrationState::registered;
      registration_state_ = RegistrationState::none;
      registration_.reset();
      spdlog::warn("session {}: registration of {}@{} failed: {} {}", session_id_, account_.user, account_.domain,
                   event.code, event.reason);
      emit("registration_failed", {{"code", event.code}, {"reason", event.reason}, {"retrying", false}});
      if (was_registered) publish("unregistered", event.code, event.reason);
      break;
    }
    case Kind::unregistered:
      registration_state_ = RegistrationState::none;
      registration_.reset();
      emit("unregistered", {{"code", event.code}, {"reason", event.reason}});
      publish("unregistered", event.code, event.reason);
      break;
  }
  finish_if_idle();
}

void ClientSession::handle(const Tx& tx, const protocol::UnregisterRequest&) {
  if (registration_state_ != RegistrationState::registered && registration_state_ != RegistrationState::registering)
    return reply_error("unregister", tx, ErrorCode::wrong_state, "not registered");
  registration_state_ = RegistrationState::unregistering;
  registration_->unregister();
  reply_ok("unregister", tx);
  emit("unregistering");
}

// ---- calls ----------------------------------------------------------------------------------

void ClientSession::handle(const Tx& tx, const protocol::CallRequest& request) {
  if (registration_state_ != RegistrationState::registered)
    return reply_error("call", tx, ErrorCode::wrong_state, "register before calling");
  if (call_) return reply_error("call", tx, ErrorCode::wrong_state, "a call is already in progress");
  auto call = std::make_shared<Call>(services_, weak_from_this(), Call::Direction::outgoing);
  const auto target = target_uri(request.number, request.domain.value_or(account_.domain),
                                 request.port.value_or(request.domain ? 5060 : account_.port));
  if (auto error = call->start_outgoing(account_, contact_user_, target, request.offer_sdp); !error.empty())
    return reply_error("call", tx, ErrorCode::unusable_sdp, error);
  call_ = std::move(call);
  pending_call_transaction_ = tx.value_or("");
  call_details_ = protocol::CallDetails{request.number, account_.user, "", request.number,
                                        account_.display_name.empty() ? account_.user : account_.display_name};
}

void ClientSession::on_incoming_call(std::shared_ptr<sip::SipIncomingCall> sip_call, const sip::IncomingInvite& invite) {
  const auto caller_name = invite.from_display.empty() ? invite.from_user : invite.from_display;
  if (closing_ || registration_state_ != RegistrationState::registered)
    return sip_call->reject(480, "Temporarily Unavailable");
  if (call_) {
    // One call per session: the second one is refused and reported (RFC 3261 §21.4.24).
    spdlog::info("session {}: busy; refusing call {} from {}", session_id_, invite.call_id, invite.from_user);
    sip_call->reject(486, "Busy Here");
    emit("missed_call", {{"call_id", invite.call_id}, {"caller", invite.from_user}, {"caller_name", caller_name},
                         {"callee", account_.user}});
    return;
  }
  spdlog::info("session {}: incoming call {} from {}", session_id_, invite.call_id, invite.from_uri);
  call_ = std::make_shared<Call>(services_, weak_from_this(), Call::Direction::incoming);
  call_details_ = protocol::CallDetails{account_.user, invite.from_user, invite.call_id,
                                        account_.display_name.empty() ? account_.user : account_.display_name,
                                        caller_name};
  call_->start_incoming(std::move(sip_call), invite);
}

void ClientSession::handle(const Tx& tx, const protocol::AcceptRequest& request) {
  Call* call = find_call(request.call_id);
  if (!call || call->direction() != Call::Direction::incoming)
    return reply_error("accept", tx, ErrorCode::no_such_call, "no incoming call to accept");
  if (call->state() != Call::State::offered)
    return reply_error("accept", tx, ErrorCode::wrong_state, "the call is not waiting for an answer");
  if (auto error = call->accept(request.answer_sdp); !error.empty())
    return reply_error("accept", tx, ErrorCode::unusable_sdp, error);
  reply_ok("accept", tx, {{"call_id", call->call_id()}});
}

void ClientSession::handle(const Tx& tx, const protocol::DeclineRequest& request) {
  Call* call = find_call(request.call_id);
  if (!call || call->direction() != Call::Direction::incoming)
    return reply_error("decline", tx, ErrorCode::no_such_call, "no incoming call to decline");
  if (call->state() != Call::State::offered && call->state() != Call::State::allocating)
    return reply_error("decline", tx, ErrorCode::wrong_state, "the call was already answered (use hangup)");
  reply_ok("decline", tx);
  call->decline(request.code, request.reason);
}

void ClientSession::handle(const Tx& tx, const protocol::TrickleRequest& request) {
  Call* call = find_call(request.call_id);
  if (!call) return reply_error("trickle", tx, ErrorCode::no_such_call, "no such call");
  for (const auto& candidate : request.candidates) call->add_remote_candidate(candidate.candidate);
  reply_ok("trickle", tx);
}

void ClientSession::handle(const Tx& tx, const protocol::HangupRequest& request) {
  Call* call = find_call(request.call_id);
  if (!call) return reply_error("hangup", tx, ErrorCode::no_such_call, "no such call");
  reply_ok("hangup", tx);
  call->hangup("hangup requested by the client");
}

void ClientSession::handle(const Tx& tx, const protocol::HoldRequest& request) {
  const std::string name = request.hold ? "hold" : "unhold";
  Call* call = find_call(request.call_id);
  if (!call) return reply_error(name, tx, ErrorCode::no_such_call, "no such call");
  std::weak_ptr<ClientSession> weak = weak_from_this();
  // The response waits for the PBX's answer to the re-INVITE.
  call->hold(request.hold, [weak, name, tx](int code, const std::string& reason) {
    auto self = weak.lock();
    if (!self) return;
    if (code >= 200 && code < 300) return self->reply_ok(name, tx);
    const auto error = code == 409 || code == 491 || code == 481 ? ErrorCode::wrong_state : ErrorCode::unusable_sdp;
    self->reply_error(name, tx, error, "the PBX refused the re-INVITE: " + std::to_string(code) + " " + reason);
  });
}

void ClientSession::handle(const Tx& tx, const protocol::MuteRequest& request) {
  const std::string name = request.mute ? "mute" : "unmute";
  Call* call = find_call(request.call_id);
  if (!call) return reply_error(name, tx, ErrorCode::no_such_call, "no such call");
  call->mute(request.mute);
  reply_ok(name, tx);
  emit("muted", {{"call_id", call->call_id()}, {"muted", request.mute}});
}

void ClientSession::handle(const Tx& tx, const protocol::RecordingRequest& request) {
  const std::string name = request.start ? "start_recording" : "stop_recording";
  Call* call = find_call(request.call_id);
  if (!call || !journal_) return reply_error(name, tx, ErrorCode::no_such_call, "no such call");
  auto error = request.start ? journal_->start_recording(*call) : journal_->stop_recording();
  if (!error.empty()) return reply_error(name, tx, ErrorCode::wrong_state, error);
  reply_ok(name, tx);
}

void ClientSession::handle(const Tx& tx, const protocol::DtmfRequest& request) {
  Call* call = find_call(request.call_id);
  if (!call) return reply_error("dtmf", tx, ErrorCode::no_such_call, "no such call");
  if (call->state() != Call::State::answered)
    return reply_error("dtmf", tx, ErrorCode::wrong_state, "the call is not answered");
  if (auto error = call->send_dtmf(request.digits, request.duration_ms, request.method); !error.empty())
    return reply_error("dtmf", tx, ErrorCode::unusable_sdp, error);
  reply_ok("dtmf", tx);
}

Call* ClientSession::find_call(const std::optional<std::string>& call_id) {
  if (!call_ || call_->state() == Call::State::ended) return nullptr;
  if (call_id && !call_->call_id().empty() && *call_id != call_->call_id()) return nullptr;
  return call_.get();
}

// ---- call events ----------------------------------------------------------------------------

void ClientSession::open_journal(Call& call) {
  std::weak_ptr<ClientSession> weak = weak_from_this();
  const auto call_id = call.call_id();
  journal_ = std::make_shared<CallJournal>(
      services_, session_id_, client_id_, call_details_, call.direction(),
      account_.domain + ":" + std::to_string(account_.port), [weak, call_id](const json& recording) {
        if (auto self = weak.lock()) self->emit("recordingupdated", {{"call_id", call_id}, {"recording", recording}});
      });
}

void ClientSession::on_call_started(Call& call) {
  call_details_.call_id = call.call_id();
  open_journal(call);
  if (pending_call_transaction_) {
    reply_ok("call", *pending_call_transaction_, {{"call_id", call.call_id()}});
    pending_call_transaction_.reset();
  }
  emit("calling", {{"call_id", call.call_id()}, {"callee", call_details_.callee}});
  publish("calling");
}

void ClientSession::on_call_offered(Call& call, const std::string& offer_sdp) {
  open_journal(call);
  emit("incomingcall", {{"call_id", call.call_id()},
                        {"caller", call_details_.caller},
                        {"caller_name", call_details_.caller_name},
                        {"callee", call_details_.callee},
                        {"jsep", {{"type", "offer"}, {"sdp", offer_sdp}}}});
  publish("incomingcall");
}

void ClientSession::on_call_progress(Call& call, int code, const std::string& reason, const std::string& early_answer_sdp) {
  json fields = {{"call_id", call.call_id()}, {"code", code}, {"reason", reason}};
  if (!early_answer_sdp.empty()) fields["jsep"] = {{"type", "answer"}, {"sdp", early_answer_sdp}};
  emit("progress", std::move(fields));
  publish("proceeding", code, reason);
}

void ClientSession::on_call_answered(Call& call, const std::string& answer_sdp) {
  json fields = {{"call_id", call.call_id()}};
  if (!answer_sdp.empty()) fields["jsep"] = {{"type", "answer"}, {"sdp", answer_sdp}};
  emit("accepted", std::move(fields));
  publish("answered");
  if (journal_) {
    journal_->answered();
    if (services_.record_every_call && services_.recorder) journal_->start_recording(call);
  }
}

void ClientSession::on_call_updated(Call& call, const std::string& direction, const std::string& initiator,
                                    const std::string& what) {
  emit("updatingcall", {{"call_id", call.call_id()}, {"direction", direction}, {"initiator", initiator}, {"reason", what}});
}

void ClientSession::on_call_dtmf(Call& call, char digit, uint32_t duration_ms, const std::string& method) {
  emit("dtmf", {{"call_id", call.call_id()}, {"digit", std::string(1, digit)}, {"duration_ms", duration_ms},
                {"method", method}});
}

void ClientSession::on_call_ended(Call& call, int code, const std::string& reason, HangupCause cause) {
  if (pending_call_transaction_) {
    // The call failed before the INVITE went out (media allocation failed).
    reply_error("call", *pending_call_transaction_, ErrorCode::internal, reason);
    pending_call_transaction_.reset();
  } else {
    emit("hangup", {{"call_id", call.call_id()}, {"code", code}, {"reason", reason}, {"cause", to_string(cause)}});
    publish("hangup", code, reason, to_string(cause));
  }
  if (journal_) journal_->ended(call, code, reason, cause);  // keeps itself alive until the file is done
  journal_.reset();
  auto ended = std::move(call_);  // keep the Call alive until this callback returns
  call_details_ = {};
  services_.post([ended] {});     // release it after the caller's frame unwinds
  if (closing_) unregister_for_teardown();
  finish_if_idle();
}

// ---- output ---------------------------------------------------------------------------------

void ClientSession::send(std::string frame) {
  if (auto channel = channel_.lock()) channel->send(std::make_shared<const std::string>(std::move(frame)));
}

void ClientSession::reply_ok(std::string_view name, const Tx& tx, json result) {
  send(protocol::make_success(name, tx, std::move(result)));
}

void ClientSession::reply_error(std::string_view name, const Tx& tx, ErrorCode code, std::string reason) {
  spdlog::debug("session {}: {} rejected: {} {}", session_id_, name, static_cast<int>(code), reason);
  send(protocol::make_error(name, tx, protocol::ProtocolError{code, std::move(reason)}));
}

void ClientSession::emit(std::string_view event, json fields) {
  auto frame = protocol::make_event(event, session_id_, std::move(fields));
  if (detached_) {
    if (missed_events_.size() == kMaxMissedEvents) missed_events_.pop_front();
    missed_events_.push_back(std::move(frame));
    return;
  }
  send(std::move(frame));
}

void ClientSession::publish(std::string event, std::optional<int> code, std::optional<std::string> reason,
                            std::optional<std::string> cause) {
  protocol::GatewayEvent body{session_id_, client_id_, std::move(event), std::nullopt, code, std::move(reason),
                              std::move(cause), std::nullopt};
  if (!call_details_.call_id.empty()) body.call_details = call_details_;
  services_.events.publish(body);
}

}  // namespace sipgw::session
