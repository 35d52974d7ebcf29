#pragma once
// WebRTC <-> plain SIP SDP translation (the heart of "any PBX sees an ordinary SIP phone").
// Pure functions: no I/O, no threads, no clocks. Fuzzed by tests/fuzz.
//
// Browser side: UDP/TLS/RTP/SAVPF, ICE (RFC 8839), DTLS-SRTP (RFC 5763/8842), rtcp-mux
// (RFC 5761), BUNDLE (RFC 9143). PBX side: RTP/AVP with separate RTCP on port+1 (RFC 3550 §11).
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/sdp.hpp"

namespace sipgw::protocol {

/// What the browser's offer tells the media side about its ICE and DTLS endpoint.
struct WebRtcTransportParameters {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint_algorithm;  // e.g. "sha-256" (lower case)
  std::string fingerprint;            // "AB:CD:..." upper-case hex pairs
  std::string setup;                  // "actpass", "active" or "passive"
  std::string mid;                    // mid of the audio section ("0" from Chromium)
  std::vector<std::string> candidates;  // candidate-attribute values, without "a=" / "candidate:" kept
                                        // as in SDP: "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host"
};

/// Our own address and ports toward the PBX.
struct PlainEndpoint {
  std::string address;       // IPv4 address put in c= and o=
  uint16_t rtp_port = 0;     // even; RTCP is rtp_port + 1
  uint64_t session_id = 0;   // o= session id owned by the gateway for this leg
  uint64_t session_version = 0;  // o= version, incremented by the caller on every re-offer
};

/// Our own ICE/DTLS endpoint toward the browser.
struct WebRtcEndpoint {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;        // SHA-256, "AB:CD:..."
  std::string setup = "active";   // our DTLS role in the answer (RFC 8842 §5.3)
  std::vector<std::string> candidates;  // "candidate:..." values (no "a=")
  std::string address = "127.0.0.1";    // c= address (address of the first candidate)
  uint16_t port = 9;                    // m= port (port of the first candidate)
  uint64_t session_id = 0;
  uint64_t session_version = 0;
};

/// The browser's audio section as the PBX leg needs it.
struct PlainOfferResult {
  std::string sdp;                        // the RTP/AVP offer for the PBX; empty on error
  WebRtcTransportParameters browser;      // ICE/DTLS parameters taken from the browser's offer
  std::string error;                      // human-readable reason; empty on success
};

/// Turns the browser's WebRTC offer into a plain RTP/AVP offer for the PBX.
/// Keeps the first audio section only (other sections are not offered to the PBX); keeps the
/// browser's payload types and their rtpmap/fmtp/ptime, drops codecs a PBX cannot use (red,
/// ulpfec, rtx) and every WebRTC-only attribute (ice-*, candidate, fingerprint, setup, mid,
/// group, msid*, ssrc*, extmap*, rtcp-mux, rtcp-rsize, rtcp-fb, crypto). Errors: no audio
/// section, no ICE credentials, no fingerprint.
PlainOfferResult webrtc_offer_to_plain(const std::string& browser_offer, const PlainEndpoint& ours);

/// The PBX's answer as the browser needs it.
struct WebRtcAnswerResult {
  std::string sdp;            // the UDP/TLS/RTP/SAVPF answer for the browser; empty on error
  std::string pbx_address;    // where to send RTP: media c= or session c=
  uint16_t pbx_rtp_port = 0;  // 0 when the PBX rejected audio
  uint16_t pbx_rtcp_port = 0; // a=rtcp: port if present, else rtp + 1
  std::string error;
};

/// Turns the PBX's plain answer into the WebRTC answer for the browser's `offer`: same mid,
/// the codecs the PBX chose (with their rtpmap/fmtp/ptime), direction from the PBX, plus our
/// ICE credentials and candidates, fingerprint, a=setup, a=rtcp-mux and a=group:BUNDLE when
/// the offer had it. Any non-audio sections of the offer are answered with port 0.
WebRtcAnswerResult plain_answer_to_webrtc(const std::string& pbx_answer, const std::string& browser_offer,
                                          const WebRtcEndpoint& ours);

/// An incoming call's offer as the browser needs it.
struct WebRtcOfferResult {
  std::string sdp;            // UDP/TLS/RTP/SAVPF offer for the browser; empty on error
  std::string pbx_address;    // the PBX's media address (c=)
  uint16_t pbx_rtp_port = 0;
  uint16_t pbx_rtcp_port = 0; // a=rtcp: port if present, else rtp + 1
  std::string error;
};

/// Turns the PBX's plain offer (incoming INVITE) into a WebRTC offer for the browser: one audio
/// section with mid "0", a=group:BUNDLE 0, the PBX's codecs in its order and numbering with their
/// rtpmap (added for static PTs)/fmtp/ptime, its direction, our ICE credentials, candidates and
/// a=end-of-candidates (when there are candidates), fingerprint, `a=setup:actpass` (always: RFC
/// 8842 §5.2 requires it of an offerer, so ours.setup is not used), a=rtcp-mux, msid. A c=0.0.0.0
/// hold offer is offered as sendonly. PTs 64-95 (RTCP-ambiguous under rtcp-mux) are left out.
/// Errors: unparsable SDP, no audio section, audio port 0, not RTP/AVP(F) (e.g. SDES RTP/SAVP),
/// no c=, no audio codec.
WebRtcOfferResult plain_offer_to_webrtc(const std::string& pbx_offer, const WebRtcEndpoint& ours);

/// A WebRTC offer for the browser when the PBX sent no SDP (delayed-offer INVITE, RFC 3261
/// §13.2.1): PCMU (0), PCMA (8), telephone-event/8000 (101), otherwise as plain_offer_to_webrtc.
std::string default_webrtc_offer(const WebRtcEndpoint& ours);

/// Turns the browser's answer to our WebRTC offer into the plain answer for `pbx_offer`
/// (incoming call): the codecs the browser kept, in the PBX's numbering, with rtpmap/fmtp/ptime;
/// the browser's direction; our address/ports/o= from `ours`; `a=rtcp:`. Also returns the
/// browser's ICE/DTLS parameters (`browser.setup` is "active" or "passive"). When `pbx_offer`
/// is empty (delayed offer) the result is a plain *offer* built from the browser's answer.
/// fmtp comes from the browser's answer (its receive parameters), else from the PBX's offer; the
/// direction is clamped by RFC 3264 §6.1 against the PBX's; other offered sections are answered
/// with port 0.
/// Errors: unparsable, no audio, no ICE credentials/fingerprint, setup "actpass" in an answer.
PlainOfferResult webrtc_answer_to_plain(const std::string& browser_answer, const std::string& pbx_offer,
                                        const PlainEndpoint& ours);

}  // namespace sipgw::protocol
