// Fuzz target: the WebRTC <-> plain SDP translation (protocol/sdp_translation.hpp).
// The input is split in two halves: the first is the browser's offer, the second the PBX's
// answer (seeds pad the shorter one with blank lines, which parse_sdp skips). Both translations
// run with fixed endpoints. Properties:
//  - they never crash or throw, and set exactly one of `sdp` / `error`;
//  - an output that claims success parses with parse_sdp and has the promised shape
//    (PBX side: one RTP/AVP audio section and no WebRTC-only attribute; browser side: one
//    section per offered section, the audio one UDP/TLS/RTP/SAVPF).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "protocol/sdp.hpp"
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string offer(input.substr(0, size / 2));
  const std::string answer(input.substr(size / 2));
  check_plain_offer(offer);
  check_webrtc_answer(answer, offer);
  return 0;
}
