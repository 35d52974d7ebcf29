#include "recorder/recorder.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <system_error>

namespace sipgw::recorder {

Recorder::Recorder(const RecorderOptions& options) : options_(options) {
  if (options_.workers == 0) options_.workers = 1;
  if (options_.drain_interval_ms == 0) options_.drain_interval_ms = 1;
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  for (size_t i = 0; i < options_.workers; ++i) {
    queues_.push_back(std::make_unique<PacketQueue>(options_.queue_capacity));
    queues_.back()->set_wake_fd(wake_fd_);
  }
  thread_ = std::thread([this] { run(); });
}

Recorder::~Recorder() {
  Command command(Command::Kind::shutdown);
  post(std::move(command));
  if (thread_.joinable()) thread_.join();
  ::close(wake_fd_);
}

void Recorder::post(Command command) {
  {
    std::lock_guard lock(mutex_);
    commands_.push_back(std::move(command));
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void Recorder::start(uint64_t recording_id, RecordingParams params) {
  Command c(Command::Kind::start, recording_id, steady_now_us());
  c.params = std::move(params);
  if (!c.params.format) c.params.format = options_.format;
  if (!c.params.capture) c.params.capture = options_.capture;
  post(std::move(c));
}

void Recorder::pause(uint64_t recording_id) {
  post(Command(Command::Kind::pause, recording_id, steady_now_us()));
}

void Recorder::resume(uint64_t recording_id) {
  post(Command(Command::Kind::resume, recording_id, steady_now_us()));
}

void Recorder::stop(uint64_t recording_id, std::function<void(RecordingResult)> done) {
  Command c(Command::Kind::stop, recording_id, steady_now_us());
  c.done = std::move(done);
  post(std::move(c));
}

void Recorder::sync() {
  std::promise<void> synced;
  auto future = synced.get_future();
  Command c(Command::Kind::sync);
  c.synced = [&synced] { synced.set_value(); };
  post(std::move(c));
  future.wait();
}

uint64_t Recorder::queue_drops() const noexcept {
  uint64_t total = 0;
  for (const auto& q : queues_) total += q->dropped();
  return total;
}

int64_t Recorder::thread_cpu_us() const noexcept {
  clockid_t clock;
  if (pthread_getcpuclockid(const_cast<std::thread&>(thread_).native_handle(), &clock) != 0) return 0;
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return 0;
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

void Recorder::run() {
  pthread_setname_np(pthread_self(), "recorder");
  int64_t next_advance = steady_now_us();
  while (!shutting_down_) {
    const int64_t now = steady_now_us();
    int timeout_ms = next_advance > now ? static_cast<int>((next_advance - now + 999) / 1000) : 0;
    pollfd pfd{wake_fd_, POLLIN, 0};
    ::poll(&pfd, 1, timeout_ms);
    uint64_t value;
    [[maybe_unused]] ssize_t n = ::read(wake_fd_, &value, sizeof value);

    const int64_t begin = steady_now_us();
    watch_disk(begin);
    process();
    const int64_t after = steady_now_us();
    if (after >= next_advance) {
      if (writer_.backlog_bytes() <= options_.max_write_backlog_bytes) {
        for (auto& [id, open] : recordings_) open.recording->advance(after);
      } else {
        held_back_passes_.fetch_add(1, std::memory_order_relaxed);  // the disk is behind: wait
      }
      next_advance = after + static_cast<int64_t>(options_.drain_interval_ms) * 1000;
    }
    const int64_t pass = steady_now_us() - begin;
    if (pass > max_pass_us_.load(std::memory_order_relaxed)) max_pass_us_.store(pass, std::memory_order_relaxed);
  }
  // Shutdown: `process` drained what producers pushed before it; every file is completed.
  finish_all(steady_now_us());
}

void Recorder::watch_disk(int64_t now_us) {
  if (writer_.backlog_bytes() <= options_.max_write_backlog_bytes) {
    behind_since_us_ = 0;
    disk_overloaded_ = false;
    return;
  }
  if (behind_since_us_ == 0) behind_since_us_ = now_us;
  if (!disk_overloaded_ && now_us - behind_since_us_ >= static_cast<int64_t>(options_.max_hold_back_ms) * 1000) {
    disk_overloaded_ = true;
    drain_stops_.fetch_add(1, std::memory_order_relaxed);
  }
}

void Recorder::process() {
  // Commands run in the order posted. Before any command but `start`, the queues are drained
  // (up to the first packet of a recording that is not open) so that the packets pushed before a
  // stop/pause/sync was posted are in. A packet whose recording is not open may belong to a start
  // posted after this pass took its batch: take the commands again (at most 3 rounds), then
  // discard and count what is still unknown.
  for (int round = 0;; ++round) {
    std::deque<Command> batch;
    {
      std::lock_guard lock(mutex_);
      batch.swap(commands_);
    }
    for (auto& command : batch) {
      // Before a pause, only what arrived before it: later packets (pushed before this pass ran)
      // are not recorded, in the audio nor in the raw capture.
      if (command.kind == Command::Kind::pause) drain_queues(true, command.id, command.at_us);
      else if (command.kind != Command::Kind::start) drain_queues(true);
      apply(command);
    }
    // A disk behind for too long: leave the packets in the queues (they fill, then drop and
    // count) rather than in memory. Commands above still drain what they need.
    if (disk_overloaded_) break;
    const bool blocked = drain_queues(true);
    if (blocked && round < 2 && !batch.empty()) continue;
    if (blocked) drain_queues(false);
    break;
  }
  // sync() waiters: every command posted before them ran, and the queues are drained; released
  // once the file-writer thread has written what was handed to it so far.
  for (auto& synced : synced_) writer_.barrier(std::move(synced));
  synced_.clear();
}
CallRecording* Recorder::find(uint64_t id) {
  if (cached_ != nullptr && cached_id_ == id) return cached_;
  auto it = recordings_.find(id);
  if (it == recordings_.end()) return nullptr;
  cached_id_ = id;
  cached_ = it->second.recording.get();
  return cached_;
}

void Recorder::apply(Command& c) {
  switch (c.kind) {
    case Command::Kind::start: {
      if (recordings_.count(c.id) != 0) {
        if (c.params.on_error) c.params.on_error(c.id, "recording id already open");
        return;
      }
      CallRecording::Timing timing;
      timing.jitter_ms = options_.jitter_ms;
      auto recording = CallRecording::create(c.id, c.params, c.at_us, timing, writer_);
      recordings_.emplace(c.id, Open{std::move(recording), queue_drops()});
      return;
    }
    case Command::Kind::pause:
      if (auto* r = find(c.id)) r->pause(c.at_us);
      return;
    case Command::Kind::resume:
      if (auto* r = find(c.id)) r->resume(c.at_us);
      return;
    case Command::Kind::stop: {
      auto it = recordings_.find(c.id);
      if (it == recordings_.end()) {
        RecordingResult result;
        result.recording_id = c.id;
        result.error = "no open recording with this id";
        writer_.close(c.id, std::move(result), std::move(c.done));  // keeps `done` on one thread
      } else {
        it->second.recording->finish(c.at_us, queue_drops() - it->second.drops_at_start, std::move(c.done));
        recordings_.erase(it);
        cached_ = nullptr;
      }
      return;
    }
    case Command::Kind::sync:
      synced_.push_back(std::move(c.synced));  // released at the end of process()
      return;
    case Command::Kind::shutdown:
      shutting_down_ = true;
      return;
  }
}

bool Recorder::drain_queues(bool stop_at_unknown, uint64_t hold_id, int64_t hold_from_us) {
  bool blocked = false;
  uint64_t drained = 0;
  for (auto& q : queues_) {
    while (const RecordedPacket* p = q->front()) {
      if (p->recording_id == hold_id && p->arrival_us >= hold_from_us) break;
      CallRecording* r = find(p->recording_id);
      if (r != nullptr) {
        r->add(*p);
      } else if (stop_at_unknown) {
        blocked = true;
        break;
      } else {
        unknown_packets_.fetch_add(1, std::memory_order_relaxed);
      }
      q->pop();
      ++drained;
    }
  }
  drained_packets_.fetch_add(drained, std::memory_order_relaxed);
  return blocked;
}

void Recorder::finish_all(int64_t at_us) {
  const uint64_t drops = queue_drops();
  for (auto& [id, open] : recordings_) open.recording->finish(at_us, drops - open.drops_at_start, nullptr);
  recordings_.clear();
  cached_ = nullptr;
}

}  // namespace sipgw::recorder
