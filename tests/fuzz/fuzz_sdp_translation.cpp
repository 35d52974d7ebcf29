// Fuzz target: the WebRTC <-> plain SDP translation (protocol/sdp_translation.hpp) and the
// negotiation helpers (protocol/sdp_negotiation.hpp).
// The input is split in two halves A and B (seeds pad the shorter one with blank lines, which
// parse_sdp skips). Outgoing call: A is the browser's offer, B the PBX's answer. Incoming call:
// B is the PBX's offer, A the browser's answer (also tried as a delayed-offer answer). Re-offer:
// B is the PBX's re-offer, A the negotiated SDP; A is also re-offered. Fixed endpoints. Properties:
//  - they never crash or throw, and set exactly one of `sdp` / `error`;
//  - an output that claims success parses with parse_sdp and has the promised shape
//    (PBX side: one RTP/AVP audio section and no WebRTC-only attribute; browser side: one
//    section per offered section, the audio one UDP/TLS/RTP/SAVPF);
//  - every plain SDP we write toward the PBX answers each offered section (RFC 3264 §6) and
//    carries no WebRTC-only attribute; our WebRTC offer is one SAVPF audio section with ICE,
//    fingerprint, actpass and rtcp-mux; a re-offer keeps the sections and takes our o= version.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "protocol/sdp.hpp"
#include "protocol/sdp_negotiation.hpp"
#include "protocol/sdp_translation.hpp"

namespace {

using namespace sipgw::protocol;

constexpr std::array<std::string_view, 12> kWebRtcOnly = {
    "ice-ufrag", "ice-pwd", "ice-options", "candidate", "fingerprint", "setup",
    "mid",       "group",   "rtcp-mux",    "rtcp-fb",   "extmap",      "ssrc"};

PlainEndpoint plain_endpoint() {
  PlainEndpoint e;
  e.address = "192.0.2.10";
  e.rtp_port = 40000;
  e.session_id = 4242;
  e.session_version = 1;
  return e;
}

WebRtcEndpoint webrtc_endpoint() {
  WebRtcEndpoint e;
  e.ice_ufrag = "gwuf";
  e.ice_pwd = "gatewayicepassword0123456";
  e.fingerprint =
      "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
  e.setup = "active";
  e.candidates = {"candidate:1 1 udp 2122260223 192.0.2.20 50000 typ host"};
  e.address = "192.0.2.20";
  e.port = 50000;
  e.session_id = 4343;
  e.session_version = 2;
  return e;
}

void check_plain_offer(const std::string& offer) {
  const PlainOfferResult plain = webrtc_offer_to_plain(offer, plain_endpoint());
  FUZZ_CHECK(plain.sdp.empty() != plain.error.empty(), "exactly one of sdp/error");
  if (!plain.error.empty()) return;
  FUZZ_CHECK(!plain.browser.ice_ufrag.empty() && !plain.browser.ice_pwd.empty(), "success without ICE credentials");
  const SdpParseResult parsed = parse_sdp(plain.sdp);
  FUZZ_CHECK(parsed.description.has_value(), ("plain offer does not parse: " + parsed.error).c_str());
  const SessionDescription& sdp = *parsed.description;
  FUZZ_CHECK(sdp.media.size() == 1, "plain offer must have exactly one m= section");
  FUZZ_CHECK(sdp.media[0].media == "audio" && sdp.media[0].protocol == "RTP/AVP", "plain offer is not RTP/AVP audio");
  FUZZ_CHECK(sdp.media[0].port == 40000, "plain offer lost our RTP port");
  for (auto name : kWebRtcOnly) {
    FUZZ_CHECK(!sdp.attribute(name), "a WebRTC-only attribute leaked to session level");
    FUZZ_CHECK(!sdp.media[0].has_attribute(name), "a WebRTC-only attribute leaked to the PBX");
  }
}

void check_webrtc_answer(const std::string& answer, const std::string& offer) {
  const WebRtcAnswerResult webrtc = plain_answer_to_webrtc(answer, offer, webrtc_endpoint());
  FUZZ_CHECK(webrtc.sdp.empty() != webrtc.error.empty(), "exactly one of sdp/error");
  if (!webrtc.error.empty()) return;
  FUZZ_CHECK(webrtc.pbx_rtp_port != 0 && !webrtc.pbx_address.empty(), "success without a PBX media address");
  const SdpParseResult parsed = parse_sdp(webrtc.sdp);
  FUZZ_CHECK(parsed.description.has_value(), ("WebRTC answer does not parse: " + parsed.error).c_str());
  const SdpParseResult parsed_offer = parse_sdp(offer);
  FUZZ_CHECK(parsed_offer.description.has_value(), "success for an offer that does not parse");
  FUZZ_CHECK(parsed.description->media.size() == parsed_offer.description->media.size(),
             "the answer must have one m= section per offered section (RFC 3264 §6)");
  size_t live = 0;
  for (const auto& m : parsed.description->media) {
    if (m.port == 0) continue;
    ++live;
    FUZZ_CHECK(m.media == "audio" && m.protocol == "UDP/TLS/RTP/SAVPF", "the live section is not SAVPF audio");
    FUZZ_CHECK(m.has_attribute("ice-ufrag") && m.has_attribute("fingerprint") && m.has_attribute("rtcp-mux"),
               "the live section lacks ICE/DTLS attributes");
  }
  FUZZ_CHECK(live == 1, "the answer must accept exactly one section");
}


// A plain SDP we wrote toward the PBX: parses, no WebRTC-only attribute, live sections are our
// RTP/AVP(F) audio, and `sections` m= lines when it answers an offer with that many.
void check_plain_sdp(const std::string& text, size_t sections, const char* what) {
  const SdpParseResult parsed = parse_sdp(text);
  FUZZ_CHECK(parsed.description.has_value(), (std::string(what) + " does not parse: " + parsed.error).c_str());
  const SessionDescription& sdp = *parsed.description;
  FUZZ_CHECK(sdp.media.size() == sections, "a plain SDP must answer each offered section (RFC 3264 §6)");
  FUZZ_CHECK(sdp.origin_session_id == "4242" && sdp.connection_address == "192.0.2.10", "plain SDP lost our o=/c=");
  size_t live = 0;
  for (const auto& m : sdp.media) {
    for (auto name : kWebRtcOnly) FUZZ_CHECK(!m.has_attribute(name), "a WebRTC-only attribute leaked to the PBX");
    if (m.port == 0) continue;
    ++live;
    FUZZ_CHECK(m.media == "audio" && m.port == 40000 && m.protocol.starts_with("RTP/AVP"), "live section not ours");
  }
  FUZZ_CHECK(live <= 1, "more than one live section toward the PBX");
  for (auto name : kWebRtcOnly) FUZZ_CHECK(!sdp.attribute(name), "a WebRTC-only attribute leaked to session level");
}

size_t section_count(const std::string& text) {
  const SdpParseResult parsed = parse_sdp(text);
  FUZZ_CHECK(parsed.description.has_value(), "success for an input that does not parse");
  return parsed.description->media.size();
}

void check_incoming(const std::string& browser_answer, const std::string& pbx_offer) {
  const WebRtcOfferResult offer = plain_offer_to_webrtc(pbx_offer, webrtc_endpoint());
  FUZZ_CHECK(offer.sdp.empty() != offer.error.empty(), "exactly one of sdp/error");
  if (offer.error.empty()) {
    FUZZ_CHECK(offer.pbx_rtp_port != 0 && !offer.pbx_address.empty(), "success without a PBX media address");
    const SdpParseResult parsed = parse_sdp(offer.sdp);
    FUZZ_CHECK(parsed.description.has_value(), ("WebRTC offer does not parse: " + parsed.error).c_str());
    FUZZ_CHECK(parsed.description->media.size() == 1, "our WebRTC offer has one section");
    const SdpMedia& m = parsed.description->media[0];
    FUZZ_CHECK(m.media == "audio" && m.protocol == "UDP/TLS/RTP/SAVPF" && !m.formats.empty(), "not SAVPF audio");
    FUZZ_CHECK(m.has_attribute("ice-ufrag") && m.has_attribute("fingerprint") && m.has_attribute("rtcp-mux") &&
                   m.attribute("setup") == "actpass" && m.attribute("mid") == "0",
               "our WebRTC offer lacks ICE/DTLS attributes");
    FUZZ_CHECK(!m.has_attribute("crypto") && !m.has_attribute("ssrc"), "a PBX attribute leaked to the browser");
  }
  const PlainOfferResult answer = webrtc_answer_to_plain(browser_answer, pbx_offer, plain_endpoint());
  FUZZ_CHECK(answer.sdp.empty() != answer.error.empty(), "exactly one of sdp/error");
  if (answer.error.empty()) {
    FUZZ_CHECK(answer.browser.setup == "active" || answer.browser.setup == "passive", "answer setup not active/passive");
    check_plain_sdp(answer.sdp, pbx_offer.empty() ? 1 : section_count(pbx_offer), "plain answer");
  }
  const PlainOfferResult delayed = webrtc_answer_to_plain(browser_answer, "", plain_endpoint());
  FUZZ_CHECK(delayed.sdp.empty() != delayed.error.empty(), "exactly one of sdp/error");
  if (delayed.error.empty()) check_plain_sdp(delayed.sdp, 1, "delayed plain offer");
}

void check_reoffer(const std::string& negotiated, const std::string& reoffer) {
  const AudioDescription described = describe_audio(reoffer);
  if (described.error.empty() && described.rtp_port != 0)
    FUZZ_CHECK(!described.address.empty() && described.rtcp_port != 0, "live audio without address/RTCP port");
  const std::string again = plain_reoffer(negotiated, Direction::sendonly, 7);
  if (!again.empty()) {
    const SdpParseResult parsed = parse_sdp(again);
    FUZZ_CHECK(parsed.description.has_value(), ("re-offer does not parse: " + parsed.error).c_str());
    FUZZ_CHECK(parsed.description->origin_session_version == "7", "re-offer lost our o= version");
    FUZZ_CHECK(parsed.description->media.size() == section_count(negotiated), "re-offer changed the sections");
  }
  const ReofferAnswer answer = answer_plain_reoffer(reoffer, negotiated, plain_endpoint(), Direction::sendrecv);
  FUZZ_CHECK(answer.sdp.empty() != answer.error.empty(), "exactly one of sdp/error");
  if (answer.error.empty()) check_plain_sdp(answer.sdp, section_count(reoffer), "re-offer answer");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string offer(input.substr(0, size / 2));
  const std::string answer(input.substr(size / 2));
  check_plain_offer(offer);
  check_webrtc_answer(answer, offer);
  check_incoming(offer, answer);
  check_reoffer(offer, answer);
  return 0;
}
