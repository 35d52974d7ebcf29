#pragma once
// What one peer's RTCP reports say about the stream the gateway sends it (RFC 3550 §6.4.1):
// the report blocks whose SSRC_n is our stream's SSRC are kept — the latest cumulative loss and
// fraction lost, the jitter (latest, mean, maximum, in ms with the payload clock). Blocks about
// other sources (a conference bridge reporting on everyone) are ignored. When our SSRC toward
// the peer changes (the browser restarted its stream), the peer starts a new count: the last
// cumulative loss reported for the old SSRC is kept in the total.
//
// Cost: one pass over the packet's headers, no allocation.
// Threads: one media worker (not thread-safe).
#include <cstddef>
#include <cstdint>

#include "gateway/media/media_quality.hpp"
#include "gateway/media/rtcp_report.hpp"

namespace sipgw::media {

class RtcpReportTracker {
 public:
  /// The payload clock in Hz of the stream the peer reports on (unit of its jitter); 0 = 8000.
  void set_clock(uint32_t hz) noexcept;

  /// One RTCP packet from the peer (plain, after SRTCP unprotect). `our_ssrc` is the SSRC of the
  /// stream we send it; 0 (not known yet) takes no block. Returns false, and counts it, when the
  /// packet is malformed (rtcp_packet_valid): nothing of it is used.
  bool on_rtcp(const uint8_t* data, size_t size, uint32_t our_ssrc) noexcept;

  /// Packets that failed validation.
  uint64_t malformed() const noexcept { return malformed_; }

  ReportedStreamQuality summary() const noexcept;

 private:
  void on_block(const RtcpReportBlock& block) noexcept;

  uint32_t clock_ = 8000;
  double ms_per_tick_ = 1000.0 / 8000;
  uint64_t malformed_ = 0;
  uint64_t reports_ = 0;
  bool have_ssrc_ = false;
  uint32_t ssrc_ = 0;             // the SSRC the latest block was about
  int64_t closed_lost_ = 0;       // the final cumulative loss of earlier SSRCs
  int32_t cumulative_lost_ = 0;   // the latest block's
  uint8_t fraction_lost_ = 0;
  uint8_t max_fraction_lost_ = 0;
  double jitter_ms_ = 0;
  double jitter_sum_ms_ = 0;
  double max_jitter_ms_ = 0;
};

}  // namespace sipgw::media
