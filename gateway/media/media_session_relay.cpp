// MediaSessionCore, the per-packet relay: browser SRTP/SRTCP (from ICE) unprotected toward the
// PBX, PBX RTP/RTCP (from the plain sockets) protected toward the browser, through the
// AudioRelay's rewriting, with symmetric-RTP latching. This runs for every packet, on the
// session's worker that owns all the state it touches: no lock, no thread hop; packets are
// unprotected in the core's own buffer (packet_) or protected in place.
//
// Threads: the session's media worker.
#include <glib.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <optional>
#include <string>

#include "gateway/media/media_session_core.hpp"
#include "gateway/media/rtp_header.hpp"
#include "protocol/packet_kind.hpp"

namespace sipgw::media {

// ---- IceAgent::Listener: from the browser ----

void MediaSessionCore::on_ice_packet(const uint8_t* data, size_t length) {
  if (terminal_) return;
  Dispatch dispatch(*this);
  switch (protocol::classify_packet(data, length)) {
    case protocol::PacketKind::dtls:
      // As DTLS server, the browser's ClientHello may beat our own ICE "connected".
      if (!dtls_ && remote_set_ && !remote_.dtls_client) start_dtls();
      if (dtls_) dtls_->receive(data, length);
      return;
    case protocol::PacketKind::rtp:
      forward_to_pbx(false, data, length);
      return;
    case protocol::PacketKind::rtcp:
      forward_to_pbx(true, data, length);
      return;
    case protocol::PacketKind::stun:  // libnice consumes STUN itself
    case protocol::PacketKind::unknown:
      return;
  }
}

void MediaSessionCore::forward_to_pbx(bool rtcp, const uint8_t* data, size_t length) {
  if (!srtp_in_) {
    bump(stats_.dropped_before_dtls);
    return;
  }
  if (length > packet_.size()) return;
  // libnice's buffer is not ours to modify: unprotect a copy.
  std::memcpy(packet_.data(), data, length);
  size_t size = length;
  const bool ok = rtcp ? srtp_in_->unprotect_rtcp(packet_.data(), size)
                       : srtp_in_->unprotect_rtp(packet_.data(), size);
  if (!ok) {
    if (stats_.srtp_errors.fetch_add(1, std::memory_order_relaxed) == 0)
      spdlog::debug("media[{}]: first SRTP unprotect failure ({})", id_, srtp_in_->last_error());
    return;
  }
  // Measured before the relay rewrites anything: the browser's report blocks are about our
  // SSRC toward it, which translate_browser_rtcp maps back to the PBX's.
  const int64_t now_us = g_get_monotonic_time();
  if (rtcp) {
    if (!quality_.on_browser_rtcp(packet_.data(), size, relay_.browser_ssrc())) bump(stats_.rtcp_malformed);
  } else {
    quality_.on_browser_rtp(packet_.data(), size, now_us);
  }
  if (!plain_->has_remote()) {
    if (!rtcp && on_hold_ && RtpHeader(packet_.data(), size).valid())
      relay_.browser_rtp_dropped(packet_.data(), size, now_us);
    if (!pbx_endpoint_set_) bump(stats_.dropped_no_pbx_endpoint);
    return;
  }
  if (rtcp) {
    relay_.browser_rtcp(packet_.data(), size);
    if (plain_->send_rtcp(packet_.data(), size)) bump(stats_.browser_to_pbx_rtcp);
  } else {
    if (!relay_.browser_rtp(packet_.data(), size, now_us)) return;
    if (plain_->send_rtp(packet_.data(), size)) bump(stats_.browser_to_pbx_rtp);
    // What the PBX got from the browser. g_get_monotonic_time and the recorder's steady clock
    // are both CLOCK_MONOTONIC in µs.
    if (recording_queue_)
      recording_queue_->try_push_rtp(recording_id_, recorder::Leg::browser, now_us, packet_.data(), size);
  }
}

// ---- PlainRtpTransport::Listener: from the PBX ----

void MediaSessionCore::on_plain_packet(bool rtcp_socket, uint8_t* data, size_t length,
                                       size_t capacity) {
  if (terminal_) return;
  Dispatch dispatch(*this);
  // Classify by content (RFC 5761): a PBX that muxes RTCP onto the RTP port is handled too.
  const auto kind = protocol::classify_packet(data, length);
  if (kind != protocol::PacketKind::rtp && kind != protocol::PacketKind::rtcp) return;
  const bool rtcp = kind == protocol::PacketKind::rtcp;
  if (!rtcp && !RtpHeader(data, length).valid()) return;
  latch(rtcp_socket);
  const int64_t now_us = g_get_monotonic_time();
  if (!rtcp) {
    pbx_rtp_seen_ = true;
    rtp_silence_from_us_ = now_us;
    rtp_timed_out_ = false;  // media resumed: the timeout is armed again
  }

  size_t size = length;
  // Measured as the PBX sent it, before the relay rewrites it for the browser.
  if (rtcp) {
    if (!quality_.on_pbx_rtcp(data, size)) bump(stats_.rtcp_malformed);
    size = relay_.pbx_rtcp(data, size);
    if (size == 0) return;
  } else {
    quality_.on_pbx_rtp(data, size, now_us);
    // What the PBX sent, before the relay rewrites it for the browser.
    if (recording_queue_)
      recording_queue_->try_push_rtp(recording_id_, recorder::Leg::remote, now_us, data, size);
    std::optional<TelephoneEventDetector::Detected> dtmf;
    const bool forward = relay_.pbx_rtp(data, size, now_us, dtmf);
    if (dtmf) {
      spdlog::debug("media[{}]: DTMF '{}' ({} ms) from the PBX", id_, dtmf->digit,
                    dtmf->duration_ms);
      notify("on_dtmf", [&] {
        if (callbacks_.on_dtmf) callbacks_.on_dtmf(dtmf->digit, dtmf->duration_ms);
      });
      if (terminal_) return;
    }
    if (!forward) return;
  }
  // Pitfall 2: no media toward the browser before the DTLS handshake is done.
  if (!srtp_out_ || !ice_) {
    bump(stats_.dropped_before_dtls);
    return;
  }
  const bool ok = rtcp ? srtp_out_->protect_rtcp(data, size, capacity)
                       : srtp_out_->protect_rtp(data, size, capacity);
  if (!ok) {
    if (stats_.srtp_errors.fetch_add(1, std::memory_order_relaxed) == 0)
      spdlog::debug("media[{}]: first SRTP protect failure ({})", id_, srtp_out_->last_error());
    return;
  }
  if (ice_->send(data, size)) bump(rtcp ? stats_.pbx_to_browser_rtcp : stats_.pbx_to_browser_rtp);
}

// Symmetric RTP (comedia, pitfall 18): the first packet on each socket after
// set_pbx_endpoint fixes where that socket sends, even if the SDP said otherwise (NAT).
void MediaSessionCore::latch(bool rtcp_socket) {
  bool& latched = rtcp_socket ? latched_rtcp_ : latched_rtp_;
  if (latched || !config_.symmetric_rtp || on_hold_ || !plain_->has_remote()) return;
  latched = true;
  const std::string before = plain_->remote_string(rtcp_socket);
  if (plain_->latch_to_current_source(rtcp_socket))
    spdlog::info("media[{}]: PBX {} comes from {}, not {} (SDP): latched", id_,
                 rtcp_socket ? "RTCP" : "RTP", plain_->remote_string(rtcp_socket), before);
}

}  // namespace sipgw::media
