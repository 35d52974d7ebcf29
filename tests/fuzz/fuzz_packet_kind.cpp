// Fuzz target: the RFC 7983 demultiplexer (protocol/packet_kind.hpp).
// classify_packet must never read past `size` (ASan) and must agree with the rules of
// RFC 7983 §7 and RFC 5761 §4, restated here independently.
#include <cstddef>
#include <cstdint>

#include "protocol/packet_kind.hpp"
#include "fuzz_check.hpp"

namespace {

using sipgw::protocol::classify_packet;
using sipgw::protocol::PacketKind;

PacketKind expected(const uint8_t* data, size_t size) {
  if (size < 2) return PacketKind::unknown;
  const unsigned b0 = data[0];
  const unsigned b1 = data[1];
  if (b0 < 4) return PacketKind::stun;                    // RFC 7983: [0..3]
  if (b0 > 19 && b0 < 64) return PacketKind::dtls;        // RFC 7983: [20..63]
  if (b0 > 127 && b0 < 192) {                             // RFC 7983: [128..191]
    if (b1 > 191 && b1 < 224) return size < 8 ? PacketKind::unknown : PacketKind::rtcp;  // RFC 5761 §4
    return size < 12 ? PacketKind::unknown : PacketKind::rtp;
  }
  return PacketKind::unknown;
}

// It is constexpr: the header promises compile-time use works.
constexpr uint8_t kRtcp[8] = {0x80, 200, 0, 1, 0, 0, 0, 0};
static_assert(classify_packet(kRtcp, sizeof kRtcp) == PacketKind::rtcp);
static_assert(classify_packet(kRtcp, 1) == PacketKind::unknown);

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const PacketKind kind = classify_packet(data, size);
  FUZZ_CHECK(kind == expected(data, size), "classify_packet disagrees with RFC 7983 / RFC 5761");
  // Only the first two bytes decide the kind; the length only gates it.
  if (size > 12) FUZZ_CHECK(classify_packet(data, 12) == kind, "bytes after the header changed the kind");
  return 0;
}
