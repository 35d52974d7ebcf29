// Unit tests for incoming calls (protocol/sdp_translation.hpp): PBX offer -> WebRTC offer for the
// browser, and the browser's answer -> plain answer (or delayed offer) for the PBX. The browser's
// answer is a real Chromium answer to our offer (tests/fixtures/sdp/README.md).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/sdp_negotiation.hpp"
#include "sdp_test_helpers.hpp"
#include "protocol/sdp_translation.hpp"

namespace sipgw::protocol {
namespace {

using test::fixture;
using test::contains;
using test::parsed;

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

int direction_count(const SdpMedia& m) {
  int n = 0;
  for (const char* d : {"sendrecv", "sendonly", "recvonly", "inactive"}) n += m.has_attribute(d) ? 1 : 0;
  return n;
}

PlainEndpoint plain_endpoint() { return PlainEndpoint{"203.0.113.5", 40000, 777, 3}; }

WebRtcEndpoint webrtc_endpoint() {
  WebRtcEndpoint e;
  e.ice_ufrag = "gwUf";
  e.ice_pwd = "gatewayPasswordOf22chr";
  e.fingerprint = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
  e.setup = "active";  // the default; an offer must still say actpass
  e.candidates = {"candidate:1 1 udp 2130706431 198.51.100.7 50000 typ host",
                  "candidate:2 1 udp 1694498815 203.0.113.9 50000 typ srflx raddr 198.51.100.7 rport 50000"};
  e.address = "198.51.100.7";
  e.port = 50000;
  e.session_id = 4242;
  e.session_version = 1;
  return e;
}

const std::string kPbxHead = "v=0\r\no=pbx 1 1 IN IP4 192.0.2.50\r\ns=pbx\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n";

// ---------------------------------------------------------------- PBX offer -> browser offer

void expect_browser_ready_offer(const SessionDescription& d, const WebRtcEndpoint& ours) {
  EXPECT_EQ(d.origin_username, "-");
  EXPECT_EQ(d.origin_session_id, std::to_string(ours.session_id));
  EXPECT_EQ(d.origin_session_version, std::to_string(ours.session_version));
  EXPECT_EQ(d.attribute("group"), "BUNDLE 0");
  ASSERT_EQ(d.media.size(), 1u);
  const SdpMedia& m = d.media[0];
  EXPECT_EQ(m.media, "audio");
  EXPECT_EQ(m.port, ours.port);
  EXPECT_EQ(m.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(m.connection_address, ours.address);
  EXPECT_EQ(m.attribute("ice-ufrag"), ours.ice_ufrag);
  EXPECT_EQ(m.attribute("ice-pwd"), ours.ice_pwd);
  EXPECT_EQ(m.attribute("fingerprint"), "sha-256 " + ours.fingerprint);
  EXPECT_EQ(m.attribute("setup"), "actpass");  // RFC 8842 §5.2
  EXPECT_EQ(m.attribute("mid"), "0");
  EXPECT_EQ(m.attribute("msid"), "sipgw sipgw-audio");
  EXPECT_TRUE(m.has_attribute("rtcp-mux"));
  EXPECT_TRUE(m.has_attribute("end-of-candidates"));
  std::vector<std::string> expected;
  for (const auto& c : ours.candidates) expected.push_back(c.substr(std::string("candidate:").size()));
  EXPECT_EQ(m.attributes_named("candidate"), expected);
  EXPECT_EQ(direction_count(m), 1);
}

TEST(PlainOfferToWebRtc, BaresipOfferHasEverythingTheBrowserNeeds) {
  const WebRtcEndpoint ours = webrtc_endpoint();
  const auto r = plain_offer_to_webrtc(fixture("baresip_offer.sdp"), ours);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.pbx_address, "127.0.0.1");
  EXPECT_EQ(r.pbx_rtp_port, 10006);
  EXPECT_EQ(r.pbx_rtcp_port, 10007);
  const SessionDescription d = parsed(r.sdp);
  expect_browser_ready_offer(d, ours);
  const SdpMedia& m = d.media.at(0);
  // The PBX's payload types, order and numbering.
  EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "8", "101"}));
  EXPECT_EQ(m.attributes_named("rtpmap"),
            (std::vector<std::string>{"0 PCMU/8000", "8 PCMA/8000", "101 telephone-event/8000"}));
  EXPECT_EQ(m.attributes_named("fmtp"), std::vector<std::string>{"101 0-15"});
  EXPECT_EQ(m.attribute("ptime"), "20");
  EXPECT_TRUE(m.has_attribute("sendrecv"));
  // Nothing of the PBX's own session leaks to the browser.
  for (const char* leak : {"8119071", "1008469595", "baresip", "label", "ssrc", "rtcp-rsize", "minptime", "RTP/AVP "})
    EXPECT_FALSE(contains(r.sdp, leak)) << leak << "\n" << r.sdp;
}

TEST(PlainOfferToWebRtc, AsteriskAndFreeswitchOffers) {
  auto r = plain_offer_to_webrtc(fixture("asterisk_style_offer.sdp"), webrtc_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.pbx_address, "192.0.2.10");
  EXPECT_EQ(r.pbx_rtp_port, 17300);
  EXPECT_EQ(r.pbx_rtcp_port, 17301);
  SdpMedia m = parsed(r.sdp).media.at(0);
  EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "8", "9", "101"}));
  EXPECT_EQ(m.attribute("maxptime"), "150");
  EXPECT_FALSE(contains(r.sdp, "Asterisk"));

  r = plain_offer_to_webrtc(fixture("freeswitch_style_offer.sdp"), webrtc_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.pbx_rtcp_port, 24601);
  m = parsed(r.sdp).media.at(0);
  EXPECT_EQ(m.formats, (std::vector<std::string>{"102", "9", "0", "8", "101", "13"}));
  // fmtp verbatim, spaces and all.
  EXPECT_EQ(m.attributes_named("fmtp").at(0),
            "102 useinbandfec=1; maxaveragebitrate=30000; maxplaybackrate=48000; ptime=20; minptime=10; maxptime=40");
  EXPECT_EQ(m.attributes_named("rtpmap").back(), "13 CN/8000");
}

TEST(PlainOfferToWebRtc, AddsRtpmapForStaticPayloadTypes) {
  const auto r = plain_offer_to_webrtc(kPbxHead + "m=audio 5000 RTP/AVP 0 18 9 13\r\n", webrtc_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(parsed(r.sdp).media.at(0).attributes_named("rtpmap"),
            (std::vector<std::string>{"0 PCMU/8000", "18 G729/8000", "9 G722/8000", "13 CN/8000"}));
}

TEST(PlainOfferToWebRtc, LeavesOutUnusablePayloadTypes) {
  // 72 collides with RTCP under rtcp-mux (RFC 5761 §4); 96 has no rtpmap; 200 and "x" are no
  // RTP payload types; the second 0 is a duplicate.
  const auto r = plain_offer_to_webrtc(
      kPbxHead + "m=audio 5000 RTP/AVP 0 0 72 96 200 x 97\r\na=rtpmap:72 foo/8000\r\na=rtpmap:97 iLBC/8000\r\n",
      webrtc_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  const SdpMedia m = parsed(r.sdp).media.at(0);
  EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "97"}));
  EXPECT_EQ(m.attributes_named("rtpmap"), (std::vector<std::string>{"0 PCMU/8000", "97 iLBC/8000"}));
}

TEST(PlainOfferToWebRtc, DirectionFromThePbxAndHoldAddress) {
  for (const char* dir : {"sendrecv", "sendonly", "recvonly", "inactive"}) {
    const auto r = plain_offer_to_webrtc(kPbxHead + "m=audio 5000 RTP/AVP 0\r\na=" + dir + "\r\n", webrtc_endpoint());
    ASSERT_TRUE(r.error.empty()) << r.error;
    const SdpMedia m = parsed(r.sdp).media.at(0);
    EXPECT_TRUE(m.has_attribute(dir)) << dir;
    EXPECT_EQ(direction_count(m), 1) << dir;
  }
  // RFC 3264 §8.4: c=0.0.0.0 means "do not send to me": the browser is offered sendonly.
  const auto hold = plain_offer_to_webrtc(fixture("freeswitch_style_hold_reoffer.sdp"), webrtc_endpoint());
  ASSERT_TRUE(hold.error.empty()) << hold.error;
  EXPECT_EQ(hold.pbx_address, "0.0.0.0");
  const SdpMedia m = parsed(hold.sdp).media.at(0);
  EXPECT_TRUE(m.has_attribute("sendonly"));
  EXPECT_EQ(direction_count(m), 1);
  EXPECT_EQ(m.connection_address, webrtc_endpoint().address);  // our address, never 0.0.0.0
}

TEST(PlainOfferToWebRtc, PicksThePlainSectionOfABestEffortSrtpOffer) {
  const auto r = plain_offer_to_webrtc(kPbxHead +
                                           "m=audio 6000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                                           "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
                                           "m=audio 6002 RTP/AVP 0 8\r\n",
                                       webrtc_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.pbx_rtp_port, 6002);
  EXPECT_FALSE(contains(r.sdp, "crypto"));
  EXPECT_EQ(parsed(r.sdp).media.at(0).formats, (std::vector<std::string>{"0", "8"}));
}

TEST(PlainOfferToWebRtc, NoEndOfCandidatesWithoutCandidates) {
  WebRtcEndpoint ours = webrtc_endpoint();
  ours.candidates.clear();
  const auto r = plain_offer_to_webrtc(fixture("baresip_offer.sdp"), ours);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_FALSE(contains(r.sdp, "end-of-candidates"));
}

TEST(PlainOfferToWebRtc, Errors) {
  const WebRtcEndpoint ours = webrtc_endpoint();
  auto r = plain_offer_to_webrtc("garbage", ours);
  EXPECT_TRUE(contains(r.error, "PBX offer")) << r.error;
  EXPECT_TRUE(r.sdp.empty());
  EXPECT_TRUE(contains(plain_offer_to_webrtc(kPbxHead + "m=video 5000 RTP/AVP 31\r\n", ours).error, "audio"));
  EXPECT_TRUE(contains(plain_offer_to_webrtc(kPbxHead + "m=audio 0 RTP/AVP 0\r\n", ours).error, "port 0"));
  EXPECT_TRUE(contains(plain_offer_to_webrtc(kPbxHead + "m=audio 5000 RTP/SAVP 0\r\n", ours).error, "RTP/SAVP"));
  EXPECT_TRUE(contains(plain_offer_to_webrtc("v=0\r\no=pbx 1 1 IN IP4 192.0.2.50\r\ns=-\r\nt=0 0\r\n"
                                             "m=audio 5000 RTP/AVP 0\r\n",
                                             ours)
                           .error,
                       "c="));
  r = plain_offer_to_webrtc(kPbxHead + "m=audio 5000 RTP/AVP 101 96\r\na=rtpmap:101 telephone-event/8000\r\n", ours);
  EXPECT_TRUE(contains(r.error, "codec")) << r.error;
  EXPECT_EQ(r.pbx_rtp_port, 0);
  // A WebRTC offer is not a plain one.
  EXPECT_FALSE(plain_offer_to_webrtc(fixture("chromium_offer.sdp"), ours).error.empty());
  WebRtcEndpoint no_fingerprint = ours;
  no_fingerprint.fingerprint.clear();
  EXPECT_FALSE(plain_offer_to_webrtc(fixture("baresip_offer.sdp"), no_fingerprint).error.empty());
}

TEST(DefaultWebRtcOffer, PcmuPcmaAndTelephoneEvent) {
  const WebRtcEndpoint ours = webrtc_endpoint();
  const std::string offer = default_webrtc_offer(ours);
  const SessionDescription d = parsed(offer);
  expect_browser_ready_offer(d, ours);
  const SdpMedia& m = d.media.at(0);
  EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "8", "101"}));
  EXPECT_EQ(m.attributes_named("rtpmap"),
            (std::vector<std::string>{"0 PCMU/8000", "8 PCMA/8000", "101 telephone-event/8000"}));
  EXPECT_TRUE(m.has_attribute("sendrecv"));
  WebRtcEndpoint broken = ours;
  broken.ice_ufrag.clear();
  EXPECT_TRUE(default_webrtc_offer(broken).empty());
}

// ---------------------------------------------------------- browser answer -> PBX answer

TEST(WebRtcAnswerToPlain, ChromiumAnswerToBaresipOffer) {
  const PlainEndpoint ours = plain_endpoint();
  const auto r =
      webrtc_answer_to_plain(fixture("chromium_answer_to_gateway_offer.sdp"), fixture("baresip_offer.sdp"), ours);
  ASSERT_TRUE(r.error.empty()) << r.error;
  const SessionDescription d = parsed(r.sdp);
  EXPECT_EQ(d.origin_session_id, "777");
  EXPECT_EQ(d.origin_session_version, "3");
  EXPECT_EQ(d.origin_address, "203.0.113.5");
  EXPECT_EQ(d.connection_address, "203.0.113.5");
  EXPECT_TRUE(d.attributes.empty());
  ASSERT_EQ(d.media.size(), 1u);
  const SdpMedia& m = d.media[0];
  EXPECT_EQ(m.port, 40000);
  EXPECT_EQ(m.protocol, "RTP/AVP");
  EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "8", "101"}));
  EXPECT_EQ(m.attributes_named("rtpmap"),
            (std::vector<std::string>{"0 PCMU/8000", "8 PCMA/8000", "101 telephone-event/8000"}));
  // Chromium's answer has no fmtp for telephone-event: the PBX's stays.
  EXPECT_EQ(m.attributes_named("fmtp"), std::vector<std::string>{"101 0-15"});
  EXPECT_EQ(m.attribute("ptime"), "20");
  EXPECT_EQ(m.attribute("rtcp"), "40001");
  EXPECT_TRUE(m.has_attribute("sendrecv"));
  for (const auto& a : m.attributes)
    EXPECT_TRUE(a.name == "rtpmap" || a.name == "fmtp" || a.name == "ptime" || a.name == "rtcp" ||
                a.name == "sendrecv")
        << a.name;
  for (const char* leak : {"ice-", "candidate", "fingerprint", "setup", "mid", "group", "msid", "ssrc", "rtcp-mux",
                           "SAVPF", "127.0.0.1", "5232730466111088455"})
    EXPECT_FALSE(contains(r.sdp, leak)) << leak << "\n" << r.sdp;
  // The browser's transport parameters, for the media side.
  EXPECT_EQ(r.browser.ice_ufrag, "af2a");
  EXPECT_EQ(r.browser.ice_pwd, "63sGb3dHOQGKX61hSCFhwV3X");
  EXPECT_EQ(r.browser.fingerprint_algorithm, "sha-256");
  EXPECT_TRUE(r.browser.fingerprint.starts_with("12:89:87:13")) << r.browser.fingerprint;
  EXPECT_EQ(r.browser.setup, "active");  // what Chromium answers to actpass: we are the DTLS server
  EXPECT_EQ(r.browser.mid, "0");
  ASSERT_EQ(r.browser.candidates.size(), 2u);
  EXPECT_TRUE(r.browser.candidates[0].starts_with("candidate:3673874422 1 udp"));
}

TEST(WebRtcAnswerToPlain, OnlyTheCodecsTheBrowserKept) {
  // The captured answer keeps 0 8 101; the Asterisk offer also had G722 (9).
  const auto r = webrtc_answer_to_plain(fixture("chromium_answer_to_gateway_offer.sdp"),
                                        fixture("asterisk_style_offer.sdp"), plain_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  const SdpMedia m = parsed(r.sdp).media.at(0);
  EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "8", "101"}));
  EXPECT_EQ(m.attributes_named("fmtp"), std::vector<std::string>{"101 0-16"});
}

TEST(WebRtcAnswerToPlain, PbxNumberingWinsAndBrowserOrderIsKept) {
  // A browser that renumbered telephone-event to 96 and put PCMA first.
  std::string answer = fixture("chromium_answer_to_gateway_offer.sdp");
  answer = replaced(answer, "SAVPF 0 8 101", "SAVPF 8 0 96");
  answer = replaced(answer, "a=rtpmap:101 telephone-event/8000", "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-11");
  const auto r = webrtc_answer_to_plain(answer, fixture("baresip_offer.sdp"), plain_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  const SdpMedia m = parsed(r.sdp).media.at(0);
  EXPECT_EQ(m.formats, (std::vector<std::string>{"8", "0", "101"}));
  EXPECT_EQ(m.attributes_named("fmtp"), std::vector<std::string>{"101 0-11"});  // the browser's receive set
}

TEST(WebRtcAnswerToPlain, DirectionsFollowRfc3264) {
  struct Case {
    const char* pbx;      // the PBX's offer direction
    const char* browser;  // what the browser answered
    const char* plain;    // what we answer the PBX
  };
  const Case cases[] = {{"sendrecv", "sendrecv", "sendrecv"}, {"sendrecv", "recvonly", "recvonly"},
                        {"sendonly", "recvonly", "recvonly"}, {"sendonly", "sendrecv", "recvonly"},
                        {"recvonly", "sendonly", "sendonly"}, {"inactive", "sendrecv", "inactive"},
                        {"sendrecv", "inactive", "inactive"}};
  for (const auto& c : cases) {
    const std::string pbx = replaced(fixture("baresip_offer.sdp"), "a=sendrecv", std::string("a=") + c.pbx);
    const std::string answer =
        replaced(fixture("chromium_answer_to_gateway_offer.sdp"), "a=sendrecv", std::string("a=") + c.browser);
    const auto r = webrtc_answer_to_plain(answer, pbx, plain_endpoint());
    ASSERT_TRUE(r.error.empty()) << r.error;
    const SdpMedia m = parsed(r.sdp).media.at(0);
    EXPECT_TRUE(m.has_attribute(c.plain)) << c.pbx << "/" << c.browser << "\n" << r.sdp;
    EXPECT_EQ(direction_count(m), 1);
  }
  // c=0.0.0.0 in the PBX's offer is hold; in Chromium's answer (no candidates yet) it is not.
  const std::string hold = replaced(fixture("baresip_offer.sdp"), "c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
  auto r = webrtc_answer_to_plain(fixture("chromium_answer_to_gateway_offer.sdp"), hold, plain_endpoint());
  EXPECT_TRUE(parsed(r.sdp).media.at(0).has_attribute("recvonly")) << r.sdp;
  const std::string early =
      replaced(fixture("chromium_answer_to_gateway_offer.sdp"), "c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
  r = webrtc_answer_to_plain(early, fixture("baresip_offer.sdp"), plain_endpoint());
  EXPECT_TRUE(parsed(r.sdp).media.at(0).has_attribute("sendrecv")) << r.sdp;
}

TEST(WebRtcAnswerToPlain, EveryOfferedSectionIsAnswered) {
  // RFC 3264 §6: one m= line per offered one; the PBX's video is rejected with port 0.
  const std::string offer = fixture("baresip_offer.sdp") + "m=video 10008 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
  const auto r = webrtc_answer_to_plain(fixture("chromium_answer_to_gateway_offer.sdp"), offer, plain_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  const SessionDescription d = parsed(r.sdp);
  ASSERT_EQ(d.media.size(), 2u);
  EXPECT_EQ(d.media[0].port, 40000);
  EXPECT_EQ(d.media[1].media, "video");
  EXPECT_EQ(d.media[1].port, 0);
  EXPECT_EQ(d.media[1].protocol, "RTP/AVP");
}

TEST(WebRtcAnswerToPlain, DelayedOfferBecomesOurPlainOffer) {
  const auto r = webrtc_answer_to_plain(fixture("chromium_answer_to_gateway_offer.sdp"), "", plain_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  const SessionDescription d = parsed(r.sdp);
  EXPECT_EQ(d.origin_session_id, "777");
  ASSERT_EQ(d.media.size(), 1u);
  const SdpMedia& m = d.media[0];
  EXPECT_EQ(m.protocol, "RTP/AVP");
  EXPECT_EQ(m.port, 40000);
  EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "8", "101"}));
  EXPECT_TRUE(m.has_attribute("sendrecv"));
  EXPECT_EQ(m.attribute("rtcp"), "40001");
  EXPECT_FALSE(contains(r.sdp, "ssrc"));
  EXPECT_EQ(r.browser.setup, "active");
}

TEST(WebRtcAnswerToPlain, Errors) {
  const std::string answer = fixture("chromium_answer_to_gateway_offer.sdp");
  const std::string offer = fixture("baresip_offer.sdp");
  const PlainEndpoint ours = plain_endpoint();
  EXPECT_TRUE(contains(webrtc_answer_to_plain("garbage", offer, ours).error, "browser answer"));
  EXPECT_TRUE(contains(webrtc_answer_to_plain(answer, "garbage", ours).error, "PBX offer"));
  auto r = webrtc_answer_to_plain(replaced(answer, "a=setup:active", "a=setup:actpass"), offer, ours);
  EXPECT_TRUE(contains(r.error, "setup")) << r.error;
  EXPECT_TRUE(r.sdp.empty());
  EXPECT_TRUE(contains(webrtc_answer_to_plain(replaced(answer, "a=ice-pwd:", "a=x-pwd:"), offer, ours).error, "ICE"));
  EXPECT_TRUE(
      contains(webrtc_answer_to_plain(replaced(answer, "a=fingerprint:", "a=x:"), offer, ours).error, "fingerprint"));
  EXPECT_FALSE(webrtc_answer_to_plain(replaced(answer, "m=audio 35210", "m=audio 0"), offer, ours).error.empty());
  // The browser kept only Opus, which the PBX never offered.
  r = webrtc_answer_to_plain(
      replaced(replaced(answer, "SAVPF 0 8 101", "SAVPF 111"), "a=rtpmap:0 PCMU/8000", "a=rtpmap:111 opus/48000/2"),
      offer, ours);
  EXPECT_TRUE(contains(r.error, "codec")) << r.error;
  EXPECT_FALSE(webrtc_answer_to_plain(answer, offer, PlainEndpoint{"", 40000, 1, 1}).error.empty());
  EXPECT_FALSE(webrtc_answer_to_plain(answer, kPbxHead + "m=audio 0 RTP/AVP 0\r\n", ours).error.empty());
}

TEST(SdpIncomingTranslationFuzz, TruncationsNeverThrow) {
  const std::string offer = fixture("freeswitch_style_offer.sdp");
  const std::string answer = fixture("chromium_answer_to_gateway_offer.sdp");
  for (size_t n = 0; n <= offer.size(); ++n) {
    ASSERT_NO_THROW(plain_offer_to_webrtc(offer.substr(0, n), webrtc_endpoint()));
    ASSERT_NO_THROW(webrtc_answer_to_plain(answer, offer.substr(0, n), plain_endpoint()));
  }
  for (size_t n = 0; n <= answer.size(); ++n)
    ASSERT_NO_THROW(webrtc_answer_to_plain(answer.substr(0, n), offer, plain_endpoint()));
}

}  // namespace
}  // namespace sipgw::protocol
