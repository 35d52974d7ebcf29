#include <algorithm>
// Per-packet policy: CN filtering both ways, mute, direction, telephone-event PT mapping and
// detection, G.711 law transcoding, pbx_ssrc_changes.
#include "gateway/media/audio_relay.hpp"

#include <gtest/gtest.h>

#include <utility>

#include "gateway/media/g711_transcode.hpp"

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

TEST(AudioRelay, TranscodesG711WhenThePbxLegChangedLaw) {
  AudioRelay relay(0x1234);
  NegotiatedAudio audio = pcmu_with_events();
  audio.browser_audio_pt = 0;  // the browser negotiated PCMU once
  audio.pbx_audio_pt = 8;      // the PBX re-INVITEd to PCMA
  audio.browser_accepts_cn = true;
  relay.set_negotiated(audio);
  std::optional<TelephoneEventDetector::Detected> dtmf;

  auto to_pbx = make_rtp(0, 1, 0, 0xB0);
  to_pbx[12] = 0xFF;
  to_pbx[13] = 0x00;
  to_pbx[14] = 0x80;
  const size_t size = to_pbx.size();
  ASSERT_TRUE(relay.browser_rtp(to_pbx.data(), to_pbx.size(), 0));
  EXPECT_EQ(to_pbx.size(), size);
  EXPECT_EQ(parse(to_pbx).pt, 8);
  EXPECT_EQ(to_pbx[12], 0xD5);
  EXPECT_EQ(to_pbx[13], 0x2A);
  EXPECT_EQ(to_pbx[14], 0xAA);
  EXPECT_EQ(to_pbx[15], g711::ulaw_to_alaw(0xD5));  // make_rtp's filler

  auto to_browser = make_rtp(8, 7, 0, 0xCA);
  to_browser[12] = 0xD5;
  to_browser[13] = 0x2A;
  ASSERT_TRUE(relay.pbx_rtp(to_browser.data(), to_browser.size(), 0, dtmf));
  EXPECT_EQ(parse(to_browser).pt, 0);
  EXPECT_EQ(to_browser[12], 0xFE);
  EXPECT_EQ(to_browser[13], 0x00);
  EXPECT_EQ(to_browser[14], g711::alaw_to_ulaw(0xD5));

  // Telephone-events and comfort noise keep their payload; only their PT is mapped.
  auto event = make_event(126, 2, 160, 0xB0, 5, false, 160);
  ASSERT_TRUE(relay.browser_rtp(event.data(), event.size(), 0));
  EXPECT_EQ(parse(event).pt, 101);
  EXPECT_EQ(event[12], 5);
  auto pbx_event = make_event(101, 8, 160, 0xCA, 6, false, 160);
  ASSERT_TRUE(relay.pbx_rtp(pbx_event.data(), pbx_event.size(), 0, dtmf));
  EXPECT_EQ(parse(pbx_event).pt, 126);
  EXPECT_EQ(pbx_event[12], 6);
  auto cn = make_rtp(13, 9, 320, 0xCA, 1);
  cn[12] = 0x40;
  ASSERT_TRUE(relay.pbx_rtp(cn.data(), cn.size(), 0, dtmf));
  EXPECT_EQ(parse(cn).pt, 13);
  EXPECT_EQ(cn[12], 0x40);

  // Mute: μ-law silence from the browser reaches the PBX as A-law silence.
  relay.set_muted(true);
  auto muted = make_rtp(0, 3, 320, 0xB0);
  ASSERT_TRUE(relay.browser_rtp(muted.data(), muted.size(), 0));
  EXPECT_EQ(parse(muted).pt, 8);
  EXPECT_TRUE(std::all_of(muted.begin() + 12, muted.end(), [](uint8_t b) { return b == 0xD5; }));
}

TEST(AudioRelay, TranscodesAlawBrowserToUlawPbxAndLeavesPaddingAlone) {
  AudioRelay relay(0x1234);
  NegotiatedAudio audio;
  audio.browser_audio_pt = 8;
  audio.pbx_audio_pt = 0;
  relay.set_negotiated(audio);
  std::optional<TelephoneEventDetector::Detected> dtmf;
  auto padded = make_rtp(8, 1, 0, 0xB0, 8);
  padded[0] |= 0x20;  // P: the last 3 octets are padding, the last one counts them
  padded[17] = 0x11;
  padded[18] = 0x22;
  padded[19] = 3;
  ASSERT_TRUE(relay.browser_rtp(padded.data(), padded.size(), 0));
  EXPECT_EQ(parse(padded).pt, 0);
  for (size_t i = 12; i < 17; ++i) EXPECT_EQ(padded[i], g711::alaw_to_ulaw(0xD5)) << i;
  EXPECT_EQ(padded[17], 0x11);
  EXPECT_EQ(padded[18], 0x22);
  EXPECT_EQ(padded[19], 3);
  auto back = make_rtp(0, 2, 0, 0xCA);
  back[12] = 0xFF;
  ASSERT_TRUE(relay.pbx_rtp(back.data(), back.size(), 0, dtmf));
  EXPECT_EQ(parse(back).pt, 8);
  EXPECT_EQ(back[12], 0xD5);
}

TEST(AudioRelay, NoTranscodingUnlessTheLegsCarryDifferentG711Laws) {
  std::optional<TelephoneEventDetector::Detected> dtmf;
  for (auto [browser_pt, pbx_pt] : {std::pair{0, 0}, std::pair{8, 8}, std::pair{-1, -1}, std::pair{0, -1},
                                    std::pair{111, 0}, std::pair{0, 9}}) {
    AudioRelay relay(0x1234);
    NegotiatedAudio audio;
    audio.browser_audio_pt = browser_pt;
    audio.pbx_audio_pt = pbx_pt;
    relay.set_negotiated(audio);
    auto to_pbx = make_rtp(0, 1, 0, 0xB0);
    ASSERT_TRUE(relay.browser_rtp(to_pbx.data(), to_pbx.size(), 0));
    EXPECT_EQ(parse(to_pbx).pt, 0) << browser_pt << "/" << pbx_pt;
    EXPECT_EQ(to_pbx[12], 0xD5) << browser_pt << "/" << pbx_pt;
    auto to_browser = make_rtp(8, 1, 0, 0xCA);
    ASSERT_TRUE(relay.pbx_rtp(to_browser.data(), to_browser.size(), 0, dtmf));
    EXPECT_EQ(parse(to_browser).pt, 8) << browser_pt << "/" << pbx_pt;
    EXPECT_EQ(to_browser[12], 0xD5) << browser_pt << "/" << pbx_pt;
  }
  // Transcoding on, but a packet in the PBX's law from the browser (it negotiated both) or in
  // the browser's law from the PBX is passed as it is.
  AudioRelay relay(0x1234);
  NegotiatedAudio audio;
  audio.browser_audio_pt = 0;
  audio.pbx_audio_pt = 8;
  relay.set_negotiated(audio);
  auto already_alaw = make_rtp(8, 1, 0, 0xB0);
  ASSERT_TRUE(relay.browser_rtp(already_alaw.data(), already_alaw.size(), 0));
  EXPECT_EQ(parse(already_alaw).pt, 8);
  EXPECT_EQ(already_alaw[12], 0xD5);
  auto already_ulaw = make_rtp(0, 1, 0, 0xCA);
  ASSERT_TRUE(relay.pbx_rtp(already_ulaw.data(), already_ulaw.size(), 0, dtmf));
  EXPECT_EQ(parse(already_ulaw).pt, 0);
  EXPECT_EQ(already_ulaw[12], 0xD5);
}
