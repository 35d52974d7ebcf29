// Unit tests for protocol/sdp_negotiation.hpp: directions (RFC 3264 §6.1), reading negotiated
// audio parameters, our hold/unhold re-offers and our answers to PBX re-offers (hold, RFC 2543
// hold, codec change including a G.711 law change, session refresh; fixtures in
// tests/fixtures/sdp/README.md) and which codec an exchange settled on.
#include "protocol/sdp_negotiation.hpp"
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

int direction_count(const SdpMedia& m) {
  int n = 0;
  for (const char* d : {"sendrecv", "sendonly", "recvonly", "inactive"}) n += m.has_attribute(d) ? 1 : 0;
  return n;
}

PlainEndpoint plain_endpoint(uint64_t version = 3) { return PlainEndpoint{"203.0.113.5", 40000, 777, version}; }

const std::string kPbxHead = "v=0\r\no=pbx 1 1 IN IP4 192.0.2.50\r\ns=pbx\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n";

// Our plain answer to the Asterisk-style incoming call, from the real Chromium answer: 0 8 101.
std::string our_answer_to_asterisk(uint64_t version = 3) {
  const auto r = webrtc_answer_to_plain(fixture("chromium_answer_to_gateway_offer.sdp"),
                                        fixture("asterisk_style_offer.sdp"), plain_endpoint(version));
  EXPECT_TRUE(r.error.empty()) << r.error;
  return r.sdp;
}

// ---------------------------------------------------------------------------------- Direction

TEST(Direction, Names) {
  EXPECT_STREQ(to_string(Direction::sendrecv), "sendrecv");
  EXPECT_STREQ(to_string(Direction::sendonly), "sendonly");
  EXPECT_STREQ(to_string(Direction::recvonly), "recvonly");
  EXPECT_STREQ(to_string(Direction::inactive), "inactive");
}

TEST(Direction, AnswerFollowsRfc3264Section6_1) {
  using D = Direction;
  const D all[] = {D::sendrecv, D::sendonly, D::recvonly, D::inactive};
  // expected[offered][local]
  const D expected[4][4] = {
      /* offered sendrecv */ {D::sendrecv, D::sendonly, D::recvonly, D::inactive},
      /* offered sendonly */ {D::recvonly, D::inactive, D::recvonly, D::inactive},
      /* offered recvonly */ {D::sendonly, D::sendonly, D::inactive, D::inactive},
      /* offered inactive */ {D::inactive, D::inactive, D::inactive, D::inactive}};
  for (int o = 0; o < 4; ++o)
    for (int l = 0; l < 4; ++l)
      EXPECT_EQ(answer_direction(all[o], all[l]), expected[o][l]) << to_string(all[o]) << "/" << to_string(all[l]);
}

// ----------------------------------------------------------------------------- describe_audio

TEST(DescribeAudio, AsteriskAndFreeswitchAnswers) {
  AudioDescription d = describe_audio(fixture("asterisk_style_answer.sdp"));
  ASSERT_TRUE(d.error.empty()) << d.error;
  EXPECT_EQ(d.address, "192.0.2.10");
  EXPECT_EQ(d.rtp_port, 17234);
  EXPECT_EQ(d.rtcp_port, 17235);
  EXPECT_EQ(d.direction, Direction::sendrecv);
  EXPECT_EQ(d.codecs.audio_pt, 0);
  EXPECT_EQ(d.codecs.audio_encoding, "PCMU");
  EXPECT_EQ(d.codecs.audio_clock, 8000u);
  EXPECT_EQ(d.codecs.telephone_event_pt, 101);
  EXPECT_EQ(d.codecs.telephone_event_clock, 8000u);
  EXPECT_TRUE(d.codecs.comfort_noise);
  EXPECT_EQ(d.codecs.ptime_ms, 20u);

  d = describe_audio(fixture("freeswitch_style_answer.sdp"));
  ASSERT_TRUE(d.error.empty()) << d.error;
  EXPECT_EQ(d.rtcp_port, 24581);
  EXPECT_EQ(d.codecs.audio_encoding, "PCMA");
  EXPECT_EQ(d.codecs.ptime_ms, 30u);

  d = describe_audio(fixture("sipp_uas_answer.sdp"));
  ASSERT_TRUE(d.error.empty()) << d.error;
  EXPECT_EQ(d.rtcp_port, 6001);  // no a=rtcp: RTP + 1
  EXPECT_EQ(d.codecs.telephone_event_pt, -1);
  EXPECT_FALSE(d.codecs.comfort_noise);
}

TEST(DescribeAudio, TelephoneEventWhoseClockMatchesTheCodecWins) {
  // Pitfall 9: Chromium offers telephone-event/48000 (110) before telephone-event/8000 (126).
  AudioDescription d = describe_audio(fixture("chromium_offer.sdp"));
  ASSERT_TRUE(d.error.empty()) << d.error;
  EXPECT_EQ(d.codecs.audio_pt, 111);
  EXPECT_EQ(d.codecs.audio_encoding, "opus");
  EXPECT_EQ(d.codecs.audio_clock, 48000u);
  EXPECT_EQ(d.codecs.telephone_event_pt, 110);
  EXPECT_EQ(d.codecs.telephone_event_clock, 48000u);

  d = describe_audio(kPbxHead +
                     "m=audio 5000 RTP/AVP 0 110 126\r\na=rtpmap:110 telephone-event/48000\r\n"
                     "a=rtpmap:126 telephone-event/8000\r\n");
  EXPECT_EQ(d.codecs.telephone_event_pt, 126);
  EXPECT_EQ(d.codecs.telephone_event_clock, 8000u);

  // G722's RTP clock is 8000 (RFC 3551 §4.5.2), even when an rtpmap claims 16000.
  d = describe_audio(kPbxHead +
                     "m=audio 5000 RTP/AVP 9 100 101\r\na=rtpmap:9 G722/16000\r\n"
                     "a=rtpmap:100 telephone-event/16000\r\na=rtpmap:101 telephone-event/8000\r\n");
  EXPECT_EQ(d.codecs.audio_encoding, "G722");
  EXPECT_EQ(d.codecs.audio_clock, 8000u);
  EXPECT_EQ(d.codecs.telephone_event_pt, 101);

  // Only a mismatching one: it is still reported (the caller may fall back to SIP INFO).
  d = describe_audio(kPbxHead + "m=audio 5000 RTP/AVP 0 110\r\na=rtpmap:110 telephone-event/48000\r\n");
  EXPECT_EQ(d.codecs.telephone_event_pt, 110);
  EXPECT_EQ(d.codecs.telephone_event_clock, 48000u);
}

TEST(DescribeAudio, HoldDirectionsAndRfc2543NullAddress) {
  AudioDescription d = describe_audio(fixture("asterisk_style_hold_reoffer.sdp"));
  EXPECT_EQ(d.direction, Direction::sendonly);
  EXPECT_EQ(d.address, "192.0.2.10");
  d = describe_audio(fixture("freeswitch_style_hold_reoffer.sdp"));
  ASSERT_TRUE(d.error.empty()) << d.error;
  EXPECT_EQ(d.address, "0.0.0.0");
  EXPECT_EQ(d.direction, Direction::sendonly);  // a=sendrecv with c=0.0.0.0
  EXPECT_EQ(d.rtp_port, 24600);
  EXPECT_EQ(d.rtcp_port, 24601);
  const std::string null_head = "v=0\r\no=pbx 1 2 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n";
  EXPECT_EQ(describe_audio(null_head + "m=audio 5000 RTP/AVP 0\r\na=recvonly\r\n").direction, Direction::inactive);
  EXPECT_EQ(describe_audio(null_head + "m=audio 5000 RTP/AVP 0\r\n").direction, Direction::sendonly);
  EXPECT_EQ(describe_audio(kPbxHead + "m=audio 5000 RTP/AVP 0\r\na=inactive\r\n").direction, Direction::inactive);
  EXPECT_EQ(describe_audio(kPbxHead + "a=recvonly\r\nm=audio 5000 RTP/AVP 0\r\n").direction, Direction::recvonly);
}

TEST(DescribeAudio, PtimeAndRejectedAudio) {
  EXPECT_EQ(describe_audio(kPbxHead + "m=audio 5000 RTP/AVP 0\r\na=ptime:20.0\r\n").codecs.ptime_ms, 20u);
  EXPECT_EQ(describe_audio(kPbxHead + "m=audio 5000 RTP/AVP 0\r\na=ptime:30\r\n").codecs.ptime_ms, 30u);
  EXPECT_EQ(describe_audio(kPbxHead + "m=audio 5000 RTP/AVP 0\r\na=ptime:banana\r\n").codecs.ptime_ms, 20u);
  const AudioDescription rejected = describe_audio(kPbxHead + "m=audio 0 RTP/AVP 0\r\n");
  EXPECT_TRUE(rejected.error.empty()) << rejected.error;
  EXPECT_EQ(rejected.rtp_port, 0);
  EXPECT_EQ(rejected.rtcp_port, 0);
}

TEST(DescribeAudio, Errors) {
  EXPECT_FALSE(describe_audio("garbage").error.empty());
  EXPECT_FALSE(describe_audio(kPbxHead + "m=video 5000 RTP/AVP 31\r\n").error.empty());
  EXPECT_FALSE(describe_audio("v=0\r\no=pbx 1 1 IN IP4 192.0.2.50\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n")
                   .error.empty());  // no c= anywhere
}

// ------------------------------------------------------------------------------ plain_reoffer

TEST(PlainReoffer, HoldAndUnholdBumpTheVersionOnly) {
  const std::string first = our_answer_to_asterisk();
  const std::string hold = plain_reoffer(first, Direction::sendonly, 4);
  const SessionDescription before = parsed(first);
  const SessionDescription after = parsed(hold);
  EXPECT_EQ(after.origin_session_id, before.origin_session_id);
  EXPECT_EQ(after.origin_session_version, "4");
  EXPECT_EQ(after.connection_address, before.connection_address);  // hold is a=sendonly, not 0.0.0.0
  ASSERT_EQ(after.media.size(), 1u);
  const SdpMedia& m = after.media[0];
  EXPECT_EQ(m.port, before.media[0].port);
  EXPECT_EQ(m.formats, before.media[0].formats);
  EXPECT_EQ(m.attributes_named("rtpmap"), before.media[0].attributes_named("rtpmap"));
  EXPECT_EQ(m.attribute("rtcp"), "40001");
  EXPECT_TRUE(m.has_attribute("sendonly"));
  EXPECT_EQ(direction_count(m), 1);
  // Only the o= version and the direction line differ.
  std::string expected = first;
  expected.replace(expected.find(" 777 3 "), 7, " 777 4 ");
  expected.replace(expected.find("a=sendrecv"), 10, "a=sendonly");
  EXPECT_EQ(hold, expected);

  const SessionDescription unhold = parsed(plain_reoffer(hold, Direction::sendrecv, 5));
  EXPECT_EQ(unhold.origin_session_version, "5");
  EXPECT_TRUE(unhold.media.at(0).has_attribute("sendrecv"));
  EXPECT_EQ(direction_count(unhold.media.at(0)), 1);
}

TEST(PlainReoffer, KeepsRejectedSectionsAndAddsAMissingDirection) {
  const std::string with_video = kPbxHead + "m=audio 5000 RTP/AVP 0\r\na=rtcp:5001\r\nm=video 0 RTP/AVP 31\r\n";
  const SessionDescription d = parsed(plain_reoffer(with_video, Direction::inactive, 2));
  ASSERT_EQ(d.media.size(), 2u);
  EXPECT_TRUE(d.media[0].has_attribute("inactive"));
  EXPECT_EQ(d.media[0].attributes.front().name, "inactive");  // before a=rtcp
  EXPECT_EQ(d.media[1].port, 0);
  EXPECT_FALSE(d.media[1].has_attribute("inactive"));
  // A session-level direction would contradict the new one: it goes.
  const SessionDescription s = parsed(plain_reoffer(kPbxHead + "a=sendrecv\r\nm=audio 5000 RTP/AVP 0\r\n",
                                                    Direction::sendonly, 2));
  EXPECT_TRUE(s.attributes.empty());
  EXPECT_TRUE(s.media.at(0).has_attribute("sendonly"));
  EXPECT_TRUE(plain_reoffer("garbage", Direction::sendonly, 2).empty());
  EXPECT_TRUE(plain_reoffer(kPbxHead + "m=video 5000 RTP/AVP 31\r\n", Direction::sendonly, 2).empty());
}

// ---------------------------------------------------------------------- answer_plain_reoffer

TEST(AnswerPlainReoffer, AsteriskHoldIsAnsweredRecvonly) {
  const auto r = answer_plain_reoffer(fixture("asterisk_style_hold_reoffer.sdp"), our_answer_to_asterisk(),
                                      plain_endpoint(4), Direction::sendrecv);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.pbx.direction, Direction::sendonly);
  EXPECT_EQ(r.pbx.address, "192.0.2.10");
  const SessionDescription d = parsed(r.sdp);
  EXPECT_EQ(d.origin_session_id, "777");
  EXPECT_EQ(d.origin_session_version, "4");
  EXPECT_EQ(d.connection_address, "203.0.113.5");
  ASSERT_EQ(d.media.size(), 1u);
  const SdpMedia& m = d.media[0];
  EXPECT_EQ(m.port, 40000);
  // G722 (9) is in the re-offer but the browser never accepted it.
  EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "8", "101"}));
  EXPECT_TRUE(m.has_attribute("recvonly"));
  EXPECT_EQ(direction_count(m), 1);
  EXPECT_EQ(m.attribute("rtcp"), "40001");
  // We are on hold ourselves too: inactive (RFC 3264 §6.1).
  const auto both = answer_plain_reoffer(fixture("asterisk_style_hold_reoffer.sdp"), our_answer_to_asterisk(),
                                         plain_endpoint(4), Direction::sendonly);
  EXPECT_TRUE(parsed(both.sdp).media.at(0).has_attribute("inactive"));
}

TEST(AnswerPlainReoffer, FreeswitchNullAddressHold) {
  // Our plain answer to the FreeSWITCH-style call (Chromium kept all its codecs).
  const std::string negotiated =
      "v=0\r\no=- 777 3 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
      "m=audio 40000 RTP/AVP 102 9 0 8 101 13\r\na=rtpmap:102 opus/48000/2\r\na=rtpmap:9 G722/8000\r\n"
      "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=rtpmap:13 CN/8000\r\n"
      "a=sendrecv\r\na=rtcp:40001\r\n";
  const auto r = answer_plain_reoffer(fixture("freeswitch_style_hold_reoffer.sdp"), negotiated, plain_endpoint(4),
                                      Direction::sendrecv);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.pbx.address, "0.0.0.0");
  EXPECT_EQ(r.pbx.direction, Direction::sendonly);
  const SessionDescription d = parsed(r.sdp);
  EXPECT_EQ(d.connection_address, "203.0.113.5");  // we are not on hold: our real address
  EXPECT_TRUE(d.media.at(0).has_attribute("recvonly"));
  EXPECT_EQ(d.media.at(0).formats, (std::vector<std::string>{"102", "9", "0", "8", "101", "13"}));
  EXPECT_FALSE(contains(r.sdp, "FreeSWITCH"));
}

TEST(AnswerPlainReoffer, CodecChangeToAnAcceptedCodec) {
  const auto r = answer_plain_reoffer(fixture("asterisk_style_codec_change_reoffer.sdp"), our_answer_to_asterisk(),
                                      plain_endpoint(4), Direction::sendrecv);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.pbx.address, "192.0.2.11");
  EXPECT_EQ(r.pbx.rtp_port, 17400);
  EXPECT_EQ(r.pbx.rtcp_port, 17401);
  EXPECT_EQ(r.pbx.codecs.audio_encoding, "PCMA");
  EXPECT_EQ(r.pbx.codecs.ptime_ms, 30u);
  const SdpMedia m = parsed(r.sdp).media.at(0);
  EXPECT_EQ(m.formats, (std::vector<std::string>{"8", "101"}));
  EXPECT_EQ(m.attribute("ptime"), "30");
  EXPECT_TRUE(m.has_attribute("sendrecv"));
}

TEST(AnswerPlainReoffer, SessionRefreshGetsTheSameAnswer) {
  // RFC 4028 refresh: the same SDP with o= version + 1. Our answer is byte for byte the first
  // one when the caller keeps our version (nothing changed on our side, RFC 3264 §8).
  const std::string first = our_answer_to_asterisk(3);
  const auto r = answer_plain_reoffer(fixture("asterisk_style_refresh_reoffer.sdp"), first, plain_endpoint(3),
                                      Direction::sendrecv);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.sdp, first);
  EXPECT_EQ(r.pbx.direction, Direction::sendrecv);
}

TEST(AnswerPlainReoffer, NoCodecInCommonMeans488) {
  const std::string negotiated = our_answer_to_asterisk();
  auto r = answer_plain_reoffer(kPbxHead + "m=audio 5000 RTP/AVP 18\r\n", negotiated, plain_endpoint(4),
                                Direction::sendrecv);
  EXPECT_TRUE(contains(r.error, "no codec in common")) << r.error;
  EXPECT_TRUE(r.sdp.empty());
  // telephone-event alone is no audio codec.
  r = answer_plain_reoffer(kPbxHead + "m=audio 5000 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n", negotiated,
                           plain_endpoint(4), Direction::sendrecv);
  EXPECT_TRUE(contains(r.error, "no codec in common")) << r.error;
  // Same name, other clock: another codec.
  r = answer_plain_reoffer(kPbxHead + "m=audio 5000 RTP/AVP 96\r\na=rtpmap:96 PCMU/16000\r\n", negotiated,
                           plain_endpoint(4), Direction::sendrecv);
  EXPECT_FALSE(r.error.empty());
}

// A PCMU call (the PBX's first answer, what the browser accepted) with telephone-event and CN.
const std::string kPcmuCall = kPbxHead +
                              "m=audio 5000 RTP/AVP 0 13 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:13 CN/8000\r\n"
                              "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n";

TEST(AnswerPlainReoffer, G711LawChangeIsAnsweredWithTheReoffersLaw) {
  // A transfer to a PCMA-only trunk: transcoded at the relay, the browser keeps PCMU.
  auto r = answer_plain_reoffer(kPbxHead +
                                    "m=audio 6000 RTP/AVP 8 96\r\na=rtpmap:8 PCMA/8000\r\n"
                                    "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\na=sendrecv\r\n",
                                kPcmuCall, plain_endpoint(4), Direction::sendrecv);
  ASSERT_TRUE(r.error.empty()) << r.error;
  SdpMedia m = parsed(r.sdp).media.at(0);
  EXPECT_EQ(m.formats, (std::vector<std::string>{"8", "96"}));
  EXPECT_EQ(m.attributes_named("rtpmap"), (std::vector<std::string>{"8 PCMA/8000", "96 telephone-event/8000"}));
  EXPECT_TRUE(m.has_attribute("sendrecv"));
  EXPECT_EQ(r.pbx.codecs.audio_pt, 8);
  EXPECT_EQ(r.pbx.rtp_port, 6000);
  // By static PT alone (no rtpmap), with CN kept because the call has it; a hold still mirrors.
  r = answer_plain_reoffer(kPbxHead + "m=audio 6000 RTP/AVP 8 13\r\na=sendonly\r\n", kPcmuCall, plain_endpoint(4),
                           Direction::sendrecv);
  ASSERT_TRUE(r.error.empty()) << r.error;
  m = parsed(r.sdp).media.at(0);
  EXPECT_EQ(m.formats, (std::vector<std::string>{"8", "13"}));
  EXPECT_TRUE(m.has_attribute("recvonly"));
  // The other way round: a PCMA call moved to PCMU.
  r = answer_plain_reoffer(kPbxHead + "m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
                           kPbxHead + "m=audio 5000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n", plain_endpoint(4),
                           Direction::sendrecv);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(parsed(r.sdp).media.at(0).formats, (std::vector<std::string>{"0"}));
  // Other codecs around the other law are left out of the answer.
  r = answer_plain_reoffer(kPbxHead + "m=audio 6000 RTP/AVP 18 8 101\r\na=rtpmap:101 telephone-event/8000\r\n",
                           kPcmuCall, plain_endpoint(4), Direction::sendrecv);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(parsed(r.sdp).media.at(0).formats, (std::vector<std::string>{"8", "101"}));
}

TEST(AnswerPlainReoffer, TheCallsOwnLawWinsOverTranscoding) {
  // PCMA first but PCMU offered too: answered PCMU only, nothing to transcode.
  const auto r = answer_plain_reoffer(kPbxHead + "m=audio 6000 RTP/AVP 8 0 101\r\n"
                                                 "a=rtpmap:101 telephone-event/8000\r\n",
                                      kPcmuCall, plain_endpoint(4), Direction::sendrecv);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(parsed(r.sdp).media.at(0).formats, (std::vector<std::string>{"0", "101"}));
}

TEST(AnswerPlainReoffer, NonG711MismatchesAreStill488) {
  const auto refused = [](const std::string& reoffer_media, const std::string& negotiated) {
    const auto r = answer_plain_reoffer(kPbxHead + reoffer_media, negotiated, plain_endpoint(4), Direction::sendrecv);
    return contains(r.error, "no codec in common") && r.sdp.empty();
  };
  EXPECT_TRUE(refused("m=audio 6000 RTP/AVP 18 101\r\na=rtpmap:101 telephone-event/8000\r\n", kPcmuCall));
  EXPECT_TRUE(refused("m=audio 6000 RTP/AVP 9\r\n", kPcmuCall));  // G.722
  // G.711 under a dynamic PT: not transcoded.
  EXPECT_TRUE(refused("m=audio 6000 RTP/AVP 96\r\na=rtpmap:96 PCMA/8000\r\n", kPcmuCall));
  // Static PT 8 mapped to something else is not A-law.
  EXPECT_TRUE(refused("m=audio 6000 RTP/AVP 8\r\na=rtpmap:8 G729/8000\r\n", kPcmuCall));
  // A call on a non-G.711 codec gets no transcoding.
  EXPECT_TRUE(refused("m=audio 6000 RTP/AVP 8\r\n",
                      kPbxHead + "m=audio 5000 RTP/AVP 9 101\r\na=rtpmap:101 telephone-event/8000\r\n"));
  EXPECT_TRUE(refused("m=audio 6000 RTP/AVP 0\r\n",
                      kPbxHead + "m=audio 5000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n"));
}

TEST(AnsweredAudioPt, TheAnswersChoiceInThePbxsNumbering) {
  const std::string pcma_then_pcmu = kPbxHead + "m=audio 6000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";
  // We answered PCMU only: the PBX sends PCMU.
  EXPECT_EQ(answered_audio_pt(pcma_then_pcmu, kPcmuCall), 0);
  // The PBX answered our offer: its first codec that we offered.
  EXPECT_EQ(answered_audio_pt(kPbxHead + "m=audio 6000 RTP/AVP 101 18 8\r\na=rtpmap:101 telephone-event/8000\r\n",
                              kPbxHead + "m=audio 5000 RTP/AVP 111 0 8 101\r\na=rtpmap:111 opus/48000/2\r\n"
                                         "a=rtpmap:101 telephone-event/8000\r\n"),
            8);
  // Nothing of ours to compare with: its first audio codec, telephone-event and CN skipped.
  EXPECT_EQ(answered_audio_pt(kPbxHead + "m=audio 6000 RTP/AVP 13 101 8\r\na=rtpmap:101 telephone-event/8000\r\n", ""),
            8);
  // Same number, other codec: not shared.
  EXPECT_EQ(answered_audio_pt(kPbxHead + "m=audio 6000 RTP/AVP 96 8\r\na=rtpmap:96 opus/48000/2\r\n",
                              kPbxHead + "m=audio 5000 RTP/AVP 96 8\r\na=rtpmap:96 G722/8000\r\n"),
            8);
  EXPECT_EQ(answered_audio_pt("garbage", kPcmuCall), -1);
  EXPECT_EQ(answered_audio_pt(kPbxHead + "m=audio 6000 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n",
                              kPcmuCall),
            -1);
}

TEST(AnswerPlainReoffer, KeepsTheReoffersNumbering) {
  const auto r = answer_plain_reoffer(kPbxHead +
                                          "m=audio 5000 RTP/AVP 8 96 13\r\na=rtpmap:96 telephone-event/8000\r\n"
                                          "a=fmtp:96 0-16\r\n",
                                      our_answer_to_asterisk(), plain_endpoint(4), Direction::sendrecv);
  ASSERT_TRUE(r.error.empty()) << r.error;
  const SdpMedia m = parsed(r.sdp).media.at(0);
  // 13 (CN) was not negotiated; telephone-event moved from 101 to 96.
  EXPECT_EQ(m.formats, (std::vector<std::string>{"8", "96"}));
  EXPECT_EQ(m.attributes_named("rtpmap"), (std::vector<std::string>{"8 PCMA/8000", "96 telephone-event/8000"}));
  EXPECT_EQ(m.attributes_named("fmtp"), std::vector<std::string>{"96 0-16"});
  EXPECT_EQ(r.pbx.codecs.telephone_event_pt, 96);
}

TEST(AnswerPlainReoffer, SectionsAndDisabledAudio) {
  // One m= line per re-offered one (RFC 3264 §8): the new video section is rejected.
  auto r = answer_plain_reoffer(fixture("asterisk_style_refresh_reoffer.sdp") + "m=video 17302 RTP/AVP 34\r\n",
                                our_answer_to_asterisk(), plain_endpoint(4), Direction::sendrecv);
  ASSERT_TRUE(r.error.empty()) << r.error;
  SessionDescription d = parsed(r.sdp);
  ASSERT_EQ(d.media.size(), 2u);
  EXPECT_EQ(d.media[1].media, "video");
  EXPECT_EQ(d.media[1].port, 0);
  // Audio disabled by the PBX (port 0) is answered with port 0, not refused.
  r = answer_plain_reoffer(kPbxHead + "m=audio 0 RTP/AVP 0\r\n", our_answer_to_asterisk(), plain_endpoint(4),
                           Direction::sendrecv);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.pbx.rtp_port, 0);
  d = parsed(r.sdp);
  ASSERT_EQ(d.media.size(), 1u);
  EXPECT_EQ(d.media[0].port, 0);
}

TEST(AnswerPlainReoffer, Errors) {
  const std::string negotiated = our_answer_to_asterisk();
  const std::string reoffer = fixture("asterisk_style_hold_reoffer.sdp");
  EXPECT_FALSE(answer_plain_reoffer("garbage", negotiated, plain_endpoint(4), Direction::sendrecv).error.empty());
  EXPECT_FALSE(answer_plain_reoffer(reoffer, "garbage", plain_endpoint(4), Direction::sendrecv).error.empty());
  EXPECT_FALSE(answer_plain_reoffer(reoffer, negotiated, PlainEndpoint{"", 40000, 1, 1}, Direction::sendrecv)
                   .error.empty());
  EXPECT_FALSE(answer_plain_reoffer(kPbxHead + "m=video 5000 RTP/AVP 31\r\n", negotiated, plain_endpoint(4),
                                    Direction::sendrecv)
                   .error.empty());
  const auto srtp = answer_plain_reoffer(kPbxHead + "m=audio 5000 RTP/SAVP 0\r\n", negotiated, plain_endpoint(4),
                                         Direction::sendrecv);
  EXPECT_TRUE(contains(srtp.error, "RTP/SAVP")) << srtp.error;
}

TEST(SdpNegotiationFuzz, TruncationsNeverThrow) {
  const std::string reoffer = fixture("freeswitch_style_hold_reoffer.sdp");
  const std::string negotiated = fixture("freeswitch_style_offer.sdp");
  for (size_t n = 0; n <= reoffer.size(); ++n) {
    ASSERT_NO_THROW(describe_audio(reoffer.substr(0, n)));
    ASSERT_NO_THROW(plain_reoffer(reoffer.substr(0, n), Direction::sendonly, 9));
    ASSERT_NO_THROW(answer_plain_reoffer(reoffer.substr(0, n), negotiated, plain_endpoint(), Direction::sendrecv));
    ASSERT_NO_THROW(answer_plain_reoffer(reoffer, negotiated.substr(0, n), plain_endpoint(), Direction::sendrecv));
    ASSERT_NO_THROW(answered_audio_pt(reoffer.substr(0, n), negotiated));
    ASSERT_NO_THROW(answered_audio_pt(negotiated, reoffer.substr(0, n)));
  }
}

}  // namespace
}  // namespace sipgw::protocol
