#include "gateway/media/rtp_receive_statistics.hpp"

#include <algorithm>

namespace sipgw::media {

namespace {
constexpr uint32_t kSeqMod = 1u << 16;  // RFC 3550 A.1 RTP_SEQ_MOD
constexpr uint32_t kWindow = 64;        // duplicate detection, in sequence numbers
// A transit time that moves by more than this many seconds at once is a timestamp
// discontinuity (a sender that restarted its clock without a new SSRC), not network jitter:
// the transit reference restarts instead of one sample inflating the estimate for good.
constexpr uint32_t kMaxTransitStepSeconds = 3;
}  // namespace

void RtpReceiveStatistics::set_clock(uint32_t hz) noexcept {
  if (hz == 0) hz = 8000;
  if (hz == clock_) return;
  clock_ = hz;
  ms_per_tick_ = 1000.0 / hz;
  have_transit_ = false;
  jitter_q4_ = 0;  // in the old clock's units
}

void RtpReceiveStatistics::on_packet(uint32_t ssrc, uint16_t sequence, uint32_t timestamp,
                                     int64_t arrival_us) noexcept {
  if (!have_source_) {
    arrival_origin_us_ = arrival_us;
    start_source(ssrc, sequence);
  } else if (ssrc != ssrc_) {
    close_source();
    start_source(ssrc, sequence);
  } else if (!update_sequence(sequence)) {
    return;
  }
  update_jitter(timestamp, arrival_us);
}

// A.1 init_seq, and the packet that started it counted as received.
void RtpReceiveStatistics::start_source(uint32_t ssrc, uint16_t sequence) noexcept {
  have_source_ = true;
  ssrc_ = ssrc;
  base_seq_ = sequence;
  max_seq_ = sequence;
  bad_seq_ = kSeqMod + 1;
  cycles_ = 0;
  received_ = 1;
  window_ = 1;
  have_transit_ = false;
  jitter_q4_ = 0;
}

// A.3 for the current source, added to the totals.
void RtpReceiveStatistics::close_source() noexcept {
  const uint64_t expected = uint64_t{cycles_} + max_seq_ - base_seq_ + 1;
  closed_expected_ += expected;
  closed_received_ += received_;
  closed_lost_ += expected > received_ ? expected - received_ : 0;
}

bool RtpReceiveStatistics::update_sequence(uint16_t sequence) noexcept {
  const auto udelta = static_cast<uint16_t>(sequence - max_seq_);
  if (udelta == 0) {  // the newest packet again
    ++duplicates_;
    return false;
  }
  if (udelta < kMaxDropout) {
    // In order, with a permissible gap.
    if (sequence < max_seq_) cycles_ += kSeqMod;  // sequence number wrapped
    max_seq_ = sequence;
    window_ = udelta >= kWindow ? 1 : (window_ << udelta) | 1;
  } else if (udelta <= kSeqMod - kMaxMisorder) {
    // A very large jump. Two sequential packets mean the sender restarted its numbering:
    // start over (the old numbering's figures go to the totals); one alone is ignored.
    if (sequence == bad_seq_) {
      close_source();
      const uint32_t ssrc = ssrc_;
      start_source(ssrc, sequence);
      return true;
    }
    bad_seq_ = (sequence + 1u) & (kSeqMod - 1);
    return false;
  } else {
    // Older than the newest: reordered, or a duplicate of one we still remember.
    const uint32_t back = kSeqMod - udelta;
    if (back < kWindow) {
      const uint64_t bit = uint64_t{1} << back;
      if ((window_ & bit) != 0) {
        ++duplicates_;
        return false;
      }
      window_ |= bit;
    }
    ++reordered_;
  }
  ++received_;
  return true;
}

// A.8: J += (|D(i-1,i)| − J) / 16, with D the change of the transit time (arrival − RTP
// timestamp, both in timestamp units), in the RFC's integer form (J kept ×16).
void RtpReceiveStatistics::update_jitter(uint32_t timestamp, int64_t arrival_us) noexcept {
  if (have_transit_ && timestamp == last_timestamp_) return;
  const auto arrival =
      static_cast<uint32_t>((arrival_us - arrival_origin_us_) * int64_t{clock_} / 1'000'000);
  const uint32_t transit = arrival - timestamp;
  last_timestamp_ = timestamp;
  if (!have_transit_) {
    transit_ = transit;
    have_transit_ = true;
    return;
  }
  const auto signed_d = static_cast<int32_t>(transit - transit_);
  transit_ = transit;
  const uint32_t d = signed_d < 0 ? 0u - static_cast<uint32_t>(signed_d) : static_cast<uint32_t>(signed_d);
  if (d > kMaxTransitStepSeconds * clock_) return;
  jitter_q4_ += d - ((jitter_q4_ + 8) >> 4);
  const double ms = jitter_q4_ * (ms_per_tick_ / 16);
  jitter_sum_ms_ += ms;
  ++jitter_samples_;
  max_jitter_ms_ = std::max(max_jitter_ms_, ms);
}

ReceivedStreamQuality RtpReceiveStatistics::summary() const noexcept {
  ReceivedStreamQuality q;
  q.packets_expected = closed_expected_;
  q.packets_received = closed_received_;
  q.packets_lost = closed_lost_;
  if (have_source_) {
    const uint64_t expected = uint64_t{cycles_} + max_seq_ - base_seq_ + 1;
    q.packets_expected += expected;
    q.packets_received += received_;
    q.packets_lost += expected > received_ ? expected - received_ : 0;
  }
  q.duplicates = duplicates_;
  q.reordered = reordered_;
  q.jitter_ms = jitter_q4_ * (ms_per_tick_ / 16);
  q.mean_jitter_ms = jitter_samples_ ? jitter_sum_ms_ / static_cast<double>(jitter_samples_) : 0;
  q.max_jitter_ms = max_jitter_ms_;
  return q;
}

}  // namespace sipgw::media
