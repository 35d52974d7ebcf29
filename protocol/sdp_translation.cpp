// WebRTC <-> plain SIP SDP translation. Pure: builds text from parsed models, never throws.
//
// Toward the PBX we write a fresh RTP/AVP description from a whitelist (rtpmap/fmtp of kept
// codecs, ptime, maxptime, direction) rather than deleting WebRTC attributes from the browser's
// one: nothing WebRTC-only can leak, whatever the browser adds next year (ANCHORS pitfall 7),
// and the PBX never sees the browser's o= line (pitfall 6).
#include "protocol/sdp_translation.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/sdp_text.hpp"

namespace sipgw::protocol {

namespace {

using sdp_text::iequals;
using sdp_text::split_ws;
using sdp_text::to_uint;
using sdp_text::trim;

constexpr std::array<std::string_view, 4> kDirections = {"sendrecv", "sendonly", "recvonly", "inactive"};

// Encodings a PBX audio leg cannot use: redundancy/FEC/retransmission wrappers (RFC 2198,
// RFC 5109, RFC 8627, RFC 4588) and video codecs that have no place in an audio section.
constexpr std::array<std::string_view, 11> kNonPbxEncodings = {
    "red", "ulpfec", "flexfec", "flexfec-03", "rtx", "vp8", "vp9", "h264", "h265", "av1", "av1x"};

// Static audio payload types (RFC 3551 §6, table 4) with their rtpmap value.
struct StaticPt {
  std::string_view pt;
  std::string_view rtpmap;
};
constexpr std::array<StaticPt, 15> kStaticAudio = {{{"0", "PCMU/8000"},  {"3", "GSM/8000"},
                                                    {"4", "G723/8000"},  {"5", "DVI4/8000"},
                                                    {"6", "DVI4/16000"}, {"7", "LPC/8000"},
                                                    {"8", "PCMA/8000"},  {"9", "G722/8000"},
                                                    {"10", "L16/44100/2"}, {"11", "L16/44100"},
                                                    {"12", "QCELP/8000"}, {"13", "CN/8000"},
                                                    {"14", "MPA/90000"}, {"15", "G728/8000"},
                                                    {"18", "G729/8000"}}};

std::optional<std::string_view> static_rtpmap(std::string_view pt) {
  for (const auto& s : kStaticAudio)
    if (s.pt == pt) return s.rtpmap;
  return std::nullopt;
}

// Value of `a=<name>:<pt> <rest>` for payload type `pt` (rtpmap, fmtp), trimmed.
std::optional<std::string> pt_attribute(const SdpMedia& m, std::string_view name, std::string_view pt) {
  for (const auto& a : m.attributes) {
    if (a.name != name) continue;
    std::string_view v = trim(a.value);
    size_t sp = v.find_first_of(" \t");
    if (sp == std::string_view::npos || v.substr(0, sp) != pt) continue;
    return std::string(trim(v.substr(sp + 1)));
  }
  return std::nullopt;
}

// Media-level attribute, else session-level (RFC 8839 §5.4 and RFC 8122 §5 allow both).
std::optional<std::string> media_or_session(const SessionDescription& sdp, const SdpMedia& m, std::string_view name) {
  if (auto v = m.attribute(name)) return std::string(trim(*v));
  if (auto v = sdp.attribute(name)) return std::string(trim(*v));
  return std::nullopt;
}

std::string direction_of(const SdpMedia& m, const SessionDescription& sdp) {
  for (auto d : kDirections)
    if (m.has_attribute(d)) return std::string(d);
  for (auto d : kDirections)
    if (sdp.attribute(d)) return std::string(d);
  return "sendrecv";  // RFC 8866 §6.7: the default
}

// First audio section the browser wants to use: port != 0, or bundled (RFC 9143 §7.1.3
// "bundle-only" sections carry port 0). Returns its index or -1.
int find_audio(const SessionDescription& sdp) {
  for (size_t i = 0; i < sdp.media.size(); ++i) {
    const auto& m = sdp.media[i];
    if (m.media == "audio" && (m.port != 0 || m.has_attribute("bundle-only"))) return static_cast<int>(i);
  }
  return -1;
}

// Mids of the offer's a=group:BUNDLE line(s) (RFC 9143 §7.1), empty if none.
std::vector<std::string> bundle_mids(const SessionDescription& sdp) {
  std::vector<std::string> mids;
  for (const auto& a : sdp.attributes) {
    if (a.name != "group") continue;
    auto f = split_ws(a.value);
    if (f.empty() || f[0] != "BUNDLE") continue;
    for (size_t i = 1; i < f.size(); ++i) mids.emplace_back(f[i]);
  }
  return mids;
}

bool keep_for_pbx(const SdpMedia& m, const std::string& pt) {
  auto number = to_uint(pt, 127);
  if (!number) return false;
  auto rtpmap = pt_attribute(m, "rtpmap", pt);
  if (!rtpmap) return static_rtpmap(pt).has_value();  // dynamic PT without rtpmap: unusable
  std::string_view encoding = *rtpmap;
  encoding = encoding.substr(0, encoding.find('/'));
  for (auto bad : kNonPbxEncodings)
    if (iequals(encoding, bad)) return false;
  return true;
}

void line(std::string& out, std::string_view text) {
  out.append(text);
  out.append("\r\n");
}

std::string addr_line(std::string_view address) {
  return std::string("IN ") + std::string(sdp_text::addrtype_for(address)) + " " + std::string(address);
}

// "sha-256 AB:CD" -> {"sha-256", "AB:CD"} with RFC 8122 §5 case conventions applied.
bool parse_fingerprint(std::string_view value, WebRtcTransportParameters& out) {
  auto f = split_ws(value);
  if (f.size() != 2) return false;
  out.fingerprint_algorithm = sdp_text::lower(f[0]);
  out.fingerprint = sdp_text::upper(f[1]);
  return true;
}

// The PBX's a=rtcp:<port> [IN IP4 <addr>] (RFC 3605 §2.1).
std::optional<uint16_t> rtcp_port(const SdpMedia& m) {
  auto v = m.attribute("rtcp");
  if (!v) return std::nullopt;
  auto f = split_ws(*v);
  if (f.empty()) return std::nullopt;
  auto port = to_uint(f[0], 65535);
  if (!port || *port == 0) return std::nullopt;
  return static_cast<uint16_t>(*port);
}

}  // namespace

PlainOfferResult webrtc_offer_to_plain(const std::string& browser_offer, const PlainEndpoint& ours) {
  PlainOfferResult result;
  if (ours.address.empty() || ours.rtp_port == 0 || ours.rtp_port == 65535) {
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

  // ICE and DTLS parameters: media level wins over session level (RFC 8839 §5.4, RFC 8842 §5).
  WebRtcTransportParameters& browser = result.browser;
  browser.ice_ufrag = media_or_session(offer, audio, "ice-ufrag").value_or("");
  browser.ice_pwd = media_or_session(offer, audio, "ice-pwd").value_or("");
  if (browser.ice_ufrag.empty() || browser.ice_pwd.empty()) {
    result.error = "browser offer has no ICE credentials (a=ice-ufrag / a=ice-pwd)";
    return result;
  }
  auto fingerprint = media_or_session(offer, audio, "fingerprint");
  if (!fingerprint || !parse_fingerprint(*fingerprint, browser)) {
    result.error = "browser offer has no usable a=fingerprint";
    return result;
  }
  // RFC 4145 §4: an absent a=setup means "active".
  browser.setup = media_or_session(offer, audio, "setup").value_or("active");
  browser.mid = std::string(trim(audio.attribute("mid").value_or("")));

  // Candidates of the audio section; with BUNDLE they may live only in the tagged (first)
  // section of the group (RFC 9143 §7.1.1), so fall back to that one.
  const SdpMedia* candidate_source = &audio;
  if (!audio.has_attribute("candidate")) {
    auto mids = bundle_mids(offer);
    if (!mids.empty())
      for (const auto& m : offer.media)
        if (trim(m.attribute("mid").value_or("")) == mids.front()) candidate_source = &m;
  }
  for (const auto& c : candidate_source->attributes_named("candidate"))
    browser.candidates.push_back("candidate:" + std::string(trim(c)));

  // A payload type listed twice is kept once: each copy would repeat its rtpmap/fmtp lines, so
  // "m=audio 9 ... 0 0 0 ..." with a long a=fmtp:0 blew a 2 KiB offer up past 64 KiB (fuzzing).
  std::vector<std::string> formats;
  for (const auto& pt : audio.formats)
    if (keep_for_pbx(audio, pt) && std::find(formats.begin(), formats.end(), pt) == formats.end())
      formats.push_back(pt);
  if (formats.empty()) {
    result.error = "browser offer has no codec a PBX can use";
    return result;
  }

  // RFC 3264 §5: a fresh offer with our own o= (pitfall 6), RTP/AVP and RTCP on port+1
  // announced explicitly (RFC 3605) since the PBX leg does not mux (pitfall 3).
  const std::string address = addr_line(ours.address);
  std::string& out = result.sdp;
  line(out, "v=0");
  line(out, "o=- " + std::to_string(ours.session_id) + " " + std::to_string(ours.session_version) + " " + address);
  line(out, "s=-");
  line(out, "c=" + address);
  line(out, "t=0 0");
  std::string m = "m=audio " + std::to_string(ours.rtp_port) + " RTP/AVP";
  for (const auto& pt : formats) m += " " + pt;
  line(out, m);
  for (const auto& pt : formats) {
    if (auto rtpmap = pt_attribute(audio, "rtpmap", pt)) line(out, "a=rtpmap:" + pt + " " + *rtpmap);
    if (auto fmtp = pt_attribute(audio, "fmtp", pt)) line(out, "a=fmtp:" + pt + " " + *fmtp);
  }
  if (auto ptime = audio.attribute("ptime")) line(out, "a=ptime:" + std::string(trim(*ptime)));
  if (auto maxptime = audio.attribute("maxptime")) line(out, "a=maxptime:" + std::string(trim(*maxptime)));
  line(out, "a=" + direction_of(audio, offer));
  line(out, "a=rtcp:" + std::to_string(ours.rtp_port + 1));
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
  if (pbx->connection_address) result.pbx_address = *pbx->connection_address;
  else if (answer.connection_address) result.pbx_address = *answer.connection_address;
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
