#pragma once
// Small RTP packet builders for the media unit tests.
#include <cstdint>
#include <vector>

#include "gateway/media/rtp_header.hpp"

namespace sipgw::media::test {

inline std::vector<uint8_t> make_rtp(uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
                                     size_t payload = 160, bool marker = false) {
  std::vector<uint8_t> packet(12 + payload, 0xd5);
  packet[0] = 0x80;
  packet[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | pt);
  write_u16(packet.data() + 2, seq);
  write_u32(packet.data() + 4, ts);
  write_u32(packet.data() + 8, ssrc);
  return packet;
}

inline std::vector<uint8_t> make_event(uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
                                       uint8_t event, bool end, uint16_t duration) {
  auto packet = make_rtp(pt, seq, ts, ssrc, 4);
  packet[12] = event;
  packet[13] = static_cast<uint8_t>((end ? 0x80 : 0) | 10);
  write_u16(packet.data() + 14, duration);
  return packet;
}

struct Parsed {
  uint8_t pt;
  bool marker;
  uint16_t seq;
  uint32_t ts;
  uint32_t ssrc;
};

inline Parsed parse(const uint8_t* data, size_t size) {
  RtpHeader h(const_cast<uint8_t*>(data), size);
  return {h.payload_type(), h.marker(), h.sequence(), h.timestamp(), h.ssrc()};
}
inline Parsed parse(const std::vector<uint8_t>& p) { return parse(p.data(), p.size()); }

}  // namespace sipgw::media::test
