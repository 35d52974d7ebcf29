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
  return generator() >> 2;  // positive in a signed 64-bit reading (RFC 8866 §5.2 suggests NTP-like)
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

}  // namespace

void SessionServices::post(std::function<void()> task) const { boost::asio::post(io, std::move(task)); }

Call::Call(const SessionServices& services, std::weak_ptr<CallListener> listener)
    : services_(services), listener_(std::move(listener)) {}

Call::~Call() {
  if (media_) media_->close();
}

std::string Call::start(const sip::Account& account, const std::string& contact_user, const std::string& target_uri,
                        const std::string& offer_sdp) {
  // Validate the offer and read the browser's ICE/DTLS parameters before allocating anything.
  auto probe = protocol::webrtc_offer_to_plain(offer_sdp, protocol::PlainEndpoint{"127.0.0.1", 9, 1, 1});
  if (!probe.error.empty()) return probe.error;

  account_ = account;
  contact_user_ = contact_user;
  target_uri_ = target_uri;
  offer_sdp_ = offer_sdp;
  sdp_session_id_ = random_sdp_session_id();

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
  media_ = media::MediaSession::create(services_.media_workers.next(), services_.media_config,
                                       services_.certificate, std::move(callbacks));
  media::RemoteWebRtcParameters remote;
  remote.ice_ufrag = probe.browser.ice_ufrag;
  remote.ice_pwd = probe.browser.ice_pwd;
  remote.fingerprint_algorithm = probe.browser.fingerprint_algorithm;
  remote.fingerprint = probe.browser.fingerprint;
  remote.candidates = probe.browser.candidates;
  media_->start(std::move(remote));
  return {};
}

void Call::add_remote_candidate(const std::string& candidate) {
  if (state_ != State::ended && media_) media_->add_remote_candidate(candidate);
}

void Call::on_media_ready(const media::LocalMediaParameters& local) {
  if (state_ != State::allocating) return;
  local_ = local;
  if (hangup_requested_) return end(487, "cancelled before the INVITE was sent");
  auto plain = protocol::webrtc_offer_to_plain(
      offer_sdp_, protocol::PlainEndpoint{local.plain_address, local.plain_rtp_port, sdp_session_id_, 1});
  if (!plain.error.empty()) return end(488, "offer translation failed: " + plain.error);
  std::weak_ptr<Call> weak = weak_from_this();
  sip_call_ = services_.sip.invite(account_, contact_user_, target_uri_, plain.sdp, [weak](const sip::CallEvent& event) {
    if (auto self = weak.lock()) self->on_sip_event(event);
  });
  call_id_ = sip_call_->call_id();
  state_ = State::inviting;
  spdlog::info("call {}: INVITE {} from {}@{}", call_id_, target_uri_, account_.user, account_.domain);
  if (auto listener = listener_.lock()) listener->on_call_started(*this);
}

void Call::on_media_failed(const std::string& reason) {
  if (state_ == State::ended) return;
  spdlog::warn("call {}: media failed: {}", call_id_, reason);
  if (sip_call_) sip_call_->hangup();
  end(500, "media failed: " + reason);
}

void Call::on_sip_event(const sip::CallEvent& event) {
  if (state_ == State::ended) return;
  switch (event.kind) {
    case sip::CallEvent::Kind::progress:
      if (state_ == State::inviting) state_ = State::early;
      if (auto listener = listener_.lock()) listener->on_call_progress(*this, event.code, event.reason);
      return;
    case sip::CallEvent::Kind::answered: {
      if (state_ == State::answered) return;  // a retransmitted or forked 200 OK
      protocol::WebRtcEndpoint ours;
      ours.ice_ufrag = local_.ice_ufrag;
      ours.ice_pwd = local_.ice_pwd;
      ours.fingerprint = services_.certificate->sha256_fingerprint();
      ours.setup = "active";  // RFC 8842 §5.3: we answer actpass with active
      ours.candidates = local_.candidates;
      std::tie(ours.address, ours.port) = first_candidate_address(local_.candidates);
      ours.session_id = sdp_session_id_;
      ours.session_version = 1;
      auto answer = protocol::plain_answer_to_webrtc(event.sdp, offer_sdp_, ours);
      if (!answer.error.empty() || answer.pbx_rtp_port == 0) {
        const auto reason = "unusable SDP answer from the PBX: " + (answer.error.empty() ? "audio rejected" : answer.error);
        spdlog::warn("call {}: {}", call_id_, reason);
        sip_call_->hangup();
        return end(488, reason);
      }
      media_->set_pbx_endpoint(answer.pbx_address, answer.pbx_rtp_port, answer.pbx_rtcp_port);
      state_ = State::answered;
      spdlog::info("call {}: answered, PBX media at {}:{}", call_id_, answer.pbx_address, answer.pbx_rtp_port);
      if (auto listener = listener_.lock()) listener->on_call_answered(*this, answer.sdp);
      return;
    }
    case sip::CallEvent::Kind::terminated:
      return end(event.code, event.reason);
  }
}

void Call::hangup(const std::string& reason) {
  if (state_ == State::ended) return;
  hangup_requested_ = true;
  if (sip_call_) {
    spdlog::info("call {}: {}", call_id_, reason);
    sip_call_->hangup();  // `terminated` follows from the SIP thread
  } else {
    end(487, "cancelled before the INVITE was sent");
  }
}

void Call::end(int code, const std::string& reason) {
  if (state_ == State::ended) return;
  state_ = State::ended;
  if (media_) {
    const auto stats = media_->stats();
    spdlog::info("call {}: ended {} {} (rtp browser->pbx {}, pbx->browser {}, srtp errors {})", call_id_, code, reason,
                 stats.browser_to_pbx_rtp, stats.pbx_to_browser_rtp, stats.srtp_errors);
    media_->close();
  }
  auto keep_alive = shared_from_this();
  if (auto listener = listener_.lock()) listener->on_call_ended(*this, code, reason);
}

}  // namespace sipgw::session
