#pragma once
// RFC 3550 receive statistics of one inbound RTP stream: the sequence-number bookkeeping of
// Appendix A.1 (extended highest sequence number, 16-bit wrap, MAX_DROPOUT/MAX_MISORDER with
// the two-packet restart), the cumulative loss of A.3 (expected − received) and the
// interarrival jitter of A.8 (in timestamp units, reported in ms with the payload clock).
//
// Additions to the RFC: duplicates within the last 64 sequence numbers are detected (a bit
// window) and not counted as received, so they cannot hide losses; a new SSRC or a sequence
// restart closes the current source and adds it to the totals; the jitter estimate is not
// updated by a packet carrying the same RTP timestamp as the previous sample (RFC 4733 events
// repeat their timestamp for the whole event, which would otherwise read as jitter; libwebrtc
// does the same) nor by duplicates, and its mean and maximum over the call are kept.
//
// Cost: a few integer operations per packet; no allocation, no lock.
// Threads: one media worker (not thread-safe); summary() on that worker.
#include <cstdint>

#include "gateway/media/media_quality.hpp"

namespace sipgw::media {

class RtpReceiveStatistics {
 public:
  static constexpr uint32_t kMaxDropout = 3000;  // RFC 3550 A.1
  static constexpr uint32_t kMaxMisorder = 100;

  /// The payload clock in Hz (8000 for G.711, 48000 for Opus): the unit of RTP timestamps and
  /// thus of the jitter. A change restarts the jitter's transit reference. 0 is taken as 8000.
  void set_clock(uint32_t hz) noexcept;
  uint32_t clock() const noexcept { return clock_; }

  /// One RTP packet (a valid header, after SRTP unprotect): its SSRC, sequence number and
  /// timestamp, and when it arrived (µs on a monotonic clock, e.g. g_get_monotonic_time).
  void on_packet(uint32_t ssrc, uint16_t sequence, uint32_t timestamp, int64_t arrival_us) noexcept;

  /// Anything received yet.
  bool empty() const noexcept { return !have_source_; }
  /// The SSRC of the current source (0 before the first packet).
  uint32_t ssrc() const noexcept { return ssrc_; }
  /// A.1 extended highest sequence number of the current source (cycles | max_seq).
  uint32_t extended_highest_sequence() const noexcept { return cycles_ + max_seq_; }
  /// A.8 jitter of the current source, in timestamp units.
  uint32_t jitter() const noexcept { return jitter_q4_ >> 4; }

  /// Totals over every source so far.
  ReceivedStreamQuality summary() const noexcept;

 private:
  void start_source(uint32_t ssrc, uint16_t sequence) noexcept;
  void close_source() noexcept;
  // A.1 update_seq; false when the packet must not be counted (a suspected restart's first
  // packet, or a duplicate).
  bool update_sequence(uint16_t sequence) noexcept;
  void update_jitter(uint32_t timestamp, int64_t arrival_us) noexcept;

  uint32_t clock_ = 8000;
  double ms_per_tick_ = 1000.0 / 8000;

  // The current source (A.1 `source`).
  bool have_source_ = false;
  uint32_t ssrc_ = 0;
  uint16_t max_seq_ = 0;
  uint32_t cycles_ = 0;     // shifted count of sequence number cycles
  uint32_t base_seq_ = 0;
  uint32_t bad_seq_ = 0x10001;  // RTP_SEQ_MOD + 1: no suspected restart
  uint64_t received_ = 0;
  uint64_t window_ = 0;     // bit i: max_seq_ − i was received

  // A.8 jitter, kept ×16 as in the RFC's integer form.
  bool have_transit_ = false;
  uint32_t transit_ = 0;
  uint32_t last_timestamp_ = 0;
  uint32_t jitter_q4_ = 0;
  int64_t arrival_origin_us_ = 0;

  // Totals.
  uint64_t closed_expected_ = 0;
  uint64_t closed_received_ = 0;
  uint64_t closed_lost_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t reordered_ = 0;
  double jitter_sum_ms_ = 0;
  uint64_t jitter_samples_ = 0;
  double max_jitter_ms_ = 0;
};

}  // namespace sipgw::media
