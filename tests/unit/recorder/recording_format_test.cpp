// Recording formats: the same call recorded as WAV, FLAC and Ogg/Opus decodes with libsndfile to
// two channels of the right rate and duration, the browser's tone on the left and the remote
// party's on the right; file names, sizes and durations in the result match the files. A FLAC or
// Ogg/Opus writer killed with SIGKILL leaves a .part file libsndfile still decodes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sndfile.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <future>

#include "recorder/recorder.hpp"
#include "recorder/recording_format.hpp"
#include "recorder/sndfile_writer.hpp"
#include "recorder_test_support.hpp"

using namespace sipgw::recorder;
using namespace sipgw::recorder::test;

namespace {

struct Decoded {
  std::string problem;
  int channels = 0;
  int rate = 0;
  int major_format = 0;
  std::vector<int16_t> samples;
  size_t frames() const { return channels ? samples.size() / channels : 0; }
  std::vector<double> channel(int c, size_t from, size_t count) const {
    std::vector<double> out;
    for (size_t f = from; f < frames() && out.size() < count; ++f) out.push_back(samples[f * channels + c]);
    return out;
  }
};

Decoded decode(const std::string& path) {
  Decoded d;
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) {
    d.problem = sf_strerror(nullptr);
    return d;
  }
  d.channels = info.channels;
  d.rate = info.samplerate;
  d.major_format = info.format & SF_FORMAT_TYPEMASK;
  std::vector<int16_t> buf(4096 * info.channels);
  sf_count_t n;
  while ((n = sf_readf_short(f, buf.data(), 4096)) > 0) d.samples.insert(d.samples.end(), buf.begin(), buf.begin() + n * info.channels);
  sf_close(f);
  return d;
}

RecordingResult record_call(const TempDir& dir, std::optional<RecordingFormat> format, RecordingFormat default_format) {
  RecorderOptions options;
  options.workers = 1;
  options.format = default_format;
  Recorder recorder(options);
  RecordingParams p;
  p.directory = dir.path;
  p.base_name = "call";
  p.browser_payload_types = {{0, {"PCMU", 8000, 1}}};
  p.format = format;
  recorder.start(1, p);
  const int64_t t0 = steady_now_us();
  for (int i = 0; i < 150; ++i) {  // 3 s
    auto b = pcmu_tone(1, Leg::browser, 1000, uint16_t(i), uint32_t(i * 160), t0 + i * 20'000, 1);
    auto r = pcmu_tone(1, Leg::remote, 440, uint16_t(i), uint32_t(i * 160), t0 + i * 20'000 + 3000, 2);
    while (!recorder.queue(0).try_push(b)) std::this_thread::yield();
    while (!recorder.queue(0).try_push(r)) std::this_thread::yield();
  }
  std::promise<RecordingResult> done;
  auto future = done.get_future();
  recorder.stop(1, [&done](RecordingResult r) { done.set_value(std::move(r)); });
  EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  return future.get();
}

void expect_call(const RecordingResult& r, const std::string& expected_path, int major_format, double min_ratio) {
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.path, expected_path);
  EXPECT_FALSE(std::filesystem::exists(expected_path + ".part"));
  EXPECT_EQ(r.bytes, std::filesystem::file_size(r.path));
  EXPECT_NEAR(double(r.duration_ms), 3000, 100);
  Decoded d = decode(r.path);
  ASSERT_TRUE(d.problem.empty()) << d.problem;
  EXPECT_EQ(d.major_format, major_format);
  EXPECT_EQ(d.channels, 2);
  EXPECT_EQ(d.rate, 8000);
  EXPECT_NEAR(double(d.frames()) / d.rate, 3.0, 0.1);
  EXPECT_GT(goertzel_ratio(d.channel(0, 8000, 8000), 1000, 8000), min_ratio);
  EXPECT_GT(goertzel_ratio(d.channel(1, 8000, 8000), 440, 8000), min_ratio);
  EXPECT_LT(goertzel_ratio(d.channel(0, 8000, 8000), 440, 8000), 0.05);
  EXPECT_LT(goertzel_ratio(d.channel(1, 8000, 8000), 1000, 8000), 0.05);
}

}  // namespace

TEST(RecordingFormat, NamesAndExtensions) {
  EXPECT_EQ(parse_recording_format("wav"), RecordingFormat::wav);
  EXPECT_EQ(parse_recording_format("flac"), RecordingFormat::flac);
  EXPECT_EQ(parse_recording_format("ogg"), RecordingFormat::ogg_opus);
  EXPECT_FALSE(parse_recording_format("mp3"));
  EXPECT_FALSE(parse_recording_format("WAV"));
  EXPECT_EQ(file_extension(RecordingFormat::ogg_opus), ".opus");
  EXPECT_EQ(to_string(RecordingFormat::ogg_opus), "ogg");
  EXPECT_EQ(parse_recording_capture("pcap"), RecordingCapture::pcap);
  EXPECT_EQ(parse_recording_capture("none"), RecordingCapture::none);
  EXPECT_FALSE(parse_recording_capture("rtpdump"));
}

TEST(RecordingFormat, WavIsTheDefault) {
  TempDir dir;
  expect_call(record_call(dir, std::nullopt, RecordingFormat::wav), dir.file("call.wav"), SF_FORMAT_WAV, 0.95);
}

TEST(RecordingFormat, FlacIsLossless) {
  TempDir dir;
  RecordingResult r = record_call(dir, std::nullopt, RecordingFormat::flac);  // from RecorderOptions
  expect_call(r, dir.file("call.flac"), SF_FORMAT_FLAC, 0.95);
  EXPECT_EQ(r.format, RecordingFormat::flac);
  // Same samples as the WAV recording of the same call.
  TempDir wav_dir;
  RecordingResult w = record_call(wav_dir, RecordingFormat::wav, RecordingFormat::flac);  // per call
  EXPECT_EQ(w.path, wav_dir.file("call.wav"));
  Decoded a = decode(r.path), b = decode(w.path);
  EXPECT_EQ(a.samples, b.samples);
  EXPECT_LT(r.bytes, w.bytes);
}

TEST(RecordingFormat, OggOpus) {
  TempDir dir;
  expect_call(record_call(dir, RecordingFormat::ogg_opus, RecordingFormat::wav), dir.file("call.opus"),
              SF_FORMAT_OGG, 0.8);
}

TEST(RecordingFormat, PartSuffixFollowsTheDefaultFormat) {
  RecorderOptions options;
  options.format = RecordingFormat::flac;
  Recorder recorder(options);
  EXPECT_EQ(recorder.part_suffix(), ".flac.part");
}

namespace {

/// Forks a child that writes 3 s of a 1000 Hz tone (left channel) in `format` in 100 ms writes,
/// then waits to be killed; kills it with SIGKILL and decodes what it left.
Decoded killed_writer(const TempDir& dir, RecordingFormat format, std::string* part_path) {
  *part_path = dir.file("killed" + std::string(file_extension(format)) + ".part");
  const pid_t child = fork();
  if (child == 0) {
    std::string error;
    auto w = SndfileWriter::create_named(dir.path, "killed", format, 2, 8000, error);
    if (!w) _exit(1);
    std::vector<int16_t> chunk(1600);
    for (int s = 0; s < 30; ++s) {
      for (int i = 0; i < 800; ++i) chunk[2 * i] = int16_t(8000 * std::sin(2 * M_PI * 1000 * (s * 800 + i) / 8000.0));
      if (!w->write(chunk.data(), 800) || !w->flush()) _exit(1);
    }
    FILE* f = fopen((dir.path + "/ready").c_str(), "w");
    if (f) fclose(f);
    for (;;) pause();
  }
  for (int i = 0; i < 500 && !std::filesystem::exists(dir.file("ready")); ++i) usleep(10000);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
  return decode(*part_path);
}

}  // namespace

TEST(RecordingFormat, KilledFlacWriterLeavesADecodablePartFile) {
  TempDir dir;
  std::string part;
  Decoded d = killed_writer(dir, RecordingFormat::flac, &part);
  ASSERT_TRUE(d.problem.empty()) << d.problem;
  EXPECT_EQ(d.channels, 2);
  // Whole FLAC frames only (4096 samples): at most one frame, 0.51 s, is missing.
  EXPECT_GE(double(d.frames()) / 8000, 3.0 - 4096 / 8000.0 - 1e-9);
  EXPECT_GT(goertzel_ratio(d.channel(0, 0, 8000), 1000, 8000), 0.95);
}

TEST(RecordingFormat, KilledOggOpusWriterLeavesADecodablePartFile) {
  TempDir dir;
  std::string part;
  Decoded d = killed_writer(dir, RecordingFormat::ogg_opus, &part);
  ASSERT_TRUE(d.problem.empty()) << d.problem;
  EXPECT_EQ(d.channels, 2);
  // Whole Ogg pages only: about a second may be missing.
  EXPECT_GE(double(d.frames()) / 8000, 3.0 - 1.2);
  EXPECT_GT(goertzel_ratio(d.channel(0, 0, 8000), 1000, 8000), 0.8);
}
