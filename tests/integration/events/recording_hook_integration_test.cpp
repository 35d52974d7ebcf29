// RecordingHook: the POST of the call record (with retry) and the command (env vars, output to
// the log, timeout kill), without blocking the control thread.
#include "gateway/events/recording_hook.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "events_test_support.hpp"
#include "test_receiver.hpp"

namespace sipgw::events::test {
namespace {

namespace fs = std::filesystem;

nlohmann::json sample_record() {
  return {{"call_id", "c-42@pbx"},
          {"session_id", "s1"},
          {"client_id", "alice"},
          {"direction", "outgoing"},
          {"callee", "sip:bob@pbx.example"},
          {"outcome", "answered"},
          {"duration_s", 12.5},
          {"recording", {{"path", "/var/rec/c-42.wav"}, {"bytes", 400044}}}};
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

/// Measures how long the control thread was unavailable: a 10 ms ticker records the longest gap.
class TickWatch {
 public:
  explicit TickWatch(boost::asio::io_context& io) : timer_(io) { tick(); }
  long long longest_gap_ms() const { return longest_.count(); }
  int ticks() const { return ticks_; }

 private:
  void tick() {
    timer_.expires_after(10ms);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      const auto now = Clock::now();
      longest_ = std::max(longest_, std::chrono::duration_cast<std::chrono::milliseconds>(now - last_));
      last_ = now;
      ++ticks_;
      tick();
    });
  }
  boost::asio::steady_timer timer_;
  Clock::time_point last_ = Clock::now();
  std::chrono::milliseconds longest_{0};
  int ticks_ = 0;
};

class RecordingHookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sipgw-hook-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    log_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(200);
    spdlog::default_logger()->sinks().push_back(log_);
  }
  void TearDown() override {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), log_), sinks.end());
    fs::remove_all(dir_);
  }
  bool logged(const std::string& text) const {
    for (const auto& line : log_->last_formatted())
      if (line.find(text) != std::string::npos) return true;
    return false;
  }

  fs::path dir_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_;
  ControlLoop loop_;
};

TEST_F(RecordingHookTest, CommandGetsTheEnvironmentAndDoesNotBlockTheControlThread) {
  const fs::path out = dir_ / "env.txt";
  RecordingHookConfig config;
  // The script sleeps first: the control thread must keep running meanwhile.
  config.command = {"/bin/sh", "-c",
                    "sleep 0.5; "
                    "{ printf '%s\\n' \"$SIPGW_RECORDING_PATH\" \"$SIPGW_CALL_ID\"; "
                    "printf '%s' \"$SIPGW_CALL_RECORD_JSON\"; } > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"; "
                    "echo hook-stdout-line; echo hook-stderr-line >&2",
                    "sh", out.string()};
  RecordingHook hook(loop_.io, config);
  ASSERT_TRUE(hook.enabled());
  TickWatch watch(loop_.io);

  const auto before = Clock::now();
  hook.on_recording_complete(sample_record(), "/var/rec/c-42.wav", "c-42@pbx");
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - before).count(), 100);
  EXPECT_EQ(hook.stats().commands_running, 1u);

  ASSERT_TRUE(loop_.run_until([&] { return hook.stats().commands_succeeded == 1; }, 5s));
  EXPECT_GT(watch.ticks(), 30);
  EXPECT_LT(watch.longest_gap_ms(), 300) << "the control thread was blocked";

  std::istringstream lines(read_file(out));
  std::string path, call_id, record;
  std::getline(lines, path);
  std::getline(lines, call_id);
  std::getline(lines, record, '\0');
  EXPECT_EQ(path, "/var/rec/c-42.wav");
  EXPECT_EQ(call_id, "c-42@pbx");
  EXPECT_EQ(nlohmann::json::parse(record), sample_record());
  EXPECT_TRUE(loop_.run_until([&] { return logged("hook-stdout-line") && logged("hook-stderr-line"); }, 2s))
      << "the command's output goes to the gateway's log";
  EXPECT_EQ(hook.stats().commands_running, 0u);
  EXPECT_EQ(hook.stats().commands_failed, 0u);
}

TEST_F(RecordingHookTest, CommandIsKilledAfterItsTimeout) {
  RecordingHookConfig config;
  config.command = {"/bin/sh", "-c", "sleep 30 & wait"};  // the group kill takes the sleep too
  config.command_timeout_ms = 300;
  RecordingHook hook(loop_.io, config);
  const auto start = Clock::now();
  hook.on_recording_complete(sample_record(), "/x.wav", "c1");
  ASSERT_TRUE(loop_.run_until([&] { return hook.stats().commands_failed == 1; }, 5s));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  EXPECT_GE(took, 280);
  EXPECT_LT(took, 2000);
  EXPECT_EQ(hook.stats().commands_timed_out, 1u);
  EXPECT_TRUE(logged("killed at its timeout (signal 9)"));
}

TEST_F(RecordingHookTest, CommandsBeyondTheConcurrencyLimitWait) {
  RecordingHookConfig config;
  config.command = {"/bin/sh", "-c", "sleep 0.2; echo \"$SIPGW_CALL_ID\" >> \"$1\"", "sh", (dir_ / "order").string()};
  config.max_concurrent_commands = 1;
  RecordingHook hook(loop_.io, config);
  for (const char* id : {"a", "b", "c"}) hook.on_recording_complete(sample_record(), "/x.wav", id);
  EXPECT_EQ(hook.stats().commands_running, 1u);
  EXPECT_EQ(hook.stats().commands_waiting, 2u);
  ASSERT_TRUE(loop_.run_until([&] { return hook.stats().commands_succeeded == 3; }, 5s));
  EXPECT_EQ(read_file(dir_ / "order"), "a\nb\nc\n");
}

TEST_F(RecordingHookTest, MissingCommandIsCountedAsFailed) {
  RecordingHookConfig config;
  config.command = {"/nonexistent/sipgw-hook"};
  RecordingHook hook(loop_.io, config);
  hook.on_recording_complete(sample_record(), "/x.wav", "c1");
  ASSERT_TRUE(loop_.run_until([&] { return hook.stats().commands_failed == 1; }, 2s));
  EXPECT_EQ(hook.stats().commands_running, 0u);
}

TEST_F(RecordingHookTest, DestroyingTheHookKillsRunningCommandsPromptly) {
  RecordingHookConfig config;
  config.command = {"/bin/sh", "-c", "sleep 30"};
  const auto start = Clock::now();
  {
    RecordingHook hook(loop_.io, config);
    hook.on_recording_complete(sample_record(), "/x.wav", "c1");
    loop_.run_for(50ms);
    EXPECT_EQ(hook.stats().commands_running, 1u);
  }
  loop_.run_for(50ms);
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count(), 1000);
}

TEST_F(RecordingHookTest, PostsTheCallRecordAsOneSignedObjectAndRetries) {
  TestReceiver receiver;
  receiver.script({Reply::kError500});
  RecordingHookConfig config;
  config.webhook.url = receiver.url("/recordings");
  config.webhook.secret = "rec-secret";
  config.webhook.retry_initial_ms = 50;
  RecordingHook hook(loop_.io, config);
  ASSERT_TRUE(hook.enabled());
  hook.on_recording_complete(sample_record(), "/var/rec/c-42.wav", "c-42@pbx");
  ASSERT_TRUE(loop_.run_until([&] { return hook.stats().webhook.delivered == 1; }, 5s));

  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].body, requests[0].body);
  EXPECT_EQ(requests[1].target, "/recordings");
  EXPECT_EQ(nlohmann::json::parse(requests[1].body), sample_record()) << "a bare object, not an array";
  EXPECT_TRUE(signature_valid("rec-secret", requests[1].body, requests[1].signature));
  EXPECT_EQ(hook.stats().webhook.retries, 1u);
  EXPECT_EQ(hook.stats().commands_started, 0u);
}

}  // namespace
}  // namespace sipgw::events::test
