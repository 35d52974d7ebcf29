// Recorder: the thread end to end — start, packets through the per-worker queues, stop with a
// result on the recorder thread, pause/resume, unknown ids, a full queue that drops without
// blocking, and destruction completing every open recording.
#include "recorder/recorder.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "recorder_test_support.hpp"

using namespace sipgw::recorder;
using namespace sipgw::recorder::test;

namespace {

RecordingParams params_in(const TempDir& dir, const std::string& name) {
  RecordingParams p;
  p.directory = dir.path;
  p.base_name = name;
  p.browser_payload_types = {{0, {"PCMU", 8000, 1}}};
  return p;
}

RecordingResult stop_and_wait(Recorder& recorder, uint64_t id) {
  std::promise<RecordingResult> promise;
  auto future = promise.get_future();
  recorder.stop(id, [&promise](RecordingResult r) { promise.set_value(std::move(r)); });
  EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  return future.get();
}

/// Pushes `seconds` of both legs for recording `id` into `queue`, timestamps from `t0` (fast
/// forward: arrival times are synthetic, the pushes run as fast as the queue accepts them).
void push_call(PacketQueue& queue, uint64_t id, int64_t t0, double seconds, double fb, double fr) {
  for (int i = 0; i < int(seconds * 50); ++i) {
    const int64_t at = t0 + int64_t(i) * 20'000;
    auto b = pcmu_tone(id, Leg::browser, fb, uint16_t(i), uint32_t(i * 160), at, 1);
    auto r = pcmu_tone(id, Leg::remote, fr, uint16_t(i), uint32_t(i * 160), at + 5000, 2);
    while (!queue.try_push(b)) std::this_thread::yield();
    while (!queue.try_push(r)) std::this_thread::yield();
  }
}

}  // namespace

TEST(Recorder, RecordsTwoCallsFromTwoWorkers) {
  TempDir dir;
  Recorder recorder({.workers = 2, .queue_capacity = 1024});  // room for all: no drop
  ASSERT_EQ(recorder.queue_count(), 2u);
  const int64_t t0 = steady_now_us();
  recorder.start(10, params_in(dir, "a"));
  recorder.start(11, params_in(dir, "b"));
  std::thread w0([&] { push_call(recorder.queue(0), 10, t0, 3.0, 1000, 440); });
  std::thread w1([&] { push_call(recorder.queue(1), 11, t0, 3.0, 600, 1400); });
  w0.join();
  w1.join();
  RecordingResult a = stop_and_wait(recorder, 10);
  RecordingResult b = stop_and_wait(recorder, 11);
  ASSERT_TRUE(a.error.empty()) << a.error;
  ASSERT_TRUE(b.error.empty()) << b.error;
  EXPECT_EQ(a.path, dir.file("a.wav"));
  EXPECT_EQ(a.packets[0], 150u);
  EXPECT_EQ(a.packets[1], 150u);
  EXPECT_EQ(a.queue_drops, 0u);
  EXPECT_EQ(recorder.unknown_packets(), 0u);

  Wav wa = read_wav(a.path);
  Wav wb = read_wav(b.path);
  ASSERT_TRUE(wa.ok && wb.ok);
  EXPECT_NEAR(wa.seconds(), 3.0, 0.5);
  EXPECT_NEAR(double(a.duration_ms), 3000, 500);
  EXPECT_GT(goertzel_ratio(wa.channel(0, 8000, 8000), 1000, 8000), 0.9);
  EXPECT_GT(goertzel_ratio(wa.channel(1, 8000, 8000), 440, 8000), 0.9);
  EXPECT_GT(goertzel_ratio(wb.channel(0, 8000, 8000), 600, 8000), 0.9);
  EXPECT_GT(goertzel_ratio(wb.channel(1, 8000, 8000), 1400, 8000), 0.9);
  const std::string channels = soxi("-c", a.path);
  if (!channels.empty()) {
    EXPECT_EQ(channels, "2");
    EXPECT_EQ(soxi("-r", a.path), "8000");
    EXPECT_NEAR(std::stod(soxi("-D", a.path)), 3.0, 0.5);
  }
}

TEST(Recorder, RealTimeCallWithAGapAndPause) {
  // Real clock, compressed: 0.6 s of audio, 0.4 s paused, 0.6 s of audio.
  TempDir dir;
  Recorder recorder({.workers = 1});
  recorder.start(1, params_in(dir, "rt"));
  auto push_for = [&](int packets, uint16_t& seq, double f) {
    for (int i = 0; i < packets; ++i, ++seq) {
      const int64_t now = steady_now_us();
      recorder.queue(0).try_push(pcmu_tone(1, Leg::browser, f, seq, uint32_t(seq * 160), now));
      recorder.queue(0).try_push(pcmu_tone(1, Leg::remote, f, seq, uint32_t(seq * 160), now, 9));
      std::this_thread::sleep_until(std::chrono::steady_clock::time_point(std::chrono::microseconds(now + 20'000)));
    }
  };
  uint16_t seq = 0;
  push_for(30, seq, 1000);
  recorder.pause(1);
  push_for(20, seq, 2000);
  recorder.resume(1);
  push_for(30, seq, 1000);
  RecordingResult r = stop_and_wait(recorder, 1);
  ASSERT_TRUE(r.error.empty()) << r.error;
  Wav w = read_wav(r.path);
  ASSERT_TRUE(w.ok) << w.problem;
  EXPECT_NEAR(w.seconds(), 1.2, 0.15);
  // The 2000 Hz sent while paused is nowhere; each segment holds the 1000 Hz tone.
  EXPECT_LT(goertzel_ratio(w.channel(0), 2000, 8000), 0.02);
  EXPECT_GT(goertzel_ratio(w.channel(0, 800, 3200), 1000, 8000), 0.8);
  EXPECT_GT(goertzel_ratio(w.channel(0, w.frames() - 4000, 3200), 1000, 8000), 0.8);
}

TEST(Recorder, HeaderIsFlushedWhileRecording) {
  TempDir dir;
  Recorder recorder({.workers = 1, .drain_interval_ms = 10, .jitter_ms = 100});
  RecordingParams p = params_in(dir, "live");
  p.flush_interval_ms = 200;
  recorder.start(1, p);
  uint16_t seq = 0;
  const int64_t begin = steady_now_us();
  while (steady_now_us() - begin < 1'000'000) {
    const int64_t now = steady_now_us();
    recorder.queue(0).try_push(pcmu_tone(1, Leg::browser, 1000, seq, uint32_t(seq * 160), now));
    ++seq;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Mid-recording, the .part file is a valid WAV with (almost) everything up to now.
  Wav w = read_wav(dir.file("live.wav.part"));
  ASSERT_TRUE(w.ok) << w.problem;
  EXPECT_GE(w.seconds(), 1.0 - 0.2 - 0.1 - 0.1);
  stop_and_wait(recorder, 1);
  EXPECT_TRUE(std::filesystem::exists(dir.file("live.wav")));
}

TEST(Recorder, FullQueueDropsAndCountsWithoutBlockingTheProducer) {
  TempDir dir;
  // A tiny queue and a slow drain: the producer outruns the recorder.
  Recorder recorder({.workers = 1, .queue_capacity = 8, .drain_interval_ms = 1000});
  recorder.start(1, params_in(dir, "full"));
  recorder.sync();
  const int64_t t0 = steady_now_us();
  const auto begin = std::chrono::steady_clock::now();
  int accepted = 0;
  for (int i = 0; i < 5000; ++i) {
    accepted += recorder.queue(0).try_push(pcmu_tone(1, Leg::browser, 1000, uint16_t(i), uint32_t(i * 160), t0 + i * 20'000));
  }
  const auto elapsed = std::chrono::steady_clock::now() - begin;
  EXPECT_LT(elapsed, std::chrono::milliseconds(500));
  EXPECT_LT(accepted, 5000);
  EXPECT_EQ(recorder.queue(0).dropped(), uint64_t(5000 - accepted));
  EXPECT_EQ(recorder.queue_drops(), uint64_t(5000 - accepted));
  RecordingResult r = stop_and_wait(recorder, 1);
  EXPECT_EQ(r.queue_drops, uint64_t(5000 - accepted));
  EXPECT_EQ(r.packets[0], uint64_t(accepted));
  EXPECT_GT(r.lost[0], 0u);  // the drops show as sequence gaps too
  EXPECT_TRUE(read_wav(r.path).ok);
}

TEST(Recorder, UnknownIdsAndStartFailuresAreReported) {
  TempDir dir;
  Recorder recorder({.workers = 1});
  RecordingResult r = stop_and_wait(recorder, 99);
  EXPECT_FALSE(r.error.empty());

  std::promise<std::string> failed;
  RecordingParams bad = params_in(dir, "x");
  bad.directory = dir.path + "/missing";
  bad.on_error = [&failed](uint64_t id, const std::string& error) { failed.set_value(error); };
  recorder.start(5, bad);
  auto f = failed.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_NE(f.get().find("missing"), std::string::npos);

  recorder.queue(0).try_push(pcmu_tone(77, Leg::browser, 1000, 0, 0, steady_now_us()));
  recorder.sync();
  EXPECT_EQ(recorder.unknown_packets(), 1u);
}

TEST(Recorder, DestructionCompletesOpenRecordings) {
  TempDir dir;
  {
    Recorder recorder({.workers = 1});
    recorder.start(1, params_in(dir, "open"));
    push_call(recorder.queue(0), 1, steady_now_us(), 1.0, 1000, 440);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("open.wav.part")));
  Wav w = read_wav(dir.file("open.wav"));
  ASSERT_TRUE(w.ok) << w.problem;
  EXPECT_NEAR(w.seconds(), 1.0, 0.1);
}

TEST(Recorder, AStalledDiskDoesNotStopTheDrainingOfTheQueues) {
  // The file-writer thread is blocked for 1.5 s (a stalled disk) while a call sends in real time
  // into a 64-slot queue (~0.6 s of this call's packets): the recorder thread keeps draining, so
  // nothing is dropped, and the audio reaches the file once the disk is back.
  TempDir dir;
  Recorder recorder({.workers = 1, .queue_capacity = 64, .drain_interval_ms = 10, .jitter_ms = 100});
  RecordingParams p = params_in(dir, "stall");
  p.flush_interval_ms = 100;
  recorder.start(1, p);
  recorder.sync();
  std::promise<void> disk_back;
  std::shared_future<void> back = disk_back.get_future().share();
  std::promise<void> stalled;
  recorder.file_writer().barrier([back, &stalled] {
    stalled.set_value();
    back.wait();
  });
  stalled.get_future().wait();
  recorder.take_max_pass_us();
  uint16_t seq = 0;
  for (; seq < 75; ++seq) {  // 1.5 s
    const int64_t now = steady_now_us();
    EXPECT_TRUE(recorder.queue(0).try_push(pcmu_tone(1, Leg::browser, 1000, seq, uint32_t(seq * 160), now)));
    EXPECT_TRUE(recorder.queue(0).try_push(pcmu_tone(1, Leg::remote, 440, seq, uint32_t(seq * 160), now, 9)));
    std::this_thread::sleep_until(std::chrono::steady_clock::time_point(std::chrono::microseconds(now + 20'000)));
  }
  EXPECT_EQ(recorder.queue_drops(), 0u);
  EXPECT_LT(recorder.take_max_pass_us(), 300'000);  // no recorder pass waited for the disk
  EXPECT_GT(recorder.write_backlog_bytes(), 0u);     // the audio waits for the writer
  EXPECT_FALSE(read_wav(dir.file("stall.wav.part")).seconds() > 0.1);  // nothing written yet
  disk_back.set_value();
  RecordingResult r = stop_and_wait(recorder, 1);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.packets[0], 75u);
  EXPECT_EQ(r.packets[1], 75u);
  EXPECT_EQ(r.lost[0] + r.lost[1], 0u);
  Wav w = read_wav(r.path);
  ASSERT_TRUE(w.ok) << w.problem;
  EXPECT_NEAR(w.seconds(), 1.5, 0.15);
  EXPECT_GT(goertzel_ratio(w.channel(0, 2000, 8000), 1000, 8000), 0.9);
  EXPECT_GT(goertzel_ratio(w.channel(1, 2000, 8000), 440, 8000), 0.9);
  EXPECT_EQ(recorder.write_backlog_bytes(), 0u);
}

TEST(Recorder, CompletionRunsAfterTheFileIsCompleteAndRenamed) {
  TempDir dir;
  Recorder recorder({.workers = 1});
  recorder.start(1, params_in(dir, "done"));
  push_call(recorder.queue(0), 1, steady_now_us(), 2.0, 1000, 440);
  std::promise<std::string> checked;
  recorder.stop(1, [&](RecordingResult r) {
    // Inside the callback: the final file is there, whole, and the .part is gone.
    Wav w = read_wav(r.path);
    std::string problem;
    if (!r.error.empty()) problem = r.error;
    else if (!w.ok) problem = w.problem;
    else if (std::filesystem::exists(dir.file("done.wav.part"))) problem = ".part still there";
    else if (std::abs(w.seconds() - 2.0) > 0.1) problem = "duration " + std::to_string(w.seconds());
    else if (r.bytes != w.file_size) problem = "size mismatch";
    checked.set_value(problem);
  });
  auto f = checked.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(f.get(), "");
}

TEST(Recorder, ADiskBehindForTooLongMakesTheQueuesDropInsteadOfFillingMemory) {
  // The writer is blocked; the recorder may hold audio back for 300 ms only, then it stops
  // draining: the 64-slot queue fills and drops (counted), memory does not grow. Once the writer
  // is back, recording continues.
  TempDir dir;
  Recorder recorder({.workers = 1, .queue_capacity = 64, .drain_interval_ms = 10, .jitter_ms = 100,
                     .max_write_backlog_bytes = 1, .max_hold_back_ms = 300});
  RecordingParams p = params_in(dir, "overload");
  p.flush_interval_ms = 100;
  recorder.start(1, p);
  recorder.sync();
  std::promise<void> disk_back;
  std::shared_future<void> back = disk_back.get_future().share();
  recorder.file_writer().barrier([back] { back.wait(); });
  uint16_t seq = 0;
  auto push_for = [&](int packets) {
    for (int i = 0; i < packets; ++i, ++seq) {
      const int64_t now = steady_now_us();
      recorder.queue(0).try_push(pcmu_tone(1, Leg::browser, 1000, seq, uint32_t(seq * 160), now));
      recorder.queue(0).try_push(pcmu_tone(1, Leg::remote, 440, seq, uint32_t(seq * 160), now, 9));
      std::this_thread::sleep_until(std::chrono::steady_clock::time_point(std::chrono::microseconds(now + 20'000)));
    }
  };
  push_for(75);  // 1.5 s
  EXPECT_EQ(recorder.drain_stops(), 1u);
  const uint64_t dropped = recorder.queue_drops();
  EXPECT_GT(dropped, 40u);  // ~0.5 s after the stop the queue is full: ~1.4 s - 0.3 s - 0.64 s
  disk_back.set_value();
  recorder.sync();
  push_for(25);  // the writer caught up: nothing more is dropped
  EXPECT_EQ(recorder.queue_drops(), dropped);
  RecordingResult r = stop_and_wait(recorder, 1);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.queue_drops, dropped);
  EXPECT_EQ(r.packets[0] + r.packets[1] + dropped, 200u);
  EXPECT_TRUE(read_wav(r.path).ok);
}
