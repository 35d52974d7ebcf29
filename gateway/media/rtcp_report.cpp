#include "gateway/media/rtcp_report.hpp"

namespace sipgw::media {

RtcpReportBlock read_report_block(const uint8_t* p) noexcept {
  RtcpReportBlock block;
  block.ssrc = read_u32(p);
  block.fraction_lost = p[4];
  // 24-bit two's complement: sign-extend.
  const uint32_t lost = (uint32_t{p[5]} << 16) | (uint32_t{p[6]} << 8) | p[7];
  block.cumulative_lost = (lost & 0x800000u) != 0 ? static_cast<int32_t>(lost) - 0x1000000
                                                   : static_cast<int32_t>(lost);
  block.extended_highest_sequence = read_u32(p + 8);
  block.jitter = read_u32(p + 12);
  block.last_sr = read_u32(p + 16);
  block.delay_since_last_sr = read_u32(p + 20);
  return block;
}

bool rtcp_packet_valid(const uint8_t* data, size_t size) noexcept {
  if (data == nullptr || size < 4 || size % 4 != 0) return false;
  size_t offset = 0;
  while (offset < size) {
    if (size - offset < 4) return false;
    const uint8_t* part = data + offset;
    if ((part[0] >> 6) != 2) return false;
    const size_t length = 4u * (read_u16(part + 2) + 1u);
    if (length > size - offset) return false;
    const bool last = offset + length == size;
    size_t content = length;
    if ((part[0] & 0x20) != 0) {
      // Padding: only the last part may have it; its last octet counts the padding octets,
      // itself included, and leaves at least the header.
      if (!last) return false;
      const uint8_t padding = part[length - 1];
      if (padding == 0 || padding > length - 4) return false;
      content -= padding;
    }
    const uint8_t type = part[1];
    const size_t count = part[0] & 0x1f;
    if (type == kRtcpSenderReport && content < 28 + kRtcpReportBlockSize * count) return false;
    if (type == kRtcpReceiverReport && content < 8 + kRtcpReportBlockSize * count) return false;
    offset += length;
  }
  return true;
}

}  // namespace sipgw::media
