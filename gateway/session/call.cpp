#include "gateway/session/call.hpp"

#include <random>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "gateway/media/dtls_certificate.hpp"
#include "gateway/media/media_worker.hpp"
#include "protocol/sdp_translation.hpp"

namespace sipgw::session {
namespace {

uint64_t random_sdp_session_id() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator() >> 2;  // positive when read as signed 64-bit (RFC 8866 §5.2)
}

/// Address and port of the first candidate ("candidate:f 1 udp prio ADDRESS PORT typ host").
std::pair<std::string, uint16_t> first_candidate_address(const std::vector<std::string>& candidates) {
  for (const auto& candidate : candidates) {
    std::istringstream fields(candidate);
    std::string foundation, component, transport, priority, address, port;
    if (fields >> foundation >> component >> transport >> priority >> address >> port) {
      try {
        return {address, static_cast<uint16_t>(std::stoi(port))};
      } catch (...) {
      }
    }
  }
  return {"0.0.0.0", 9};  // RFC 8839 §4.2.1.1: the "no candidates yet" placeholder
}

media::MediaDirection to_media(protocol::Direction direction) {
  switch (direction) {
    case protocol::Direction::sendrecv: return media::MediaDirection::sendrecv;
    case protocol::Direction::sendonly: return media::MediaDirection::sendonly;
    case protocol::Direction::recvonly: return media::MediaDirection::recvonly;
    case protocol::Direction::inactive: return media::MediaDirection::inactive;
  }
  return media::MediaDirection::sendrecv;
}

/// RFC 3264 §6.1 seen from our side: the PBX's direction mirrored.
protocol::Direction mirrored(protocol::Direction pbx) {
  switch (pbx) {
    case protocol::Direction::sendonly: return protocol::Direction::recvonly;
    case protocol::Direction::recvonly: return protocol::Direction::sendonly;
    default: return pbx;
  }
}

HangupCause cause_for(int code, bool answered, bool cancelled_by_us, Call::Direction direction) {
  if (answered) return HangupCause::answered;
  if (cancelled_by_us) return HangupCause::cancelled;
  if (direction == Call::Direction::incoming && code == 487) return HangupCause::cancelled;  // caller gave up
  switch (code) {
    case 486: case 600: return HangupCause::busy;
    case 403: case 603: return HangupCause::rejected;
    case 408: case 480: case 487: return HangupCause::no_answer;
    default: return HangupCause::failed;
  }
}

}  // namespace

const char* to_string(HangupCause cause) {
  switch (cause) {
    case HangupCause::answered: return "answered";
    case HangupCause::no_answer: return "no-answer";
    case HangupCause::busy: return "busy";
    case HangupCause::rejected: return "rejected";
    case HangupCause::failed: return "failed";
    case HangupCause::cancelled: return "cancelled";
  }
  return "failed";
}

void SessionServices::post(std::function<void()> task) const { boost::asio::post(io, std::move(task)); }

Call::Call(const SessionServices& services, std::weak_ptr<CallListener> listener, Direction direction)
    : services_(services), listener_(std::move(listener)), direction_(direction),
      sdp_session_id_(random_sdp_session_id()) {}

Call::~Call() {
  if (media_) media_->close();
}

void Call::create_media() {
  std::weak_ptr<Call> weak = weak_from_this();
  const SessionServices& services = services_;
  media::MediaCallbacks callbacks;
  callbacks.on_ready = [weak, &services](const media::LocalMediaParameters& local) {
    services.post([weak, local] {
      if (auto self = weak.lock()) self->on_media_ready(local);
    });
  };
  callbacks.on_connected = [weak, &services] {
    services.post([weak] {
      if (auto self = weak.lock()) spdlog::info("call {}: media connected (ICE + DTLS)", self->call_id_);
    });
  };
  callbacks.on_failed = [weak, &services](const std::string& reason) {
    services.post([weak, reason] {
      if (auto self = weak.lock()) self->on_media_failed(reason);
    });
  };
  callbacks.on_dtmf = [weak, &services](char digit, uint32_t duration_ms) {
    services.post([weak, digit, duration_ms] {
      auto self = weak.lock();
      if (!self || self->state_ == State::ended) return;
      if (auto listener = self->listener_.lock()) listener->on_call_dtmf(*self, digit, duration_ms, "rfc4733");
    });
  };
  callbacks.on_rtp_timeout = [weak, &services] {
    services.post([weak] {
      auto self = weak.lock();
      if (!self || self->state_ == State::ended) return;
      spdlog::warn("call {}: no RTP from the PBX; hanging up", self->call_id_);
      if (self->sip_call_) self->sip_call_->hangup();
      self->end(408, "RTP timeout: no media from the PBX");
    });
  };
  media_ = media::MediaSession::create(services_.media_workers.next(), services_.media_config,
                                       services_.certificate, std::move(callbacks));
}

std::string Call::start_outgoing(const sip::Account& account, const std::string& contact_user,
                                 const std::string& target_uri, const std::string& offer_sdp) {
  // Validate the offer and read the browser's ICE/DTLS parameters before allocating anything.
  auto probe = protocol::webrtc_offer_to_plain(offer_sdp, protocol::PlainEndpoint{"127.0.0.1", 9, 1, 1});
  if (!probe.error.empty()) return probe.error;
  account_ = account;
  contact_user_ = contact_user;
  target_uri_ = target_uri;
  browser_sdp_ = offer_sdp;
  create_media();
  media::RemoteWebRtcParameters remote;
  remote.ice_ufrag = probe.browser.ice_ufrag;
  remote.ice_pwd = probe.browser.ice_pwd;
  remote.fingerprint_algorithm = probe.browser.fingerprint_algorithm;
  remote.fingerprint = probe.browser.fingerprint;
  remote.candidates = probe.browser.candidates;
  remote.dtls_client = true;  // RFC 8842 §5.3: we answer actpass with active
  media_->start(std::move(remote));
  return {};
}

void Call::start_incoming(std::shared_ptr<sip::SipIncomingCall> sip_call, const sip::IncomingInvite& invite) {
  incoming_ = sip_call;
  sip_call_ = std::move(sip_call);
  call_id_ = invite.call_id;
  pbx_offer_sdp_ = invite.sdp;
  std::weak_ptr<Call> weak = weak_from_this();
  incoming_->set_event_handler([weak](const sip::CallEvent& event) {
    if (auto self = weak.lock()) self->on_sip_event(event);
  });
  create_media();
  media_->start_offer();
}

void Call::on_media_ready(const media::LocalMediaParameters& local) {
  if (state_ != State::allocating) return;
  local_ = local;
  if (hangup_requested_) return end(487, "cancelled before the call was set up");
  if (direction_ == Direction::incoming) {
    auto ours = webrtc_endpoint("actpass");  // RFC 8842 §5.2: the offerer says actpass
    if (pbx_offer_sdp_.empty()) {
      browser_sdp_ = protocol::default_webrtc_offer(ours);
    } else {
      auto offer = protocol::plain_offer_to_webrtc(pbx_offer_sdp_, ours);
      if (!offer.error.empty()) {
        spdlog::warn("call {}: unusable offer from the PBX: {}", call_id_, offer.error);
        incoming_->reject(488, "Not Acceptable Here");
        return end(488, "unusable SDP offer from the PBX: " + offer.error);
      }
      browser_sdp_ = offer.sdp;
    }
    state_ = State::offered;
    incoming_->ring();
    if (auto listener = listener_.lock()) listener->on_call_offered(*this, browser_sdp_);
    return;
  }
  auto plain = protocol::webrtc_offer_to_plain(browser_sdp_, plain_endpoint());
  if (!plain.error.empty()) return end(488, "offer translation failed: " + plain.error);
  last_plain_sdp_ = plain.sdp;
  std::weak_ptr<Call> weak = weak_from_this();
  sip_call_ = services_.sip.invite(account_, contact_user_, target_uri_, plain.sdp, [weak](const sip::CallEvent& event) {
    if (auto self = weak.lock()) self->on_sip_event(event);
  });
  call_id_ = sip_call_->call_id();
  state_ = State::inviting;
  spdlog::info("call {}: INVITE {} from {}@{}", call_id_, target_uri_, account_.user, account_.domain);
  if (auto listener = listener_.lock()) listener->on_call_started(*this);
}

std::string Call::accept(const std::string& answer_sdp) {
  if (direction_ != Direction::incoming || state_ != State::offered) return "no incoming call to accept";
  auto plain = protocol::webrtc_answer_to_plain(answer_sdp, pbx_offer_sdp_, plain_endpoint());
  if (!plain.error.empty()) return plain.error;
  media::RemoteWebRtcParameters remote;
  remote.ice_ufrag = plain.browser.ice_ufrag;
  remote.ice_pwd = plain.browser.ice_pwd;
  remote.fingerprint_algorithm = plain.browser.fingerprint_algorithm;
  remote.fingerprint = plain.browser.fingerprint;
  remote.candidates = plain.browser.candidates;
  remote.dtls_client = plain.browser.setup == "passive";  // the browser chose; usually active
  media_->set_remote_answer(std::move(remote));
  last_plain_sdp_ = plain.sdp;
  if (!pbx_offer_sdp_.empty()) {
    // The browser kept a subset of the PBX's codecs; our plain answer lists exactly those.
    negotiated_sdp_ = plain.sdp;
    apply_pbx_sdp(pbx_offer_sdp_);
  }
  state_ = State::answering;
  incoming_->answer(plain.sdp);
  spdlog::info("call {}: accepted by the browser; 200 OK sent", call_id_);
  return {};
}

void Call::decline(int code, const std::string& reason) {
  if (direction_ != Direction::incoming || state_ == State::ended) return;
  hangup_requested_ = true;
  declined_ = true;
  if (state_ == State::allocating || state_ == State::offered) {
    incoming_->reject(code, reason);  // `terminated` follows
  } else {
    hangup("declined after answer");
  }
}

void Call::add_remote_candidate(const std::string& candidate) {
  if (state_ != State::ended && media_) media_->add_remote_candidate(candidate);
}

void Call::on_media_failed(const std::string& reason) {
  if (state_ == State::ended) return;
  spdlog::warn("call {}: media failed: {}", call_id_, reason);
  if (sip_call_) sip_call_->hangup();
  end(direction_ == Direction::incoming && !was_answered_ ? 480 : 500, "media failed: " + reason);
}

void Call::on_sip_event(const sip::CallEvent& event) {
  if (state_ == State::ended) return;
  using Kind = sip::CallEvent::Kind;
  switch (event.kind) {
    case Kind::progress:
      if (!event.sdp.empty() && !early_answer_sent_) return on_early_media(event);
      if (auto listener = listener_.lock()) listener->on_call_progress(*this, event.code, event.reason, "");
      return;
    case Kind::answered:
      return on_outgoing_answer(event);
    case Kind::confirmed:
      if (state_ != State::answering) return;
      if (pbx_offer_sdp_.empty()) {  // delayed offer: the PBX answered in the ACK
        negotiated_sdp_ = event.sdp;
        if (!apply_pbx_sdp(event.sdp)) {
          sip_call_->hangup();
          return end(488, "unusable SDP answer in the PBX's ACK");
        }
      }
      state_ = State::answered;
      was_answered_ = true;
      if (auto listener = listener_.lock()) listener->on_call_answered(*this, "");
      return;
    case Kind::remote_offer:
    case Kind::offer_request:
      return on_remote_offer(event);
    case Kind::remote_answer:
      return on_remote_answer(event);
    case Kind::reoffer_failed:
      spdlog::info("call {}: re-INVITE refused: {} {}", call_id_, event.code, event.reason);
      if (pending_hold_) {
        local_direction_ = pending_hold_on_ ? protocol::Direction::sendrecv : protocol::Direction::sendonly;
        std::exchange(pending_hold_, nullptr)(event.code, event.reason);
      }
      return;
    case Kind::info_dtmf:
      if (auto listener = listener_.lock()) listener->on_call_dtmf(*this, event.dtmf_digit, event.dtmf_duration_ms, "info");
      return;
    case Kind::terminated:
      return end(event.code, event.reason);
  }
}

void Call::on_early_media(const sip::CallEvent& event) {
  auto answer = protocol::plain_answer_to_webrtc(event.sdp, browser_sdp_, webrtc_endpoint("active"));
  if (!answer.error.empty() || answer.pbx_rtp_port == 0 || !apply_pbx_sdp(event.sdp)) {
    spdlog::warn("call {}: ignoring unusable early-media SDP: {}", call_id_, answer.error);
    if (auto listener = listener_.lock()) listener->on_call_progress(*this, event.code, event.reason, "");
    return;
  }
  negotiated_sdp_ = event.sdp;
  early_answer_sent_ = true;
  spdlog::info("call {}: early media ({} {})", call_id_, event.code, event.reason);
  if (auto listener = listener_.lock()) listener->on_call_progress(*this, event.code, event.reason, answer.sdp);
}

void Call::on_outgoing_answer(const sip::CallEvent& event) {
  if (state_ == State::answered) return;  // a retransmitted or forked 200 OK
  std::string browser_answer;
  if (!early_answer_sent_ || (event.sdp != negotiated_sdp_ && !event.sdp.empty())) {
    auto answer = protocol::plain_answer_to_webrtc(event.sdp, browser_sdp_, webrtc_endpoint("active"));
    if (!answer.error.empty() || answer.pbx_rtp_port == 0) {
      const auto reason = "unusable SDP answer from the PBX: " + (answer.error.empty() ? "audio rejected" : answer.error);
      spdlog::warn("call {}: {}", call_id_, reason);
      sip_call_->hangup();
      return end(488, reason);
    }
    // After early media the browser already holds an answer; only the PBX side moves.
    if (!early_answer_sent_) browser_answer = answer.sdp;
    negotiated_sdp_ = event.sdp;
  }
  apply_pbx_sdp(negotiated_sdp_);
  state_ = State::answered;
  was_answered_ = true;
  spdlog::info("call {}: answered", call_id_);
  if (auto listener = listener_.lock()) listener->on_call_answered(*this, browser_answer);
}

bool Call::apply_pbx_sdp(const std::string& pbx_sdp) {
  auto audio = protocol::describe_audio(pbx_sdp);
  if (!audio.error.empty() || audio.rtp_port == 0) return false;
  codecs_ = audio.codecs;
  media::NegotiatedAudio negotiated;
  negotiated.pbx_telephone_event_pt = audio.codecs.telephone_event_pt;
  negotiated.browser_telephone_event_pt = audio.codecs.telephone_event_pt;  // same numbering both sides
  negotiated.telephone_event_clock = audio.codecs.telephone_event_clock;
  negotiated.pbx_accepts_cn = audio.codecs.comfort_noise;
  negotiated.browser_accepts_cn = audio.codecs.comfort_noise;
  negotiated.audio_clock = audio.codecs.audio_clock;
  negotiated.ptime_ms = audio.codecs.ptime_ms;
  // The PBX leg's codec is the one this exchange settled on (our last SDP is its other half);
  // the browser keeps the one of the first exchange. Different G.711 laws are transcoded.
  negotiated.pbx_audio_pt = protocol::answered_audio_pt(pbx_sdp, last_plain_sdp_);
  if (browser_audio_pt_ < 0) browser_audio_pt_ = negotiated.pbx_audio_pt;
  negotiated.browser_audio_pt = browser_audio_pt_;
  media_->set_negotiated_audio(negotiated);
  media_->set_pbx_endpoint(audio.address, audio.rtp_port, audio.rtcp_port);
  media_->set_direction(to_media(audio.direction));
  return true;
}

void Call::on_remote_offer(const sip::CallEvent& event) {
  if (state_ != State::answered) {
    sip_call_->reject_remote_offer(491, "Request Pending");  // RFC 3261 §14.2
    return;
  }
  const char* what = event.is_update ? "UPDATE" : "re-INVITE";
  if (event.kind == sip::CallEvent::Kind::offer_request) {
    // RFC 3261 §14.2: an offerless re-INVITE gets our offer; the answer comes in the ACK.
    offer_request_pending_ = true;
    last_plain_sdp_ = protocol::plain_reoffer(last_plain_sdp_, local_direction_, ++sdp_version_);
    sip_call_->answer_remote_offer(last_plain_sdp_);
    return;
  }
  auto answer = protocol::answer_plain_reoffer(event.sdp, negotiated_sdp_, plain_endpoint(), local_direction_);
  if (answer.error.empty() && answer.sdp != last_plain_sdp_) {
    // RFC 3264 §8: a changed SDP gets a new o= version; a session refresh repeats the old one.
    ++sdp_version_;
    answer = protocol::answer_plain_reoffer(event.sdp, negotiated_sdp_, plain_endpoint(), local_direction_);
  }
  if (!answer.error.empty()) {
    spdlog::warn("call {}: {} refused: {}", call_id_, what, answer.error);
    sip_call_->reject_remote_offer(488, "Not Acceptable Here");
    return;
  }
  const auto before = protocol::describe_audio(negotiated_sdp_);
  const bool changed = answer.pbx.direction != before.direction || answer.pbx.address != before.address;
  last_plain_sdp_ = answer.sdp;
  negotiated_sdp_ = event.sdp;
  apply_pbx_sdp(event.sdp);
  sip_call_->answer_remote_offer(answer.sdp);
  spdlog::info("call {}: {} from the PBX answered ({})", call_id_, what, protocol::to_string(answer.pbx.direction));
  if (!changed) return;  // a session refresh: nothing for the browser to know
  if (auto listener = listener_.lock())
    listener->on_call_updated(*this, protocol::to_string(mirrored(answer.pbx.direction)), "remote", what);
}

void Call::on_remote_answer(const sip::CallEvent& event) {
  if (!apply_pbx_sdp(event.sdp)) {
    spdlog::warn("call {}: unusable SDP in the PBX's answer to our re-offer; keeping the old media", call_id_);
  } else {
    negotiated_sdp_ = event.sdp;
  }
  if (offer_request_pending_) {
    offer_request_pending_ = false;
    auto pbx = protocol::describe_audio(event.sdp);
    if (auto listener = listener_.lock())
      listener->on_call_updated(*this, protocol::to_string(mirrored(pbx.direction)), "remote", "re-INVITE");
    return;
  }
  if (pending_hold_) {
    std::exchange(pending_hold_, nullptr)(200, "OK");
    if (auto listener = listener_.lock())
      listener->on_call_updated(*this, protocol::to_string(local_direction_), "local", pending_hold_on_ ? "hold" : "unhold");
  }
}

void Call::hold(bool on, std::function<void(int, const std::string&)> done) {
  if (state_ != State::answered) return done(409, "the call is not answered");
  if (pending_hold_ || offer_request_pending_) return done(491, "another re-INVITE is in progress");
  if (on_hold() == on) return done(200, "OK");
  local_direction_ = on ? protocol::Direction::sendonly : protocol::Direction::sendrecv;
  pending_hold_on_ = on;
  pending_hold_ = std::move(done);
  last_plain_sdp_ = protocol::plain_reoffer(last_plain_sdp_, local_direction_, ++sdp_version_);
  sip_call_->reinvite(last_plain_sdp_);
}

void Call::mute(bool on) {
  muted_ = on;
  if (media_) media_->set_muted(on);
}

std::string Call::send_dtmf(const std::string& digits, uint32_t duration_ms, protocol::DtmfMethod method) {
  if (state_ != State::answered) return "the call is not answered";
  const bool rfc4733 = codecs_.telephone_event_pt >= 0;
  if (method == protocol::DtmfMethod::rfc4733 && !rfc4733)
    return "telephone-event was not negotiated with the PBX (use method 'info')";
  const bool use_info = method == protocol::DtmfMethod::info || !rfc4733;
  for (char digit : digits) {
    if (use_info) sip_call_->send_info_dtmf(digit, duration_ms);
    else media_->send_dtmf(digit, duration_ms);
  }
  spdlog::info("call {}: DTMF '{}' via {}", call_id_, digits, use_info ? "SIP INFO" : "RFC 4733");
  return {};
}

void Call::hangup(const std::string& reason) {
  if (state_ == State::ended) return;
  hangup_requested_ = true;
  if (sip_call_) {
    spdlog::info("call {}: {}", call_id_, reason);
    sip_call_->hangup();
    // After answer the BYE completes in the SIP layer on its own (even for a PBX that never
    // answers it); the client hears at once. Before answer we wait for the CANCEL's outcome:
    // a 200 may cross it (then the SIP layer sends BYE) and the final code is the PBX's.
    if (was_answered_ || state_ == State::answering) end(200, reason);
  } else {
    end(487, "cancelled before the INVITE was sent");
  }
}

std::optional<media::MediaStats> Call::media_stats() const {
  if (!media_) return std::nullopt;
  return media_->stats();
}

protocol::WebRtcEndpoint Call::webrtc_endpoint(const std::string& setup) const {
  protocol::WebRtcEndpoint ours;
  ours.ice_ufrag = local_.ice_ufrag;
  ours.ice_pwd = local_.ice_pwd;
  ours.fingerprint = services_.certificate->sha256_fingerprint();
  ours.setup = setup;
  ours.candidates = local_.candidates;
  std::tie(ours.address, ours.port) = first_candidate_address(local_.candidates);
  ours.session_id = sdp_session_id_;
  ours.session_version = 1;
  return ours;
}

protocol::PlainEndpoint Call::plain_endpoint() {
  return protocol::PlainEndpoint{local_.plain_address, local_.plain_rtp_port, sdp_session_id_, sdp_version_};
}

void Call::end(int code, const std::string& reason) {
  if (state_ == State::ended) return;
  const bool cancelled_by_us = hangup_requested_ && !was_answered_;
  const auto cause = declined_ && !was_answered_ ? HangupCause::rejected
                                                 : cause_for(code, was_answered_, cancelled_by_us, direction_);
  state_ = State::ended;
  if (pending_hold_) std::exchange(pending_hold_, nullptr)(481, "the call ended");
  if (media_) {
    const auto stats = media_->stats();
    spdlog::info("call {}: ended {} {} ({}; rtp browser->pbx {}, pbx->browser {}, srtp errors {})", call_id_, code,
                 reason, to_string(cause), stats.browser_to_pbx_rtp, stats.pbx_to_browser_rtp, stats.srtp_errors);
    media_->close();
  }
  auto keep_alive = shared_from_this();
  if (auto listener = listener_.lock()) listener->on_call_ended(*this, code, reason, cause);
}

}  // namespace sipgw::session
