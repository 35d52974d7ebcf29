#include "gateway/media/telephone_event_sender.hpp"

#include <algorithm>

#include "gateway/media/rtp_header.hpp"
#include "gateway/media/telephone_event.hpp"

namespace sipgw::media {

void TelephoneEventSender::note_browser(const uint8_t* data, int64_t now_us) noexcept {
  ssrc_ = read_u32(data + 8);
  last_ts_ = read_u32(data + 4);
  last_time_us_ = now_us;
  have_browser_ = true;
}

void TelephoneEventSender::note_out_sequence(uint16_t sequence) noexcept {
  if (!have_out_ || sequence_newer(sequence, last_out_seq_)) last_out_seq_ = sequence;
  have_out_ = true;
}

bool TelephoneEventSender::on_browser_rtp(uint8_t* data, size_t size, int64_t now_us) noexcept {
  if (current_) {
    on_browser_rtp_dropped(data, size, now_us);  // RFC 4733 §2.5.1.2: no audio during the event
    return false;
  }
  note_browser(data, now_us);
  RtpHeader header(data, size);
  const auto sequence = static_cast<uint16_t>(header.sequence() + offset_);
  header.set_sequence(sequence);
  if (resume_marker_) {
    header.set_marker(true);  // first packet of a talkspurt (RFC 3551 §4.1)
    resume_marker_ = false;
  }
  note_out_sequence(sequence);
  return true;
}

void TelephoneEventSender::on_browser_rtp_dropped(const uint8_t* data, size_t,
                                                  int64_t now_us) noexcept {
  note_browser(data, now_us);
  --offset_;  // the next browser packet takes this one's number
  // What the PBX would have seen last had this one been forwarded one number earlier.
  note_out_sequence(static_cast<uint16_t>(read_u16(data + 2) + offset_));
  resume_marker_ = true;
}

bool TelephoneEventSender::enqueue(char digit, uint32_t duration_ms) {
  const auto code = dtmf_event_code(digit);
  if (!code || queue_.size() >= kMaxQueued) return false;
  queue_.push_back({*code, std::clamp<uint32_t>(duration_ms, 40, 5000)});
  return true;
}

void TelephoneEventSender::clear() noexcept {
  queue_.clear();
  current_.reset();
}

bool TelephoneEventSender::tick(int64_t now_us, const Params& params, Packet& out) noexcept {
  if (!current_) {
    if (queue_.empty() || !have_browser_) return false;
    const Digit digit = queue_.front();
    queue_.pop_front();
    if (params.payload_type < 0 || params.payload_type > 127 || params.audio_clock == 0 ||
        params.event_clock == 0) {
      ++dropped_no_pt_;
      return false;
    }
    const uint32_t ptime = std::clamp<uint32_t>(params.ptime_ms, 10, 200);
    Event event;
    event.code = digit.code;
    event.payload_type = static_cast<uint8_t>(params.payload_type);
    event.step = static_cast<uint32_t>(uint64_t{params.event_clock} * ptime / 1000);
    event.total = static_cast<uint32_t>(
        std::min<uint64_t>(uint64_t{params.event_clock} * digit.duration_ms / 1000, 0xFFFF));
    event.total = std::max(event.total, event.step);
    event.audio_span =
        static_cast<uint32_t>(uint64_t{event.total} * params.audio_clock / params.event_clock);
    // The audio timestamp "now": the last browser packet's plus the time since, in its clock.
    const int64_t elapsed_us = std::max<int64_t>(0, now_us - last_time_us_);
    uint32_t timestamp =
        last_ts_ + static_cast<uint32_t>(elapsed_us * params.audio_clock / 1'000'000);
    // Never overlap the previous event (§2.5.1.2): start after its end.
    if (next_event_min_ts_ && static_cast<int32_t>(timestamp - *next_event_min_ts_) < 0)
      timestamp = *next_event_min_ts_;
    event.timestamp = timestamp;
    current_ = event;
    ++events_started_;
  }

  Event& event = *current_;
  event.elapsed = std::min(event.elapsed + event.step, event.total);
  const bool end = event.elapsed >= event.total;
  if (end) ++event.ends_sent;

  RtpHeader header(out.bytes.data(), out.bytes.size());
  out.bytes[0] = 0x80;  // V=2, no padding, no extension, no CSRC
  out.bytes[1] = 0;
  header.set_payload_type(event.payload_type);
  header.set_marker(event.first);  // §2.5.1.1: the first packet of an event is marked
  last_out_seq_ = static_cast<uint16_t>(last_out_seq_ + 1);
  ++offset_;
  header.set_sequence(last_out_seq_);
  header.set_timestamp(event.timestamp);
  header.set_ssrc(ssrc_);
  write_telephone_event(out.bytes.data() + RtpHeader::kFixedSize,
                        {event.code, end, kVolume, static_cast<uint16_t>(event.elapsed)});
  out.size = kPacketSize;
  event.first = false;

  if (event.ends_sent >= kEndRepeats) {
    next_event_min_ts_ = event.timestamp + event.audio_span;
    current_.reset();
    resume_marker_ = true;
  }
  return true;
}

}  // namespace sipgw::media
