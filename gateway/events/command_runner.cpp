#include "gateway/events/command_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

extern char** environ;

namespace sipgw::events {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr size_t kMaxLoggedBytes = 64 * 1024;
constexpr size_t kMaxLineBytes = 4096;
constexpr auto kExitPollInterval = milliseconds(50);  // only without pidfd_open

/// A pidfd becomes readable when the process exits (Linux ≥ 5.3). -1 when unsupported.
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  return -1;
#endif
}

/// The gateway's environment with `extra` added, replacing same-named entries.
std::vector<std::string> child_environment(const CommandRunner::Env& extra) {
  std::vector<std::string> out;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string_view var(*entry);
    const std::string_view name = var.substr(0, var.find('='));
    bool overridden = false;
    for (const auto& [key, value] : extra) overridden |= name == key;
    if (!overridden) out.emplace_back(var);
  }
  for (const auto& [key, value] : extra) out.push_back(key + "=" + value);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

/// posix_spawnp with stdin from /dev/null, stdout+stderr into `output_fd`, no other inherited
/// descriptor, default signal dispositions and mask, and its own process group.
/// Returns 0 or an errno value.
int spawn(std::vector<std::string>& argv, std::vector<std::string>& envp, int output_fd, pid_t* pid) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, output_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, output_fd, STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
#endif
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);  // e.g. the gateway ignores SIGPIPE; the child must not
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  auto args = c_strings(argv);
  auto env = c_strings(envp);
  const int rc = posix_spawnp(pid, args[0], &actions, &attr, args.data(), env.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

}  // namespace

std::string CommandResult::describe() const {
  if (!error.empty()) return "spawn failed: " + error;
  if (timed_out) return "killed at its timeout (signal " + std::to_string(signal) + ")";
  if (signal) return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  if (exit_code < 0) return "exit status unknown";
  return "exit " + std::to_string(exit_code);
}

/// One running command. Its pending reads and waits own it; the runner keeps a weak pointer to
/// kill it on destruction.
struct CommandRunner::Child : std::enable_shared_from_this<Child> {
  Child(asio::io_context& io, pid_t pid, int output_fd, std::string log_name, Handler done)
      : pid(pid), log_name(std::move(log_name)), done(std::move(done)), output(io, output_fd), exit_fd(io),
        exit_poll(io), deadline(io) {
    result.pid = pid;
    const int pidfd = open_pidfd(pid);
    if (pidfd >= 0) exit_fd.assign(pidfd);
  }

  void start(milliseconds timeout) {
    read_output();
    watch_exit();
    deadline.expires_after(timeout);
    deadline.async_wait([self = shared_from_this(), timeout](boost::system::error_code ec) {
      if (ec) return;
      if (!self->reaped) {
        spdlog::warn("{}[{}]: still running after {} ms, killing its process group", self->log_name, self->pid,
                     timeout.count());
        self->timed_out = true;
        ::kill(-self->pid, SIGKILL);
      }
      // Something the command started still holds the output pipe open: stop reading it.
      boost::system::error_code ignored;
      self->output.close(ignored);
    });
  }

  void read_output() {
    output.async_read_some(asio::buffer(buffer), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      self->consume(n);
      if (ec) {  // EOF once every writer is gone, or closed by the deadline / destructor
        if (!self->line.empty()) self->log_line();
        self->output_done = true;
        self->maybe_release();
        return;
      }
      self->read_output();
    });
  }

  void consume(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (buffer[i] == '\n') {
        log_line();
      } else if (line.size() < kMaxLineBytes) {
        line += buffer[i];
      }
    }
  }

  void log_line() {
    if (logged < kMaxLoggedBytes) {
      logged += line.size() + 1;
      spdlog::info("{}[{}]: {}", log_name, pid, line);
      if (logged >= kMaxLoggedBytes) spdlog::info("{}[{}]: (further output not logged)", log_name, pid);
    }
    line.clear();
  }

  void watch_exit() {
    auto on_ready = [self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->try_reap();
    };
    if (exit_fd.is_open()) {
      exit_fd.async_wait(asio::posix::descriptor_base::wait_read, on_ready);
    } else {
      exit_poll.expires_after(kExitPollInterval);
      exit_poll.async_wait(on_ready);
    }
  }

  void try_reap() {
    int status = 0;
    const pid_t rc = ::waitpid(pid, &status, WNOHANG);
    if (rc == 0) return watch_exit();
    if (rc < 0 && errno == EINTR) return watch_exit();
    reaped = true;
    if (rc == pid) record_status(status);  // else ECHILD: reaped by someone else, status unknown
    boost::system::error_code ignored;
    exit_fd.close(ignored);
    finish();
  }

  void record_status(int status) {
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  }

  void finish() {
    result.timed_out = timed_out;
    const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - started).count();
    if (result.ok())
      spdlog::info("{}[{}]: {} after {} ms", log_name, pid, result.describe(), took);
    else
      spdlog::warn("{}[{}]: {} after {} ms", log_name, pid, result.describe(), took);
    maybe_release();
    if (auto handler = std::move(done)) {
      done = nullptr;
      handler(result);
    }
  }

  /// Once reaped and the output is drained, nothing needs the deadline any more.
  void maybe_release() {
    if (reaped && output_done) deadline.cancel();
  }

  /// Destructor path: kill, reap synchronously (the process is already dying), drop callbacks.
  void abandon() {
    done = nullptr;
    if (!reaped) {
      spdlog::warn("{}[{}]: killed at shutdown", log_name, pid);
      ::kill(-pid, SIGKILL);
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      reaped = true;
    }
    boost::system::error_code ignored;
    output.close(ignored);
    exit_fd.close(ignored);
    exit_poll.cancel();
    deadline.cancel();
  }

  const pid_t pid;
  const std::string log_name;
  const Clock::time_point started = Clock::now();
  Handler done;
  asio::posix::stream_descriptor output;   // read end of the stdout+stderr pipe
  asio::posix::stream_descriptor exit_fd;  // pidfd, when the kernel has pidfd_open
  asio::steady_timer exit_poll;            // otherwise: poll waitpid(WNOHANG)
  asio::steady_timer deadline;
  std::array<char, 4096> buffer{};
  std::string line;
  size_t logged = 0;
  bool reaped = false;
  bool output_done = false;
  bool timed_out = false;
  CommandResult result;
};

CommandRunner::CommandRunner(asio::io_context& io) : io_(io) {}

CommandRunner::~CommandRunner() {
  for (const auto& weak : children_)
    if (auto child = weak.lock()) child->abandon();
}

size_t CommandRunner::running() const noexcept {
  size_t n = 0;
  for (const auto& weak : children_)
    if (auto child = weak.lock(); child && !child->reaped) ++n;
  return n;
}

void CommandRunner::run(std::vector<std::string> argv, Env env, milliseconds timeout, std::string log_name,
                        Handler done) {
  std::erase_if(children_, [](const auto& weak) {
    auto child = weak.lock();
    return !child || child->reaped;
  });
  CommandResult failure;
  int fds[2] = {-1, -1};
  pid_t pid = 0;
  if (argv.empty()) {
    failure.error = "empty command";
  } else if (::pipe2(fds, O_CLOEXEC) != 0) {
    failure.error = std::string("pipe: ") + std::strerror(errno);
  } else {
    auto envp = child_environment(env);
    const int rc = spawn(argv, envp, fds[1], &pid);
    ::close(fds[1]);  // the child has its copies (dup2 clears O_CLOEXEC on them)
    if (rc != 0) {
      ::close(fds[0]);
      failure.error = argv[0] + ": " + std::strerror(rc);
    }
  }
  if (!failure.error.empty()) {
    spdlog::warn("{}: {}", log_name, failure.describe());
    asio::post(io_, [alive = std::weak_ptr<int>(alive_), done = std::move(done), failure] {
      if (done && !alive.expired()) done(failure);
    });
    return;
  }
  spdlog::info("{}[{}]: started {}", log_name, pid, argv[0]);
  auto child = std::make_shared<Child>(io_, pid, fds[0], std::move(log_name), std::move(done));
  children_.push_back(child);
  child->start(timeout);
}

}  // namespace sipgw::events
