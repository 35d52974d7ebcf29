#pragma once
// CommandRunner: runs external commands (the recording hook's `command`) without blocking the
// control thread: posix_spawnp (argv as given, no shell), stdout and stderr merged into one pipe
// read asynchronously and logged line by line, exit observed through a pidfd (Linux ≥ 5.3;
// polling waitpid(WNOHANG) every 50 ms where pidfd_open is unavailable), and a timeout after
// which the command's whole process group gets SIGKILL.
//
// The child gets the gateway's environment plus the given variables, stdin from /dev/null, and
// no other inherited file descriptor. Each command leads its own process group.
// Only this class reaps the children it starts (waitpid on their pid, never -1). If something
// else in the process sets SIGCHLD to SIG_IGN, exit codes are reported as unknown (-1).
//
// Threads: constructor, run(), running(), the destructor and every callback are on the
// io_context's thread (the control thread). The io_context must be run by one thread.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace sipgw::events {

struct CommandResult {
  int pid = 0;           ///< 0 if the command could not be started
  int exit_code = -1;    ///< the exit status when it exited normally, else -1
  int signal = 0;        ///< the terminating signal, if any (SIGKILL after a timeout)
  bool timed_out = false;
  std::string error;     ///< why it could not be started (posix_spawn's errno text), empty otherwise

  bool ok() const noexcept { return error.empty() && !timed_out && signal == 0 && exit_code == 0; }
  /// "exit 0", "exit 3", "killed at its timeout (signal 9)", "spawn failed: …".
  std::string describe() const;
};

class CommandRunner {
 public:
  using Env = std::vector<std::pair<std::string, std::string>>;
  using Handler = std::function<void(const CommandResult&)>;

  explicit CommandRunner(boost::asio::io_context& io);
  /// Kills (SIGKILL to the process group) and reaps every command still running; no handler
  /// is called after destruction. Blocks only for the kernel to reap already-killed processes.
  ~CommandRunner();
  CommandRunner(const CommandRunner&) = delete;
  CommandRunner& operator=(const CommandRunner&) = delete;

  /// Starts `argv` (argv[0] is looked up in PATH if it has no '/') with `env` added to (and
  /// overriding) the gateway's environment. Output lines are logged at info level as
  /// "<log_name>[pid]: line" (at most 64 KiB per command, lines cut at 4 KiB).
  /// After `timeout` the process group is killed with SIGKILL.
  /// `done` is called once on the control thread when the command has exited (or could not be
  /// started: then posted, never called from inside run()). Each value of an env var must stay
  /// under the kernel's 128 KiB per-string limit, or the spawn fails with E2BIG.
  void run(std::vector<std::string> argv, Env env, std::chrono::milliseconds timeout, std::string log_name,
           Handler done);

  /// Commands started and not yet reaped.
  size_t running() const noexcept;

  struct Child;

 private:
  boost::asio::io_context& io_;
  std::vector<std::weak_ptr<Child>> children_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // guards posted spawn-failure handlers
};

}  // namespace sipgw::events
