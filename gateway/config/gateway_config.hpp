#pragma once
// The gateway's configuration: a TOML file (see docs/gateway.example.toml) overridden by
// command-line options. Loaded once at start-up on the main thread; read-only afterwards.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "recorder/recording_format.hpp"

namespace sipgw::config {

struct ServerConfig {
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 8443;
  std::string tls_cert = "certs/gateway.crt";  // PEM
  std::string tls_key = "certs/gateway.key";   // PEM
  bool allow_plain_ws = false;                 // serve ws:// and http:// instead of TLS
  std::string web_root = "web-demo/public";    // static files; empty disables them
  uint32_t ping_timeout_s = 30;  // close a WebSocket silent this long; pinged at half of it
  uint32_t reattach_grace_s = 0; // keep a dropped client's session (registration, call) this long
                                 // for a `claim`; 0 = end it at once
};

struct SipSideConfig {
  std::string address = "127.0.0.1";  // local address of the SIP/UDP socket
  uint16_t port = 5080;
  uint32_t register_expires_s = 300;
};

struct MediaSideConfig {
  std::vector<std::string> ice_addresses;  // addresses ICE gathers on; empty = every interface
  uint32_t rtp_timeout_s = 30;             // hang up when the PBX sends no RTP this long (0 = never)
  uint16_t rtp_port_min = 20000;
  uint16_t rtp_port_max = 40000;
  uint32_t workers = 0;                    // 0 = one per core
};

struct WebhookTarget {
  std::string url;           // http:// or https://
  std::string secret;        // HMAC-SHA256 key for X-SipGateway-Signature; empty = unsigned
  uint32_t max_batch = 50;   // events per POST
  uint32_t max_delay_ms = 1000;
  uint32_t max_queue = 10000;
  bool tls_verify = true;
};

struct EventsConfig {
  std::string token;                   // subscribers must present it; empty disables /events
  std::vector<WebhookTarget> webhooks;  // every event is POSTed to each (batched, retried, signed)
  uint32_t retention_days = 30;        // stored events older than this are deleted (0 = keep)
};

struct RecordingConfig {
  bool enabled = true;                 // the recorder runs; start_recording works
  bool record_every_call = true;       // every answered call is recorded without asking
  std::string directory = "recordings";
  recorder::RecordingFormat format = recorder::RecordingFormat::wav;  // "wav" | "flac" | "ogg"
  recorder::RecordingCapture capture = recorder::RecordingCapture::none;  // "none" | "pcap"
  uint32_t retention_days = 0;         // recordings older than this are deleted (0 = keep)
  WebhookTarget on_complete;           // POST of the call record when a recording completes ("" = none)
  std::vector<std::string> on_complete_command;  // argv run when a recording completes (none = [])
};

struct StoreConfig {
  std::string path = "sip-gateway.db";  // SQLite call history and event log; "" disables both
};

struct ApiConfig {
  std::string token;  // Bearer token for /api/ (call history, recordings); empty disables it
};

struct GatewayConfig {
  ServerConfig server;
  SipSideConfig sip;
  MediaSideConfig media;
  EventsConfig events;
  RecordingConfig recording;
  StoreConfig store;
  ApiConfig api;
  std::string advertised_address;  // address put in SIP Contact/Via and SDP; empty = sip.address
  std::string log_level = "info";

  /// The address the PBX should see (advertised_address or sip.address).
  const std::string& public_address() const {
    return advertised_address.empty() ? sip.address : advertised_address;
  }
};

/// The outcome of parsing the command line: a config, or an exit code (help printed, or an
/// error already printed to stderr).
struct LoadResult {
  std::optional<GatewayConfig> config;
  int exit_code = 0;
};

/// Parses argv (`--config FILE` plus overrides, `--help`). Errors name the option or the TOML
/// key and line. Main thread, at start-up.
LoadResult load_config(int argc, char** argv);

}  // namespace sipgw::config
