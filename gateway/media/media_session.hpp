#pragma once
// The media of one call: the browser leg (ICE via libnice, DTLS 1.2 via OpenSSL, SRTP via
// libsrtp2, rtcp-mux) relayed to and from the PBX leg (plain RTP on an even port, RTCP on +1).
//
// Threads: every public method may be called from any thread; it posts to the session's media
// worker, where all state lives. Callbacks run on the media worker thread: they must not block
// and must not call back into this session synchronously (post to your own thread instead).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sipgw::media {

class MediaWorker;
class DtlsCertificate;

struct MediaConfig {
  std::vector<std::string> ice_addresses;  // local addresses ICE may gather on; empty = all
  std::string plain_address = "127.0.0.1"; // local address of the RTP/RTCP sockets toward the PBX
  uint16_t port_min = 20000;               // port range for ICE and for the PBX-side sockets
  uint16_t port_max = 40000;
  uint32_t dtls_timeout_ms = 30000;        // give up the DTLS handshake after this long
  uint32_t ice_timeout_ms = 30000;         // give up when ICE has not connected this long after
                                           // start (the browser trickles; no end-of-candidates)
};

/// The browser's ICE/DTLS parameters, from its offer (see protocol::WebRtcTransportParameters).
struct RemoteWebRtcParameters {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint_algorithm;  // only "sha-256" is accepted
  std::string fingerprint;            // "AB:CD:..."
  std::vector<std::string> candidates;  // "candidate:..." lines (no "a=")
};

/// What the session allocated locally, reported once gathering is done.
struct LocalMediaParameters {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::vector<std::string> candidates;  // "candidate:..." lines (no "a=") for the browser answer
  std::string plain_address;            // address of the PBX-side sockets
  uint16_t plain_rtp_port = 0;          // even
  uint16_t plain_rtcp_port = 0;         // plain_rtp_port + 1
};

/// Packet counters, read by `stats()`.
struct MediaStats {
  uint64_t browser_to_pbx_rtp = 0;   // SRTP packets unprotected and sent to the PBX
  uint64_t pbx_to_browser_rtp = 0;   // RTP packets protected and sent to the browser
  uint64_t browser_to_pbx_rtcp = 0;
  uint64_t pbx_to_browser_rtcp = 0;
  uint64_t srtp_errors = 0;          // unprotect/protect failures (dropped)
  uint64_t dropped_before_dtls = 0;  // PBX packets dropped because SRTP keys were not ready
                                     // (browser SRTP arriving before our keys is counted too)
  uint64_t dropped_no_pbx_endpoint = 0;  // browser packets dropped before set_pbx_endpoint
};

struct MediaCallbacks {
  /// Gathering finished; `local` goes into the PBX offer and the browser answer.
  std::function<void(const LocalMediaParameters& local)> on_ready;
  /// ICE connected and DTLS handshake done (fingerprint verified); media flows.
  std::function<void()> on_connected;
  /// Terminal failure (gathering, ICE failed, DTLS failed or timed out, fingerprint mismatch);
  /// `reason` names what went wrong. No further callbacks follow.
  std::function<void(const std::string& reason)> on_failed;
};

class MediaSession : public std::enable_shared_from_this<MediaSession> {
 public:
  /// Creates the session on `worker`; `start` begins allocation. Control thread.
  static std::shared_ptr<MediaSession> create(MediaWorker& worker, MediaConfig config,
                                              std::shared_ptr<const DtlsCertificate> certificate,
                                              MediaCallbacks callbacks);
  ~MediaSession();

  /// Creates the ICE agent (controlled, full ICE, RFC 8445) with the browser's credentials and
  /// candidates, binds the PBX-side sockets and gathers; then `on_ready` (or `on_failed`).
  void start(RemoteWebRtcParameters remote);

  /// Adds one trickled remote candidate ("candidate:..." without "a="; RFC 8838). Candidates
  /// with `.local` (mDNS) addresses are ignored.
  void add_remote_candidate(std::string candidate);

  /// Sets where plain RTP/RTCP go toward the PBX (from its SDP answer).
  void set_pbx_endpoint(std::string address, uint16_t rtp_port, uint16_t rtcp_port);

  /// Stops all media, frees the agent, sockets, DTLS and SRTP state. Idempotent; no callback
  /// runs after `close` returns (it waits on the worker with a barrier unless called there).
  void close();

  /// A snapshot of the counters (relaxed atomics; any thread).
  MediaStats stats() const;

  struct Impl;

 private:
  explicit MediaSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sipgw::media
