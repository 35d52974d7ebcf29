// MediaSessionCore, the browser leg's setup: the browser's ICE/DTLS parameters, the ICE agent's
// events and the ICE deadline, the DTLS handshake (RFC 5763/8842 roles, fingerprint check) and
// the SRTP sessions keyed from it (RFC 5764). Media itself flows in media_session_relay.cpp.
//
// Threads: the session's media worker (GLib callbacks on its context).
#include <glib.h>
#include <spdlog/spdlog.h>

#include <string>

#include "gateway/media/dtls_context.hpp"
#include "gateway/media/media_session_core.hpp"
#include "gateway/media/media_worker.hpp"

namespace sipgw::media {

// Validates and keeps the browser's ICE/DTLS parameters.
bool MediaSessionCore::accept_remote(RemoteWebRtcParameters remote) {
  remote_ = std::move(remote);
  if (g_ascii_strcasecmp(remote_.fingerprint_algorithm.c_str(), "sha-256") != 0) {
    fail("unsupported DTLS fingerprint algorithm '" + remote_.fingerprint_algorithm +
         "' (only sha-256)");
    return false;
  }
  if (remote_.fingerprint.empty() || remote_.ice_ufrag.empty() || remote_.ice_pwd.empty()) {
    fail(std::string("browser ") + (offerer_ ? "answer" : "offer") +
         " lacks a DTLS fingerprint or ICE credentials");
    return false;
  }
  return true;
}

// Remote credentials and the candidates right after the stream exists (libnice pairs them
// with local candidates as they are gathered), then trickled ones received early.
void MediaSessionCore::apply_remote() {
  remote_set_ = true;
  ice_->set_remote_credentials(remote_.ice_ufrag, remote_.ice_pwd);
  size_t accepted = 0;
  for (const auto& candidate : remote_.candidates) accepted += ice_->add_remote_candidate(candidate);
  for (const auto& candidate : pending_candidates_) accepted += ice_->add_remote_candidate(candidate);
  pending_candidates_.clear();
  spdlog::debug("media[{}]: {} remote parameters, {} candidate(s) accepted, ICE {}, DTLS {}, "
                "PBX side {}:{}",
                id_, offerer_ ? "answer" : "offer", accepted,
                offerer_ ? "controlling" : "controlled",
                remote_.dtls_client ? "client" : "server", plain_->address(),
                plain_->rtp_port());
}

void MediaSessionCore::arm_ice_deadline() {
  cancel_ice_deadline();
  ice_deadline_ = g_timeout_source_new(config_.ice_timeout_ms);
  g_source_set_callback(ice_deadline_, &MediaSessionCore::on_ice_deadline, this, nullptr);
  g_source_attach(ice_deadline_, worker_.context());
}

void MediaSessionCore::cancel_ice_deadline() {
  if (!ice_deadline_) return;
  g_source_destroy(ice_deadline_);
  g_source_unref(ice_deadline_);
  ice_deadline_ = nullptr;
}

gboolean MediaSessionCore::on_ice_deadline(gpointer data) {
  auto* self = static_cast<MediaSessionCore*>(data);
  try {
    Dispatch dispatch(*self);
    g_source_unref(self->ice_deadline_);
    self->ice_deadline_ = nullptr;
    self->fail("ICE did not connect within " + std::to_string(self->config_.ice_timeout_ms) +
               " ms");
  } catch (...) {
    spdlog::error("media: ICE deadline callback threw");
  }
  return G_SOURCE_REMOVE;
}

// ---- IceAgent::Listener ----

void MediaSessionCore::on_ice_gathering_done(const std::string& ufrag, const std::string& pwd,
                                             const std::vector<std::string>& candidates) {
  Dispatch dispatch(*this);
  if (terminal_ || !plain_) return;
  LocalMediaParameters local;
  local.ice_ufrag = ufrag;
  local.ice_pwd = pwd;
  local.candidates = candidates;
  local.plain_address = plain_->address();
  local.plain_rtp_port = plain_->rtp_port();
  local.plain_rtcp_port = plain_->rtcp_port();
  spdlog::debug("media[{}]: ready, {} local candidate(s)", id_, candidates.size());
  notify("on_ready", [&] {
    if (callbacks_.on_ready) callbacks_.on_ready(local);
  });
}

void MediaSessionCore::on_ice_connected() {
  Dispatch dispatch(*this);
  if (terminal_) return;
  cancel_ice_deadline();
  if (dtls_) return;  // the browser's ClientHello came first (we are the DTLS server)
  spdlog::debug("media[{}]: ICE connected", id_);
  start_dtls();
}

// RFC 5763 §5 / RFC 8842 §5: a=setup:active is the DTLS client. As answerer we answer active
// (client); as offerer (actpass) the browser's answer decides.
void MediaSessionCore::start_dtls() {
  const auto role = remote_.dtls_client ? DtlsTransport::Role::client : DtlsTransport::Role::server;
  try {
    dtls_ = std::make_unique<DtlsTransport>(worker_.context(), dtls_context_, role,
                                            remote_.fingerprint, config_.dtls_timeout_ms, *this);
  } catch (const std::exception& e) {
    fail(std::string("DTLS setup failed: ") + e.what());
    return;
  }
  dtls_->start();
}

void MediaSessionCore::on_ice_failed(const std::string& reason) {
  Dispatch dispatch(*this);
  fail(reason);
}

// ---- DtlsTransport::Listener ----

void MediaSessionCore::on_dtls_send(const uint8_t* data, size_t length) {
  if (ice_) ice_->send(data, length);
}

void MediaSessionCore::on_dtls_connected(SrtpProfile profile, const DtlsSrtpKeys& keys) {
  Dispatch dispatch(*this);
  if (terminal_) return;
  const bool client = dtls_->role() == DtlsTransport::Role::client;
  try {
    srtp_in_ = std::make_unique<SrtpSession>(
        profile, SrtpSession::Direction::inbound, client ? keys.server_write : keys.client_write);
    srtp_out_ = std::make_unique<SrtpSession>(
        profile, SrtpSession::Direction::outbound, client ? keys.client_write : keys.server_write);
  } catch (const std::exception& e) {
    srtp_in_.reset();
    srtp_out_.reset();
    fail(std::string("SRTP setup failed: ") + e.what());
    return;
  }
  spdlog::debug("media[{}]: connected ({})", id_, srtp_profile_name(profile));
  notify("on_connected", [&] {
    if (callbacks_.on_connected) callbacks_.on_connected();
  });
}

void MediaSessionCore::on_dtls_failed(const std::string& reason) {
  Dispatch dispatch(*this);
  fail(reason);
}

}  // namespace sipgw::media
