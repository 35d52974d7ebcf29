#pragma once
// Recorder: the recorder thread. Media workers copy the decrypted RTP of recorded calls into
// their own PacketQueue (lock-free, never blocks); the recorder thread drains every queue each
// `drain_interval_ms` (or at once when a queue reaches half full), decodes and mixes each call
// (CallRecording) and hands the mixed audio, one block per flush interval, to its file-writer
// thread (FileWriter), which alone writes the files and keeps every header valid (WavWriter).
// A stalling disk delays only the file-writer thread; while more than
// `max_write_backlog_bytes` wait for it, the recorder thread keeps mixed audio in its own
// per-call buffers instead of handing more over, and keeps draining. Memory stays bounded: if
// the disk is still that far behind after `max_hold_back_ms` (a dead disk, or a format the writer
// cannot encode fast enough), the recorder stops draining the queues until it catches up, so the
// packets are dropped and counted by the queues (as before the writer thread existed) instead of
// piling up in memory.
//
// Control (start/pause/resume/stop) is posted from any thread through a small mutex-protected
// command queue: control plane only, never per packet. Commands are applied in the order posted;
// each carries the steady-clock time of the call, so the file's timeline does not depend on when
// the recorder thread gets to it.
//
// Integration contract:
//   control thread:  recorder.start(id, params); then tell the call's media worker to record
//                    with `id` (so the start command is posted before the first packet);
//   media worker k:  recorder.queue(k).try_push_rtp(id, Leg::browser, steady_now_us(), rtp, len)
//                    for each decrypted RTP packet of a recorded call (both legs);
//   control thread:  tell the worker to stop pushing, then recorder.stop(id, done); `done` runs on
//                    the file-writer thread once the file is complete and renamed, and should
//                    only post its RecordingResult elsewhere.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "recorder/call_recording.hpp"
#include "recorder/file_writer.hpp"
#include "recorder/packet_queue.hpp"
#include "recorder/recording_types.hpp"

namespace sipgw::recorder {

struct RecorderOptions {
  size_t workers = 1;                                ///< number of queues (one per media worker), >= 1
  size_t queue_capacity = PacketQueue::kDefaultCapacity;  ///< slots per queue (rounded to 2^n)
  uint32_t drain_interval_ms = 20;                   ///< queue drain and audio write period
  uint32_t jitter_ms = 200;                          ///< audio hold-back, see CallRecording
  /// Mixed audio waiting for the file-writer thread above which the recorder thread stops handing
  /// more over (and keeps it in its per-call buffers) until the disk catches up, bytes.
  uint64_t max_write_backlog_bytes = 256ull << 20;
  /// How long the backlog may stay over that limit before the recorder stops draining, ms.
  uint32_t max_hold_back_ms = 10'000;
  /// Format of recordings whose RecordingParams::format is unset.
  RecordingFormat format = RecordingFormat::wav;
  /// Raw capture of recordings whose RecordingParams::capture is unset.
  RecordingCapture capture = RecordingCapture::none;
};

class Recorder {
 public:
  /// Allocates the queues and starts the "recorder" thread. Throws std::system_error if the
  /// eventfd or the thread cannot be created (setup only).
  explicit Recorder(const RecorderOptions& options);
  /// Stops the thread after draining the queues and finishing every open recording (files
  /// completed and renamed; `stop` callbacks already posted still run). Producers must have
  /// stopped pushing. Any thread but the recorder's.
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  /// The queue media worker `worker_index` (< options.workers) pushes into. The reference is
  /// valid for the Recorder's lifetime. Any thread (the queue itself: one producer thread only).
  PacketQueue& queue(size_t worker_index) noexcept { return *queues_[worker_index]; }
  size_t queue_count() const noexcept { return queues_.size(); }

  /// Starts recording `recording_id` (caller-chosen, unique among open recordings) into
  /// "<params.directory>/<params.base_name><ext>.part" (<ext>: ".wav", ".flac" or ".opus", from
  /// params.format or else options.format); frame 0 of the file is now. Any thread.
  /// Failures are reported through params.on_error: id already open (on the recorder thread),
  /// file not creatable or a later write error (on the file-writer thread).
  void start(uint64_t recording_id, RecordingParams params);
  /// Ends the current segment now: until `resume`, packets are ignored and nothing is written
  /// (paused time is not in the file). Any thread.
  void pause(uint64_t recording_id);
  /// Continues a paused recording in the same file from now. Any thread.
  void resume(uint64_t recording_id);
  /// Completes the recording: hands what is buffered to the file-writer thread, which writes it,
  /// rewrites the header, renames the file to "<base_name><ext>" and then calls `done` with the
  /// result (error set when the id is unknown or the file could not be created or written).
  /// `done` runs on the file-writer thread, after the final bytes and header are written; it
  /// must not block and must not call back into the Recorder synchronously except to post
  /// commands. Any thread.
  void stop(uint64_t recording_id, std::function<void(RecordingResult)> done);

  /// What a recording started without a format ends its file name with while it is being
  /// written: file_extension(options.format) + ".part", e.g. ".wav.part". Any thread.
  std::string part_suffix() const { return std::string(file_extension(options_.format)) + ".part"; }

  /// Blocks until every command posted before it has run, the queues were drained once and the
  /// file-writer thread wrote everything handed to it by then. Tests and benchmarks only. Any
  /// thread but the recorder's and the writer's.
  void sync();

  /// Sum of every queue's drops since construction. Any thread.
  uint64_t queue_drops() const noexcept;
  /// Packets taken from the queues whose recording id was not open (counted, discarded). Any thread.
  uint64_t unknown_packets() const noexcept { return unknown_packets_.load(std::memory_order_relaxed); }
  /// Packets taken from the queues since construction. Any thread.
  uint64_t drained_packets() const noexcept { return drained_packets_.load(std::memory_order_relaxed); }
  /// Longest single pass of the recorder loop (commands, drain, audio writes) since the previous
  /// call, µs: the stall a queue must absorb. Resets it. Any thread (diagnostics).
  int64_t take_max_pass_us() noexcept { return max_pass_us_.exchange(0, std::memory_order_relaxed); }
  /// CPU time consumed by the recorder thread so far, µs (CLOCK_THREAD_CPUTIME_ID via
  /// pthread_getcpuclockid). Any thread.
  int64_t thread_cpu_us() const noexcept;
  /// The file-writer thread's CPU time so far, µs. Any thread.
  int64_t writer_thread_cpu_us() const noexcept { return writer_.thread_cpu_us(); }
  /// Longest single file operation (a block written, a file opened or closed) since the previous
  /// call, µs: the longest disk stall. Resets it. Any thread (diagnostics).
  int64_t take_max_write_us() noexcept { return writer_.take_max_task_us(); }
  /// Recordings whose file could not be created or written (disk full, I/O error), since
  /// construction. Any thread.
  uint64_t failed_recordings() const noexcept { return writer_.failed_recordings(); }
  /// Mixed audio waiting for the file-writer thread now, bytes. Any thread.
  uint64_t write_backlog_bytes() const noexcept { return writer_.backlog_bytes(); }
  /// The file-writer thread. Tests post a blocking `barrier` on it to stand for a stalled disk.
  FileWriter& file_writer() noexcept { return writer_; }
  /// Times the recorder stopped draining the queues because the disk stayed behind for
  /// max_hold_back_ms (see above). Any thread.
  uint64_t drain_stops() const noexcept { return drain_stops_.load(std::memory_order_relaxed); }
  /// Recorder passes that kept audio back because the write backlog was over its limit. Any thread.
  uint64_t held_back_passes() const noexcept { return held_back_passes_.load(std::memory_order_relaxed); }

 private:
  struct Command {
    enum class Kind { start, pause, resume, stop, sync, shutdown };
    Command(Kind k, uint64_t recording_id = 0, int64_t at = 0) : kind(k), id(recording_id), at_us(at) {}
    Kind kind;
    uint64_t id;
    int64_t at_us;
    RecordingParams params;
    std::function<void(RecordingResult)> done;
    std::function<void()> synced;
  };

  void post(Command command);
  void run();
  void process();
  void watch_disk(int64_t now_us);
  void apply(Command& command);
  // true when a queue stopped at an unknown id. Packets of `hold_id` that arrived at or after
  // `hold_from_us` stay queued (a pause applies to them).
  bool drain_queues(bool stop_at_unknown, uint64_t hold_id = 0, int64_t hold_from_us = INT64_MAX);
  void finish_all(int64_t at_us);
  CallRecording* find(uint64_t id);

  RecorderOptions options_;
  FileWriter writer_;  // destroyed after thread_ is joined: completes what the recorder handed it
  std::vector<std::unique_ptr<PacketQueue>> queues_;
  int wake_fd_ = -1;

  std::mutex mutex_;
  std::deque<Command> commands_;  // guarded by mutex_

  // Recorder thread only.
  struct Open {
    std::unique_ptr<CallRecording> recording;
    uint64_t drops_at_start;
  };
  std::unordered_map<uint64_t, Open> recordings_;
  uint64_t cached_id_ = 0;
  CallRecording* cached_ = nullptr;
  bool shutting_down_ = false;
  std::vector<std::function<void()>> synced_;

  std::atomic<uint64_t> unknown_packets_{0};
  std::atomic<uint64_t> drained_packets_{0};
  std::atomic<int64_t> max_pass_us_{0};
  std::atomic<uint64_t> held_back_passes_{0};
  std::atomic<uint64_t> drain_stops_{0};
  int64_t behind_since_us_ = 0;  // recorder thread: since when the write backlog is over its limit
  bool disk_overloaded_ = false;  // recorder thread: behind for max_hold_back_ms, not draining
  std::thread thread_;
};

}  // namespace sipgw::recorder
