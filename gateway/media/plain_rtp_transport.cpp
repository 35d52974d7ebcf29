#include "gateway/media/plain_rtp_transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>

namespace sipgw::media {

namespace {

// Reads at most this many datagrams per wake-up so one busy call cannot starve the others on
// the same worker; the fd source fires again at once if more are queued.
constexpr int kMaxReadsPerWakeup = 32;

bool parse_address(const std::string& address, uint16_t port, sockaddr_storage& out,
                   socklen_t& length) {
  std::memset(&out, 0, sizeof out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

int bind_udp(const std::string& address, uint16_t port) {
  sockaddr_storage local;
  socklen_t length = 0;
  if (!parse_address(address, port, local, length)) return -2;
  const int fd = socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), length) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

struct PlainRtpTransport::Trampolines {
  static gboolean on_rtp(gint, GIOCondition, gpointer data) {
    return readable(data, false);
  }
  static gboolean on_rtcp(gint, GIOCondition, gpointer data) {
    return readable(data, true);
  }
  static gboolean readable(gpointer data, bool rtcp) {
    try {
      static_cast<PlainRtpTransport*>(data)->read_all(rtcp);
    } catch (const std::exception& e) {
      spdlog::error("plain RTP: receive callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("plain RTP: receive callback threw");
    }
    return G_SOURCE_CONTINUE;
  }
};

PlainRtpTransport::PlainRtpTransport(GMainContext* context, const std::string& address,
                                     uint16_t port_min, uint16_t port_max, size_t tail_room,
                                     Listener& listener)
    : context_(context), listener_(listener), address_(address), tail_room_(tail_room) {
  // Even RTP port p and RTCP p+1, both inside [port_min, port_max].
  const uint32_t first = (port_min + 1u) & ~1u;
  if (port_max < 1 || first + 1 > port_max)
    throw std::runtime_error("plain RTP: port range holds no even/odd pair");
  const uint32_t pairs = (port_max - first + 1) / 2;
  std::random_device random;
  const uint32_t start = std::uniform_int_distribution<uint32_t>(0, pairs - 1)(random);
  for (uint32_t i = 0; i < pairs && rtp_fd_ < 0; ++i) {
    const auto port = static_cast<uint16_t>(first + 2 * ((start + i) % pairs));
    const int rtp = bind_udp(address_, port);
    if (rtp == -2) throw std::runtime_error("plain RTP: invalid local address " + address_);
    if (rtp < 0) continue;
    const int rtcp = bind_udp(address_, static_cast<uint16_t>(port + 1));
    if (rtcp < 0) {
      close(rtp);
      continue;
    }
    rtp_fd_ = rtp;
    rtcp_fd_ = rtcp;
    rtp_port_ = port;
  }
  if (rtp_fd_ < 0)
    throw std::runtime_error("plain RTP: no free even/odd port pair in " +
                             std::to_string(port_min) + "-" + std::to_string(port_max) +
                             " on " + address_);
  buffer_ = new uint8_t[kMaxDatagram + tail_room_];

  rtp_source_ = g_unix_fd_source_new(rtp_fd_, G_IO_IN);
  g_source_set_callback(rtp_source_, G_SOURCE_FUNC(&Trampolines::on_rtp), this, nullptr);
  g_source_attach(rtp_source_, context_);
  rtcp_source_ = g_unix_fd_source_new(rtcp_fd_, G_IO_IN);
  g_source_set_callback(rtcp_source_, G_SOURCE_FUNC(&Trampolines::on_rtcp), this, nullptr);
  g_source_attach(rtcp_source_, context_);
  spdlog::debug("plain RTP: bound {}:{} / {}", address_, rtp_port_, rtp_port_ + 1);
}

PlainRtpTransport::~PlainRtpTransport() {
  for (GSource* source : {rtp_source_, rtcp_source_}) {
    if (!source) continue;
    g_source_destroy(source);
    g_source_unref(source);
  }
  if (rtp_fd_ >= 0) close(rtp_fd_);
  if (rtcp_fd_ >= 0) close(rtcp_fd_);
  delete[] buffer_;
}

bool PlainRtpTransport::set_remote(const std::string& address, uint16_t rtp_port,
                                   uint16_t rtcp_port) {
  sockaddr_storage rtp;
  sockaddr_storage rtcp;
  socklen_t length = 0;
  if (!parse_address(address, rtp_port, rtp, length) ||
      !parse_address(address, rtcp_port, rtcp, length))
    return false;
  remote_rtp_ = rtp;
  remote_rtcp_ = rtcp;
  remote_length_ = length;
  has_remote_ = true;
  return true;
}

bool PlainRtpTransport::send_rtp(const uint8_t* data, size_t length) noexcept {
  if (!has_remote_) return false;
  return sendto(rtp_fd_, data, length, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&remote_rtp_),
                remote_length_) == static_cast<ssize_t>(length);
}

bool PlainRtpTransport::send_rtcp(const uint8_t* data, size_t length) noexcept {
  if (!has_remote_) return false;
  return sendto(rtcp_fd_, data, length, MSG_DONTWAIT,
                reinterpret_cast<sockaddr*>(&remote_rtcp_), remote_length_) ==
         static_cast<ssize_t>(length);
}

bool PlainRtpTransport::latch_to_current_source(bool rtcp) noexcept {
  if (!has_remote_ || source_length_ == 0) return false;
  sockaddr_storage& remote = rtcp ? remote_rtcp_ : remote_rtp_;
  if (source_length_ == remote_length_ && std::memcmp(&source_, &remote, source_length_) == 0)
    return false;
  if (source_.ss_family != remote.ss_family) return false;  // one family for both sockets
  std::memcpy(&remote, &source_, source_length_);
  return true;
}

std::string PlainRtpTransport::remote_string(bool rtcp) const {
  const sockaddr_storage& remote = rtcp ? remote_rtcp_ : remote_rtp_;
  char text[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (remote.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&remote);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    port = ntohs(v4->sin_port);
  } else if (remote.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&remote);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    port = ntohs(v6->sin6_port);
  }
  return std::string(text) + ":" + std::to_string(port);
}

void PlainRtpTransport::read_all(bool rtcp) {
  const int fd = rtcp ? rtcp_fd_ : rtp_fd_;
  for (int i = 0; i < kMaxReadsPerWakeup; ++i) {
    source_length_ = sizeof source_;
    const ssize_t received =
        recvfrom(fd, buffer_, kMaxDatagram, MSG_DONTWAIT | MSG_TRUNC,
                 reinterpret_cast<sockaddr*>(&source_), &source_length_);
    if (received < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN, or an ICMP error from a previous send (ECONNREFUSED): nothing to read
    }
    if (static_cast<size_t>(received) > kMaxDatagram) continue;  // truncated: drop
    listener_.on_plain_packet(rtcp, buffer_, static_cast<size_t>(received),
                              kMaxDatagram + tail_room_);
  }
}

}  // namespace sipgw::media
