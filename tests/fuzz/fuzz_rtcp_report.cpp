// Fuzz target: the RTCP report-block reader (gateway/media/rtcp_report.hpp) and what consumes
// it, RtcpReportTracker, plus the RFC 3550 receive statistics (rtp_receive_statistics.hpp) fed
// with the same bytes read as a packet sequence. Nothing may read past `size` (ASan) or overflow
// (UBSan); the checks restate what the headers promise.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "gateway/media/rtcp_report.hpp"
#include "gateway/media/rtcp_report_tracker.hpp"
#include "gateway/media/rtp_receive_statistics.hpp"

namespace {

using namespace sipgw::media;

void check_rtcp(const uint8_t* data, size_t size) {
  size_t blocks = 0;
  const bool valid = for_each_report_block(data, size, [&](uint32_t, const RtcpReportBlock& b) {
    ++blocks;
    FUZZ_CHECK(b.cumulative_lost >= -0x800000 && b.cumulative_lost <= 0x7FFFFF, "not a 24-bit signed value");
  });
  FUZZ_CHECK(valid == rtcp_packet_valid(data, size), "for_each_report_block disagrees with rtcp_packet_valid");
  FUZZ_CHECK(valid || blocks == 0, "a malformed packet had blocks read");
  FUZZ_CHECK(blocks * kRtcpReportBlockSize <= size, "more blocks than the packet can hold");
  if (valid) FUZZ_CHECK(size % 4 == 0 && size >= 4, "a valid packet is whole 32-bit words");

  RtcpReportTracker tracker;
  tracker.set_clock(size > 0 ? data[0] * 1000u : 8000);
  const uint32_t ours = size >= 16 ? read_u32(data + 12) : 0;  // the first block's SSRC, if any
  FUZZ_CHECK(tracker.on_rtcp(data, size, ours) == valid, "tracker and reader disagree");
  FUZZ_CHECK(tracker.malformed() == (valid ? 0u : 1u), "malformed packet not counted once");
  const auto q = tracker.summary();
  FUZZ_CHECK(q.reports <= blocks, "more reports than blocks");
  FUZZ_CHECK(std::isfinite(q.mean_jitter_ms) && q.mean_jitter_ms >= 0 && q.mean_jitter_ms <= q.max_jitter_ms + 1e-9,
             "jitter out of range");
  FUZZ_CHECK(q.fraction_lost >= 0 && q.fraction_lost < 1, "fraction lost out of range");
}

// The bytes as packets of 8: SSRC choice (1 bit), sequence number (2), timestamp (4),
// arrival step in ms (1).
void check_statistics(const uint8_t* data, size_t size) {
  RtpReceiveStatistics stats;
  stats.set_clock(size > 0 && (data[0] & 1) ? 48000 : 8000);
  int64_t arrival_us = 0;
  uint64_t fed = 0;
  for (size_t at = 0; at + 8 <= size; at += 8, ++fed) {
    const uint8_t* p = data + at;
    arrival_us += int64_t{p[7]} * 1000;
    stats.on_packet((p[0] & 0x80) ? 0xAAAA : 0xBBBB, read_u16(p + 1), read_u32(p + 3), arrival_us);
  }
  const auto q = stats.summary();
  FUZZ_CHECK(q.packets_received + q.duplicates <= fed, "more packets counted than fed");
  FUZZ_CHECK(q.packets_lost <= q.packets_expected, "more lost than expected");
  FUZZ_CHECK(std::isfinite(q.mean_jitter_ms) && q.mean_jitter_ms >= 0 && q.mean_jitter_ms <= q.max_jitter_ms + 1e-9,
             "jitter out of range");
  FUZZ_CHECK(q.jitter_ms <= q.max_jitter_ms + 1e-9, "current jitter above its maximum");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_rtcp(data, size);
  check_statistics(data, size);
  return 0;
}
