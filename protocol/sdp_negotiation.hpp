#pragma once
// Reading negotiated audio parameters from a plain SDP and building the gateway's own
// re-offers and re-answers toward the PBX, so that hold, music on hold, codec changes and
// session refreshes are handled at the gateway without involving the browser (ANCHORS.md
// pitfalls 8-10, 13-15). Pure functions: no I/O, no threads, no clocks.
#include <cstdint>
#include <string>

#include "protocol/sdp_translation.hpp"

namespace sipgw::protocol {

/// RFC 3264 §5.1 / §6.1 direction attribute of a media section.
enum class Direction { sendrecv, sendonly, recvonly, inactive };

/// "sendrecv", "sendonly", "recvonly" or "inactive".
const char* to_string(Direction direction);

/// The direction an answerer uses for an offered `offered` direction when it would itself
/// like `local` (RFC 3264 §6.1): sendonly↔recvonly mirrored, inactive stays inactive, and
/// the answer never sends where the offer does not receive.
Direction answer_direction(Direction offered, Direction local);

/// What an SDP negotiated for its first audio section.
struct NegotiatedCodecs {
  int audio_pt = -1;                    // first payload type that is neither telephone-event nor CN
  std::string audio_encoding;           // e.g. "PCMU", "opus" (from rtpmap or static table)
  uint32_t audio_clock = 8000;          // Hz (RTP clock, so 8000 for G722 per RFC 3551 §4.5.2)
  int telephone_event_pt = -1;          // -1 when not negotiated; the one whose clock matches
                                        // audio_clock wins when several are present (pitfall 9)
  uint32_t telephone_event_clock = 8000;
  bool comfort_noise = false;           // PT 13 (or CN/8000) present
  uint32_t ptime_ms = 20;               // a=ptime, else 20
};

/// The audio endpoint and parameters an SDP describes (offer or answer, either side).
struct AudioDescription {
  std::string address;            // media c= else session c=; "0.0.0.0" for RFC 2543 hold
  uint16_t rtp_port = 0;          // 0 = audio rejected/disabled
  uint16_t rtcp_port = 0;         // a=rtcp: port, else rtp_port + 1
  Direction direction = Direction::sendrecv;  // from a=sendonly/recvonly/inactive; a null
                                              // c= address reads as sendonly (RFC 3264 §8.4)
  NegotiatedCodecs codecs;
  std::string error;              // empty on success (no audio section, unparsable SDP)
};

/// Reads the first audio section of `sdp`.
AudioDescription describe_audio(const std::string& sdp);

/// Our own plain SDP toward the PBX again, for a re-INVITE (hold/unhold, RFC 3264 §8.4) or the
/// 200 OK to an offerless re-INVITE: the same codecs, address and ports as `last_plain_sdp` (our
/// last offer or answer to the PBX), the direction set to `direction`, and the o= version set to
/// `session_version` (RFC 3264 §8: one more than the last one sent). Empty on unparsable input.
std::string plain_reoffer(const std::string& last_plain_sdp, Direction direction, uint64_t session_version);

struct ReofferAnswer {
  std::string sdp;            // our plain answer for the PBX; empty on error
  AudioDescription pbx;       // what the re-offer says about the PBX's media (new address/port,
                              // direction, codecs)
  std::string error;          // e.g. "no codec in common with the call" (answer 488)
};

/// Answers a PBX re-offer (re-INVITE or UPDATE with SDP) from the gateway's own state:
/// keeps only codecs of the re-offer that are in `negotiated_plain_sdp` (the SDP whose codecs
/// the browser already accepted — the PBX's first answer for an outgoing call, our plain answer
/// for an incoming one), plus telephone-event and CN when both have them, in the re-offer's
/// order and numbering; mirrors the direction (answer_direction with `local`); our address,
/// ports and o= (`ours`, whose session_version the caller has incremented).
///
/// G.711 law change (a transfer to a PCMA-only trunk after a PCMU call, or the reverse): when no
/// audio codec is in common, the main codec of `negotiated_plain_sdp` is G.711 (PT 0 PCMU or
/// PT 8 PCMA, by static PT or rtpmap name) and the re-offer offers the other law at its static
/// PT, the answer lists that codec (the re-offer's first such one) plus telephone-event/CN as
/// above; the media relay then transcodes μ-law ↔ A-law (gateway/media/g711_transcode.hpp) while
/// the browser keeps its law. Any other mismatch (e.g. only G.729 or Opus offered, G.711 under a
/// dynamic PT, or a call on a non-G.711 codec) is still the error "no codec in common with the
/// call" (answered 488).
ReofferAnswer answer_plain_reoffer(const std::string& pbx_reoffer, const std::string& negotiated_plain_sdp,
                                   const PlainEndpoint& ours, Direction local);

/// The main audio codec (neither telephone-event nor CN) an offer/answer exchange with the PBX
/// settled on, as the PBX's SDP `pbx_sdp` numbers it: its first payload type that `our_sdp` (our
/// offer or answer in the same exchange) also lists with the same number and codec — the answer
/// restricts the offer, so this is the answer's choice whichever side answered; else the first
/// audio payload type of `pbx_sdp`; -1 when it has none or is unusable.
int answered_audio_pt(const std::string& pbx_sdp, const std::string& our_sdp);

}  // namespace sipgw::protocol
