#pragma once
// RecordingHook: "on recording complete" (issue 4) — ships a finished recording elsewhere by
//   (1) an HTTP POST of the call record (one JSON object per request) to a webhook, with the
//       WebhookSender's queue, HMAC signature (RFC 2104), timeout and exponential-backoff retry
//       (at-least-once: receivers dedupe by the record's call id), and/or
//   (2) running a command (argv, no shell) with
//         SIPGW_RECORDING_PATH    the finished recording file
//         SIPGW_CALL_ID           the call's id
//         SIPGW_CALL_RECORD_JSON  the call record, compact JSON
//       in its environment; its output goes to the gateway's log; it is killed (with its process
//       group) after command_timeout_ms. At most max_concurrent_commands run at once; more wait
//       in a bounded queue (beyond max_queued_commands the oldest waiting is dropped and counted).
//
// Threads: constructor, every method and the destructor run on the io_context's thread (the
// control thread); the io_context must be run by one thread. Nothing blocks it: the POST is
// asynchronous and the command is spawned and reaped asynchronously. Destroying the hook
// cancels pending POSTs and kills running commands.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json_fwd.hpp>

#include "gateway/events/command_runner.hpp"
#include "gateway/events/webhook_sender.hpp"

namespace sipgw::events {

struct RecordingHookConfig {
  /// Where to POST the call record; `webhook.url` empty = no POST. single_object is forced on
  /// (one record per request, sent at once; max_batch and max_delay_ms do not apply).
  WebhookConfig webhook;
  std::vector<std::string> command;      ///< argv; empty = no command. argv[0] is looked up in PATH.
  uint32_t command_timeout_ms = 60000;   ///< then SIGKILL to its process group
  size_t max_concurrent_commands = 4;
  size_t max_queued_commands = 1000;
};

struct RecordingHookStats {
  WebhookStats webhook;            ///< all zero without a webhook URL
  uint64_t commands_started = 0;
  uint64_t commands_succeeded = 0; ///< exit status 0
  uint64_t commands_failed = 0;    ///< non-zero exit, killed (timeout included), or could not start
  uint64_t commands_timed_out = 0;
  uint64_t commands_dropped = 0;   ///< waiting queue full
  size_t commands_running = 0;
  size_t commands_waiting = 0;
};

class RecordingHook {
 public:
  /// Errors: throws std::invalid_argument / std::runtime_error for a bad webhook configuration.
  RecordingHook(boost::asio::io_context& io, RecordingHookConfig config);
  ~RecordingHook();
  RecordingHook(const RecordingHook&) = delete;
  RecordingHook& operator=(const RecordingHook&) = delete;

  /// True when a webhook URL or a command is configured.
  bool enabled() const noexcept;

  /// A recording was finalised (renamed to `recording_path`). Queues the POST of `call_record`
  /// and starts (or queues) the command. Returns at once. Control thread.
  void on_recording_complete(const nlohmann::json& call_record, const std::string& recording_path,
                             const std::string& call_id);

  RecordingHookStats stats() const;

 private:
  struct PendingCommand {
    CommandRunner::Env env;
    std::string call_id;
  };
  void start_waiting_commands();
  void on_command_done(const CommandResult& result);

  RecordingHookConfig config_;
  std::unique_ptr<WebhookSender> webhook_;
  std::deque<PendingCommand> waiting_;
  RecordingHookStats counters_;
  size_t running_ = 0;
  CommandRunner runner_;  // last: destroyed first, so no command callback outlives the members
};

}  // namespace sipgw::events
