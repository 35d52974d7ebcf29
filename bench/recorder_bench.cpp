// recorder_bench: the CPU cost of recording calls (docs/benchmarks.md, "Recorder").
//
// N synthetic calls, each sending 50 packets/s per leg (20 ms PCMU, 172-byte RTP packets: 12-byte
// header + 160 bytes), are pushed through the Recorder's per-worker queues exactly as media
// workers would (PacketQueue::try_push_rtp), and recorded to stereo WAV files.
//
//   fast mode:      simulated time, pushed as fast as the recorder drains (a full queue makes the
//                   producer retry): recorder-thread CPU seconds per call-second of audio.
//   realtime mode:  the producers keep real-time pace (every 20 ms, one packet per leg per call,
//                   never retrying): queue drops and recorder CPU at that load.
//
// The recorder thread decodes and mixes; its file-writer thread writes the files. Both threads'
// CPU is reported, and the longest recorder pass (what the packet queues must absorb) next to the
// longest single file operation (the longest disk stall, absorbed by the writer's backlog).
//
// Options: --format wav|flac|ogg and --capture none|pcap record in that format / with a raw
// capture; --writer-stall-ms N blocks the file-writer thread for N ms halfway through the run (a
// disk that stops answering), to show the packet queues are still drained meanwhile.
//
// Usage: recorder_bench [--calls N] [--seconds S] [--workers W] [--queue SLOTS] [--mode fast|realtime]
//                       [--format wav|flac|ogg] [--capture none|pcap] [--writer-stall-ms N]
//                       [--dir DIR] [--keep]
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "recorder/g711.hpp"
#include "recorder/recorder.hpp"

using namespace sipgw::recorder;

namespace {

struct Args {
  int calls = 100;
  double seconds = 10;
  int workers = 2;
  size_t queue = PacketQueue::kDefaultCapacity;
  std::string mode = "fast";
  std::string dir;
  bool keep = false;
  RecordingFormat format = RecordingFormat::wav;
  RecordingCapture capture = RecordingCapture::none;
  int writer_stall_ms = 0;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %s\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--calls") a.calls = std::stoi(next());
    else if (k == "--seconds") a.seconds = std::stod(next());
    else if (k == "--workers") a.workers = std::stoi(next());
    else if (k == "--queue") a.queue = std::stoul(next());
    else if (k == "--mode") a.mode = next();
    else if (k == "--dir") a.dir = next();
    else if (k == "--keep") a.keep = true;
    else if (k == "--format" || k == "--capture") {
      const std::string v = next();
      const auto f = parse_recording_format(v);
      const auto c = parse_recording_capture(v);
      if (k == "--format" && f) a.format = *f;
      else if (k == "--capture" && c) a.capture = *c;
      else {
        std::fprintf(stderr, "bad value for %s: %s\n", k.c_str(), v.c_str());
        std::exit(2);
      }
    } else if (k == "--writer-stall-ms") a.writer_stall_ms = std::stoi(next());
    else {
      std::fprintf(stderr, "usage: %s [--calls N] [--seconds S] [--workers W] [--queue SLOTS] [--mode fast|realtime] [--format wav|flac|ogg] [--capture none|pcap] [--writer-stall-ms N] [--dir DIR] [--keep]\n", argv[0]);
      std::exit(2);
    }
  }
  return a;
}

double process_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double thread_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// One call leg's RTP packet template: 20 ms of a tone in PCMU; seq/ts patched per packet.
struct LegTemplate {
  uint8_t rtp[172];
  explicit LegTemplate(double freq, uint32_t ssrc) {
    std::memset(rtp, 0, sizeof rtp);
    rtp[0] = 0x80;
    rtp[1] = 0;  // PCMU
    for (int i = 0; i < 4; ++i) rtp[8 + i] = uint8_t(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 160; ++i) rtp[12 + i] = pcm_to_ulaw(int16_t(6000 * std::sin(2 * M_PI * freq * i / 8000)));
  }
  void stamp(uint16_t seq, uint32_t ts) {
    rtp[2] = uint8_t(seq >> 8);
    rtp[3] = uint8_t(seq);
    rtp[4] = uint8_t(ts >> 24);
    rtp[5] = uint8_t(ts >> 16);
    rtp[6] = uint8_t(ts >> 8);
    rtp[7] = uint8_t(ts);
  }
};

struct ProducerStats {
  uint64_t pushed = 0;
  uint64_t failed = 0;     // try_push_rtp returned false (full): a drop in realtime mode
  double push_cpu_s = 0;   // producer thread CPU (mostly try_push_rtp)
  uint64_t late_ticks = 0; // realtime: ticks that started more than 20 ms late
};

}  // namespace

int main(int argc, char** argv) {
  Args args = parse(argc, argv);
  const bool realtime = args.mode == "realtime";
  if (!realtime && args.mode != "fast") {
    std::fprintf(stderr, "--mode must be fast or realtime\n");
    return 2;
  }
  std::string dir = args.dir;
  if (dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sipgw-recbench-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = tmpl;
  }
  std::filesystem::create_directories(dir);

  const int ticks = int(args.seconds * 50);
  RecorderOptions options;
  options.workers = size_t(args.workers);
  options.queue_capacity = args.queue;
  options.format = args.format;
  options.capture = args.capture;
  auto recorder = std::make_unique<Recorder>(options);
  for (int c = 0; c < args.calls; ++c) {
    RecordingParams p;
    p.directory = dir;
    p.base_name = "call-" + std::to_string(c);
    p.browser_payload_types = {{0, {"PCMU", 8000, 1}}};
    recorder->start(uint64_t(c + 1), p);
  }
  recorder->sync();

  recorder->take_max_pass_us();  // forget the passes that opened the files
  recorder->take_max_write_us();
  const double cpu0 = recorder->thread_cpu_us() / 1e6;
  const double writer_cpu0 = recorder->writer_thread_cpu_us() / 1e6;
  const double proc0 = process_cpu_s();
  const auto wall0 = std::chrono::steady_clock::now();
  const int64_t t0 = steady_now_us();

  std::vector<ProducerStats> stats(size_t(args.workers));
  std::vector<std::thread> producers;
  for (int w = 0; w < args.workers; ++w) {
    producers.emplace_back([&, w] {
      PacketQueue& queue = recorder->queue(size_t(w));
      std::vector<int> calls;
      for (int c = w; c < args.calls; c += args.workers) calls.push_back(c);
      std::vector<LegTemplate> browser, remote;
      for (int c : calls) {
        browser.emplace_back(1000, 0x10000 + c);
        remote.emplace_back(440, 0x20000 + c);
      }
      ProducerStats& s = stats[size_t(w)];
      const double cpu_start = thread_cpu_s();
      for (int t = 0; t < ticks; ++t) {
        int64_t tick_at = t0 + int64_t(t) * 20'000;
        if (realtime) {
          const int64_t now = steady_now_us();
          if (now < tick_at) std::this_thread::sleep_for(std::chrono::microseconds(tick_at - now));
          else if (now - tick_at > 20'000) ++s.late_ticks;
        }
        for (size_t i = 0; i < calls.size(); ++i) {
          const uint64_t id = uint64_t(calls[i] + 1);
          const int64_t arrival = realtime ? steady_now_us() : tick_at;
          for (int leg = 0; leg < 2; ++leg) {
            LegTemplate& tmpl = leg == 0 ? browser[i] : remote[i];
            tmpl.stamp(uint16_t(t), uint32_t(t * 160));
            for (;;) {
              if (queue.try_push_rtp(id, leg == 0 ? Leg::browser : Leg::remote, arrival, tmpl.rtp, sizeof tmpl.rtp)) {
                ++s.pushed;
                break;
              }
              ++s.failed;
              if (realtime) break;  // a media worker never waits: the packet is dropped
              std::this_thread::yield();
            }
          }
        }
      }
      s.push_cpu_s = thread_cpu_s() - cpu_start;
    });
  }
  if (args.writer_stall_ms > 0) {
    // Halfway through, the disk stops answering for writer_stall_ms.
    std::this_thread::sleep_until(wall0 + std::chrono::microseconds(int64_t(args.seconds * 500'000)));
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(args.writer_stall_ms);
    recorder->file_writer().barrier([until] { std::this_thread::sleep_until(until); });
  }
  for (auto& p : producers) p.join();
  recorder->sync();
  const auto wall_pushed = std::chrono::steady_clock::now();
  const int64_t max_pass_us = recorder->take_max_pass_us();  // while calls ran
  const int64_t max_write_us = recorder->take_max_write_us();

  // Stop every call and wait for the results (files completed and renamed).
  std::atomic<int> remaining{args.calls};
  std::promise<void> all_done;
  std::atomic<uint64_t> bytes{0}, recorded_ms{0}, lost{0}, capture_bytes{0}, errors{0};
  for (int c = 0; c < args.calls; ++c) {
    recorder->stop(uint64_t(c + 1), [&](RecordingResult r) {
      bytes += r.bytes;
      capture_bytes += r.capture_bytes;
      if (!r.error.empty()) ++errors;
      recorded_ms += r.duration_ms;
      lost += r.lost[0] + r.lost[1];
      if (--remaining == 0) all_done.set_value();
    });
  }
  all_done.get_future().wait();
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const double push_wall_s = std::chrono::duration<double>(wall_pushed - wall0).count();
  const double rec_cpu = recorder->thread_cpu_us() / 1e6 - cpu0;
  const double writer_cpu = recorder->writer_thread_cpu_us() / 1e6 - writer_cpu0;
  const uint64_t held_back = recorder->held_back_passes();
  const uint64_t drain_stops = recorder->drain_stops();
  const uint64_t failed_recordings = recorder->failed_recordings();
  const double proc_cpu = process_cpu_s() - proc0;
  const uint64_t drops = recorder->queue_drops();
  const size_t recorder_queue_capacity = recorder->queue(0).capacity();
  recorder.reset();

  uint64_t pushed = 0, failed = 0, late_ticks = 0;
  double push_cpu = 0;
  for (auto& s : stats) {
    pushed += s.pushed;
    failed += s.failed;
    push_cpu += s.push_cpu_s;
    late_ticks += s.late_ticks;
  }
  const double call_seconds = args.calls * args.seconds;
  std::printf("mode=%s calls=%d seconds=%.1f workers=%d queue=%zu slots format=%s capture=%s writer-stall=%d ms\n",
              args.mode.c_str(), args.calls, args.seconds, args.workers, recorder_queue_capacity,
              std::string(to_string(args.format)).c_str(), std::string(to_string(args.capture)).c_str(),
              args.writer_stall_ms);
  std::printf("  packets pushed            %llu\n", (unsigned long long)pushed);
  std::printf("  wall                      %.2f s (pushing %.2f s)\n", wall_s, push_wall_s);
  std::printf("  recorder thread CPU       %.3f s = %.1f us per call-second, %.4f%% of a core per call\n",
              rec_cpu, rec_cpu / call_seconds * 1e6, rec_cpu / call_seconds * 100);
  if (!realtime) {
    std::printf("  recorder capacity         ~%.0f simultaneous calls per core (1 / CPU per call-second)\n",
                call_seconds / rec_cpu);
  } else {
    std::printf("  recorder thread load      %.1f%% of one core at %d calls\n", rec_cpu / wall_s * 100, args.calls);
    std::printf("  producer ticks >20 ms late %llu\n", (unsigned long long)late_ticks);
  }
  if (realtime) {
    std::printf("  producer cost per push    %.0f ns (try_push_rtp, media-worker side)\n",
                pushed + failed ? push_cpu / double(pushed + failed) * 1e9 : 0.0);
  }
  if (realtime) {
    std::printf("  queue drops               %llu (%.4f%% of packets)\n", (unsigned long long)drops,
                pushed + drops ? 100.0 * drops / double(pushed + drops) : 0.0);
  } else {
    std::printf("  queue full (retried)      %llu push attempts\n", (unsigned long long)drops);
  }
  std::printf("  file-writer thread CPU    %.3f s = %.1f us per call-second\n", writer_cpu,
              writer_cpu / call_seconds * 1e6);
  std::printf("  longest recorder pass     %.1f ms\n", max_pass_us / 1000.0);
  std::printf("  longest file operation    %.1f ms (passes holding audio back for the disk: %llu, drain stops: %llu)\n",
              max_write_us / 1000.0, (unsigned long long)held_back, (unsigned long long)drain_stops);
  std::printf("  failed recordings         %llu (%llu results with an error)\n", (unsigned long long)failed_recordings,
              (unsigned long long)errors.load());
  std::printf("  sequence gaps in files    %llu\n", (unsigned long long)lost.load());
  std::printf("  audio written             %.1f call-seconds, %.1f MB (+ %.1f MB of capture)\n", recorded_ms.load() / 1000.0,
              bytes.load() / 1e6, capture_bytes.load() / 1e6);
  std::printf("  process CPU               %.3f s\n", proc_cpu);
  if (!args.keep && args.dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}
