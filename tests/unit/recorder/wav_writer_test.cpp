// WavWriter: the header stays valid while the file grows, the file is renamed on close, name
// collisions get a suffix, and a writer that never closes leaves a playable .part file.
#include "recorder/wav_writer.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "recorder_test_support.hpp"

using namespace sipgw::recorder;
using namespace sipgw::recorder::test;

namespace {
std::vector<int16_t> ramp_frames(size_t frames) {
  std::vector<int16_t> v(frames * 2);
  for (size_t i = 0; i < frames; ++i) {
    v[2 * i] = int16_t(i);
    v[2 * i + 1] = int16_t(-int(i));
  }
  return v;
}
}  // namespace

TEST(WavWriter, CanonicalHeader) {
  auto h = WavWriter::header(2, 8000, 1000);
  ASSERT_EQ(h.size(), 44u);
  EXPECT_EQ(std::string(h.begin(), h.begin() + 4), "RIFF");
  EXPECT_EQ(rd32(h, 4), 1036u);
  EXPECT_EQ(rd16(h, 22), 2);
  EXPECT_EQ(rd32(h, 24), 8000u);
  EXPECT_EQ(rd32(h, 28), 32000u);
  EXPECT_EQ(rd16(h, 32), 4);
  EXPECT_EQ(rd16(h, 34), 16);
  EXPECT_EQ(rd32(h, 40), 1000u);
}

TEST(WavWriter, HeaderValidWhileGrowingAndRenamedOnClose) {
  TempDir dir;
  std::string error;
  WavWriter::Options options;
  options.flush_interval_ms = 1000;
  auto w = WavWriter::create(dir.path, "call", options, error);
  ASSERT_TRUE(w) << error;
  EXPECT_EQ(w->part_path(), dir.file("call.wav.part"));
  EXPECT_EQ(w->final_path(), dir.file("call.wav"));

  // Empty file: a valid header for zero frames.
  Wav empty = read_wav(w->part_path());
  ASSERT_TRUE(empty.ok) << empty.problem;
  EXPECT_EQ(empty.data_size, 0u);

  // Write one second per "second" of a fake clock; the header is rewritten every 1000 ms.
  auto second = ramp_frames(8000);
  int64_t now_ms = 0;
  for (int s = 1; s <= 3; ++s) {
    ASSERT_TRUE(w->write(second.data(), 8000));
    now_ms += 1000;
    ASSERT_TRUE(w->maybe_flush(now_ms));
    Wav mid = read_wav(w->part_path());
    ASSERT_TRUE(mid.ok) << "after " << s << " s: " << mid.problem;
    EXPECT_EQ(mid.channels, 2);
    EXPECT_EQ(mid.sample_rate, 8000u);
    // Flushed at s = 2 (first call only starts the interval): the header never overcounts.
    EXPECT_LE(mid.frames(), size_t(s) * 8000);
    EXPECT_GE(mid.frames(), size_t(s - 1) * 8000);
    if (s == 3) {
      EXPECT_EQ(mid.frames(), 24000u);
      EXPECT_EQ(mid.samples[2 * 100], 100);
      EXPECT_EQ(mid.samples[2 * 100 + 1], -100);
    }
  }
  ASSERT_TRUE(w->write_silence(4000));
  ASSERT_TRUE(w->close());
  EXPECT_FALSE(std::filesystem::exists(dir.file("call.wav.part")));
  Wav done = read_wav(dir.file("call.wav"));
  ASSERT_TRUE(done.ok) << done.problem;
  EXPECT_EQ(done.frames(), 28000u);
  EXPECT_EQ(done.file_size, 44u + 28000u * 4);
  EXPECT_EQ(w->file_bytes(), done.file_size);
  EXPECT_EQ(done.samples.back(), 0);

  const std::string channels = soxi("-c", dir.file("call.wav"));
  if (!channels.empty()) {
    EXPECT_EQ(channels, "2");
    EXPECT_EQ(soxi("-r", dir.file("call.wav")), "8000");
    EXPECT_EQ(soxi("-s", dir.file("call.wav")), "28000");
  }
}

TEST(WavWriter, ExistingNamesGetASuffix) {
  TempDir dir;
  std::string error;
  auto a = WavWriter::create(dir.path, "x", {}, error);
  auto b = WavWriter::create(dir.path, "x", {}, error);
  ASSERT_TRUE(a && b) << error;
  EXPECT_EQ(b->final_path(), dir.file("x-2.wav"));
  a->close();
  auto c = WavWriter::create(dir.path, "x", {}, error);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->final_path(), dir.file("x-3.wav"));  // x.wav exists, x-2.wav.part is open
}

TEST(WavWriter, UnwritableDirectoryIsAnError) {
  std::string error;
  auto w = WavWriter::create("/nonexistent-dir-for-sipgw-test", "x", {}, error);
  EXPECT_FALSE(w);
  EXPECT_NE(error.find("nonexistent"), std::string::npos);
}

TEST(WavWriter, SigkilledWriterLeavesAPlayablePartFile) {
  TempDir dir;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Child: write 3.5 s with a real 100 ms header interval, then wait to be killed.
    std::string error;
    WavWriter::Options options;
    options.flush_interval_ms = 100;
    auto w = WavWriter::create(dir.path, "killed", options, error);
    if (!w) _exit(1);
    auto chunk = ramp_frames(800);  // 100 ms
    for (int i = 0; i < 35; ++i) {
      w->write(chunk.data(), 800);
      w->maybe_flush(int64_t(i) * 100);
    }
    // Signal readiness by creating a marker file, then hang.
    FILE* f = fopen((dir.path + "/ready").c_str(), "w");
    if (f) fclose(f);
    for (;;) pause();
  }
  for (int i = 0; i < 500 && !std::filesystem::exists(dir.file("ready")); ++i) usleep(10000);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  EXPECT_FALSE(std::filesystem::exists(dir.file("killed.wav")));
  Wav part = read_wav(dir.file("killed.wav.part"));
  ASSERT_TRUE(part.ok) << part.problem;
  EXPECT_EQ(part.channels, 2);
  // Flushed at 3.4 s (the last interval boundary): at most one interval missing.
  EXPECT_GE(part.seconds(), 3.5 - 0.1 - 1e-9);
  EXPECT_LE(part.seconds(), 3.5);
  // sox picks the format from the extension; read the .part file as WAV explicitly.
  if (std::system("command -v sox >/dev/null 2>&1") == 0) {
    const std::string cmd = "sox -t wav '" + dir.file("killed.wav.part") + "' -n stat 2>/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }
}
