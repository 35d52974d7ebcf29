#include "gateway/config/gateway_config.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <stdexcept>
#include <thread>
#include <toml++/toml.h>

namespace sipgw::config {
namespace {

template <typename T>
void read(const toml::table& table, std::string_view path, T& out) {
  auto node = table.at_path(path);
  if (!node) return;
  if constexpr (std::is_same_v<T, bool>) {
    if (auto value = node.value<bool>()) { out = *value; return; }
  } else if constexpr (std::is_integral_v<T>) {
    if (auto value = node.value<int64_t>()) {
      if (*value < 0 || *value > static_cast<int64_t>(std::numeric_limits<T>::max()))
        throw std::runtime_error(std::string(path) + ": value out of range");
      out = static_cast<T>(*value);
      return;
    }
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (auto value = node.value<std::string>()) { out = *value; return; }
  } else {
    if (auto* array = node.as_array()) {
      out.clear();
      for (auto& element : *array) {
        auto value = element.value<std::string>();
        if (!value) throw std::runtime_error(std::string(path) + ": expected an array of strings");
        out.push_back(*value);
      }
      return;
    }
  }
  throw std::runtime_error(std::string(path) + ": wrong type");
}

recorder::RecordingFormat recording_format(const std::string& name, std::string_view where) {
  if (auto format = recorder::parse_recording_format(name)) return *format;
  throw std::runtime_error(std::string(where) + ": expected \"wav\", \"flac\" or \"ogg\", got \"" + name + "\"");
}

recorder::RecordingCapture recording_capture(const std::string& name, std::string_view where) {
  if (auto capture = recorder::parse_recording_capture(name)) return *capture;
  throw std::runtime_error(std::string(where) + ": expected \"none\" or \"pcap\", got \"" + name + "\"");
}

WebhookTarget read_webhook(const toml::table& table, std::string_view where) {
  WebhookTarget target;
  read(table, "url", target.url);
  read(table, "secret", target.secret);
  read(table, "max_batch", target.max_batch);
  read(table, "max_delay_ms", target.max_delay_ms);
  read(table, "max_queue", target.max_queue);
  read(table, "tls_verify", target.tls_verify);
  if (target.url.rfind("http://", 0) != 0 && target.url.rfind("https://", 0) != 0)
    throw std::runtime_error(std::string(where) + ".url: expected an http:// or https:// URL");
  return target;
}

void apply_file(const std::string& path, GatewayConfig& config) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    std::ostringstream out;
    out << path << ":" << error.source().begin.line << ": " << error.description();
    throw std::runtime_error(out.str());
  }
  read(table, "server.listen_address", config.server.listen_address);
  read(table, "server.listen_port", config.server.listen_port);
  read(table, "server.tls_cert", config.server.tls_cert);
  read(table, "server.tls_key", config.server.tls_key);
  read(table, "server.allow_plain_ws", config.server.allow_plain_ws);
  read(table, "server.web_root", config.server.web_root);
  read(table, "server.ping_timeout_s", config.server.ping_timeout_s);
  read(table, "server.reattach_grace_s", config.server.reattach_grace_s);
  read(table, "media.rtp_timeout_s", config.media.rtp_timeout_s);
  read(table, "sip.address", config.sip.address);
  read(table, "sip.port", config.sip.port);
  read(table, "sip.register_expires_s", config.sip.register_expires_s);
  read(table, "media.ice_addresses", config.media.ice_addresses);
  read(table, "media.rtp_port_min", config.media.rtp_port_min);
  read(table, "media.rtp_port_max", config.media.rtp_port_max);
  read(table, "media.workers", config.media.workers);
  read(table, "events.token", config.events.token);
  read(table, "events.retention_days", config.events.retention_days);
  if (auto* hooks = table.at_path("events.webhooks").as_array()) {
    for (auto& node : *hooks) {
      auto* hook = node.as_table();
      if (!hook) throw std::runtime_error("events.webhooks: expected an array of tables ([[events.webhooks]])");
      config.events.webhooks.push_back(read_webhook(*hook, "events.webhooks"));
    }
  }
  read(table, "recording.enabled", config.recording.enabled);
  read(table, "recording.record_every_call", config.recording.record_every_call);
  read(table, "recording.directory", config.recording.directory);
  read(table, "recording.retention_days", config.recording.retention_days);
  std::string format, capture;
  read(table, "recording.format", format);
  if (!format.empty()) config.recording.format = recording_format(format, "recording.format");
  read(table, "recording.capture", capture);
  if (!capture.empty()) config.recording.capture = recording_capture(capture, "recording.capture");
  read(table, "recording.on_complete_command", config.recording.on_complete_command);
  if (auto* hook = table.at_path("recording.on_complete").as_table())
    config.recording.on_complete = read_webhook(*hook, "recording.on_complete");
  read(table, "store.path", config.store.path);
  read(table, "api.token", config.api.token);
  read(table, "advertised_address", config.advertised_address);
  read(table, "log.level", config.log_level);
}

std::pair<std::string, uint16_t> split_host_port(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw std::runtime_error("--listen: expected ADDRESS:PORT, got '" + text + "'");
  const int port = std::stoi(text.substr(colon + 1));
  if (port < 1 || port > 65535) throw std::runtime_error("--listen: port out of range");
  return {text.substr(0, colon), static_cast<uint16_t>(port)};
}

}  // namespace

LoadResult load_config(int argc, char** argv) {
  CLI::App app{"SIP Gateway: browsers (JSON over WSS, WebRTC) as phones on any SIP PBX"};
  std::string config_file, listen, tls_cert, tls_key, web_root, sip_address, advertised, token, log_level;
  std::string db_path, recordings_dir, api_token, recording_format_name, recording_capture_name;
  std::vector<std::string> webhook_urls;
  bool no_recording = false;
  std::optional<uint16_t> sip_port, rtp_min, rtp_max;
  std::optional<uint32_t> workers, ping_timeout, reattach_grace, rtp_timeout;
  std::vector<std::string> ice_addresses;
  bool allow_plain_ws = false;
  app.add_option("-c,--config", config_file, "TOML config file (see docs/gateway.example.toml)")
      ->check(CLI::ExistingFile);
  app.add_option("--listen", listen, "HTTPS/WSS listen ADDRESS:PORT (default 127.0.0.1:8443)");
  app.add_option("--tls-cert", tls_cert, "TLS certificate chain, PEM");
  app.add_option("--tls-key", tls_key, "TLS private key, PEM");
  app.add_flag("--allow-plain-ws", allow_plain_ws, "serve plain ws:// and http:// (development only)");
  app.add_option("--web-root", web_root, "directory of static files (the demo page)");
  app.add_option("--sip-address", sip_address, "local address of the SIP/UDP socket");
  app.add_option("--sip-port", sip_port, "local port of the SIP/UDP socket");
  app.add_option("--advertised-address", advertised, "address the PBX sees in SIP and SDP (NAT)");
  app.add_option("--ice-address", ice_addresses, "address ICE may gather candidates on (repeatable)");
  app.add_option("--rtp-port-min", rtp_min, "lowest UDP port for media");
  app.add_option("--rtp-port-max", rtp_max, "highest UDP port for media");
  app.add_option("--media-workers", workers, "media worker threads (0 = one per core)");
  app.add_option("--ping-timeout", ping_timeout, "seconds a silent WebSocket may live (pinged at half)")
      ->check(CLI::Range(2, 3600));
  app.add_option("--reattach-grace", reattach_grace, "seconds a dropped client may claim its session (0 = off)")
      ->check(CLI::Range(0, 3600));
  app.add_option("--rtp-timeout", rtp_timeout, "seconds without RTP from the PBX before hanging up (0 = never)")
      ->check(CLI::Range(0, 3600));
  app.add_option("--events-token", token, "token subscribers present on /events");
  app.add_option("--db", db_path, "SQLite file of the call history and event log (\"\" keeps none)");
  app.add_option("--recordings-dir", recordings_dir, "directory recordings are written to");
  app.add_flag("--no-recording", no_recording, "do not record calls");
  app.add_option("--recording-format", recording_format_name, "recording file format: wav (default), flac, ogg (Opus)")
      ->check(CLI::IsMember({"wav", "flac", "ogg"}));
  app.add_option("--recording-capture", recording_capture_name,
                 "also keep each recording's decrypted RTP/RTCP: none (default), pcap (<same name>.pcap)")
      ->check(CLI::IsMember({"none", "pcap"}));
  app.add_option("--api-token", api_token, "Bearer token for the call history API on /api/");
  app.add_option("--webhook", webhook_urls, "POST every event to this URL (repeatable; unsigned)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return LoadResult{std::nullopt, app.exit(error)};
  }

  GatewayConfig config;
  try {
    if (!config_file.empty()) apply_file(config_file, config);
    if (!listen.empty()) std::tie(config.server.listen_address, config.server.listen_port) = split_host_port(listen);
    if (!tls_cert.empty()) config.server.tls_cert = tls_cert;
    if (!tls_key.empty()) config.server.tls_key = tls_key;
    if (allow_plain_ws) config.server.allow_plain_ws = true;
    if (!web_root.empty()) config.server.web_root = web_root;
    if (!sip_address.empty()) config.sip.address = sip_address;
    if (sip_port) config.sip.port = *sip_port;
    if (!advertised.empty()) config.advertised_address = advertised;
    if (!ice_addresses.empty()) config.media.ice_addresses = ice_addresses;
    if (rtp_min) config.media.rtp_port_min = *rtp_min;
    if (rtp_max) config.media.rtp_port_max = *rtp_max;
    if (workers) config.media.workers = *workers;
    if (ping_timeout) config.server.ping_timeout_s = *ping_timeout;
    if (reattach_grace) config.server.reattach_grace_s = *reattach_grace;
    if (rtp_timeout) config.media.rtp_timeout_s = *rtp_timeout;
    if (!token.empty()) config.events.token = token;
    if (!log_level.empty()) config.log_level = log_level;
    if (app.count("--db")) config.store.path = db_path;
    if (!recordings_dir.empty()) config.recording.directory = recordings_dir;
    if (no_recording) config.recording.enabled = false;
    if (!recording_format_name.empty())
      config.recording.format = recording_format(recording_format_name, "--recording-format");
    if (!recording_capture_name.empty())
      config.recording.capture = recording_capture(recording_capture_name, "--recording-capture");
    if (!api_token.empty()) config.api.token = api_token;
    for (const auto& url : webhook_urls) {
      WebhookTarget target;
      target.url = url;
      target.tls_verify = false;  // command-line webhooks are for development
      config.events.webhooks.push_back(target);
    }
    if (config.media.rtp_port_min >= config.media.rtp_port_max || config.media.rtp_port_min < 1024)
      throw std::runtime_error("media port range must satisfy 1024 <= rtp_port_min < rtp_port_max");
    if (config.media.workers == 0) config.media.workers = std::max(1u, std::thread::hardware_concurrency());
  } catch (const std::exception& error) {
    std::cerr << "sip-gateway: configuration error: " << error.what() << "\n";
    return LoadResult{std::nullopt, 2};
  }
  return LoadResult{std::move(config), 0};
}

}  // namespace sipgw::config
