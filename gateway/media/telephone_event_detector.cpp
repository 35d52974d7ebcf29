#include "gateway/media/telephone_event_detector.hpp"

#include "gateway/media/telephone_event.hpp"

namespace sipgw::media {

std::optional<TelephoneEventDetector::Detected> TelephoneEventDetector::report(
    const Current& current) noexcept {
  const char digit = dtmf_digit(current.event);
  if (digit == 0) return std::nullopt;  // not a DTMF event (flash, tones): not reported
  const uint32_t clock = current.clock ? current.clock : 8000;
  return Detected{digit, static_cast<uint32_t>(uint64_t{current.duration} * 1000 / clock)};
}

std::optional<TelephoneEventDetector::Detected> TelephoneEventDetector::on_packet(
    uint32_t ssrc, uint32_t timestamp, const uint8_t* payload, size_t size,
    uint32_t clock) noexcept {
  TelephoneEvent event;
  if (!parse_telephone_event(payload, size, event)) return std::nullopt;

  std::optional<Detected> ended;
  if (current_ && (current_->ssrc != ssrc || current_->timestamp != timestamp)) {
    // A new event. If the previous one never showed its end, report it now.
    if (!current_->reported) ended = report(*current_);
    current_.reset();
  }
  if (!current_) current_ = Current{ssrc, timestamp, event.event, event.duration, clock, false};
  Current& current = *current_;
  if (current.reported) return ended;  // a repeated end packet (§2.5.1.4)
  if (event.duration > current.duration) current.duration = event.duration;
  current.event = event.event;
  if (event.end) {
    current.reported = true;
    // A lost end of the previous event and this end in one packet cannot both be returned;
    // the newer one wins (both ended in the same packet interval).
    return report(current);
  }
  return ended;
}

}  // namespace sipgw::media
