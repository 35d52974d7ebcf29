#pragma once
// The report blocks of RTCP Sender and Receiver Reports (RFC 3550 §6.4.1 SR, §6.4.2 RR) in a
// compound RTCP packet (§6.1), read in place after the packet passed the validity checks of
// Appendix A.2. What a peer tells us there is how the stream we send it fared: fraction lost
// since its previous report, cumulative packets lost, extended highest sequence number,
// interarrival jitter, and the LSR/DLSR pair for the round-trip time.
//
// No copy, no allocation; a malformed packet is reported as such and none of it is read.
// Threads: none of its own (pure functions).
#include <cstddef>
#include <cstdint>

#include "gateway/media/rtp_header.hpp"

namespace sipgw::media {

inline constexpr uint8_t kRtcpSenderReport = 200;    // RFC 3550 §12.1
inline constexpr uint8_t kRtcpReceiverReport = 201;
inline constexpr size_t kRtcpReportBlockSize = 24;   // §6.4.1

/// One report block (§6.4.1), decoded.
struct RtcpReportBlock {
  uint32_t ssrc = 0;                       // SSRC_n: the source this block is about
  uint8_t fraction_lost = 0;               // since the previous report, fixed point: n/256
  int32_t cumulative_lost = 0;             // 24-bit signed: negative after duplicates
  uint32_t extended_highest_sequence = 0;  // cycles << 16 | highest sequence number
  uint32_t jitter = 0;                     // interarrival jitter, RTP timestamp units
  uint32_t last_sr = 0;                    // LSR: middle 32 bits of the last SR's NTP time
  uint32_t delay_since_last_sr = 0;        // DLSR, units of 1/65536 s
};

/// Decodes the 24 octets at `p` (the caller checked they are there).
RtcpReportBlock read_report_block(const uint8_t* p) noexcept;

/// RFC 3550 A.2 checks of a compound RTCP packet (after SRTCP unprotect): a whole number of
/// 32-bit words; every part of version 2 with its length inside the packet and the lengths
/// adding up to the packet; padding only in the last part and no longer than it; an SR or RR
/// long enough for its report count. The first part need not be an SR or RR (reduced-size
/// RTCP, RFC 5506, as browsers may send with a=rtcp-rsize).
bool rtcp_packet_valid(const uint8_t* data, size_t size) noexcept;

/// Calls `visit(reporter_ssrc, block)` for every report block of every SR and RR part of a
/// valid packet, in order, and returns true; returns false, calling nothing, for a packet that
/// fails rtcp_packet_valid.
template <class Visit>
bool for_each_report_block(const uint8_t* data, size_t size, Visit&& visit) noexcept {
  if (!rtcp_packet_valid(data, size)) return false;
  for (size_t offset = 0; offset < size;) {
    const uint8_t* part = data + offset;
    const size_t length = 4u * (read_u16(part + 2) + 1u);
    const uint8_t type = part[1];
    if (type == kRtcpSenderReport || type == kRtcpReceiverReport) {
      const size_t first = type == kRtcpSenderReport ? 28 : 8;  // header + SSRC (+ sender info)
      const uint32_t reporter = read_u32(part + 4);
      const unsigned count = part[0] & 0x1f;
      for (unsigned i = 0; i < count; ++i)
        visit(reporter, read_report_block(part + first + kRtcpReportBlockSize * i));
    }
    offset += length;
  }
  return true;
}

}  // namespace sipgw::media
