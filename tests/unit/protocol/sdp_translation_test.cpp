// Unit tests for the WebRTC <-> plain SIP SDP translation (protocol/sdp_translation.hpp), run
// against SDP captured from Chromium, baresip and SIPp (tests/fixtures/sdp/README.md).
#include "protocol/sdp_translation.hpp"
#include "sdp_test_helpers.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sipgw::protocol {
namespace {

using test::fixture;
using test::contains;
using test::parsed;

PlainEndpoint plain_endpoint() { return PlainEndpoint{"203.0.113.5", 40000, 777, 3}; }

WebRtcEndpoint webrtc_endpoint() {
  WebRtcEndpoint e;
  e.ice_ufrag = "gwUf";
  e.ice_pwd = "gatewayPasswordOf22chr";
  e.fingerprint = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
  e.setup = "active";
  e.candidates = {"candidate:1 1 udp 2130706431 198.51.100.7 50000 typ host",
                  "candidate:2 1 udp 1694498815 203.0.113.9 50000 typ srflx raddr 198.51.100.7 rport 50000"};
  e.address = "198.51.100.7";
  e.port = 50000;
  e.session_id = 4242;
  e.session_version = 1;
  return e;
}

// A browser offer built from parts, for shapes Chromium did not produce in the capture.
std::string offer_with(const std::string& session_attrs, const std::string& media_line,
                       const std::string& media_attrs) {
  return "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" + session_attrs + media_line +
         "\r\nc=IN IP4 0.0.0.0\r\n" + media_attrs;
}

const std::string kIceAndDtls =
    "a=ice-ufrag:sess\r\na=ice-pwd:sessionpasswordsession\r\n"
    "a=fingerprint:SHA-256 ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89\r\n"
    "a=setup:actpass\r\n";

// ---------------------------------------------------------------- browser offer -> PBX offer

TEST(WebRtcOfferToPlain, ChromiumOfferBecomesPlainRtpAvp) {
  const auto r = webrtc_offer_to_plain(fixture("chromium_offer.sdp"), plain_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  const SessionDescription d = parsed(r.sdp);
  EXPECT_EQ(d.origin_username, "-");
  EXPECT_EQ(d.origin_session_id, "777");
  EXPECT_EQ(d.origin_session_version, "3");
  EXPECT_EQ(d.origin_address, "203.0.113.5");
  EXPECT_EQ(d.session_name, "-");
  EXPECT_EQ(d.connection_address, "203.0.113.5");
  EXPECT_EQ(d.other_lines, std::vector<std::string>{"t=0 0"});
  EXPECT_TRUE(d.attributes.empty());
  ASSERT_EQ(d.media.size(), 1u);
  const SdpMedia& m = d.media[0];
  EXPECT_EQ(m.media, "audio");
  EXPECT_EQ(m.port, 40000);
  EXPECT_EQ(m.protocol, "RTP/AVP");
  // Browser PTs preserved in the browser's order; red (63) dropped.
  EXPECT_EQ(m.formats, (std::vector<std::string>{"111", "9", "0", "8", "13", "110", "126"}));
  EXPECT_EQ(m.attributes_named("rtpmap"),
            (std::vector<std::string>{"111 opus/48000/2", "9 G722/8000", "0 PCMU/8000", "8 PCMA/8000", "13 CN/8000",
                                      "110 telephone-event/48000", "126 telephone-event/8000"}));
  EXPECT_EQ(m.attributes_named("fmtp"), std::vector<std::string>{"111 minptime=10;useinbandfec=1"});
  EXPECT_EQ(m.attribute("rtcp"), "40001");
  EXPECT_TRUE(m.has_attribute("sendrecv"));
  // Only these attributes, nothing else (pitfall 7).
  for (const auto& a : m.attributes)
    EXPECT_TRUE(a.name == "rtpmap" || a.name == "fmtp" || a.name == "rtcp" || a.name == "sendrecv") << a.name;
}

TEST(WebRtcOfferToPlain, NothingWebRtcOnlyLeaksToThePbx) {
  for (const char* name : {"chromium_offer.sdp", "chromium_offer_audio_video_data.sdp"}) {
    const auto r = webrtc_offer_to_plain(fixture(name), plain_endpoint());
    ASSERT_TRUE(r.error.empty()) << name << ": " << r.error;
    for (const char* leak :
         {"ice-", "candidate", "end-of-candidates", "fingerprint", "setup", "a=mid", "group", "BUNDLE", "msid",
          "ssrc", "extmap", "rtcp-mux", "rtcp-rsize", "rtcp-fb", "rtcp-xr", "crypto", "SAVPF", "UDP/TLS", "red/",
          "127.0.0.1", "5599234421215359046", "m=video", "m=application", "webrtc-datachannel"})
      EXPECT_FALSE(contains(r.sdp, leak)) << name << " leaks '" << leak << "':\n" << r.sdp;
  }
}

TEST(WebRtcOfferToPlain, ReturnsChromiumTransportParameters) {
  const auto r = webrtc_offer_to_plain(fixture("chromium_offer.sdp"), plain_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.browser.ice_ufrag, "Ea1P");
  EXPECT_EQ(r.browser.ice_pwd, "CqgA35E+dBLAfZQBYV2mpkFJ");
  EXPECT_EQ(r.browser.fingerprint_algorithm, "sha-256");
  EXPECT_EQ(r.browser.fingerprint,
            "E1:EF:7A:BF:3B:8D:4D:3B:59:35:84:0B:D7:6F:07:63:2B:15:CD:2F:CA:35:83:05:DA:BA:8D:AF:F9:41:40:92");
  EXPECT_EQ(r.browser.setup, "actpass");
  EXPECT_EQ(r.browser.mid, "0");
  ASSERT_EQ(r.browser.candidates.size(), 2u);
  EXPECT_EQ(r.browser.candidates[0],
            "candidate:1418851573 1 udp 2122260223 127.0.0.1 59169 typ host generation 0 network-id 1 network-cost 50");
  EXPECT_TRUE(r.browser.candidates[1].starts_with("candidate:2856001633 1 tcp"));
}

TEST(WebRtcOfferToPlain, AudioVideoDataOfferKeepsOnlyAudio) {
  const auto r = webrtc_offer_to_plain(fixture("chromium_offer_audio_video_data.sdp"), plain_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  const SessionDescription d = parsed(r.sdp);
  ASSERT_EQ(d.media.size(), 1u);
  EXPECT_EQ(d.media[0].media, "audio");
  EXPECT_EQ(r.browser.mid, "0");
  EXPECT_EQ(r.browser.ice_ufrag, "IwYB");
  EXPECT_FALSE(r.browser.candidates.empty());
}

TEST(WebRtcOfferToPlain, SessionLevelIceAndFingerprint) {
  // Firefox-style: credentials and fingerprint at session level, lower-case hex.
  const auto r = webrtc_offer_to_plain(
      offer_with(kIceAndDtls, "m=audio 9 UDP/TLS/RTP/SAVPF 0", "a=mid:audio\r\na=rtcp-mux\r\n"), plain_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.browser.ice_ufrag, "sess");
  EXPECT_EQ(r.browser.ice_pwd, "sessionpasswordsession");
  EXPECT_EQ(r.browser.fingerprint_algorithm, "sha-256");
  EXPECT_TRUE(r.browser.fingerprint.starts_with("AB:CD:EF:01")) << r.browser.fingerprint;
  EXPECT_EQ(r.browser.setup, "actpass");
  EXPECT_EQ(r.browser.mid, "audio");
  EXPECT_EQ(parsed(r.sdp).media[0].formats, std::vector<std::string>{"0"});
}

TEST(WebRtcOfferToPlain, MediaLevelWinsOverSessionLevel) {
  const auto r = webrtc_offer_to_plain(offer_with(kIceAndDtls, "m=audio 9 UDP/TLS/RTP/SAVPF 8",
                                                  "a=ice-ufrag:media\r\na=ice-pwd:mediapasswordmediapass\r\n"
                                                  "a=setup:passive\r\n"),
                                       plain_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.browser.ice_ufrag, "media");
  EXPECT_EQ(r.browser.ice_pwd, "mediapasswordmediapass");
  EXPECT_EQ(r.browser.setup, "passive");
}

TEST(WebRtcOfferToPlain, DirectionAndPtimeKept) {
  const auto r = webrtc_offer_to_plain(
      offer_with(kIceAndDtls, "m=audio 9 UDP/TLS/RTP/SAVPF 0 8", "a=sendonly\r\na=ptime:30\r\na=maxptime:60\r\n"),
      plain_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  const SdpMedia m = parsed(r.sdp).media.at(0);
  EXPECT_TRUE(m.has_attribute("sendonly"));
  EXPECT_FALSE(m.has_attribute("sendrecv"));
  EXPECT_EQ(m.attribute("ptime"), "30");
  EXPECT_EQ(m.attribute("maxptime"), "60");
  // No a=direction at all means sendrecv (RFC 8866 §6.7); we say it explicitly.
  const auto plain = webrtc_offer_to_plain(offer_with(kIceAndDtls, "m=audio 9 UDP/TLS/RTP/SAVPF 0", ""),
                                           plain_endpoint());
  EXPECT_TRUE(parsed(plain.sdp).media.at(0).has_attribute("sendrecv"));
}

TEST(WebRtcOfferToPlain, DropsFecRetransmissionVideoAndUnmappedCodecs) {
  const auto r = webrtc_offer_to_plain(
      offer_with(kIceAndDtls, "m=audio 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 0 34 120",
                 "a=rtpmap:96 opus/48000/2\r\na=rtpmap:97 rtx/48000\r\na=fmtp:97 apt=96\r\n"
                 "a=rtpmap:98 ulpfec/48000\r\na=rtpmap:99 RED/8000\r\na=rtpmap:100 VP8/90000\r\n"
                 "a=rtpmap:101 flexfec-03/48000\r\n"),
      plain_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  const SdpMedia m = parsed(r.sdp).media.at(0);
  // 34 is static H263 (video); 120 is dynamic without rtpmap.
  EXPECT_EQ(m.formats, (std::vector<std::string>{"96", "0"}));
  EXPECT_FALSE(contains(r.sdp, "apt=96"));
}

TEST(WebRtcOfferToPlain, Errors) {
  const PlainEndpoint ours = plain_endpoint();
  EXPECT_FALSE(webrtc_offer_to_plain("garbage", ours).error.empty());
  EXPECT_FALSE(webrtc_offer_to_plain("", ours).error.empty());
  // A plain SIP offer is not a WebRTC offer: no ICE credentials.
  auto r = webrtc_offer_to_plain(fixture("baresip_offer.sdp"), ours);
  EXPECT_TRUE(contains(r.error, "ICE")) << r.error;
  EXPECT_TRUE(r.sdp.empty());
  r = webrtc_offer_to_plain(offer_with(kIceAndDtls, "m=video 9 UDP/TLS/RTP/SAVPF 96", "a=rtpmap:96 VP8/90000\r\n"),
                            ours);
  EXPECT_TRUE(contains(r.error, "audio")) << r.error;
  r = webrtc_offer_to_plain(offer_with("", "m=audio 9 UDP/TLS/RTP/SAVPF 0",
                                       "a=ice-ufrag:u\r\na=ice-pwd:pppppppppppppppppppppp\r\n"),
                            ours);
  EXPECT_TRUE(contains(r.error, "fingerprint")) << r.error;
  r = webrtc_offer_to_plain(
      offer_with(kIceAndDtls, "m=audio 9 UDP/TLS/RTP/SAVPF 63", "a=rtpmap:63 red/48000/2\r\n"), ours);
  EXPECT_TRUE(contains(r.error, "codec")) << r.error;
  r = webrtc_offer_to_plain(offer_with(kIceAndDtls, "m=audio 0 UDP/TLS/RTP/SAVPF 0", ""), ours);
  EXPECT_FALSE(r.error.empty());  // audio rejected by the browser itself
  EXPECT_FALSE(webrtc_offer_to_plain(fixture("chromium_offer.sdp"), PlainEndpoint{"", 40000, 1, 1}).error.empty());
  EXPECT_FALSE(webrtc_offer_to_plain(fixture("chromium_offer.sdp"), PlainEndpoint{"1.2.3.4", 0, 1, 1}).error.empty());
}

// ------------------------------------------------------------- PBX answer -> browser answer

void expect_browser_ready(const SdpMedia& m, const WebRtcEndpoint& ours, const std::string& mid) {
  EXPECT_EQ(m.media, "audio");
  EXPECT_EQ(m.port, ours.port);
  EXPECT_EQ(m.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(m.connection_address, ours.address);
  EXPECT_EQ(m.attribute("ice-ufrag"), ours.ice_ufrag);
  EXPECT_EQ(m.attribute("ice-pwd"), ours.ice_pwd);
  EXPECT_EQ(m.attribute("fingerprint"), "sha-256 " + ours.fingerprint);
  EXPECT_EQ(m.attribute("setup"), ours.setup);
  EXPECT_EQ(m.attribute("mid"), mid);
  EXPECT_TRUE(m.has_attribute("rtcp-mux"));
  EXPECT_TRUE(m.has_attribute("end-of-candidates"));
  std::vector<std::string> expected;
  for (const auto& c : ours.candidates) expected.push_back(c.substr(std::string("candidate:").size()));
  EXPECT_EQ(m.attributes_named("candidate"), expected);
  for (const char* leak : {"rtcp", "ssrc", "label", "tool", "crypto"})
    EXPECT_FALSE(m.has_attribute(leak)) << leak;
}

TEST(PlainAnswerToWebRtc, AsteriskAnswerToChromiumOffer) {
  const WebRtcEndpoint ours = webrtc_endpoint();
  const auto r = plain_answer_to_webrtc(fixture("asterisk_style_answer.sdp"), fixture("chromium_offer.sdp"), ours);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.pbx_address, "192.0.2.10");
  EXPECT_EQ(r.pbx_rtp_port, 17234);
  EXPECT_EQ(r.pbx_rtcp_port, 17235);
  const SessionDescription d = parsed(r.sdp);
  EXPECT_EQ(d.origin_username, "-");
  EXPECT_EQ(d.origin_session_id, "4242");
  EXPECT_EQ(d.origin_session_version, "1");
  EXPECT_EQ(d.attribute("group"), "BUNDLE 0");
  EXPECT_FALSE(contains(r.sdp, "Asterisk"));
  ASSERT_EQ(d.media.size(), 1u);
  const SdpMedia& m = d.media[0];
  expect_browser_ready(m, ours, "0");
  EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "13", "101"}));
  EXPECT_EQ(m.attributes_named("rtpmap"),
            (std::vector<std::string>{"0 PCMU/8000", "13 CN/8000", "101 telephone-event/8000"}));
  EXPECT_EQ(m.attributes_named("fmtp"), std::vector<std::string>{"101 0-16"});
  EXPECT_EQ(m.attribute("ptime"), "20");
  EXPECT_EQ(m.attribute("maxptime"), "150");
  EXPECT_TRUE(m.has_attribute("sendrecv"));
}

TEST(PlainAnswerToWebRtc, FreeswitchAnswerRtcpAttributeAndPtime30) {
  const auto r =
      plain_answer_to_webrtc(fixture("freeswitch_style_answer.sdp"), fixture("chromium_offer.sdp"), webrtc_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.pbx_address, "198.51.100.20");
  EXPECT_EQ(r.pbx_rtp_port, 24580);
  EXPECT_EQ(r.pbx_rtcp_port, 24581);
  const SdpMedia m = parsed(r.sdp).media.at(0);
  EXPECT_EQ(m.formats, (std::vector<std::string>{"8", "101", "13"}));
  EXPECT_EQ(m.attribute("ptime"), "30");
}

TEST(PlainAnswerToWebRtc, BaresipAndSippAnswers) {
  for (const char* name : {"baresip_answer.sdp", "sipp_uas_answer.sdp"}) {
    const auto r = plain_answer_to_webrtc(fixture(name), fixture("chromium_offer.sdp"), webrtc_endpoint());
    ASSERT_TRUE(r.error.empty()) << name << ": " << r.error;
    EXPECT_EQ(r.pbx_address, "127.0.0.1");
    EXPECT_EQ(r.pbx_rtcp_port, r.pbx_rtp_port + 1) << name;  // no a=rtcp: RTP port + 1
    const SdpMedia m = parsed(r.sdp).media.at(0);
    expect_browser_ready(m, webrtc_endpoint(), "0");
    EXPECT_EQ(m.formats, std::vector<std::string>{"0"});
    EXPECT_EQ(m.attributes_named("rtpmap"), std::vector<std::string>{"0 PCMU/8000"});
  }
  EXPECT_EQ(plain_answer_to_webrtc(fixture("baresip_answer.sdp"), fixture("chromium_offer.sdp"), webrtc_endpoint())
                .pbx_rtp_port,
            10006);
}

const std::string kPbxHead = "v=0\r\no=pbx 1 1 IN IP4 192.0.2.50\r\ns=pbx\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n";

TEST(PlainAnswerToWebRtc, AddsRtpmapForStaticPayloadTypesAndOfferedDynamicOnes) {
  const auto r = plain_answer_to_webrtc(kPbxHead + "m=audio 5000 RTP/AVP 8 0 9 18 13 126\r\n",
                                        fixture("chromium_offer.sdp"), webrtc_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(parsed(r.sdp).media.at(0).attributes_named("rtpmap"),
            (std::vector<std::string>{"8 PCMA/8000", "0 PCMU/8000", "9 G722/8000", "18 G729/8000", "13 CN/8000",
                                      "126 telephone-event/8000"}));
}

TEST(PlainAnswerToWebRtc, MediaConnectionWinsAndRtcpAttribute) {
  const auto r = plain_answer_to_webrtc(
      kPbxHead + "m=audio 5000 RTP/AVP 0\r\nc=IN IP4 192.0.2.51\r\na=rtcp:6001 IN IP4 192.0.2.51\r\n",
      fixture("chromium_offer.sdp"), webrtc_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.pbx_address, "192.0.2.51");
  EXPECT_EQ(r.pbx_rtp_port, 5000);
  EXPECT_EQ(r.pbx_rtcp_port, 6001);
}

TEST(PlainAnswerToWebRtc, HoldAddressIsReturnedAsIs) {
  const auto r = plain_answer_to_webrtc(
      "v=0\r\no=pbx 1 2 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"
      "a=sendonly\r\n",
      fixture("chromium_offer.sdp"), webrtc_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.pbx_address, "0.0.0.0");
  EXPECT_EQ(r.pbx_rtp_port, 5000);
  EXPECT_TRUE(parsed(r.sdp).media.at(0).has_attribute("sendonly"));
}

TEST(PlainAnswerToWebRtc, DirectionFromThePbx) {
  for (const char* dir : {"sendrecv", "sendonly", "recvonly", "inactive"}) {
    const auto r = plain_answer_to_webrtc(kPbxHead + "m=audio 5000 RTP/AVP 0\r\na=" + dir + "\r\n",
                                          fixture("chromium_offer.sdp"), webrtc_endpoint());
    ASSERT_TRUE(r.error.empty()) << r.error;
    const SdpMedia m = parsed(r.sdp).media.at(0);
    EXPECT_TRUE(m.has_attribute(dir)) << dir;
    int directions = 0;
    for (const char* d : {"sendrecv", "sendonly", "recvonly", "inactive"}) directions += m.has_attribute(d) ? 1 : 0;
    EXPECT_EQ(directions, 1) << dir;
  }
}

TEST(PlainAnswerToWebRtc, PbxRejectsAudio) {
  const auto r = plain_answer_to_webrtc(kPbxHead + "m=audio 0 RTP/AVP 0\r\n", fixture("chromium_offer.sdp"),
                                        webrtc_endpoint());
  EXPECT_TRUE(contains(r.error, "rejected")) << r.error;
  EXPECT_EQ(r.pbx_rtp_port, 0);
  EXPECT_TRUE(r.sdp.empty());
}

TEST(PlainAnswerToWebRtc, OtherSectionsOfTheOfferAreRejectedWithTheirMid) {
  const WebRtcEndpoint ours = webrtc_endpoint();
  const auto r = plain_answer_to_webrtc(fixture("asterisk_style_answer.sdp"),
                                        fixture("chromium_offer_audio_video_data.sdp"), ours);
  ASSERT_TRUE(r.error.empty()) << r.error;
  const SessionDescription d = parsed(r.sdp);
  // RFC 9143 §7.3.3: rejected sections leave the BUNDLE group.
  EXPECT_EQ(d.attribute("group"), "BUNDLE 0");
  ASSERT_EQ(d.media.size(), 3u);
  expect_browser_ready(d.media[0], ours, "0");
  EXPECT_EQ(d.media[1].media, "video");
  EXPECT_EQ(d.media[1].port, 0);
  EXPECT_EQ(d.media[1].protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(d.media[1].attribute("mid"), "1");
  EXPECT_FALSE(d.media[1].has_attribute("ice-ufrag"));
  EXPECT_EQ(d.media[2].media, "application");
  EXPECT_EQ(d.media[2].port, 0);
  EXPECT_EQ(d.media[2].protocol, "UDP/DTLS/SCTP");
  EXPECT_EQ(d.media[2].formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_EQ(d.media[2].attribute("mid"), "2");
}

TEST(PlainAnswerToWebRtc, NoBundleGroupWhenTheOfferHadNone) {
  const auto r = plain_answer_to_webrtc(
      fixture("sipp_uas_answer.sdp"),
      offer_with(kIceAndDtls, "m=audio 9 UDP/TLS/RTP/SAVPF 0", "a=mid:a1\r\na=rtcp-mux\r\n"), webrtc_endpoint());
  ASSERT_TRUE(r.error.empty()) << r.error;
  const SessionDescription d = parsed(r.sdp);
  EXPECT_FALSE(d.attribute("group").has_value());
  EXPECT_EQ(d.media.at(0).attribute("mid"), "a1");
}

TEST(PlainAnswerToWebRtc, Errors) {
  const std::string offer = fixture("chromium_offer.sdp");
  const WebRtcEndpoint ours = webrtc_endpoint();
  EXPECT_TRUE(contains(plain_answer_to_webrtc("garbage", offer, ours).error, "PBX"));
  EXPECT_TRUE(contains(plain_answer_to_webrtc(fixture("sipp_uas_answer.sdp"), "garbage", ours).error, "offer"));
  EXPECT_FALSE(plain_answer_to_webrtc(kPbxHead + "m=video 5000 RTP/AVP 31\r\n", offer, ours).error.empty());
  EXPECT_FALSE(plain_answer_to_webrtc("v=0\r\no=pbx 1 1 IN IP4 192.0.2.50\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n",
                                      offer, ours)
                   .error.empty());  // no c= anywhere
  EXPECT_FALSE(plain_answer_to_webrtc(kPbxHead + "m=audio 5000 RTP/AVP 120\r\n", offer, ours).error.empty());
  WebRtcEndpoint no_ice = ours;
  no_ice.ice_pwd.clear();
  EXPECT_FALSE(plain_answer_to_webrtc(fixture("sipp_uas_answer.sdp"), offer, no_ice).error.empty());
  // The browser chose active, so we must not be active too (RFC 4145 §4).
  const auto clash = plain_answer_to_webrtc(
      fixture("sipp_uas_answer.sdp"),
      offer_with("", "m=audio 9 UDP/TLS/RTP/SAVPF 0",
                 "a=ice-ufrag:u\r\na=ice-pwd:pppppppppppppppppppppp\r\na=fingerprint:sha-256 AA:BB\r\na=setup:active\r\n"),
      ours);
  EXPECT_TRUE(contains(clash.error, "setup")) << clash.error;
}

// Both directions never throw on mangled input.
TEST(SdpTranslationFuzz, TruncationsNeverThrow) {
  const std::string offer = fixture("chromium_offer.sdp");
  const std::string answer = fixture("freeswitch_style_answer.sdp");
  for (size_t n = 0; n <= offer.size(); n += 7) {
    ASSERT_NO_THROW(webrtc_offer_to_plain(offer.substr(0, n), plain_endpoint()));
    ASSERT_NO_THROW(plain_answer_to_webrtc(answer, offer.substr(0, n), webrtc_endpoint()));
  }
  for (size_t n = 0; n <= answer.size(); ++n)
    ASSERT_NO_THROW(plain_answer_to_webrtc(answer.substr(0, n), offer, webrtc_endpoint()));
}

}  // namespace
}  // namespace sipgw::protocol
