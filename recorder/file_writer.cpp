#include "recorder/file_writer.hpp"

#include <pthread.h>
#include <time.h>

#include <future>

#include "recorder/part_file.hpp"
#include "recorder/pcap_file.hpp"
#include "recorder/recorded_packet.hpp"
#include "recorder/sndfile_writer.hpp"
#include "recorder/wav_writer.hpp"

namespace sipgw::recorder {

struct FileWriter::Open {
  SinkSpec spec;
  std::unique_ptr<AudioSink> audio;
  std::unique_ptr<PcapFile> capture;
  std::string error;  // the first failure (open or write)
};

FileWriter::FileWriter() { thread_ = std::thread([this] { run(); }); }

FileWriter::~FileWriter() {
  post(Task{Task::Kind::shutdown});
  if (thread_.joinable()) thread_.join();
}

void FileWriter::post(Task task) {
  if (task.kind == Task::Kind::append)
    backlog_bytes_.fetch_add(task.block.audio.size() * sizeof(int16_t) + task.block.capture.size(),
                             std::memory_order_relaxed);
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void FileWriter::open(uint64_t recording_id, SinkSpec spec) {
  Task t{Task::Kind::open, recording_id};
  t.spec = std::move(spec);
  post(std::move(t));
}

void FileWriter::append(uint64_t recording_id, WriteBlock block) {
  Task t{Task::Kind::append, recording_id};
  t.block = std::move(block);
  post(std::move(t));
}

void FileWriter::close(uint64_t recording_id, RecordingResult result, std::function<void(RecordingResult)> done) {
  Task t{Task::Kind::close, recording_id};
  t.result = std::move(result);
  t.done = std::move(done);
  post(std::move(t));
}

void FileWriter::barrier(std::function<void()> done) {
  Task t{Task::Kind::barrier};
  t.reached = std::move(done);
  post(std::move(t));
}

void FileWriter::sync() {
  std::promise<void> reached;
  auto future = reached.get_future();
  barrier([&reached] { reached.set_value(); });
  future.wait();
}

int64_t FileWriter::thread_cpu_us() const noexcept {
  clockid_t clock;
  if (pthread_getcpuclockid(const_cast<std::thread&>(thread_).native_handle(), &clock) != 0) return 0;
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return 0;
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

void FileWriter::run() {
  pthread_setname_np(pthread_self(), "rec-writer");
  bool shutting_down = false;
  while (!shutting_down) {
    std::deque<Task> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return !tasks_.empty(); });
      batch.swap(tasks_);
    }
    for (auto& task : batch) {
      if (task.kind == Task::Kind::shutdown) {
        shutting_down = true;
        continue;  // tasks posted after shutdown (none, by contract) still run below
      }
      const int64_t begin = steady_now_us();
      execute(task);
      const int64_t took = steady_now_us() - begin;
      if (took > max_task_us_.load(std::memory_order_relaxed)) max_task_us_.store(took, std::memory_order_relaxed);
    }
  }
  // Recordings never closed (the recorder always closes them; defensive): complete the files.
  for (auto& [id, open] : open_) {
    if (open->audio) open->audio->close();
    if (open->capture) open->capture->close();
  }
  open_.clear();
}

void FileWriter::fail(uint64_t id, Open& open, const std::string& error) {
  if (!open.error.empty()) return;
  open.error = error;
  failed_.fetch_add(1, std::memory_order_relaxed);
  if (open.spec.on_error) {
    try {
      open.spec.on_error(id, error);
    } catch (...) {
    }
  }
}

void FileWriter::execute(Task& t) {
  switch (t.kind) {
    case Task::Kind::open: {
      auto open = std::make_unique<Open>();
      open->spec = std::move(t.spec);
      if (open_.count(t.id) != 0) {
        // The recorder never reuses an open id; if it did, keep the first file intact.
        Open refused;
        refused.spec = std::move(open->spec);
        fail(t.id, refused, "recording id already open");
        return;
      }
      std::string error;
      const SinkSpec& spec = open->spec;
      const bool pcap = spec.capture == RecordingCapture::pcap;
      std::vector<std::string> extensions{std::string(file_extension(spec.format))};
      if (pcap) extensions.push_back(".pcap");
      const std::string name = free_base_name(spec.directory, spec.base_name, extensions);
      if (name.empty()) {
        error = "no free file name for " + normalized_directory(spec.directory) + "/" + spec.base_name;
      } else if (spec.format == RecordingFormat::wav) {
        WavWriter::Options options;
        options.channels = spec.channels;
        options.sample_rate = spec.sample_rate;
        options.flush_interval_ms = UINT32_MAX;  // flushed when a block asks for it
        open->audio = WavWriter::create_named(spec.directory, name, options, error);
      } else {
        open->audio = SndfileWriter::create_named(spec.directory, name, spec.format, spec.channels,
                                                  spec.sample_rate, error);
      }
      if (open->audio && pcap) open->capture = PcapFile::create_named(spec.directory, name, error);
      if (!open->audio || (pcap && !open->capture)) fail(t.id, *open, error);
      open_.emplace(t.id, std::move(open));
      return;
    }
    case Task::Kind::append: {
      const uint64_t bytes = t.block.audio.size() * sizeof(int16_t) + t.block.capture.size();
      auto it = open_.find(t.id);
      if (it != open_.end() && it->second->audio && it->second->error.empty()) {
        Open& open = *it->second;
        const size_t channels = open.spec.channels ? open.spec.channels : 1;
        open.audio->write(t.block.audio.data(), t.block.audio.size() / channels);
        if (t.block.flush) open.audio->flush();
        if (open.capture) open.capture->write(t.block.capture);
        if (!open.audio->error().empty()) fail(t.id, open, open.audio->error());
        if (open.capture && !open.capture->error().empty()) fail(t.id, open, open.capture->error());
      }
      t.block.audio = {};
      t.block.capture = {};
      backlog_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
      return;
    }
    case Task::Kind::close: {
      RecordingResult& r = t.result;
      r.recording_id = t.id;
      auto it = open_.find(t.id);
      if (it == open_.end()) {
        if (r.error.empty()) r.error = "no open recording with this id";
      } else {
        Open& open = *it->second;
        if (open.audio) {
          const bool closed = open.audio->close();
          if (!closed) fail(t.id, open, open.audio->error());
          r.path = closed ? open.audio->final_path() : open.audio->part_path();
          r.bytes = open.audio->file_bytes();
          r.duration_ms = r.sample_rate ? open.audio->frames() * 1000 / r.sample_rate : 0;
          r.truncated = open.audio->truncated();
        }
        if (open.capture) {
          const bool closed = open.capture->close();
          if (!closed) fail(t.id, open, open.capture->error());
          r.capture_path = closed ? open.capture->final_path() : open.capture->part_path();
          r.capture_bytes = open.capture->file_bytes();
        }
        if (r.error.empty()) r.error = open.error;
        open_.erase(it);
      }
      if (t.done) {
        try {
          t.done(std::move(r));
        } catch (...) {
        }
      }
      return;
    }
    case Task::Kind::barrier:
      if (t.reached) t.reached();
      return;
    case Task::Kind::shutdown:
      return;
  }
}

}  // namespace sipgw::recorder
