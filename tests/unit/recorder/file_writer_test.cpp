// FileWriter: blocks written in order with the header valid after each flush, and a failing disk
// (the kernel refusing writes past RLIMIT_FSIZE with EFBIG, as a full one refuses with ENOSPC)
// reported once, in the result and in the counter, without a crash.
#include "recorder/file_writer.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <future>

#include "recorder_test_support.hpp"

using namespace sipgw::recorder;
using namespace sipgw::recorder::test;

namespace {

RecordingResult close_and_wait(FileWriter& writer, uint64_t id, uint32_t rate) {
  std::promise<RecordingResult> promise;
  auto future = promise.get_future();
  RecordingResult partial;
  partial.sample_rate = rate;
  writer.close(id, partial, [&promise](RecordingResult r) { promise.set_value(std::move(r)); });
  EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  return future.get();
}

WriteBlock tone_block(size_t frames, bool flush) {
  WriteBlock b;
  for (size_t i = 0; i < frames; ++i) {
    b.audio.push_back(int16_t(8000 * std::sin(2 * M_PI * 1000 * double(i) / 8000)));
    b.audio.push_back(0);
  }
  b.flush = flush;
  return b;
}

}  // namespace

TEST(FileWriter, BlocksAreWrittenInOrderAndFlushedOnRequest) {
  TempDir dir;
  FileWriter writer;
  SinkSpec spec;
  spec.directory = dir.path;
  spec.base_name = "w";
  writer.open(7, spec);
  writer.append(7, tone_block(8000, true));
  writer.sync();
  Wav part = read_wav(dir.file("w.wav.part"));
  ASSERT_TRUE(part.ok) << part.problem;
  EXPECT_EQ(part.frames(), 8000u);
  writer.append(7, tone_block(4000, false));
  RecordingResult r = close_and_wait(writer, 7, 8000);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.path, dir.file("w.wav"));
  EXPECT_EQ(r.duration_ms, 1500u);
  EXPECT_EQ(r.bytes, 44u + 12000u * 4);
  EXPECT_EQ(writer.failed_recordings(), 0u);
  EXPECT_EQ(writer.backlog_bytes(), 0u);
}

TEST(FileWriter, AFailingDiskIsReportedInTheResultAndCounted) {
  TempDir dir;
  // Files may not grow past 64 KiB in this process: write() then fails with EFBIG (SIGXFSZ
  // ignored), the way a full disk fails with ENOSPC.
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* old_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);

  FileWriter writer;
  std::promise<std::string> reported;
  int reports = 0;
  SinkSpec spec;
  spec.directory = dir.path;
  spec.base_name = "full";
  spec.on_error = [&](uint64_t id, const std::string& error) {
    EXPECT_EQ(id, 3u);
    if (reports++ == 0) reported.set_value(error);
  };
  writer.open(3, spec);
  for (int i = 0; i < 10; ++i) writer.append(3, tone_block(8000, true));  // 10 × 32 KB
  RecordingResult r = close_and_wait(writer, 3, 8000);
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, old_handler);

  EXPECT_NE(r.error.find("File too large"), std::string::npos) << r.error;
  EXPECT_EQ(r.path, dir.file("full.wav.part"));  // kept, not renamed
  auto f = reported.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(1)), std::future_status::ready);
  EXPECT_EQ(f.get(), r.error);
  EXPECT_EQ(reports, 1);
  EXPECT_EQ(writer.failed_recordings(), 1u);
  EXPECT_EQ(writer.backlog_bytes(), 0u);
  // What was written before the failure is still a valid WAV.
  EXPECT_TRUE(read_wav(dir.file("full.wav.part")).ok);

  // The next recording (the disk has room again) is unaffected.
  spec.base_name = "next";
  spec.on_error = nullptr;
  writer.open(4, spec);
  writer.append(4, tone_block(800, true));
  RecordingResult ok = close_and_wait(writer, 4, 8000);
  EXPECT_TRUE(ok.error.empty()) << ok.error;
  EXPECT_EQ(writer.failed_recordings(), 1u);
}

TEST(FileWriter, AnUncreatableFileIsReported) {
  FileWriter writer;
  SinkSpec spec;
  spec.directory = "/nonexistent-dir-for-sipgw-test";
  spec.base_name = "uncreatable";
  writer.open(1, spec);
  writer.append(1, tone_block(80, true));
  RecordingResult r = close_and_wait(writer, 1, 8000);
  EXPECT_NE(r.error.find("nonexistent"), std::string::npos) << r.error;
  EXPECT_TRUE(r.path.empty());
  EXPECT_EQ(writer.failed_recordings(), 1u);
}
