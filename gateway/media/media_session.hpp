#pragma once
// The media of one call: the browser leg (ICE via libnice, DTLS 1.2 via OpenSSL, SRTP via
// libsrtp2, rtcp-mux) relayed to and from the PBX leg (plain RTP on an even port, RTCP on +1).
//
// Toward the browser the relay keeps one SSRC with continuous sequence numbers and timestamps
// even when the PBX switches SSRC (transfer, re-bridge; ANCHORS.md pitfall 5), drops comfort
// noise the browser did not negotiate, and sends nothing before DTLS completes.
//
// Threads: every public method may be called from any thread; it posts to the session's media
// worker, where all state lives. Callbacks run on the media worker thread: they must not block
// and must not call back into this session synchronously (post to your own thread instead).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/media/media_quality.hpp"

namespace sipgw::recorder { class PacketQueue; }

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
  uint32_t rtp_timeout_ms = 30000;         // `on_rtp_timeout` when the PBX sends no RTP this long
                                           // while we expect it (0 = never; not while on hold)
  bool symmetric_rtp = true;               // latch onto the PBX's actual RTP/RTCP source
                                           // address (comedia; pitfall 18)
};

/// What the offer/answer negotiated for the audio stream, so the relay can filter and
/// generate packets (ANCHORS.md pitfalls 5, 8-10). Payload types are those on the wire on each
/// side; they are equal on both sides today (the gateway keeps the browser's numbering), but
/// the relay must not assume so.
struct NegotiatedAudio {
  int pbx_telephone_event_pt = -1;        // PT of telephone-event toward the PBX; -1 = not negotiated
  uint32_t telephone_event_clock = 8000;  // its clock rate (must match the audio codec's)
  int browser_telephone_event_pt = -1;    // PT of telephone-event toward the browser; -1 = none
  bool pbx_accepts_cn = false;            // PT 13 negotiated toward the PBX
  bool browser_accepts_cn = false;        // PT 13 negotiated toward the browser
  uint32_t audio_clock = 8000;            // clock of the main codec (8000 PCMU/PCMA/G722-RTP,
                                          // 48000 Opus), for timestamps of generated packets
  uint32_t ptime_ms = 20;                 // packetisation time toward the PBX (a=ptime)
  int browser_audio_pt = -1;              // main codec PT toward the browser (what it negotiated)
  int pbx_audio_pt = -1;                  // main codec PT toward the PBX now; when the two are
                                          // 0 and 8 the relay transcodes G.711 μ-law ↔ A-law
};

/// The direction attribute of the PBX's own SDP (RFC 3264 §6.1), i.e. from the PBX's point of
/// view: `sendonly` = the PBX sends (e.g. music on hold) and receives nothing; `recvonly` = the
/// PBX receives only (we put it on hold), so no RTP is expected from it.
enum class MediaDirection { sendrecv, sendonly, recvonly, inactive };

/// The browser's ICE/DTLS parameters, from its offer (see protocol::WebRtcTransportParameters).
struct RemoteWebRtcParameters {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint_algorithm;  // only "sha-256" is accepted
  std::string fingerprint;            // "AB:CD:..."
  std::vector<std::string> candidates;  // "candidate:..." lines (no "a=")
  /// Our DTLS role (RFC 8842 §5): true = client (we answered the browser's actpass with
  /// active, or the browser answered our actpass with passive); false = server (the browser
  /// answered our actpass offer with active).
  bool dtls_client = true;
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
  uint64_t muted_packets = 0;          // browser RTP silenced (G.711) or dropped (other codecs) while muted
  uint64_t dropped_cn = 0;               // comfort noise dropped toward a side without CN
  uint64_t pbx_ssrc_changes = 0;         // PBX SSRC switches hidden from the browser
  uint64_t dtmf_events_sent = 0;         // RFC 4733 events generated toward the PBX
  uint64_t dtmf_events_received = 0;     // RFC 4733 events detected from the PBX
  uint64_t rtcp_malformed = 0;           // RTCP from either side failing RFC 3550 A.2 checks
  /// Loss and jitter per leg and direction (media_quality.hpp): the snapshot the worker takes
  /// when the session closes, so present once close() has returned; absent before.
  std::optional<MediaQuality> quality;
};

struct MediaCallbacks {
  /// Gathering finished; `local` goes into the PBX offer and the browser answer.
  std::function<void(const LocalMediaParameters& local)> on_ready;
  /// ICE connected and DTLS handshake done (fingerprint verified); media flows.
  std::function<void()> on_connected;
  /// Terminal failure (gathering, ICE failed, DTLS failed or timed out, fingerprint mismatch);
  /// `reason` names what went wrong. No further callbacks follow.
  std::function<void(const std::string& reason)> on_failed;
  /// An RFC 4733 event from the PBX ended (its end packet arrived): `digit` 0-9 * # A-D,
  /// `duration_ms`. Optional.
  std::function<void(char digit, uint32_t duration_ms)> on_dtmf;
  /// No RTP from the PBX for MediaConfig::rtp_timeout_ms while the PBX's direction is
  /// sendrecv/sendonly (it should send) and the endpoint is not 0.0.0.0. Optional. Fires once;
  /// media keeps flowing, and the timeout is armed again, if it resumes.
  std::function<void()> on_rtp_timeout;
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

  /// Offerer mode (incoming calls: the gateway offers to the browser). Creates the agent and
  /// the PBX-side sockets and gathers without remote parameters; then `on_ready`. The browser's
  /// answer comes later through `set_remote_answer`.
  void start_offer();

  /// Offerer mode: the browser's answer (credentials, candidates, fingerprint, DTLS role).
  /// ICE checks and then the DTLS handshake start.
  void set_remote_answer(RemoteWebRtcParameters remote);

  /// Adds one trickled remote candidate ("candidate:..." without "a="; RFC 8838). Candidates
  /// with `.local` (mDNS) addresses are ignored.
  void add_remote_candidate(std::string candidate);

  /// Sets where plain RTP/RTCP go toward the PBX (from its SDP answer).
  void set_pbx_endpoint(std::string address, uint16_t rtp_port, uint16_t rtcp_port);
  // May be called again (re-INVITE moved the PBX media): ICE/DTLS/SRTP toward the browser are
  // untouched (pitfall 2: no DTLS restart on re-INVITE). Address "0.0.0.0" means hold (RFC
  // 2543 style): nothing is sent to the PBX.

  /// The negotiated audio parameters (after each offer/answer). Any time.
  void set_negotiated_audio(NegotiatedAudio audio);

  /// The PBX's direction after an offer/answer (hold/unhold, see MediaDirection):
  /// `sendonly`/`inactive` stop forwarding the browser's audio to the PBX (it receives
  /// nothing); `recvonly`/`inactive` suspend the RTP timeout (it sends nothing). Default
  /// sendrecv.
  void set_direction(MediaDirection direction);

  /// Mute: the browser's audio toward the PBX becomes digital silence (PCMU/PCMA payloads are
  /// overwritten, so the PBX keeps receiving RTP and its RTP timeout — Asterisk rtptimeout,
  /// FreeSWITCH media_timeout — does not end the call); other codecs are dropped. RTCP still
  /// flows. Counted in muted_packets.
  void set_muted(bool muted);

  /// Sends one RFC 4733 telephone-event toward the PBX: `digit` 0-9 * # A-D, `duration_ms`
  /// 40-5000, on the browser stream's SSRC with continuous sequence numbers (the browser's
  /// audio is suppressed while the event plays, RFC 4733 §2.5.1.2); the end packet is sent
  /// three times. The caller checks that telephone-event was negotiated (else it uses SIP
  /// INFO); without it the digit is dropped and logged. Queued digits play one after another.
  void send_dtmf(char digit, uint32_t duration_ms);

  /// Stops all media, frees the agent, sockets, DTLS and SRTP state. Idempotent; no callback
  /// runs after `close` returns (it waits on the worker with a barrier unless called there).
  void close();

  /// Starts (queue non-null) or stops (null) copying the call's RTP into the recorder's queue
  /// for this session's worker (`recorder.queue(worker_index())`), tagged `recording_id`: the
  /// browser leg as sent to the PBX (after mute/transcoding), the remote leg as the PBX sent it.
  /// A full queue drops (counted by the queue); the relay never waits. The queue must outlive
  /// the session or a later `set_recording(nullptr, 0)`.
  void set_recording(recorder::PacketQueue* queue, uint64_t recording_id);

  /// The index of the media worker this session lives on. Any thread.
  size_t worker_index() const noexcept;

  /// A snapshot of the counters (relaxed atomics; any thread).
  MediaStats stats() const;

  struct Impl;

 private:
  explicit MediaSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sipgw::media
