// WebRTC <-> plain SIP SDP translation. Pure: builds text from parsed models, never throws.
//
// Toward the PBX we write a fresh RTP/AVP description from a whitelist (rtpmap/fmtp of kept
// codecs, ptime, maxptime, direction) rather than deleting WebRTC attributes from the browser's
// one: nothing WebRTC-only can leak, whatever the browser adds next year (ANCHORS pitfall 7),
// and the PBX never sees the browser's o= line (pitfall 6).
#include "protocol/sdp_translation.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/sdp_section.hpp"
#include "protocol/sdp_text.hpp"

namespace sipgw::protocol {

namespace {

using namespace sdp_section;
using sdp_text::to_uint;
using sdp_text::trim;

}  // namespace

PlainOfferResult webrtc_offer_to_plain(const std::string& browser_offer, const PlainEndpoint& ours) {
  PlainOfferResult result;
  if (!valid_plain_endpoint(ours)) {
    result.error = "invalid plain endpoint (address empty or rtp port 0/65535)";
    return result;
  }
  auto parsed = parse_sdp(browser_offer);
  if (!parsed.description) {
    result.error = "browser offer: " + parsed.error;
    return result;
  }
  const SessionDescription& offer = *parsed.description;
  const int index = find_audio(offer);
  if (index < 0) {
    result.error = "browser offer has no usable audio section";
    return result;
  }
  const SdpMedia& audio = offer.media[static_cast<size_t>(index)];
  if (std::string why = read_webrtc_transport(offer, audio, result.browser); !why.empty()) {
    result.error = "browser offer has " + why;
    return result;
  }

  // A payload type listed twice is kept once: each copy would repeat its rtpmap/fmtp lines, so
  // "m=audio 9 ... 0 0 0 ..." with a long a=fmtp:0 blew a 2 KiB offer up past 64 KiB (fuzzing).
  PlainAudio plain;
  for (const auto& pt : audio.formats) {
    if (!keep_for_pbx(audio, pt)) continue;
    if (std::any_of(plain.codecs.begin(), plain.codecs.end(), [&](const PlainCodec& c) { return c.pt == pt; }))
      continue;
    plain.codecs.push_back({pt, pt_attribute(audio, "rtpmap", pt).value_or(""), pt_attribute(audio, "fmtp", pt)});
  }
  if (plain.codecs.empty()) {
    result.error = "browser offer has no codec a PBX can use";
    return result;
  }
  if (auto ptime = audio.attribute("ptime")) plain.ptime = std::string(trim(*ptime));
  if (auto maxptime = audio.attribute("maxptime")) plain.maxptime = std::string(trim(*maxptime));
  plain.direction = direction_of(audio, offer);
  result.sdp = write_plain(ours, plain);
  return result;
}

WebRtcAnswerResult plain_answer_to_webrtc(const std::string& pbx_answer, const std::string& browser_offer,
                                          const WebRtcEndpoint& ours) {
  WebRtcAnswerResult result;
  if (ours.ice_ufrag.empty() || ours.ice_pwd.empty() || ours.fingerprint.empty() || ours.address.empty()) {
    result.error = "invalid WebRTC endpoint (ICE credentials, fingerprint or address missing)";
    return result;
  }
  if (ours.setup != "active" && ours.setup != "passive") {
    result.error = "our a=setup in an answer must be active or passive (RFC 8842 §5.3)";
    return result;
  }
  auto parsed_offer = parse_sdp(browser_offer);
  if (!parsed_offer.description) {
    result.error = "browser offer: " + parsed_offer.error;
    return result;
  }
  auto parsed_answer = parse_sdp(pbx_answer);
  if (!parsed_answer.description) {
    result.error = "PBX answer: " + parsed_answer.error;
    return result;
  }
  const SessionDescription& offer = *parsed_offer.description;
  const SessionDescription& answer = *parsed_answer.description;
  const int offer_index = find_audio(offer);
  if (offer_index < 0) {
    result.error = "browser offer has no usable audio section";
    return result;
  }
  const SdpMedia& offer_audio = offer.media[static_cast<size_t>(offer_index)];
  const std::string offer_setup = media_or_session(offer, offer_audio, "setup").value_or("actpass");
  if (offer_setup == ours.setup) {
    result.error = "DTLS roles clash: both sides a=setup:" + ours.setup + " (RFC 4145 §4)";
    return result;
  }

  // Our plain offer had exactly one m= line (audio), so the answer's audio section is ours.
  const SdpMedia* pbx = nullptr;
  for (const auto& m : answer.media)
    if (m.media == "audio") {
      pbx = &m;
      break;
    }
  if (pbx == nullptr) {
    result.error = "PBX answer has no audio section";
    return result;
  }
  // RFC 8866 §5.7: a media-level c= overrides the session-level one. 0.0.0.0 (RFC 2543 hold)
  // is returned as is; the caller decides what it means.
  result.pbx_address = connection_of(answer, *pbx);
  if (pbx->port == 0) {
    result.error = "PBX rejected audio (m=audio port 0)";
    return result;
  }
  if (result.pbx_address.empty()) {
    result.error = "PBX answer has no c= line for audio";
    return result;
  }
  result.pbx_rtp_port = pbx->port;
  result.pbx_rtcp_port = rtcp_port(*pbx).value_or(pbx->port < 65535 ? static_cast<uint16_t>(pbx->port + 1) : 0);

  // The PBX's chosen codecs; a missing rtpmap comes from RFC 3551's static table or, for a
  // dynamic PT, from the browser's offer (RFC 3264 §6.1: same PT number as offered).
  struct Codec {
    std::string pt, rtpmap;
    std::optional<std::string> fmtp;
  };
  std::vector<Codec> codecs;
  for (const auto& pt : pbx->formats) {
    if (!to_uint(pt, 127)) continue;
    // Once per payload type, as in the offer direction (duplicates amplified the output).
    if (std::any_of(codecs.begin(), codecs.end(), [&](const Codec& k) { return k.pt == pt; })) continue;
    Codec c{pt, {}, pt_attribute(*pbx, "fmtp", pt)};
    if (auto v = pt_attribute(*pbx, "rtpmap", pt)) c.rtpmap = *v;
    else if (auto s = static_rtpmap(pt)) c.rtpmap = std::string(*s);
    else if (auto o = pt_attribute(offer_audio, "rtpmap", pt)) c.rtpmap = *o;
    else continue;
    codecs.push_back(std::move(c));
  }
  if (codecs.empty()) {
    result.error = "PBX answer has no RTP payload type the browser can use";
    return result;
  }

  const std::string mid = std::string(trim(offer_audio.attribute("mid").value_or("")));
  auto mids = bundle_mids(offer);
  bool bundled = false;
  for (const auto& b : mids) bundled = bundled || (!mid.empty() && b == mid);
  const std::string direction = direction_of(*pbx, answer);
  const std::string address = addr_line(ours.address);

  std::string& out = result.sdp;
  line(out, "v=0");
  line(out, "o=- " + std::to_string(ours.session_id) + " " + std::to_string(ours.session_version) + " " + address);
  line(out, "s=-");
  line(out, "t=0 0");
  // RFC 9143 §7.3.3: rejected sections leave the group, so only the audio mid stays.
  if (bundled) line(out, "a=group:BUNDLE " + mid);
  line(out, "a=msid-semantic: WMS sipgw");
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const SdpMedia& om = offer.media[i];
    if (static_cast<int>(i) != offer_index) {
      // RFC 3264 §6 / RFC 8829 §5.3.1: reject with port 0, same media/proto, keep the mid.
      line(out, "m=" + om.media + " 0 " + om.protocol + " " + om.formats.front());
      line(out, "c=IN IP4 0.0.0.0");
      if (auto omid = om.attribute("mid")) line(out, "a=mid:" + std::string(trim(*omid)));
      continue;
    }
    std::string m = "m=audio " + std::to_string(ours.port) + " UDP/TLS/RTP/SAVPF";
    for (const auto& c : codecs) m += " " + c.pt;
    line(out, m);
    line(out, "c=" + address);
    // We gather before answering, so every candidate is here (RFC 8840 §4.1).
    for (const auto& c : ours.candidates) line(out, "a=" + c);
    line(out, "a=end-of-candidates");
    line(out, "a=ice-ufrag:" + ours.ice_ufrag);
    line(out, "a=ice-pwd:" + ours.ice_pwd);
    line(out, "a=fingerprint:sha-256 " + ours.fingerprint);
    line(out, "a=setup:" + ours.setup);
    if (!mid.empty()) line(out, "a=mid:" + mid);
    line(out, "a=" + direction);
    // Lets the browser's ontrack carry a stream (RFC 8830); one stream, one audio track.
    if (direction == "sendrecv" || direction == "sendonly") line(out, "a=msid:sipgw sipgw-audio");
    line(out, "a=rtcp-mux");  // RFC 5761 §5.1.1: the browser requires it (pitfall 3)
    for (const auto& c : codecs) {
      line(out, "a=rtpmap:" + c.pt + " " + c.rtpmap);
      if (c.fmtp) line(out, "a=fmtp:" + c.pt + " " + *c.fmtp);
    }
    // RFC 4566 §6: ptime/maxptime from the PBX (pitfall 8).
    if (auto ptime = pbx->attribute("ptime")) line(out, "a=ptime:" + std::string(trim(*ptime)));
    if (auto maxptime = pbx->attribute("maxptime")) line(out, "a=maxptime:" + std::string(trim(*maxptime)));
  }
  return result;
}

}  // namespace sipgw::protocol
