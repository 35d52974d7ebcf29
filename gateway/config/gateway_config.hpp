#pragma once
// The gateway's configuration: a TOML file (see docs/gateway.example.toml) overridden by
// command-line options. Loaded once at start-up on the main thread; read-only afterwards.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

struct EventsConfig {
  std::string token;  // subscribers must present it; empty disables /events
};

struct GatewayConfig {
  ServerConfig server;
  SipSideConfig sip;
  MediaSideConfig media;
  EventsConfig events;
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
