#include <algorithm>
// Per-packet policy: CN filtering both ways, mute, direction, telephone-event PT mapping and
// detection, pbx_ssrc_changes.
#include "gateway/media/audio_relay.hpp"

#include <gtest/gtest.h>

#include "rtp_test_packets.hpp"

using namespace sipgw::media;
using namespace sipgw::media::test;

namespace {
NegotiatedAudio pcmu_with_events() {
  NegotiatedAudio audio;
  audio.pbx_telephone_event_pt = 101;
  audio.browser_telephone_event_pt = 126;
  return audio;
}
}  // namespace

TEST(AudioRelay, ComfortNoiseOnlyTowardASideThatNegotiatedIt) {
  AudioRelay relay(0x1234);
  NegotiatedAudio audio;
  audio.pbx_accepts_cn = false;
  audio.browser_accepts_cn = true;
  relay.set_negotiated(audio);
  std::optional<TelephoneEventDetector::Detected> dtmf;
  auto to_pbx = make_rtp(13, 1, 0, 0xB0, 1);
  EXPECT_FALSE(relay.browser_rtp(to_pbx.data(), to_pbx.size(), 0));
  auto to_browser = make_rtp(13, 1, 0, 0xCA, 1);
  EXPECT_TRUE(relay.pbx_rtp(to_browser.data(), to_browser.size(), 0, dtmf));
  EXPECT_EQ(relay.counters().dropped_cn.load(), 1u);

  audio.pbx_accepts_cn = true;
  audio.browser_accepts_cn = false;
  relay.set_negotiated(audio);
  auto to_pbx2 = make_rtp(13, 2, 0, 0xB0, 1);
  EXPECT_TRUE(relay.browser_rtp(to_pbx2.data(), to_pbx2.size(), 0));
  auto to_browser2 = make_rtp(13, 2, 0, 0xCA, 1);
  EXPECT_FALSE(relay.pbx_rtp(to_browser2.data(), to_browser2.size(), 0, dtmf));
  // The next PBX packet follows without a gap at the browser.
  auto voice = make_rtp(0, 3, 0, 0xCA);
  EXPECT_TRUE(relay.pbx_rtp(voice.data(), voice.size(), 0, dtmf));
  EXPECT_EQ(parse(voice).seq, 2);
  EXPECT_EQ(relay.counters().dropped_cn.load(), 2u);
}

TEST(AudioRelay, MuteAndDirection) {
  AudioRelay relay(0x1234);
  auto p = make_rtp(0, 1, 0, 0xB0);
  EXPECT_TRUE(relay.browser_rtp(p.data(), p.size(), 0));
  relay.set_muted(true);
  auto muted = make_rtp(0, 2, 160, 0xB0);  // PCMU: forwarded as digital silence
  EXPECT_TRUE(relay.browser_rtp(muted.data(), muted.size(), 0));
  EXPECT_TRUE(std::all_of(muted.begin() + 12, muted.end(), [](uint8_t b) { return b == 0xFF; }));
  auto muted_opus = make_rtp(111, 3, 320, 0xB0);  // cannot be silenced in place: dropped
  EXPECT_FALSE(relay.browser_rtp(muted_opus.data(), muted_opus.size(), 0));
  EXPECT_EQ(relay.counters().muted_packets.load(), 2u);
  relay.set_muted(false);
  // The PBX's point of view: sendonly = it plays music on hold and receives nothing.
  relay.set_direction(MediaDirection::sendonly);
  EXPECT_FALSE(relay.sends_to_pbx());
  EXPECT_TRUE(relay.expects_pbx_media());
  auto held = make_rtp(0, 4, 480, 0xB0);
  EXPECT_FALSE(relay.browser_rtp(held.data(), held.size(), 0));
  relay.set_direction(MediaDirection::recvonly);  // we hold the PBX: it sends nothing
  EXPECT_TRUE(relay.sends_to_pbx());
  EXPECT_FALSE(relay.expects_pbx_media());
  relay.set_direction(MediaDirection::inactive);
  EXPECT_FALSE(relay.sends_to_pbx());
  EXPECT_FALSE(relay.expects_pbx_media());
  relay.set_direction(MediaDirection::sendrecv);
  auto back = make_rtp(0, 5, 640, 0xB0);
  EXPECT_TRUE(relay.browser_rtp(back.data(), back.size(), 0));
  EXPECT_EQ(parse(back).seq, 3);  // the PBX sees no gap for the dropped ones
  EXPECT_EQ(relay.counters().muted_packets.load(), 2u);
}

TEST(AudioRelay, TelephoneEventsMappedDetectedOrDropped) {
  AudioRelay relay(0x1234);
  relay.set_negotiated(pcmu_with_events());
  std::optional<TelephoneEventDetector::Detected> dtmf;
  // Browser's own insertDTMF packets take the PBX's PT.
  auto from_browser = make_event(126, 1, 0, 0xB0, 3, false, 160);
  EXPECT_TRUE(relay.browser_rtp(from_browser.data(), from_browser.size(), 0));
  EXPECT_EQ(parse(from_browser).pt, 101);
  // PBX events: forwarded with the browser's PT, reported once at the end.
  for (int i = 0; i < 3; ++i) {
    auto e = make_event(101, static_cast<uint16_t>(10 + i), 800, 0xCA, 7, false, 160 * (i + 1));
    EXPECT_TRUE(relay.pbx_rtp(e.data(), e.size(), 0, dtmf));
    EXPECT_EQ(parse(e).pt, 126);
    EXPECT_FALSE(dtmf);
  }
  int reports = 0;
  for (int i = 0; i < 3; ++i) {
    dtmf.reset();
    auto e = make_event(101, static_cast<uint16_t>(13 + i), 800, 0xCA, 7, true, 640);
    EXPECT_TRUE(relay.pbx_rtp(e.data(), e.size(), 0, dtmf));
    if (dtmf) {
      ++reports;
      EXPECT_EQ(dtmf->digit, '7');
      EXPECT_EQ(dtmf->duration_ms, 80u);
    }
  }
  EXPECT_EQ(reports, 1);
  EXPECT_EQ(relay.counters().dtmf_events_received.load(), 1u);
  // Without telephone-event toward the browser: still detected, not forwarded.
  NegotiatedAudio no_browser = pcmu_with_events();
  no_browser.browser_telephone_event_pt = -1;
  relay.set_negotiated(no_browser);
  dtmf.reset();
  auto e = make_event(101, 20, 9000, 0xCA, 1, true, 800);
  EXPECT_FALSE(relay.pbx_rtp(e.data(), e.size(), 0, dtmf));
  ASSERT_TRUE(dtmf);
  EXPECT_EQ(dtmf->digit, '1');
}

TEST(AudioRelay, CountsPbxSsrcChanges) {
  AudioRelay relay(0x1234);
  std::optional<TelephoneEventDetector::Detected> dtmf;
  for (uint32_t ssrc : {1u, 1u, 2u, 2u, 3u}) {
    auto p = make_rtp(0, 5, 0, ssrc);
    EXPECT_TRUE(relay.pbx_rtp(p.data(), p.size(), 0, dtmf));
    EXPECT_EQ(parse(p).ssrc, 0x1234u);
  }
  EXPECT_EQ(relay.counters().pbx_ssrc_changes.load(), 2u);
  // Not RTP version 2: dropped.
  std::vector<uint8_t> junk(20, 0x40);
  EXPECT_FALSE(relay.pbx_rtp(junk.data(), junk.size(), 0, dtmf));
}
