#pragma once
// Demultiplexing of packets arriving on one ICE component (RFC 7983 §7, RFC 5761 §4).
#include <cstddef>
#include <cstdint>

namespace sipgw::protocol {

enum class PacketKind { stun, dtls, rtp, rtcp, unknown };

/// Classifies a datagram by its first byte (0-3 STUN, 20-63 DTLS, 128-191 RTP/RTCP) and, for
/// RTP/RTCP, by the second byte: payload types 192-223 are RTCP (RFC 5761 §4).
/// `size` is in bytes; packets shorter than 2 bytes (or 12 for RTP) are `unknown`.
constexpr PacketKind classify_packet(const uint8_t* data, size_t size) noexcept {
  if (size < 2) return PacketKind::unknown;
  const uint8_t b0 = data[0];
  if (b0 <= 3) return PacketKind::stun;
  if (b0 >= 20 && b0 <= 63) return PacketKind::dtls;
  if (b0 >= 128 && b0 <= 191) {
    const uint8_t pt = data[1];
    if (pt >= 192 && pt <= 223) return size >= 8 ? PacketKind::rtcp : PacketKind::unknown;
    return size >= 12 ? PacketKind::rtp : PacketKind::unknown;
  }
  return PacketKind::unknown;
}

}  // namespace sipgw::protocol
