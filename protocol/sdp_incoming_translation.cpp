// Incoming calls: the PBX's plain offer -> a WebRTC offer for the browser, and the browser's
// answer -> the plain answer for the PBX (or the plain offer, for a delayed-offer INVITE).
// Pure: builds text from parsed models, never throws.
//
// Payload type numbers are kept end to end (the browser answers with the numbers we offered,
// RFC 3264 §6.1), so the media relay can forward RTP without rewriting payload types.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/sdp.hpp"
#include "protocol/sdp_negotiation.hpp"
#include "protocol/sdp_section.hpp"
#include "protocol/sdp_text.hpp"
#include "protocol/sdp_translation.hpp"

namespace sipgw::protocol {

namespace {

using namespace sdp_section;
using sdp_text::iequals;
using sdp_text::to_uint;
using sdp_text::trim;

// The one media section id of our offers (and the BUNDLE group's only member).
constexpr std::string_view kMid = "0";

bool has_pt(const std::vector<PlainCodec>& codecs, std::string_view pt) {
  return std::any_of(codecs.begin(), codecs.end(), [&](const PlainCodec& c) { return c.pt == pt; });
}

bool is_event_or_noise(std::string_view rtpmap) {
  const Encoding e = parse_rtpmap(rtpmap);
  return iequals(e.name, "telephone-event") || iequals(e.name, "CN");
}

std::string webrtc_endpoint_error(const WebRtcEndpoint& ours) {
  if (ours.ice_ufrag.empty() || ours.ice_pwd.empty() || ours.fingerprint.empty() || ours.address.empty())
    return "invalid WebRTC endpoint (ICE credentials, fingerprint or address missing)";
  return {};
}

// Our WebRTC offer: JSEP's shape for one audio transceiver (RFC 8829 §5.2.1), BUNDLE of that
// one section so that the browser uses a single transport, rtcp-mux (RFC 8858 §4: required by
// browsers; pitfall 3), and `a=setup:actpass` since an offerer must let the answerer choose
// (RFC 8842 §5.2; so ours.setup, an answer role, is not used here).
std::string write_webrtc_offer(const WebRtcEndpoint& ours, const PlainAudio& audio) {
  const std::string address = addr_line(ours.address);
  std::string out;
  line(out, "v=0");
  line(out, "o=- " + std::to_string(ours.session_id) + " " + std::to_string(ours.session_version) + " " + address);
  line(out, "s=-");
  line(out, "t=0 0");
  line(out, "a=group:BUNDLE " + std::string(kMid));
  line(out, "a=msid-semantic: WMS sipgw");
  std::string m = "m=audio " + std::to_string(ours.port) + " UDP/TLS/RTP/SAVPF";
  for (const auto& c : audio.codecs) m += " " + c.pt;
  line(out, m);
  line(out, "c=" + address);
  // We gather before offering, so every candidate is here (RFC 8840 §4.1); with none (the
  // caller trickles them) the end marker would be a lie.
  for (const auto& c : ours.candidates) line(out, "a=" + c);
  if (!ours.candidates.empty()) line(out, "a=end-of-candidates");
  line(out, "a=ice-ufrag:" + ours.ice_ufrag);
  line(out, "a=ice-pwd:" + ours.ice_pwd);
  line(out, "a=fingerprint:sha-256 " + ours.fingerprint);
  line(out, "a=setup:actpass");
  line(out, "a=mid:" + std::string(kMid));
  line(out, "a=" + audio.direction);
  // Lets the browser's ontrack carry a stream (RFC 8830): one stream, one audio track.
  line(out, "a=msid:sipgw sipgw-audio");
  line(out, "a=rtcp-mux");
  for (const auto& c : audio.codecs) {
    line(out, "a=rtpmap:" + c.pt + " " + c.rtpmap);
    if (c.fmtp) line(out, "a=fmtp:" + c.pt + " " + *c.fmtp);
  }
  // RFC 4566 §6 (pitfall 8): Chromium packetises G.711 at the offered ptime.
  if (audio.ptime) line(out, "a=ptime:" + *audio.ptime);
  if (audio.maxptime) line(out, "a=maxptime:" + *audio.maxptime);
  return out;
}

// The PBX offer's audio section, checked; index into `offer.media`, or -1 with `error` set.
int pbx_audio(const SessionDescription& offer, std::string& error) {
  const int index = find_plain_audio(offer);
  if (index < 0) {
    error = "PBX offer has no audio section";
    return -1;
  }
  const SdpMedia& audio = offer.media[static_cast<size_t>(index)];
  if (audio.port == 0) {
    error = "PBX offer disables audio (m=audio port 0)";
    return -1;
  }
  if (!is_plain_rtp(audio)) {
    error = "PBX offer uses " + audio.protocol + " for audio; only plain RTP (RTP/AVP) is supported";
    return -1;
  }
  if (connection_of(offer, audio).empty()) {
    error = "PBX offer has no c= line for audio";
    return -1;
  }
  return index;
}

// The delayed-offer case: the browser answered default_webrtc_offer(); its codecs become our
// plain offer (RFC 3261 §13.2.1: the offer goes in the 200 OK, the answer comes in the ACK).
std::string plain_offer_from_answer(const SessionDescription& answer, const SdpMedia& audio, const PlainEndpoint& ours) {
  PlainAudio plain;
  for (const auto& pt : audio.formats) {
    if (!keep_for_pbx(audio, pt) || has_pt(plain.codecs, pt)) continue;
    plain.codecs.push_back({pt, rtpmap_of(audio, pt).value_or(""), pt_attribute(audio, "fmtp", pt)});
  }
  if (plain.codecs.empty()) return {};
  if (auto ptime = audio.attribute("ptime")) plain.ptime = std::string(trim(*ptime));
  plain.direction = direction_of(audio, answer);
  return write_plain(ours, plain);
}

}  // namespace

WebRtcOfferResult plain_offer_to_webrtc(const std::string& pbx_offer, const WebRtcEndpoint& ours) {
  WebRtcOfferResult result;
  if (result.error = webrtc_endpoint_error(ours); !result.error.empty()) return result;
  auto parsed = parse_sdp(pbx_offer);
  if (!parsed.description) {
    result.error = "PBX offer: " + parsed.error;
    return result;
  }
  const SessionDescription& offer = *parsed.description;
  const int index = pbx_audio(offer, result.error);
  if (index < 0) return result;
  const SdpMedia& audio = offer.media[static_cast<size_t>(index)];
  result.pbx_address = connection_of(offer, audio);
  result.pbx_rtp_port = audio.port;
  result.pbx_rtcp_port = rtcp_port(audio).value_or(audio.port < 65535 ? static_cast<uint16_t>(audio.port + 1) : 0);

  // The PBX's codecs in its order and numbering. Left out: PTs 64-95, which rtcp-mux makes
  // ambiguous with RTCP packet types (RFC 5761 §4); dynamic PTs without rtpmap; a PT listed
  // twice (its rtpmap/fmtp would be repeated).
  PlainAudio webrtc;
  for (const auto& pt : audio.formats) {
    auto number = to_uint(pt, 127);
    if (!number || (*number >= 64 && *number <= 95) || has_pt(webrtc.codecs, pt)) continue;
    auto rtpmap = rtpmap_of(audio, pt);
    if (!rtpmap) continue;
    webrtc.codecs.push_back({pt, *rtpmap, pt_attribute(audio, "fmtp", pt)});
  }
  if (std::none_of(webrtc.codecs.begin(), webrtc.codecs.end(),
                   [](const PlainCodec& c) { return !is_event_or_noise(c.rtpmap); })) {
    result.error = "PBX offer has no audio codec";
    result.pbx_address.clear();
    result.pbx_rtp_port = result.pbx_rtcp_port = 0;
    return result;
  }
  if (auto ptime = audio.attribute("ptime")) webrtc.ptime = std::string(trim(*ptime));
  if (auto maxptime = audio.attribute("maxptime")) webrtc.maxptime = std::string(trim(*maxptime));
  webrtc.direction = to_string(direction_enum(audio, offer, true));
  result.sdp = write_webrtc_offer(ours, webrtc);
  return result;
}

std::string default_webrtc_offer(const WebRtcEndpoint& ours) {
  if (!webrtc_endpoint_error(ours).empty()) return {};
  PlainAudio audio;
  audio.codecs = {{"0", "PCMU/8000", std::nullopt},
                  {"8", "PCMA/8000", std::nullopt},
                  {"101", "telephone-event/8000", std::string("0-16")}};
  return write_webrtc_offer(ours, audio);
}

PlainOfferResult webrtc_answer_to_plain(const std::string& browser_answer, const std::string& pbx_offer,
                                        const PlainEndpoint& ours) {
  PlainOfferResult result;
  if (!valid_plain_endpoint(ours)) {
    result.error = "invalid plain endpoint (address empty or rtp port 0/65535)";
    return result;
  }
  auto parsed_answer = parse_sdp(browser_answer);
  if (!parsed_answer.description) {
    result.error = "browser answer: " + parsed_answer.error;
    return result;
  }
  const SessionDescription& answer = *parsed_answer.description;
  const int answer_index = find_audio(answer);
  if (answer_index < 0) {
    result.error = "browser answer has no usable audio section (rejected?)";
    return result;
  }
  const SdpMedia& browser = answer.media[static_cast<size_t>(answer_index)];
  if (std::string why = read_webrtc_transport(answer, browser, result.browser); !why.empty()) {
    result.error = "browser answer has " + why;
    return result;
  }
  // RFC 8842 §5.3: the answerer picks active or passive; actpass is an offerer's value.
  if (result.browser.setup != "active" && result.browser.setup != "passive") {
    result.error = "browser answer has a=setup:" + result.browser.setup + " (an answer must be active or passive)";
    return result;
  }

  if (pbx_offer.empty()) {
    result.sdp = plain_offer_from_answer(answer, browser, ours);
    if (result.sdp.empty()) result.error = "browser answer has no codec a PBX can use";
    return result;
  }

  auto parsed_offer = parse_sdp(pbx_offer);
  if (!parsed_offer.description) {
    result.error = "PBX offer: " + parsed_offer.error;
    return result;
  }
  const SessionDescription& offer = *parsed_offer.description;
  const int offer_index = pbx_audio(offer, result.error);
  if (offer_index < 0) return result;
  const SdpMedia& pbx = offer.media[static_cast<size_t>(offer_index)];

  // The codecs the browser kept, in its order of preference (RFC 3264 §6.1), under the PBX's
  // number: the same PT when it names the same codec (the normal case, since we offered the
  // PBX's numbers), else the PBX's PT for that codec. fmtp: the browser's receive parameters
  // (they are what the PBX must send), else the PBX's.
  PlainAudio plain;
  bool audio_codec = false;
  for (const auto& pt : browser.formats) {
    auto browser_rtpmap = rtpmap_of(browser, pt);
    if (!browser_rtpmap || !to_uint(pt, 127)) continue;
    const Encoding wanted = parse_rtpmap(*browser_rtpmap);
    auto names_it = [&](const std::string& candidate) {
      auto rtpmap = rtpmap_of(pbx, candidate);
      return rtpmap && to_uint(candidate, 127) && parse_rtpmap(*rtpmap).same_codec(wanted);
    };
    std::optional<std::string> pbx_pt;
    if (std::find(pbx.formats.begin(), pbx.formats.end(), pt) != pbx.formats.end() && names_it(pt)) pbx_pt = pt;
    for (const auto& candidate : pbx.formats)
      if (!pbx_pt && names_it(candidate)) pbx_pt = candidate;
    if (!pbx_pt || has_pt(plain.codecs, *pbx_pt)) continue;
    auto fmtp = pt_attribute(browser, "fmtp", pt);
    if (!fmtp) fmtp = pt_attribute(pbx, "fmtp", *pbx_pt);
    plain.codecs.push_back({*pbx_pt, rtpmap_of(pbx, *pbx_pt).value_or(""), fmtp});
    audio_codec = audio_codec || !is_event_or_noise(*browser_rtpmap);
  }
  if (!audio_codec) {
    result.error = "browser kept no audio codec of the PBX offer";
    return result;
  }
  // The browser sends at the ptime we offered (the PBX's), so the PBX's value stays true.
  if (auto ptime = browser.attribute("ptime")) plain.ptime = std::string(trim(*ptime));
  else if (auto pbx_ptime = pbx.attribute("ptime")) plain.ptime = std::string(trim(*pbx_ptime));
  // The browser answered our offer, which carried the PBX's direction; clamp anyway (RFC 3264 §6.1).
  // Chromium's c=IN IP4 0.0.0.0 before it has candidates is no hold, so the browser's c= is ignored.
  const Direction offered = direction_enum(pbx, offer, true);
  plain.direction = to_string(answer_direction(offered, direction_enum(browser, answer, false)));
  result.sdp = write_plain(ours, plain, &offer, offer_index);
  return result;
}

}  // namespace sipgw::protocol
