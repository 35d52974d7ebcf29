// CallRecording: two PCMU legs into the right channels, gaps as silence with the right duration,
// timestamp placement of reordered packets, late/duplicate drops, SSRC changes, CN and
// telephone-event skipped, pause not written, and Opus decoded.
#include "recorder/call_recording.hpp"

#include <gtest/gtest.h>
#include <opus/opus.h>

#include <filesystem>
#include <future>

#include "recorder/file_writer.hpp"

#include "recorder_test_support.hpp"

using namespace sipgw::recorder;
using namespace sipgw::recorder::test;

namespace {

constexpr int64_t kStart = 1'000'000'000;  // an arbitrary steady-clock origin, µs
constexpr int64_t kPacketUs = 20'000;

RecordingParams params_in(const TempDir& dir, const std::string& name = "call") {
  RecordingParams p;
  p.directory = dir.path;
  p.base_name = name;
  p.browser_payload_types = {{0, {"PCMU", 8000, 1}}, {101, {"telephone-event", 8000, 1}}, {13, {"CN", 8000, 1}}};
  return p;
}

/// The file-writer thread every recording of this test binary hands its audio to.
FileWriter& writer() {
  static FileWriter instance;
  return instance;
}

std::unique_ptr<CallRecording> make(const RecordingParams& p) {
  auto r = CallRecording::create(1, p, kStart, {}, writer());
  EXPECT_TRUE(r);
  return r;
}

/// finish() and wait for the writer's result (the file complete and renamed).
RecordingResult finish(CallRecording& r, int64_t at) {
  std::promise<RecordingResult> promise;
  auto future = promise.get_future();
  r.finish(at, 0, [&promise](RecordingResult result) { promise.set_value(std::move(result)); });
  EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  RecordingResult result = future.get();
  EXPECT_TRUE(result.error.empty()) << result.error;
  return result;
}

/// Feeds `seconds` of 20 ms packets on both legs starting at `from_s` (seconds after kStart),
/// advancing the recording every packet. Sequence/timestamps continue from `*seq`.
void feed(CallRecording& r, double from_s, double seconds, uint16_t* seq, double f_browser = 1000,
          double f_remote = 440) {
  const int packets = int(seconds * 50 + 0.5);
  for (int i = 0; i < packets; ++i) {
    const int64_t at = kStart + int64_t(from_s * 1e6) + i * kPacketUs;
    const uint32_t ts = uint32_t((from_s * 8000) + i * 160);
    r.add(pcmu_tone(1, Leg::browser, f_browser, *seq, ts, at + 300, 0xB0B0));
    r.add(pcmu_tone(1, Leg::remote, f_remote, *seq, ts + 12345, at + 700, 0xAEAE));
    ++*seq;
    r.advance(at + 1000);
  }
}

}  // namespace

TEST(CallRecording, TwoLegsEndUpInTheirChannels) {
  TempDir dir;
  auto r = make(params_in(dir));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sample_rate(), 8000u);
  uint16_t seq = 100;
  feed(*r, 0, 3.0, &seq);
  RecordingResult result = finish(*r, kStart + 3'000'000);
  EXPECT_TRUE(result.error.empty()) << result.error;
  EXPECT_EQ(result.path, dir.file("call.wav"));
  EXPECT_EQ(result.packets[0], 150u);
  EXPECT_EQ(result.packets[1], 150u);
  EXPECT_EQ(result.lost[0] + result.lost[1], 0u);
  EXPECT_NEAR(double(result.duration_ms), 3000, 40);

  Wav w = read_wav(result.path);
  ASSERT_TRUE(w.ok) << w.problem;
  EXPECT_EQ(w.channels, 2);
  EXPECT_EQ(w.sample_rate, 8000u);
  EXPECT_NEAR(w.seconds(), 3.0, 0.05);
  EXPECT_EQ(result.bytes, w.file_size);
  // Analyse 1 s in the middle of the call.
  auto left = w.channel(0, 8000, 8000);
  auto right = w.channel(1, 8000, 8000);
  EXPECT_GT(goertzel_ratio(left, 1000, 8000), 0.9);
  EXPECT_LT(goertzel_ratio(left, 440, 8000), 0.01);
  EXPECT_GT(goertzel_ratio(right, 440, 8000), 0.9);
  EXPECT_LT(goertzel_ratio(right, 1000, 8000), 0.01);
}

TEST(CallRecording, PacketsStoppingForTwoSecondsBecomeSilence) {
  TempDir dir;
  auto r = make(params_in(dir));
  uint16_t seq = 0;
  feed(*r, 0, 3.0, &seq);
  // 2 s without any packet (the timestamps jump too: the sender kept its clock running).
  for (int i = 0; i < 100; ++i) r->advance(kStart + 3'000'000 + i * kPacketUs);
  feed(*r, 5.0, 3.0, &seq);
  RecordingResult result = finish(*r, kStart + 8'000'000);
  Wav w = read_wav(result.path);
  ASSERT_TRUE(w.ok) << w.problem;
  EXPECT_NEAR(w.seconds(), 8.0, 0.5);
  // Tone before, silence in the gap (3.1 .. 4.9 s), tone after.
  EXPECT_GT(rms(w.channel(0, 8000, 8000)), 3000);
  EXPECT_EQ(rms(w.channel(0, 3.1 * 8000, 1.8 * 8000)), 0);
  EXPECT_EQ(rms(w.channel(1, 3.1 * 8000, 1.8 * 8000)), 0);
  EXPECT_GT(goertzel_ratio(w.channel(0, 6 * 8000, 8000), 1000, 8000), 0.9);
  EXPECT_GT(goertzel_ratio(w.channel(1, 6 * 8000, 8000), 440, 8000), 0.9);
}

TEST(CallRecording, RtpTimestampOrdersReorderedPacketsAndDropsDuplicates) {
  TempDir dir;
  auto r = make(params_in(dir));
  // Browser leg only: packets 0..49, with 10 and 11 swapped (11 arrives first) and 20 twice.
  std::vector<int> order;
  for (int i = 0; i < 50; ++i) order.push_back(i);
  std::swap(order[10], order[11]);
  order.insert(order.begin() + 21, 20);
  int64_t at = kStart;
  for (int i : order) {
    r->add(pcmu_tone(1, Leg::browser, 1000, uint16_t(i), uint32_t(i * 160), at));
    at += kPacketUs;
  }
  RecordingResult result = finish(*r, at);
  EXPECT_EQ(result.late_or_duplicate, 1u);
  EXPECT_EQ(result.packets[0], 50u);
  EXPECT_EQ(result.lost[0], 0u);
  Wav w = read_wav(result.path);
  ASSERT_TRUE(w.ok);
  // A phase-continuous 1000 Hz tone across the swapped packets: no hole, no glitch.
  EXPECT_GT(goertzel_ratio(w.channel(0, 5 * 160, 10 * 160), 1000, 8000), 0.99);
  for (size_t f = 5 * 160; f < 15 * 160; ++f) {
    const double expected = 8000 * std::sin(2 * M_PI * 1000 * double(f) / 8000);
    ASSERT_NEAR(w.samples[2 * f], expected, 700) << f;
  }
}

TEST(CallRecording, LatePacketsAreDroppedAndLossIsCounted) {
  TempDir dir;
  auto r = make(params_in(dir));
  int64_t at = kStart;
  for (int i = 0; i < 100; ++i) {
    if (i != 30) r->add(pcmu_tone(1, Leg::browser, 1000, uint16_t(i), uint32_t(i * 160), at));
    r->advance(at);
    at += kPacketUs;
    // Packet 30 arrives 0.6 s late (after 60): its place (0.6 s) is already in the file, since
    // only the last 200 ms are held back.
    if (i == 60) r->add(pcmu_tone(1, Leg::browser, 1000, 30, 30 * 160, at));
  }
  RecordingResult result = finish(*r, at);
  EXPECT_EQ(result.late_or_duplicate, 1u);
  EXPECT_EQ(result.lost[0], 0u);  // it did arrive; RFC 3550 counts it as received
  Wav w = read_wav(result.path);
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(rms(w.channel(0, 30 * 160, 160)), 0);  // the hole stays silent

  auto r2 = make(params_in(dir, "loss"));
  at = kStart;
  for (int i = 0; i < 100; ++i, at += kPacketUs) {
    if (i % 10 != 5) r2->add(pcmu_tone(1, Leg::remote, 440, uint16_t(65500 + i), uint32_t(i * 160), at));
  }
  RecordingResult loss = finish(*r2, at);
  EXPECT_EQ(loss.packets[1], 90u);
  EXPECT_EQ(loss.lost[1], 10u);  // across the sequence wrap at 65535
}

TEST(CallRecording, SsrcChangeReanchorsByArrival) {
  TempDir dir;
  auto r = make(params_in(dir));
  int64_t at = kStart;
  for (int i = 0; i < 50; ++i, at += kPacketUs) {
    r->add(pcmu_tone(1, Leg::remote, 440, uint16_t(i), uint32_t(i * 160), at, 0x1111));
  }
  // A new stream (e.g. after a PBX transfer) with an unrelated timestamp base.
  for (int i = 0; i < 50; ++i, at += kPacketUs) {
    r->add(pcmu_tone(1, Leg::remote, 440, uint16_t(9000 + i), uint32_t(0x70000000 + i * 160), at, 0x2222));
  }
  RecordingResult result = finish(*r, at);
  Wav w = read_wav(result.path);
  ASSERT_TRUE(w.ok);
  EXPECT_NEAR(w.seconds(), 2.0, 0.05);
  EXPECT_GT(rms(w.channel(1, 1.2 * 8000, 0.7 * 8000)), 3000);  // second stream right after the first
  EXPECT_EQ(result.lost[1], 0u);
}

TEST(CallRecording, ComfortNoiseAndTelephoneEventsAreSilence) {
  TempDir dir;
  auto r = make(params_in(dir));
  int64_t at = kStart;
  for (int i = 0; i < 100; ++i, at += kPacketUs) {
    RecordedPacket p = pcmu_tone(1, Leg::browser, 1000, uint16_t(i), uint32_t(i * 160), at);
    if (i >= 50 && i < 75) {
      p.payload_type = 101;  // RFC 4733 event: no audio
      p.payload_size = 4;
    } else if (i >= 75) {
      p.payload_type = 13;  // RFC 3389 CN
      p.payload_size = 1;
    }
    r->add(p);
  }
  RecordedPacket unknown = pcmu_tone(1, Leg::browser, 1000, 100, 100 * 160, at);
  unknown.payload_type = 96;
  r->add(unknown);
  RecordingResult result = finish(*r, at);
  EXPECT_EQ(result.undecodable, 1u);
  Wav w = read_wav(result.path);
  ASSERT_TRUE(w.ok);
  EXPECT_GT(rms(w.channel(0, 0, 8000)), 3000);
  EXPECT_EQ(rms(w.channel(0, 8000, 8000)), 0);
}

TEST(CallRecording, PausedTimeIsNotWritten) {
  TempDir dir;
  auto r = make(params_in(dir));
  uint16_t seq = 0;
  feed(*r, 0, 2.0, &seq);
  r->pause(kStart + 2'000'000);
  feed(*r, 2.0, 3.0, &seq, 2000, 2000);  // ignored: arrives while paused
  r->resume(kStart + 5'000'000);
  feed(*r, 5.0, 1.0, &seq);
  RecordingResult result = finish(*r, kStart + 6'000'000);
  Wav w = read_wav(result.path);
  ASSERT_TRUE(w.ok);
  EXPECT_NEAR(w.seconds(), 3.0, 0.1);  // 2 s + 1 s
  EXPECT_NEAR(double(result.duration_ms), 3000, 100);
  EXPECT_LT(goertzel_ratio(w.channel(0), 2000, 8000), 0.01);
  EXPECT_GT(goertzel_ratio(w.channel(0, 2.2 * 8000, 0.6 * 8000), 1000, 8000), 0.9);
  EXPECT_EQ(result.lost[0], 0u);
}

TEST(CallRecording, UnclosedRecordingLeavesAPlayablePartFile) {
  TempDir dir;
  RecordingParams p = params_in(dir);
  p.flush_interval_ms = 1000;
  auto r = make(p);
  uint16_t seq = 0;
  feed(*r, 0, 5.0, &seq);
  writer().sync();  // what the recorder handed over is on disk
  // No finish(): as if the process died now. Everything held back (jitter 200 ms) or written
  // since the last header rewrite (<= 1 s) may be missing, nothing more.
  Wav w = read_wav(dir.file("call.wav.part"));
  ASSERT_TRUE(w.ok) << w.problem;
  EXPECT_EQ(w.channels, 2);
  EXPECT_GE(w.seconds(), 5.0 - 1.0 - 0.2 - 0.05);
  EXPECT_LE(w.seconds(), 5.0);
  EXPECT_GT(goertzel_ratio(w.channel(1, 8000, 8000), 440, 8000), 0.9);
}

TEST(CallRecording, OpusIsDecodedAt48kHz) {
  TempDir dir;
  RecordingParams p = params_in(dir);
  p.browser_payload_types = {{111, {"opus", 48000, 2}}};
  auto r = make(p);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sample_rate(), 48000u);
  int err = 0;
  OpusEncoder* enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
  ASSERT_EQ(err, OPUS_OK);
  int64_t at = kStart;
  for (int i = 0; i < 100; ++i, at += kPacketUs) {
    int16_t pcm[960];
    for (int k = 0; k < 960; ++k) pcm[k] = int16_t(8000 * std::sin(2 * M_PI * 1000 * (i * 960 + k) / 48000.0));
    RecordedPacket pkt;
    pkt.recording_id = 1;
    pkt.leg = Leg::browser;
    pkt.arrival_us = at;
    pkt.payload_type = 111;
    pkt.sequence = uint16_t(i);
    pkt.timestamp = uint32_t(i * 960);
    pkt.ssrc = 5;
    const int n = opus_encode(enc, pcm, 960, pkt.payload, kMaxRecordedPayload);
    ASSERT_GT(n, 0);
    pkt.payload_size = uint16_t(n);
    r->add(pkt);
    // The remote leg sends G.711 (a PBX that ignored Opus): upsampled into the 48 kHz file.
    r->add(pcmu_tone(1, Leg::remote, 440, uint16_t(i), uint32_t(i * 160), at));
  }
  opus_encoder_destroy(enc);
  RecordingResult result = finish(*r, at);
  Wav w = read_wav(result.path);
  ASSERT_TRUE(w.ok) << w.problem;
  EXPECT_EQ(w.sample_rate, 48000u);
  EXPECT_NEAR(w.seconds(), 2.0, 0.05);
  EXPECT_GT(goertzel_ratio(w.channel(0, 48000, 24000), 1000, 48000), 0.8);
  EXPECT_GT(goertzel_ratio(w.channel(1, 48000, 24000), 440, 48000), 0.8);
}

TEST(CallRecording, CodecForResolvesNamesAndStaticTypes) {
  PayloadMap map = {{96, {"OPUS", 48000, 2}}, {101, {"Telephone-Event", 8000, 1}}, {8, {"pcma", 8000, 1}}};
  uint32_t clock = 0;
  EXPECT_EQ(codec_for(map, 96, &clock), Codec::opus);
  EXPECT_EQ(clock, 48000u);
  EXPECT_EQ(codec_for(map, 101), Codec::telephone_event);
  EXPECT_EQ(codec_for(map, 8), Codec::pcma);
  EXPECT_EQ(codec_for({}, 0), Codec::pcmu);
  EXPECT_EQ(codec_for({}, 8), Codec::pcma);
  EXPECT_EQ(codec_for({}, 13), Codec::comfort_noise);
  EXPECT_EQ(codec_for({}, 9), Codec::unknown);
}
