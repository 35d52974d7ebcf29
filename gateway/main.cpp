// sip-gateway: the process. Wires the control thread (asio: WSS/HTTP, client sessions, events),
// the SIP thread (sofia-sip) and the media workers (GLib), and shuts them down in reverse order
// on SIGINT/SIGTERM after ending every session (BYE/CANCEL, un-REGISTER). See
// docs/architecture.md.
#include <csignal>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "gateway/config/gateway_config.hpp"
#include "gateway/events/recording_hook.hpp"
#include "gateway/events/webhook_sender.hpp"
#include "gateway/media/dtls_certificate.hpp"
#include "gateway/media/media_worker.hpp"
#include "gateway/server/call_api.hpp"
#include "gateway/server/listener.hpp"
#include "gateway/session/client_session.hpp"
#include "gateway/session/event_bus.hpp"
#include "gateway/session/session_registry.hpp"
#include "gateway/sip/sip_stack.hpp"
#include "recorder/call_store.hpp"
#include "recorder/recorder.hpp"

namespace {

using namespace sipgw;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

events::WebhookConfig webhook_config(const config::WebhookTarget& target) {
  events::WebhookConfig webhook;
  webhook.url = target.url;
  webhook.secret = target.secret;
  webhook.max_batch = target.max_batch;
  webhook.max_delay_ms = target.max_delay_ms;
  webhook.max_queue = target.max_queue;
  webhook.tls_verify = target.tls_verify;
  return webhook;
}

/// Deletes recordings and stored events past their retention, once at start and then daily.
void schedule_retention(boost::asio::io_context& io, boost::asio::steady_timer& timer, recorder::CallStore& store,
                        const config::GatewayConfig& config) {
  constexpr int64_t kDayMs = 24LL * 3600 * 1000;
  if (config.recording.retention_days > 0) {
    store.delete_recordings_older_than(now_ms() - config.recording.retention_days * kDayMs,
                                       [](recorder::StoreResult<std::vector<std::string>> paths) {
                                         if (!paths.ok()) return spdlog::warn("retention: {}", paths.error());
                                         for (const auto& path : paths.value()) {
                                           std::error_code ec;
                                           std::filesystem::remove(path, ec);
                                         }
                                         if (!paths.value().empty())
                                           spdlog::info("retention: {} recording(s) deleted", paths.value().size());
                                       });
  }
  if (config.events.retention_days > 0)
    store.delete_events_older_than(now_ms() - config.events.retention_days * kDayMs);
  timer.expires_after(std::chrono::hours(24));
  timer.async_wait([&io, &timer, &store, &config](boost::system::error_code ec) {
    if (!ec) schedule_retention(io, timer, store, config);
  });
}

int run(const config::GatewayConfig& config) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%t] %v");

  boost::asio::io_context io{1};  // the control thread: single-threaded by design

  auto certificate = media::DtlsCertificate::generate();
  spdlog::info("DTLS certificate fingerprint sha-256 {}", certificate->sha256_fingerprint());
  media::MediaWorkerPool workers(config.media.workers);

  sip::SipConfig sip_config;
  sip_config.bind_address = config.sip.address;
  sip_config.port = config.sip.port;
  sip_config.advertised_address = config.public_address();
  sip_config.register_expires_s = config.sip.register_expires_s;
  sip::SipStack sip_stack(sip_config, [&io](std::function<void()> task) { boost::asio::post(io, std::move(task)); });

  media::MediaConfig media_config;
  media_config.ice_addresses = config.media.ice_addresses;
  media_config.plain_address = config.sip.address;
  media_config.port_min = config.media.rtp_port_min;
  media_config.port_max = config.media.rtp_port_max;
  media_config.rtp_timeout_ms = config.media.rtp_timeout_s * 1000;

  // Call history and event log (SQLite), marking calls a crash left open.
  std::unique_ptr<recorder::CallStore> store;
  int64_t first_seq = 1;
  if (!config.store.path.empty()) {
    recorder::CallStoreOptions options;
    options.path = config.store.path;
    store = recorder::CallStore::open(options);
    if (auto interrupted = store->mark_interrupted_blocking(now_ms()); interrupted.ok() && interrupted.value() > 0)
      spdlog::warn("{} call(s) were still open when the gateway last stopped: marked interrupted", interrupted.value());
    if (auto max = store->max_event_seq_blocking(); max.ok()) first_seq = max.value() + 1;
  }
  std::unique_ptr<recorder::Recorder> call_recorder;
  if (config.recording.enabled) {
    std::filesystem::create_directories(config.recording.directory);
    recorder::RecorderOptions options;
    options.workers = workers.size();
    options.queue_capacity = 16384;  // absorbs ~1 s disk stalls at 1000 calls (docs/benchmarks.md)
    options.format = config.recording.format;
    options.capture = config.recording.capture;
    call_recorder = std::make_unique<recorder::Recorder>(options);
  }
  events::RecordingHookConfig hook_config;
  if (!config.recording.on_complete.url.empty()) hook_config.webhook = webhook_config(config.recording.on_complete);
  hook_config.command = config.recording.on_complete_command;
  events::RecordingHook recording_hook(io, hook_config);

  session::EventBus events(io, store.get(), first_seq);
  for (const auto& target : config.events.webhooks) {
    events.add_webhook(std::make_unique<events::WebhookSender>(io, webhook_config(target)));
    spdlog::info("events are POSTed to {}", target.url);
  }
  session::SessionServices services{io, sip_stack, workers, certificate, media_config, events,
                                    config.server.reattach_grace_s};
  services.call_store = store.get();
  services.recorder = call_recorder.get();
  services.recording_hook = &recording_hook;
  services.recording_directory = config.recording.directory;
  services.record_every_call = config.recording.record_every_call;
  boost::asio::steady_timer retention_timer(io);
  if (store) schedule_retention(io, retention_timer, *store, config);
  session::SessionRegistry registry(services);
  sip_stack.set_incoming_call_handler(
      [&registry](std::shared_ptr<sip::SipIncomingCall> call, const sip::IncomingInvite& invite) {
        registry.route_incoming(std::move(call), invite);
      });

  sip_stack.start();

  auto routes = std::make_shared<server::Routes>();
  routes->web_root = config.server.web_root;
  routes->events_token = config.events.token;
  routes->websocket_idle_timeout = std::chrono::seconds(config.server.ping_timeout_s);
  routes->open_client = [&registry](std::shared_ptr<server::MessageChannel> channel) {
    return registry.open(std::move(channel));
  };
  if (store && !config.api.token.empty())
    routes->api = server::CallApi::route(
        std::make_shared<server::CallApi>(io, *store, config.api.token, config.recording.directory));
  routes->open_subscriber = [&events](std::shared_ptr<server::MessageChannel> channel, const std::string& query) {
    return events.subscribe(std::move(channel), query);
  };

  std::shared_ptr<boost::asio::ssl::context> tls;
  if (!config.server.allow_plain_ws) tls = server::make_tls_context(config.server.tls_cert, config.server.tls_key);
  auto listener = std::make_shared<server::Listener>(io, config.server.listen_address, config.server.listen_port, tls,
                                                     routes);
  listener->start();
  const std::string scheme = tls ? "https" : "http";
  spdlog::info("SIP Gateway listening on {}://{}:{}/ (client protocol on /ws{}), SIP/UDP on {}:{}, {} media worker(s)",
               scheme, config.server.listen_address, listener->port(),
               config.events.token.empty() ? ", /events disabled" : ", subscribers on /events",
               config.sip.address, sip_stack.port(), workers.size());

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  boost::asio::steady_timer shutdown_limit(io);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: ending {} session(s)", signal, registry.size());
    listener->stop();
    shutdown_limit.expires_after(std::chrono::seconds(6));
    shutdown_limit.async_wait([&io](boost::system::error_code ec) {
      if (!ec) io.stop();
    });
    registry.shut_down([&] {
      shutdown_limit.cancel();
      io.stop();
    });
  });

  io.run();
  sip_stack.stop();
  if (call_recorder) {
    const uint64_t drops = call_recorder->queue_drops();
    call_recorder.reset();  // completes open recordings (media workers no longer push)
    // Read by bench/run-load-bench.sh: the recorder's cost is only honest with its losses.
    spdlog::info("recorder: {} packet(s) dropped by full recorder queues since start", drops);
  }
  // Their completions were posted to the control thread: store them before the store closes, so
  // the call history points at the renamed .wav files.
  io.restart();
  io.poll();
  if (store) store->close();
  spdlog::info("SIP Gateway stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  auto loaded = sipgw::config::load_config(argc, argv);
  if (!loaded.config) return loaded.exit_code;
  try {
    return run(*loaded.config);
  } catch (const std::exception& error) {
    spdlog::critical("{}", error.what());
    std::cerr << "sip-gateway: " << error.what() << "\n";
    return 1;
  }
}
