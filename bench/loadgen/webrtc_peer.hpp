#pragma once
// One simulated browser's media, built from the gateway's own media classes: a controlling
// libnice agent on 127.0.0.1 (IceAgent), DTLS 1.2 (DtlsTransport; server when the answer says
// a=setup:active, client for passive), SRTP (SrtpSession). It offers PCMU/8000 with rtcp-mux and
// sends one 20 ms packet (172 bytes of RTP) per `send_packet` call; the payload carries a magic
// word, the peer's index and the send time, so an echoing far end lets it measure the round
// trip (µs) of each packet it gets back.
//
// Threads: constructed, used and destroyed on one MediaWorker; its callbacks run there too.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/media/dtls_transport.hpp"
#include "gateway/media/ice_agent.hpp"
#include "gateway/media/srtp_session.hpp"

namespace sipgw::loadgen {

/// Media counters of every peer on one worker (owned by that worker's thread).
struct MediaCounters {
  uint64_t rtp_sent = 0;
  uint64_t rtp_received = 0;        // every SRTP packet that unprotected
  uint64_t echoes_received = 0;     // of those, our own packets come back
  uint64_t unprotect_failures = 0;
  std::vector<uint32_t> rtt_us;     // one sample per echoed packet (µs)
};

class WebRtcPeer final : public media::IceAgent::Listener, public media::DtlsTransport::Listener {
 public:
  struct Callbacks {
    std::function<void(std::string offer_sdp)> on_offer;  // after gather(): the SDP offer
    std::function<void()> on_connected;                   // DTLS done, SRTP keyed
    std::function<void(std::string reason)> on_failed;    // ICE or DTLS failed (once)
  };

  /// `fingerprint` is the SHA-256 fingerprint of `dtls`'s certificate. Throws
  /// std::runtime_error when libnice cannot create the agent.
  WebRtcPeer(GMainContext* context, std::shared_ptr<media::DtlsContext> dtls,
             std::string fingerprint, uint32_t index, MediaCounters& counters,
             Callbacks callbacks);
  ~WebRtcPeer() override;

  /// Gathers host candidates on 127.0.0.1; Callbacks::on_offer follows.
  void gather();
  /// Applies the far end's SDP answer (ICE credentials, candidates, fingerprint, a=setup) and
  /// starts the checks. Returns an empty string, or what is wrong with the answer.
  std::string apply_answer(const std::string& sdp);
  /// Sends the next 20 ms PCMU packet if media is up; `now_us` is g_get_monotonic_time().
  void send_packet(int64_t now_us);
  bool connected() const noexcept { return srtp_out_ != nullptr; }

 private:
  void on_ice_gathering_done(const std::string& ufrag, const std::string& pwd,
                             const std::vector<std::string>& candidates) override;
  void on_ice_connected() override;
  void on_ice_failed(const std::string& reason) override;
  void on_ice_packet(const uint8_t* data, size_t length) override;
  void on_dtls_send(const uint8_t* data, size_t length) override;
  void on_dtls_connected(media::SrtpProfile profile, const media::DtlsSrtpKeys& keys) override;
  void on_dtls_failed(const std::string& reason) override;
  void fail(const std::string& reason);

  GMainContext* context_;
  std::shared_ptr<media::DtlsContext> dtls_context_;
  std::string fingerprint_;
  uint32_t index_;
  MediaCounters& counters_;
  Callbacks callbacks_;
  std::unique_ptr<media::IceAgent> ice_;
  std::unique_ptr<media::DtlsTransport> dtls_;
  std::unique_ptr<media::SrtpSession> srtp_in_;
  std::unique_ptr<media::SrtpSession> srtp_out_;
  bool failed_ = false;
  uint32_t ssrc_;
  uint16_t seq_;
  uint32_t timestamp_;
};

}  // namespace sipgw::loadgen
