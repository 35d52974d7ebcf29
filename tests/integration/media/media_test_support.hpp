#pragma once
// Helpers shared by the media integration tests: a UDP socket playing one PBX port, RTP/RTCP
// packet builders and the recorder of a session's callbacks. Every wait is bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gateway/media/media_session.hpp"
#include "gateway/media/media_worker.hpp"

namespace sipgw::media::test {

using namespace std::chrono_literals;
constexpr auto kTimeout = 10s;

// A UDP socket on 127.0.0.1 playing one port of the PBX.
class UdpSocket {
 public:
  UdpSocket() {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind");
    socklen_t length = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
  }
  ~UdpSocket() { close(fd_); }
  uint16_t port() const { return port_; }

  void send_to(uint16_t port, const std::vector<uint8_t>& data) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }

  std::optional<std::vector<uint8_t>> receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    std::vector<uint8_t> buffer(2048);
    const ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) return std::nullopt;
    buffer.resize(n);
    return buffer;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

inline std::vector<uint8_t> rtp_packet(uint16_t sequence, uint32_t ssrc, uint8_t fill) {
  std::vector<uint8_t> packet(12 + 160);
  packet[0] = 0x80;
  packet[1] = 0;  // PCMU
  packet[2] = sequence >> 8;
  packet[3] = sequence & 0xff;
  const uint32_t ts = sequence * 160u;
  packet[4] = ts >> 24; packet[5] = ts >> 16; packet[6] = ts >> 8; packet[7] = ts;
  packet[8] = ssrc >> 24; packet[9] = ssrc >> 16; packet[10] = ssrc >> 8; packet[11] = ssrc;
  for (size_t i = 12; i < packet.size(); ++i) packet[i] = static_cast<uint8_t>(fill + i);
  return packet;
}

inline uint32_t ssrc_of(const std::vector<uint8_t>& rtp) {
  return (uint32_t{rtp[8]} << 24) | (uint32_t{rtp[9]} << 16) | (uint32_t{rtp[10]} << 8) | rtp[11];
}

inline std::vector<uint8_t> with_ssrc(std::vector<uint8_t> packet, size_t at, uint32_t ssrc) {
  packet[at] = uint8_t(ssrc >> 24);
  packet[at + 1] = uint8_t(ssrc >> 16);
  packet[at + 2] = uint8_t(ssrc >> 8);
  packet[at + 3] = uint8_t(ssrc);
  return packet;
}

inline std::vector<uint8_t> rtcp_receiver_report(uint32_t ssrc) {
  return {0x80, 201, 0, 1, uint8_t(ssrc >> 24), uint8_t(ssrc >> 16), uint8_t(ssrc >> 8),
          uint8_t(ssrc)};
}

// What the session reported, recorded from the worker thread.
struct Events {
  std::mutex mutex;
  std::condition_variable cv;
  std::optional<LocalMediaParameters> ready;
  bool connected = false;
  std::optional<std::string> failed;
  std::vector<std::pair<char, uint32_t>> dtmf;
  int rtp_timeouts = 0;
  std::atomic<int> callbacks{0};
  std::atomic<bool> callback_on_worker{true};

  MediaCallbacks make(MediaWorker& worker) {
    MediaCallbacks callbacks;
    callbacks.on_ready = [this, &worker](const LocalMediaParameters& local) {
      check(worker);
      std::lock_guard lock(mutex);
      ready = local;
      cv.notify_all();
    };
    callbacks.on_connected = [this, &worker] {
      check(worker);
      std::lock_guard lock(mutex);
      connected = true;
      cv.notify_all();
    };
    callbacks.on_failed = [this, &worker](const std::string& reason) {
      check(worker);
      std::lock_guard lock(mutex);
      failed = reason;
      cv.notify_all();
    };
    callbacks.on_dtmf = [this, &worker](char digit, uint32_t duration_ms) {
      check(worker);
      std::lock_guard lock(mutex);
      dtmf.emplace_back(digit, duration_ms);
      cv.notify_all();
    };
    callbacks.on_rtp_timeout = [this, &worker] {
      check(worker);
      std::lock_guard lock(mutex);
      ++rtp_timeouts;
      cv.notify_all();
    };
    return callbacks;
  }

  void check(MediaWorker& worker) {
    ++callbacks;
    if (!worker.is_current()) callback_on_worker = false;
  }

  template <typename Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, kTimeout, pred);
  }
};

}  // namespace sipgw::media::test
