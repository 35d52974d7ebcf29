// WebRtcPeer: SDP offer/answer text, DTLS role from a=setup, RTP with embedded send times.
#include "bench/loadgen/webrtc_peer.hpp"

#include <glib.h>

#include <cstring>
#include <random>
#include <sstream>

#include "gateway/media/dtls_context.hpp"
#include "gateway/media/srtp_profile.hpp"

namespace sipgw::loadgen {
namespace {

constexpr uint8_t kMagic[4] = {'L', 'G', 'E', 'N'};
constexpr size_t kHeader = 12;
constexpr size_t kPayload = 160;         // 20 ms of PCMU at 8 kHz
constexpr size_t kCapacity = kHeader + kPayload + media::SrtpSession::kMaxTrailer;
constexpr uint32_t kHandshakeTimeoutMs = 10000;

uint32_t random_u32() {
  thread_local std::mt19937 generator{std::random_device{}()};
  return generator();
}

void put_u32(uint8_t* p, uint32_t v) {
  p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}
uint32_t get_u32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// The value of the first "a=NAME:" line, or "".
std::string attribute(const std::string& sdp, const std::string& name) {
  const std::string key = "a=" + name + ":";
  size_t at = sdp.find(key);
  if (at == std::string::npos) return {};
  at += key.size();
  size_t end = sdp.find_first_of("\r\n", at);
  return sdp.substr(at, end - at);
}

}  // namespace

WebRtcPeer::WebRtcPeer(GMainContext* context, std::shared_ptr<media::DtlsContext> dtls,
                       std::string fingerprint, uint32_t index, MediaCounters& counters,
                       Callbacks callbacks)
    : context_(context),
      dtls_context_(std::move(dtls)),
      fingerprint_(std::move(fingerprint)),
      index_(index),
      counters_(counters),
      callbacks_(std::move(callbacks)),
      ssrc_(random_u32()),
      seq_(static_cast<uint16_t>(random_u32())),
      timestamp_(random_u32()) {
  media::IceAgent::Options options;
  options.local_addresses = {"127.0.0.1"};
  options.controlling = true;  // the browser offers (RFC 8445 §6.1.1)
  ice_ = std::make_unique<media::IceAgent>(context_, options, *this);
}

WebRtcPeer::~WebRtcPeer() {
  if (dtls_) dtls_->shutdown();
  dtls_.reset();
  ice_.reset();
}

void WebRtcPeer::gather() {
  if (!ice_->gather()) fail("ICE gathering failed to start");
}

void WebRtcPeer::on_ice_gathering_done(const std::string& ufrag, const std::string& pwd,
                                       const std::vector<std::string>& candidates) {
  // Shaped like a browser's offer (one BUNDLEd audio m-line, rtcp-mux, all candidates).
  std::ostringstream sdp;
  sdp << "v=0\r\no=- " << (uint64_t(random_u32()) << 20 | index_) << " 2 IN IP4 127.0.0.1\r\n"
      << "s=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=msid-semantic: WMS loadgen\r\n"
      << "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
      << "a=ice-ufrag:" << ufrag << "\r\na=ice-pwd:" << pwd << "\r\n"
      << "a=fingerprint:sha-256 " << fingerprint_ << "\r\na=setup:actpass\r\na=mid:0\r\n"
      << "a=sendrecv\r\na=msid:loadgen audio" << index_ << "\r\na=rtcp-mux\r\n"
      << "a=rtpmap:0 PCMU/8000\r\na=ssrc:" << ssrc_ << " cname:loadgen" << index_ << "\r\n";
  for (const auto& candidate : candidates) sdp << "a=" << candidate << "\r\n";
  sdp << "a=end-of-candidates\r\n";
  if (callbacks_.on_offer) callbacks_.on_offer(sdp.str());
}

std::string WebRtcPeer::apply_answer(const std::string& sdp) {
  const std::string ufrag = attribute(sdp, "ice-ufrag");
  const std::string pwd = attribute(sdp, "ice-pwd");
  std::string fingerprint = attribute(sdp, "fingerprint");
  const std::string setup = attribute(sdp, "setup");
  if (ufrag.empty() || pwd.empty()) return "answer has no ICE credentials";
  if (fingerprint.rfind("sha-256 ", 0) != 0) return "answer has no sha-256 fingerprint";
  fingerprint = fingerprint.substr(8);
  if (setup != "active" && setup != "passive") return "answer has a=setup:" + setup;
  const auto role = setup == "active" ? media::DtlsTransport::Role::server
                                      : media::DtlsTransport::Role::client;
  dtls_ = std::make_unique<media::DtlsTransport>(context_, dtls_context_, role, fingerprint,
                                                  kHandshakeTimeoutMs, *this);
  ice_->set_remote_credentials(ufrag, pwd);
  size_t candidates = 0;
  for (size_t at = sdp.find("a=candidate:"); at != std::string::npos;
       at = sdp.find("a=candidate:", at + 1)) {
    size_t end = sdp.find_first_of("\r\n", at);
    if (ice_->add_remote_candidate(sdp.substr(at, end - at))) ++candidates;
  }
  if (candidates == 0) return "answer has no usable candidate";
  if (role == media::DtlsTransport::Role::server) dtls_->start();  // arms the deadline
  return {};
}

void WebRtcPeer::on_ice_connected() {
  if (dtls_ && dtls_->role() == media::DtlsTransport::Role::client) dtls_->start();
}

void WebRtcPeer::on_ice_failed(const std::string& reason) { fail("ICE failed: " + reason); }

void WebRtcPeer::on_ice_packet(const uint8_t* data, size_t length) {
  if (length == 0 || failed_) return;
  const uint8_t first = data[0];
  if (first >= 20 && first <= 63) {  // DTLS (RFC 7983)
    if (dtls_) dtls_->receive(data, length);
    return;
  }
  if (first < 128 || first > 191 || length < kHeader || !srtp_in_) return;
  uint8_t buffer[1500];
  if (length > sizeof buffer) return;
  std::memcpy(buffer, data, length);
  size_t size = length;
  const uint8_t type = buffer[1];
  if (type >= 192 && type <= 223) {  // RTCP with rtcp-mux (RFC 5761 §4)
    if (!srtp_in_->unprotect_rtcp(buffer, size)) ++counters_.unprotect_failures;
    return;
  }
  if (!srtp_in_->unprotect_rtp(buffer, size)) {
    ++counters_.unprotect_failures;
    return;
  }
  ++counters_.rtp_received;
  const size_t header = kHeader + 4 * (buffer[0] & 0x0f);
  if (size < header + 16 || std::memcmp(buffer + header, kMagic, 4) != 0) return;
  if (get_u32(buffer + header + 12) != index_) return;
  const int64_t sent_us = int64_t(get_u32(buffer + header + 4)) << 32 | get_u32(buffer + header + 8);
  ++counters_.echoes_received;
  counters_.rtt_us.push_back(static_cast<uint32_t>(g_get_monotonic_time() - sent_us));
}

void WebRtcPeer::on_dtls_send(const uint8_t* data, size_t length) { ice_->send(data, length); }

void WebRtcPeer::on_dtls_connected(media::SrtpProfile profile, const media::DtlsSrtpKeys& keys) {
  const bool client = dtls_->role() == media::DtlsTransport::Role::client;
  try {
    srtp_in_ = std::make_unique<media::SrtpSession>(profile, media::SrtpSession::Direction::inbound,
                                                    client ? keys.server_write : keys.client_write);
    srtp_out_ = std::make_unique<media::SrtpSession>(profile, media::SrtpSession::Direction::outbound,
                                                     client ? keys.client_write : keys.server_write);
  } catch (const std::exception& e) {
    srtp_in_.reset();
    srtp_out_.reset();
    return fail(std::string("SRTP setup failed: ") + e.what());
  }
  if (callbacks_.on_connected) callbacks_.on_connected();
}

void WebRtcPeer::on_dtls_failed(const std::string& reason) { fail("DTLS failed: " + reason); }

void WebRtcPeer::fail(const std::string& reason) {
  if (failed_) return;
  failed_ = true;
  srtp_out_.reset();
  if (callbacks_.on_failed) callbacks_.on_failed(reason);
}

void WebRtcPeer::send_packet(int64_t now_us) {
  if (!srtp_out_ || failed_) return;
  uint8_t packet[kCapacity];
  packet[0] = 0x80;
  packet[1] = 0;  // PCMU
  packet[2] = seq_ >> 8;
  packet[3] = seq_ & 0xff;
  put_u32(packet + 4, timestamp_);
  put_u32(packet + 8, ssrc_);
  std::memset(packet + kHeader, 0xff, kPayload);  // PCMU silence
  std::memcpy(packet + kHeader, kMagic, 4);
  put_u32(packet + kHeader + 4, static_cast<uint32_t>(uint64_t(now_us) >> 32));
  put_u32(packet + kHeader + 8, static_cast<uint32_t>(now_us));
  put_u32(packet + kHeader + 12, index_);
  ++seq_;
  timestamp_ += kPayload;
  size_t length = kHeader + kPayload;
  if (!srtp_out_->protect_rtp(packet, length, sizeof packet)) return;
  if (ice_->send(packet, length)) ++counters_.rtp_sent;
}

}  // namespace sipgw::loadgen
