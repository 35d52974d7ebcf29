#include "gateway/media/rtcp_report_tracker.hpp"

#include <algorithm>

namespace sipgw::media {

void RtcpReportTracker::set_clock(uint32_t hz) noexcept {
  clock_ = hz ? hz : 8000;
  ms_per_tick_ = 1000.0 / clock_;
}

bool RtcpReportTracker::on_rtcp(const uint8_t* data, size_t size, uint32_t our_ssrc) noexcept {
  const bool valid = for_each_report_block(data, size, [&](uint32_t, const RtcpReportBlock& block) {
    if (our_ssrc != 0 && block.ssrc == our_ssrc) on_block(block);
  });
  if (!valid) ++malformed_;
  return valid;
}

void RtcpReportTracker::on_block(const RtcpReportBlock& block) noexcept {
  if (have_ssrc_ && block.ssrc != ssrc_) closed_lost_ += cumulative_lost_;
  have_ssrc_ = true;
  ssrc_ = block.ssrc;
  ++reports_;
  cumulative_lost_ = block.cumulative_lost;
  fraction_lost_ = block.fraction_lost;
  max_fraction_lost_ = std::max(max_fraction_lost_, block.fraction_lost);
  jitter_ms_ = block.jitter * ms_per_tick_;
  jitter_sum_ms_ += jitter_ms_;
  max_jitter_ms_ = std::max(max_jitter_ms_, jitter_ms_);
}

ReportedStreamQuality RtcpReportTracker::summary() const noexcept {
  ReportedStreamQuality q;
  q.reports = reports_;
  if (reports_ == 0) return q;
  q.cumulative_lost = closed_lost_ + cumulative_lost_;
  q.fraction_lost = fraction_lost_ / 256.0;
  q.max_fraction_lost = max_fraction_lost_ / 256.0;
  q.jitter_ms = jitter_ms_;
  q.mean_jitter_ms = jitter_sum_ms_ / static_cast<double>(reports_);
  q.max_jitter_ms = max_jitter_ms_;
  return q;
}

}  // namespace sipgw::media
