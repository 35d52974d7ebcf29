#include "gateway/events/recording_hook.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace sipgw::events {

RecordingHook::RecordingHook(boost::asio::io_context& io, RecordingHookConfig config)
    : config_(std::move(config)), runner_(io) {
  if (!config_.webhook.url.empty()) {
    config_.webhook.single_object = true;
    webhook_ = std::make_unique<WebhookSender>(io, config_.webhook);
  }
  if (config_.max_concurrent_commands == 0) config_.max_concurrent_commands = 1;
  if (config_.max_queued_commands == 0) config_.max_queued_commands = 1;
}

RecordingHook::~RecordingHook() = default;

bool RecordingHook::enabled() const noexcept { return webhook_ || !config_.command.empty(); }

void RecordingHook::on_recording_complete(const nlohmann::json& call_record, const std::string& recording_path,
                                          const std::string& call_id) {
  // Invalid UTF-8 in a SIP display name must not stop the hook: replace it (U+FFFD).
  const std::string record = call_record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (webhook_) webhook_->enqueue(std::make_shared<const std::string>(record));
  if (config_.command.empty()) return;
  if (waiting_.size() >= config_.max_queued_commands) {
    spdlog::warn("recording hook: {} commands waiting, dropping the one for call {}", waiting_.size(),
                 waiting_.front().call_id);
    waiting_.pop_front();
    ++counters_.commands_dropped;
  }
  waiting_.push_back({{{"SIPGW_RECORDING_PATH", recording_path},
                       {"SIPGW_CALL_ID", call_id},
                       {"SIPGW_CALL_RECORD_JSON", record}},
                      call_id});
  start_waiting_commands();
}

void RecordingHook::start_waiting_commands() {
  while (running_ < config_.max_concurrent_commands && !waiting_.empty()) {
    PendingCommand next = std::move(waiting_.front());
    waiting_.pop_front();
    ++running_;
    ++counters_.commands_started;
    // Safe to capture `this`: runner_ calls no handler after it is destroyed, and it is
    // destroyed before the other members.
    runner_.run(config_.command, std::move(next.env), std::chrono::milliseconds(config_.command_timeout_ms),
                "recording hook (call " + next.call_id + ")",
                [this](const CommandResult& result) { on_command_done(result); });
  }
}

void RecordingHook::on_command_done(const CommandResult& result) {
  --running_;
  if (result.ok()) {
    ++counters_.commands_succeeded;
  } else {
    ++counters_.commands_failed;
    if (result.timed_out) ++counters_.commands_timed_out;
  }
  start_waiting_commands();
}

RecordingHookStats RecordingHook::stats() const {
  RecordingHookStats stats = counters_;
  if (webhook_) stats.webhook = webhook_->stats();
  stats.commands_running = running_;
  stats.commands_waiting = waiting_.size();
  return stats;
}

}  // namespace sipgw::events
