#include "gateway/media/media_quality_meter.hpp"

namespace sipgw::media {

void MediaQualityMeter::set_clock(uint32_t hz) noexcept {
  from_browser_.set_clock(hz);
  from_pbx_.set_clock(hz);
  browser_reports_.set_clock(hz);
  pbx_reports_.set_clock(hz);
}

MediaQuality MediaQualityMeter::snapshot() const noexcept {
  MediaQuality q;
  q.from_browser = from_browser_.summary();
  q.from_pbx = from_pbx_.summary();
  q.browser_reports = browser_reports_.summary();
  q.pbx_reports = pbx_reports_.summary();
  q.rtcp_malformed = browser_reports_.malformed() + pbx_reports_.malformed();
  return q;
}

}  // namespace sipgw::media
