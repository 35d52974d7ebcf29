#pragma once
// The browser leg's ICE agent (libnice): full ICE (RFC 8445), controlled when the browser offers
// and controlling when the gateway offers (§6.1.1: the full agent that offers controls; role
// conflicts are resolved by libnice with the tie-breaker, §7.3.1.1), UDP only, one stream with one component (rtcp-mux + BUNDLE), trickle
// (RFC 8838), consent freshness (RFC 7675). Its sockets, timers and receive callback are attached
// to the owning worker's GMainContext.
//
// Threads: everything (construction, calls, callbacks, destruction) on one media worker.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

typedef struct _GMainContext GMainContext;
typedef struct _NiceAgent NiceAgent;

namespace sipgw::media {

class IceAgent {
 public:
  /// The caller MUST NOT destroy the agent during a callback.
  class Listener {
   public:
    virtual ~Listener() = default;
    /// Local gathering finished. `candidates` are "candidate:..." lines (no "a=").
    virtual void on_ice_gathering_done(const std::string& ufrag, const std::string& pwd,
                                       const std::vector<std::string>& candidates) = 0;
    /// The component reached CONNECTED (a working pair): data can flow. Once.
    virtual void on_ice_connected() = 0;
    /// The component reached FAILED (checks exhausted, or consent lost).
    virtual void on_ice_failed(const std::string& reason) = 0;
    /// A datagram from the peer that is not STUN (libnice answers STUN itself).
    virtual void on_ice_packet(const uint8_t* data, size_t length) = 0;
  };

  struct Options {
    std::vector<std::string> local_addresses;  // empty = every interface libnice finds
    uint16_t port_min = 0;
    uint16_t port_max = 0;
    bool controlling = false;  // true when the gateway sent the offer
  };

  /// Creates the agent and its stream. Throws std::runtime_error.
  IceAgent(GMainContext* context, const Options& options, Listener& listener);
  ~IceAgent();
  IceAgent(const IceAgent&) = delete;
  IceAgent& operator=(const IceAgent&) = delete;

  void set_remote_credentials(const std::string& ufrag, const std::string& pwd);
  /// Adds one remote candidate ("candidate:..." or "a=candidate:..."). Returns false when it is
  /// ignored: mDNS `.local` names (pitfall 1: we cannot resolve them), TCP, components other than
  /// 1 (rtcp-mux), or unparsable lines.
  bool add_remote_candidate(const std::string& candidate);
  /// Starts gathering; Listener::on_ice_gathering_done follows. Returns false on failure.
  bool gather();
  /// Sends one datagram on the selected pair. False when ICE cannot send (yet).
  bool send(const uint8_t* data, size_t length) noexcept;

  struct Trampolines;

 private:
  GMainContext* context_;
  Listener& listener_;
  NiceAgent* agent_ = nullptr;
  unsigned stream_id_ = 0;
  bool connected_ = false;
  bool gathering_done_ = false;
};

}  // namespace sipgw::media
