#pragma once
// The PBX leg: two non-blocking UDP sockets, RTP on an even port and RTCP on the next one
// (RFC 3550 §11), bound to one local address inside a port range, read through GLib fd sources
// on the owning worker's context. Plain RTP/AVP: no ICE, no SRTP toward the PBX (pitfall 7).
//
// Threads: everything (construction, calls, callbacks, destruction) on one media worker.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>

typedef struct _GMainContext GMainContext;
typedef struct _GSource GSource;

namespace sipgw::media {

class PlainRtpTransport {
 public:
  /// Receive buffers hold this much payload, plus `tail_room` after it for the caller to grow
  /// the packet in place (SRTP trailer).
  static constexpr size_t kMaxDatagram = 1500;

  /// The caller MUST NOT destroy the transport during a callback.
  class Listener {
   public:
    virtual ~Listener() = default;
    /// A datagram from the PBX side. `data` is writable; `capacity` >= length + tail_room.
    virtual void on_plain_packet(bool rtcp, uint8_t* data, size_t length, size_t capacity) = 0;
  };

  /// Binds the pair (random even start, then scans the range). Throws std::runtime_error when no
  /// pair is free or the address is invalid.
  PlainRtpTransport(GMainContext* context, const std::string& address, uint16_t port_min,
                    uint16_t port_max, size_t tail_room, Listener& listener);
  ~PlainRtpTransport();
  PlainRtpTransport(const PlainRtpTransport&) = delete;
  PlainRtpTransport& operator=(const PlainRtpTransport&) = delete;

  uint16_t rtp_port() const noexcept { return rtp_port_; }
  uint16_t rtcp_port() const noexcept { return static_cast<uint16_t>(rtp_port_ + 1); }
  const std::string& address() const noexcept { return address_; }

  /// Where RTP and RTCP go. Returns false for an unparsable numeric address (no DNS here).
  bool set_remote(const std::string& address, uint16_t rtp_port, uint16_t rtcp_port);
  bool has_remote() const noexcept { return has_remote_; }
  /// Forgets the remote: nothing is sent (hold with c=0.0.0.0, RFC 3264 §8.4).
  void clear_remote() noexcept { has_remote_ = false; }

  /// Symmetric RTP (comedia, pitfall 18): makes the source of the datagram being delivered on
  /// the `rtcp` socket the destination of that socket's sends. Call only from inside
  /// Listener::on_plain_packet. Returns true when the destination changed.
  bool latch_to_current_source(bool rtcp) noexcept;
  /// "address:port" of the current destination of the RTP or RTCP socket, for logs.
  std::string remote_string(bool rtcp) const;

  /// Sends to the remote; false when there is none or the send failed (never blocks).
  bool send_rtp(const uint8_t* data, size_t length) noexcept;
  bool send_rtcp(const uint8_t* data, size_t length) noexcept;

  struct Trampolines;

 private:
  void read_all(bool rtcp);

  GMainContext* context_;
  Listener& listener_;
  std::string address_;
  size_t tail_room_;
  int rtp_fd_ = -1;
  int rtcp_fd_ = -1;
  uint16_t rtp_port_ = 0;
  GSource* rtp_source_ = nullptr;
  GSource* rtcp_source_ = nullptr;
  bool has_remote_ = false;
  sockaddr_storage remote_rtp_{};
  sockaddr_storage remote_rtcp_{};
  socklen_t remote_length_ = 0;
  sockaddr_storage source_{};      // source of the datagram being delivered
  socklen_t source_length_ = 0;
  uint8_t* buffer_ = nullptr;  // kMaxDatagram + tail_room_
};

}  // namespace sipgw::media
