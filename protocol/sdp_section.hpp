#pragma once
// Private helpers shared by the SDP translation and negotiation code: reading one media section
// (codecs, direction, addresses, ICE/DTLS attributes) and writing our plain RTP/AVP description
// toward the PBX. Not part of the public protocol API; included only by protocol/sdp_*.cpp.
// Pure: no I/O, no threads; never throws.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/sdp.hpp"
#include "protocol/sdp_negotiation.hpp"
#include "protocol/sdp_translation.hpp"

namespace sipgw::protocol::sdp_section {

/// rtpmap value of a static audio payload type (RFC 3551 §6, table 4), e.g. "0" -> "PCMU/8000".
std::optional<std::string_view> static_rtpmap(std::string_view pt);

/// Value of `a=<name>:<pt> <rest>` for payload type `pt` (rtpmap, fmtp), trimmed.
std::optional<std::string> pt_attribute(const SdpMedia& m, std::string_view name, std::string_view pt);

/// The rtpmap of `pt`: its a=rtpmap, else the static table; nullopt for an unmapped dynamic PT.
std::optional<std::string> rtpmap_of(const SdpMedia& m, std::string_view pt);

/// An rtpmap value split up: "opus/48000/2" -> {"opus", 48000, 2}. Clock 0 when malformed.
struct Encoding {
  std::string name;
  uint32_t clock = 0;
  uint32_t channels = 1;
  bool same_codec(const Encoding& other) const;  // name (case-insensitive), clock and channels
};
Encoding parse_rtpmap(std::string_view rtpmap);

/// Media-level attribute, else session-level (RFC 8839 §5.4 and RFC 8122 §5 allow both), trimmed.
std::optional<std::string> media_or_session(const SessionDescription& sdp, const SdpMedia& m, std::string_view name);

/// True for sendrecv, sendonly, recvonly and inactive.
bool is_direction(std::string_view attribute_name);

/// Direction attribute of the section, else of the session, else "sendrecv" (RFC 8866 §6.7).
std::string direction_of(const SdpMedia& m, const SessionDescription& sdp);

/// direction_of() as a Direction. With `null_address_is_hold`, a c=0.0.0.0 takes "receive" away
/// (RFC 3264 §8.4: the RFC 2543 way of saying "do not send to me"): sendrecv reads sendonly,
/// recvonly inactive. Not for browser SDP: Chromium writes c=IN IP4 0.0.0.0 before it has
/// candidates.
Direction direction_enum(const SdpMedia& m, const SessionDescription& sdp, bool null_address_is_hold);

/// First audio section the browser wants to use: port != 0, or bundled (RFC 9143 §7.1.3
/// "bundle-only" sections carry port 0). Index or -1.
int find_audio(const SessionDescription& sdp);

/// First audio section with a port != 0, else the first audio section at all (so that the caller
/// can tell "rejected" from "absent"). Index or -1. For plain (PBX) descriptions.
int find_plain_audio(const SessionDescription& sdp);

/// Mids of the a=group:BUNDLE line(s) (RFC 9143 §7.1), empty if none.
std::vector<std::string> bundle_mids(const SessionDescription& sdp);

/// Whether payload type `pt` of a WebRTC section is a codec a PBX audio leg can use (no
/// red/ulpfec/rtx/video, no unmapped dynamic PT).
bool keep_for_pbx(const SdpMedia& m, const std::string& pt);

/// Whether the section is plain RTP (RTP/AVP, or RTP/AVPF which an AVP endpoint can answer);
/// not SDES-SRTP (RTP/SAVP) nor DTLS (UDP/TLS/RTP/SAVPF), which the PBX leg does not do.
bool is_plain_rtp(const SdpMedia& m);

/// The RFC 2543 hold address 0.0.0.0 (or the IPv6 unspecified address "::").
bool is_null_address(std::string_view address);

/// The media c= address, else the session one; empty if neither.
std::string connection_of(const SessionDescription& sdp, const SdpMedia& m);

/// The port of a=rtcp:<port> [IN IP4 <addr>] (RFC 3605 §2.1), if present and non-zero.
std::optional<uint16_t> rtcp_port(const SdpMedia& m);

/// Reads the peer's ICE credentials, fingerprint, setup (absent: "active", RFC 4145 §4), mid and
/// candidates of `audio` (falling back to the BUNDLE-tagged section for candidates). Returns an
/// error text naming what is missing, empty on success.
std::string read_webrtc_transport(const SessionDescription& sdp, const SdpMedia& audio,
                                  WebRtcTransportParameters& out);

/// Appends `text` and CRLF.
void line(std::string& out, std::string_view text);

/// "IN IP4 <address>" (or IP6).
std::string addr_line(std::string_view address);

/// Whether `ours` can be written into a plain description (address set, even-able RTP port).
bool valid_plain_endpoint(const PlainEndpoint& ours);

/// One codec of a plain description we write.
struct PlainCodec {
  std::string pt;
  std::string rtpmap;  // written only when non-empty (a static PT may go without)
  std::optional<std::string> fmtp;
};

/// The audio section of a plain description we write.
struct PlainAudio {
  std::vector<PlainCodec> codecs;
  std::optional<std::string> ptime;
  std::optional<std::string> maxptime;
  std::string direction = "sendrecv";
};

/// Our plain RTP/AVP description: our o= (pitfall 6), c=, and an audio section on ours.rtp_port
/// with explicit a=rtcp:<port+1> (RFC 3605; the PBX leg does not mux, pitfall 3). When
/// answering (`offer` non-null), one m= line per offered section (RFC 3264 §6): the section at
/// `offer_audio` carries the audio, every other one is rejected with port 0.
std::string write_plain(const PlainEndpoint& ours, const PlainAudio& audio, const SessionDescription* offer = nullptr,
                        int offer_audio = -1);

}  // namespace sipgw::protocol::sdp_section
