#pragma once
// FileWriter: the recorder's file-writer thread. The recorder thread decodes and mixes audio
// into memory and hands whole blocks (about one flush interval each) to this thread, which owns
// every open file and is the only one making file system calls (open, write, pwrite, rename,
// close). A disk that stalls therefore stalls this thread only: the recorder thread keeps
// draining the media workers' packet queues (docs/benchmarks.md, "Recorder").
//
// Tasks run in the order they were posted, so `close`'s callback runs after the recording's last
// block and final header are written and the file is renamed. A failing disk (write error,
// ENOSPC, EFBIG) ends the writing of that recording: its later blocks are discarded, the error
// is reported once through `SinkSpec::on_error` and in the RecordingResult given to `close`'s
// callback, and counted in `failed_recordings()`. Nothing is thrown.
//
// The queue is bounded by the recorder, not here: `backlog_bytes()` says how much audio waits;
// the recorder holds audio back in its own buffers while that is over its limit.
//
// Threads: `open`, `append`, `close`, `barrier`, `sync` from one posting thread (the recorder
// thread, or a test's); counters from any thread; callbacks run on the writer thread.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "recorder/recording_format.hpp"
#include "recorder/recording_types.hpp"

namespace sipgw::recorder {

class AudioSink;

/// What to create for one recording.
struct SinkSpec {
  std::string directory;
  std::string base_name;      ///< without extension; "-2", "-3", … appended if taken
  uint32_t sample_rate = 8000;
  uint16_t channels = 2;
  RecordingFormat format = RecordingFormat::wav;
  RecordingCapture capture = RecordingCapture::none;  ///< pcap: also "<base>.pcap" (same base)
  /// Called once, on the writer thread, when the file cannot be created or a write fails.
  std::function<void(uint64_t recording_id, const std::string& error)> on_error;
};

/// One hand-off from the recorder thread: interleaved audio frames, optionally followed by a
/// flush (the file is made readable as it is: the WAV header rewritten).
struct WriteBlock {
  std::vector<int16_t> audio;  ///< interleaved, a whole number of frames
  std::vector<uint8_t> capture;  ///< pcap records (PcapCapture) for the capture file, if any
  bool flush = false;
};

class FileWriter {
 public:
  /// Starts the "rec-writer" thread. Throws std::system_error if it cannot (setup only).
  FileWriter();
  /// Runs every task posted, closes (and renames) files whose `close` was never posted, joins.
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  /// Creates the recording's file(s). Failure: reported through spec.on_error and at `close`.
  void open(uint64_t recording_id, SinkSpec spec);
  /// Appends a block to the recording's file. Ignored after a failure or for an unknown id.
  void append(uint64_t recording_id, WriteBlock block);
  /// Flushes, closes and renames the file, completes `result` (path, bytes, duration_ms,
  /// truncated, error) and passes it to `done` on the writer thread. `done` must not block.
  void close(uint64_t recording_id, RecordingResult result, std::function<void(RecordingResult)> done);
  /// Runs `done` on the writer thread once every task posted before it has run.
  void barrier(std::function<void()> done);
  /// Blocks until every task posted before it has run. Not from the writer thread.
  void sync();

  /// Bytes of audio posted but not yet written. Any thread.
  uint64_t backlog_bytes() const noexcept { return backlog_bytes_.load(std::memory_order_relaxed); }
  /// Recordings whose file could not be created or written, since construction. Any thread.
  uint64_t failed_recordings() const noexcept { return failed_.load(std::memory_order_relaxed); }
  /// Longest single task since the previous call, µs (the longest disk stall seen). Resets it.
  int64_t take_max_task_us() noexcept { return max_task_us_.exchange(0, std::memory_order_relaxed); }
  /// CPU time consumed by the writer thread so far, µs. Any thread.
  int64_t thread_cpu_us() const noexcept;

 private:
  struct Task {
    enum class Kind { open, append, close, barrier, shutdown };
    explicit Task(Kind k, uint64_t recording_id = 0) : kind(k), id(recording_id) {}
    Kind kind;
    uint64_t id;
    SinkSpec spec;
    WriteBlock block;
    RecordingResult result;
    std::function<void(RecordingResult)> done;
    std::function<void()> reached;
  };
  struct Open;

  void post(Task task);
  void run();
  void execute(Task& task);
  void fail(uint64_t id, Open& open, const std::string& error);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> tasks_;  // guarded by mutex_
  std::unordered_map<uint64_t, std::unique_ptr<Open>> open_;  // writer thread only
  std::atomic<uint64_t> backlog_bytes_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<int64_t> max_task_us_{0};
  std::thread thread_;
};

}  // namespace sipgw::recorder
