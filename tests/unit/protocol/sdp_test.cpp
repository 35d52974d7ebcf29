// Unit tests for the SDP model (protocol/sdp.hpp): lossless round trips on captured SDP and
// rejection of malformed input with a reason naming the line.
#include "protocol/sdp.hpp"
#include "sdp_test_helpers.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace sipgw::protocol {
namespace {

using test::fixture;

// A small valid description used as the base for malformed variants.
const std::string kMinimal =
    "v=0\r\n"
    "o=- 1 2 IN IP4 192.0.2.1\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.1\r\n"
    "t=0 0\r\n"
    "m=audio 4000 RTP/AVP 0 8\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=sendrecv\r\n";

std::string error_of(std::string_view text) {
  auto r = parse_sdp(text);
  EXPECT_FALSE(r.description.has_value()) << text;
  return r.error;
}

class FixtureRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(FixtureRoundTrip, SerialisesByteForByte) {
  const std::string text = fixture(GetParam());
  ASSERT_FALSE(text.empty()) << "missing fixture " << GetParam();
  auto r = parse_sdp(text);
  ASSERT_TRUE(r.description) << r.error;
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(to_string(*r.description), text);
}

INSTANTIATE_TEST_SUITE_P(Sdp, FixtureRoundTrip,
                         ::testing::Values("chromium_offer.sdp", "chromium_offer_audio_video_data.sdp",
                                           "baresip_answer.sdp", "baresip_offer.sdp", "sipp_uas_answer.sdp",
                                           "asterisk_style_answer.sdp", "freeswitch_style_answer.sdp"));

TEST(SdpParse, ChromiumOfferModel) {
  auto r = parse_sdp(fixture("chromium_offer.sdp"));
  ASSERT_TRUE(r.description) << r.error;
  const auto& d = *r.description;
  EXPECT_EQ(d.version, 0);
  EXPECT_EQ(d.origin_username, "-");
  EXPECT_EQ(d.origin_session_id, "5599234421215359046");
  EXPECT_EQ(d.origin_session_version, "2");
  EXPECT_EQ(d.origin_address, "127.0.0.1");
  EXPECT_FALSE(d.connection_address.has_value());
  EXPECT_EQ(d.attribute("group"), "BUNDLE 0");
  EXPECT_EQ(d.attribute("extmap-allow-mixed"), "");
  // The value is kept verbatim, including the space Chromium puts after the colon.
  EXPECT_EQ(d.attribute("msid-semantic"), " WMS 887a5470-91e6-47b0-b487-c5b025feb000");
  ASSERT_EQ(d.media.size(), 1u);
  const auto& m = d.media[0];
  EXPECT_EQ(m.media, "audio");
  EXPECT_EQ(m.port, 59169);
  EXPECT_EQ(m.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(m.formats, (std::vector<std::string>{"111", "63", "9", "0", "8", "13", "110", "126"}));
  EXPECT_EQ(m.connection_address, "127.0.0.1");
  EXPECT_EQ(m.attribute("ice-ufrag"), "Ea1P");
  EXPECT_EQ(m.attribute("mid"), "0");
  EXPECT_TRUE(m.has_attribute("rtcp-mux"));
  EXPECT_FALSE(m.has_attribute("end-of-candidates"));
  EXPECT_EQ(m.attributes_named("candidate").size(), 2u);
  EXPECT_EQ(m.attributes_named("rtpmap").size(), 8u);
  EXPECT_EQ(m.attributes_named("ssrc").size(), 2u);
  EXPECT_EQ(m.attributes_named("nonexistent").size(), 0u);
  EXPECT_FALSE(m.attribute("nonexistent").has_value());
}

TEST(SdpParse, AudioVideoDataSections) {
  auto r = parse_sdp(fixture("chromium_offer_audio_video_data.sdp"));
  ASSERT_TRUE(r.description) << r.error;
  ASSERT_EQ(r.description->media.size(), 3u);
  EXPECT_EQ(r.description->media[1].media, "video");
  EXPECT_EQ(r.description->media[2].media, "application");
  EXPECT_EQ(r.description->media[2].protocol, "UDP/DTLS/SCTP");
  EXPECT_EQ(r.description->media[2].formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_EQ(r.description->attribute("group"), "BUNDLE 0 1 2");
}

TEST(SdpParse, SessionConnectionAndPlainAnswer) {
  auto r = parse_sdp(fixture("freeswitch_style_answer.sdp"));
  ASSERT_TRUE(r.description) << r.error;
  EXPECT_EQ(r.description->origin_username, "FreeSWITCH");
  EXPECT_EQ(r.description->session_name, "FreeSWITCH");
  EXPECT_EQ(r.description->connection_address, "198.51.100.20");
  EXPECT_EQ(r.description->other_lines, std::vector<std::string>{"t=0 0"});
  EXPECT_FALSE(r.description->media[0].connection_address.has_value());
  EXPECT_EQ(r.description->media[0].attribute("rtcp"), "24581 IN IP4 198.51.100.20");
}

TEST(SdpParse, AcceptsLfLineEndsAndTrailingBlankLines) {
  std::string lf = kMinimal;
  for (size_t p; (p = lf.find("\r\n")) != std::string::npos;) lf.replace(p, 2, "\n");
  auto r = parse_sdp(lf + "\n\r\n");
  ASSERT_TRUE(r.description) << r.error;
  EXPECT_EQ(to_string(*r.description), kMinimal);
}

TEST(SdpParse, LastLineWithoutLineEnd) {
  auto r = parse_sdp(kMinimal.substr(0, kMinimal.size() - 2));
  ASSERT_TRUE(r.description) << r.error;
  EXPECT_EQ(to_string(*r.description), kMinimal);
}

TEST(SdpParse, MediaLevelOtherLinesAndIpv6) {
  const std::string text =
      "v=0\r\no=alice 1 1 IN IP6 2001:db8::1\r\ns=call\r\ni=info\r\nc=IN IP6 2001:db8::1\r\nb=AS:64\r\n"
      "t=0 0\r\nm=audio 5004 RTP/AVP 0\r\ni=voice\r\nc=IN IP6 2001:db8::2\r\nb=AS:80\r\na=ptime:30\r\n";
  auto r = parse_sdp(text);
  ASSERT_TRUE(r.description) << r.error;
  const auto& d = *r.description;
  EXPECT_EQ(d.origin_address, "2001:db8::1");
  EXPECT_EQ(d.connection_address, "2001:db8::1");
  EXPECT_EQ(d.other_lines, (std::vector<std::string>{"i=info", "b=AS:64", "t=0 0"}));
  EXPECT_EQ(d.media[0].connection_address, "2001:db8::2");
  EXPECT_EQ(d.media[0].other_lines, (std::vector<std::string>{"i=voice", "b=AS:80"}));
  EXPECT_EQ(to_string(d), text);
}

TEST(SdpSerialise, ModelBuiltInCodeGetsMandatoryLines) {
  SessionDescription d;
  EXPECT_EQ(to_string(d), "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
  d.connection_address = "192.0.2.9";
  d.other_lines = {"b=AS:30", "k=prompt"};
  d.attributes = {{"recvonly", ""}, {"tool", "x"}};
  SdpMedia m;
  m.media = "audio";
  m.port = 7000;
  m.protocol = "RTP/AVP";
  m.formats = {"0"};
  m.connection_address = "192.0.2.10";
  m.attributes = {{"rtpmap", "0 PCMU/8000"}};
  d.media.push_back(m);
  // RFC 8866 §5 order: c, b, t, k, a, then m sections.
  EXPECT_EQ(to_string(d),
            "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nb=AS:30\r\nt=0 0\r\nk=prompt\r\n"
            "a=recvonly\r\na=tool:x\r\nm=audio 7000 RTP/AVP 0\r\nc=IN IP4 192.0.2.10\r\na=rtpmap:0 PCMU/8000\r\n");
}

TEST(SdpReject, EmptyAndGarbage) {
  EXPECT_NE(error_of("").find("v="), std::string::npos);
  EXPECT_NE(error_of("\r\n\r\n").find("v="), std::string::npos);
  std::string e = error_of("hello world\r\n");
  EXPECT_NE(e.find("line 1"), std::string::npos) << e;
  EXPECT_NE(e.find("hello world"), std::string::npos) << e;
  EXPECT_FALSE(error_of("\x01\x02\x03\xff garbage").empty());
  EXPECT_FALSE(error_of("<html><body>404</body></html>").empty());
}

TEST(SdpReject, MissingVersionLine) {
  std::string e = error_of(kMinimal.substr(kMinimal.find("o=")));
  EXPECT_NE(e.find("line 1"), std::string::npos) << e;
  EXPECT_NE(e.find("v="), std::string::npos) << e;
  EXPECT_FALSE(error_of("V=0\r\no=- 1 2 IN IP4 1.2.3.4\r\n").empty());
  EXPECT_FALSE(error_of("v=x\r\no=- 1 2 IN IP4 1.2.3.4\r\n").empty());
}

TEST(SdpReject, MissingOrBadOrigin) {
  EXPECT_NE(error_of("v=0\r\ns=-\r\nt=0 0\r\n").find("o="), std::string::npos);
  std::string e = error_of("v=0\r\no=- 1 2 IN IP4\r\ns=-\r\n");
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
  EXPECT_FALSE(error_of("v=0\r\no=- 1 2 XX IP4 1.2.3.4\r\n").empty());
  EXPECT_FALSE(error_of("v=0\r\no=- 1 2 IN IPX 1.2.3.4\r\n").empty());
  EXPECT_FALSE(error_of("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\no=- 1 2 IN IP4 1.2.3.4\r\n").empty());
}

TEST(SdpReject, TruncatedLinesNameTheLine) {
  // Truncated mid-way through the m= line.
  std::string cut = kMinimal.substr(0, kMinimal.find("RTP/AVP"));
  std::string e = error_of(cut);
  EXPECT_NE(e.find("line 6"), std::string::npos) << e;
  EXPECT_NE(e.find("m=audio 4000"), std::string::npos) << e;
  EXPECT_FALSE(error_of("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\nc=IN IP4\r\n").empty());
  EXPECT_FALSE(error_of("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\nc=\r\n").empty());
  EXPECT_FALSE(error_of("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\nm=\r\n").empty());
  EXPECT_FALSE(error_of("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\nm\r\n").empty());
  EXPECT_FALSE(error_of("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\na=\r\n").empty());
  EXPECT_FALSE(error_of("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\na=:value\r\n").empty());
}

TEST(SdpReject, BadMediaPort) {
  const std::string head = "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n";
  for (const char* m : {"m=audio 65536 RTP/AVP 0", "m=audio -1 RTP/AVP 0", "m=audio abc RTP/AVP 0",
                        "m=audio 4000x RTP/AVP 0", "m=audio  RTP/AVP 0", "m=audio 4000/2 RTP/AVP 0",
                        "m=audio 99999999999999999999999 RTP/AVP 0", "m=audio 4000 RTP/AVP"}) {
    std::string e = error_of(head + m + "\r\n");
    EXPECT_NE(e.find("line 5"), std::string::npos) << m << ": " << e;
  }
  auto ok = parse_sdp(head + "m=audio 65535 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n");
  ASSERT_TRUE(ok.description) << ok.error;
  EXPECT_EQ(ok.description->media[0].port, 65535);
  EXPECT_EQ(ok.description->media[1].port, 0);
}

TEST(SdpReject, StructuralErrors) {
  const std::string head = "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n";
  EXPECT_FALSE(error_of(head + "x=unknown\r\n").empty());            // RFC 8866 §5
  EXPECT_FALSE(error_of(head + "v=0\r\n").empty());                   // duplicate v=
  EXPECT_FALSE(error_of(head + "s=again\r\n").empty());               // duplicate s=
  EXPECT_FALSE(error_of(head + "m=audio 1 RTP/AVP 0\r\nt=0 0\r\n").empty());  // t= in media
  EXPECT_FALSE(error_of(head + "m=audio 1 RTP/AVP 0\r\nc=IN IP4 1.1.1.1\r\nc=IN IP4 1.1.1.2\r\n").empty());
  EXPECT_FALSE(error_of(head + "c=IN IP4 1.1.1.1\r\nc=IN IP4 1.1.1.2\r\n").empty());
  EXPECT_FALSE(error_of(head + "a=bad name:x\r\n").empty());
  EXPECT_FALSE(error_of(head + std::string("a=nul\0here\r\n", 12)).empty());
  EXPECT_FALSE(error_of(head + "a=cr\rinside\r\n").empty());
}

TEST(SdpReject, SizeLimits) {
  std::string huge = kMinimal;
  while (huge.size() <= 64 * 1024) huge += "a=filler:0123456789012345678901234567890123456789\r\n";
  std::string e = error_of(huge);
  EXPECT_NE(e.find("too large"), std::string::npos) << e;
  EXPECT_FALSE(error_of(std::string(1 << 20, 'a')).empty());

  std::string many = "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n";
  for (int i = 0; i < 64; ++i) many += "m=audio 0 RTP/AVP 0\r\n";
  auto ok = parse_sdp(many);
  ASSERT_TRUE(ok.description) << ok.error;
  EXPECT_EQ(ok.description->media.size(), 64u);
  e = error_of(many + "m=audio 0 RTP/AVP 0\r\n");
  EXPECT_NE(e.find("64"), std::string::npos) << e;
}

// Deterministic mutation fuzzing: parsing never throws and whatever parses serialises to a
// fixed point (parse(to_string(d)) serialises to the same text).
TEST(SdpFuzz, MutationsNeverThrowAndReachFixedPoint) {
  const std::string seeds[] = {fixture("chromium_offer.sdp"), fixture("baresip_offer.sdp"), kMinimal};
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const char alphabet[] = "\r\n =:/0123456789amvocst-\x00\xff";
  int parsed = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string s = seeds[i % 3];
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int k = 0; k < edits && !s.empty(); ++k) {
      const size_t pos = next() % s.size();
      switch (next() % 3) {
        case 0: s[pos] = alphabet[next() % (sizeof alphabet - 1)]; break;
        case 1: s.erase(pos, 1 + next() % 8); break;
        default: s.insert(pos, 1, alphabet[next() % (sizeof alphabet - 1)]); break;
      }
    }
    SdpParseResult r;
    ASSERT_NO_THROW(r = parse_sdp(s));
    if (!r.description) {
      EXPECT_FALSE(r.error.empty());
      continue;
    }
    ++parsed;
    const std::string once = to_string(*r.description);
    auto again = parse_sdp(once);
    ASSERT_TRUE(again.description) << again.error << "\n" << once;
    EXPECT_EQ(to_string(*again.description), once);
  }
  EXPECT_GT(parsed, 100);
}

}  // namespace
}  // namespace sipgw::protocol
