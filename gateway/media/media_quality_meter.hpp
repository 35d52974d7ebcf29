#pragma once
// Measures one call's media quality (media_quality.hpp) from the packets the relay handles:
// RFC 3550 receive statistics of the RTP the gateway receives from each side, and the RTCP
// report blocks each side sends about the stream the gateway sends it.
//
// The relay calls it for every packet, before rewriting: browser RTP/RTCP after SRTP/SRTCP
// unprotect, PBX RTP/RTCP as it arrived. A few integer operations per RTP packet, one header
// walk per RTCP packet; no allocation, no lock.
//
// Threads: the session's media worker (not thread-safe); snapshot() there too.
#include <cstddef>
#include <cstdint>

#include "gateway/media/media_quality.hpp"
#include "gateway/media/rtcp_report_tracker.hpp"
#include "gateway/media/rtp_receive_statistics.hpp"

namespace sipgw::media {

class MediaQualityMeter {
 public:
  /// The audio payload clock (NegotiatedAudio::audio_clock; both legs use the same), Hz.
  void set_clock(uint32_t hz) noexcept;

  /// Browser RTP after SRTP unprotect; `now_us` on the monotonic clock. Invalid headers ignored.
  void on_browser_rtp(const uint8_t* data, size_t size, int64_t now_us) noexcept {
    on_rtp(from_browser_, data, size, now_us);
  }
  /// PBX RTP as it arrived.
  void on_pbx_rtp(const uint8_t* data, size_t size, int64_t now_us) noexcept {
    on_rtp(from_pbx_, data, size, now_us);
  }
  /// The browser's RTCP after SRTCP unprotect; `gateway_ssrc` is our SSRC toward the browser.
  /// False when malformed (counted).
  bool on_browser_rtcp(const uint8_t* data, size_t size, uint32_t gateway_ssrc) noexcept {
    return browser_reports_.on_rtcp(data, size, gateway_ssrc);
  }
  /// The PBX's RTCP as it arrived. Its blocks about the browser's SSRC count: the relay passes
  /// the browser's stream to the PBX under the browser's own SSRC. False when malformed.
  bool on_pbx_rtcp(const uint8_t* data, size_t size) noexcept {
    return pbx_reports_.on_rtcp(data, size, from_browser_.empty() ? 0 : from_browser_.ssrc());
  }

  MediaQuality snapshot() const noexcept;

 private:
  static void on_rtp(RtpReceiveStatistics& stats, const uint8_t* data, size_t size,
                     int64_t now_us) noexcept {
    if (size < 12 || (data[0] >> 6) != 2) return;
    stats.on_packet(read_u32(data + 8), read_u16(data + 2), read_u32(data + 4), now_us);
  }

  RtpReceiveStatistics from_browser_;
  RtpReceiveStatistics from_pbx_;
  RtcpReportTracker browser_reports_;
  RtcpReportTracker pbx_reports_;
};

}  // namespace sipgw::media
