#include "gateway/media/audio_relay.hpp"

#include <algorithm>
#include <cstring>

#include "gateway/media/g711_transcode.hpp"
#include "gateway/media/rtp_header.hpp"

namespace sipgw::media {

namespace {

// Rewrites a G.711 packet into the other law in place (same size, same timestamps) and sets
// `pt`. Padding (RFC 3550 §5.1: the last octet counts it) is not audio and stays as it is.
void transcode_g711(uint8_t* data, size_t size, const std::array<uint8_t, 256>& table, int pt) noexcept {
  RtpHeader header(data, size);
  size_t audio = header.payload_size();
  if ((data[0] & 0x20) != 0 && audio > 0) audio -= std::min<size_t>(audio, data[size - 1]);
  g711::transcode(table, header.mutable_payload(), audio);
  header.set_payload_type(static_cast<uint8_t>(pt));
}

}  // namespace

void AudioRelay::set_negotiated(const NegotiatedAudio& audio) noexcept {
  audio_ = audio;
  toward_browser_.set_clock(audio.audio_clock);
  // The browser keeps the law it negotiated once; the PBX may have moved to the other one.
  const bool ulaw_browser = audio.browser_audio_pt == kPcmuPt && audio.pbx_audio_pt == kPcmaPt;
  const bool alaw_browser = audio.browser_audio_pt == kPcmaPt && audio.pbx_audio_pt == kPcmuPt;
  to_pbx_law_ = ulaw_browser ? &g711::kUlawToAlaw : alaw_browser ? &g711::kAlawToUlaw : nullptr;
  to_browser_law_ = ulaw_browser ? &g711::kAlawToUlaw : alaw_browser ? &g711::kUlawToAlaw : nullptr;
}

bool AudioRelay::browser_rtp(uint8_t* data, size_t size, int64_t now_us) noexcept {
  RtpHeader header(data, size);
  if (!header.valid()) return false;
  const uint8_t pt = header.payload_type();
  if (!sends_to_pbx()) {  // PBX sendonly/inactive: it gets none of the browser's audio
    dtmf_sender_.on_browser_rtp_dropped(data, size, now_us);
    return false;
  }
  if (muted_) {
    bump(counters_.muted_packets);
    // G.711 (RFC 3551 §4.5.14) becomes digital silence so the PBX still gets a stream; a codec we
    // cannot silence in place is dropped.
    if (pt != kPcmuPt && pt != kPcmaPt) {
      dtmf_sender_.on_browser_rtp_dropped(data, size, now_us);
      return false;
    }
    std::memset(header.mutable_payload(), pt == kPcmuPt ? 0xFF : 0xD5, header.payload_size());
  }
  if (pt == kComfortNoisePt && !audio_.pbx_accepts_cn) {
    bump(counters_.dropped_cn);
    dtmf_sender_.on_browser_rtp_dropped(data, size, now_us);
    return false;
  }
  // The browser's own RFC 4733 events (insertDTMF): the PBX's PT, or dropped without one.
  if (audio_.browser_telephone_event_pt >= 0 && pt == audio_.browser_telephone_event_pt) {
    if (audio_.pbx_telephone_event_pt < 0) {
      dtmf_sender_.on_browser_rtp_dropped(data, size, now_us);
      return false;
    }
    header.set_payload_type(static_cast<uint8_t>(audio_.pbx_telephone_event_pt));
  } else if (to_pbx_law_ != nullptr && pt == audio_.browser_audio_pt) {
    transcode_g711(data, size, *to_pbx_law_, audio_.pbx_audio_pt);
  }
  return dtmf_sender_.on_browser_rtp(data, size, now_us);
}

bool AudioRelay::pbx_rtp(uint8_t* data, size_t size, int64_t now_us,
                         std::optional<TelephoneEventDetector::Detected>& dtmf) noexcept {
  RtpHeader header(data, size);
  if (!header.valid()) return false;
  const uint8_t pt = header.payload_type();
  bool drop = false;
  if (audio_.pbx_telephone_event_pt >= 0 && pt == audio_.pbx_telephone_event_pt) {
    dtmf = dtmf_detector_.on_packet(header.ssrc(), header.timestamp(), header.payload(),
                                    header.payload_size(), audio_.telephone_event_clock);
    if (dtmf) bump(counters_.dtmf_events_received);
    if (audio_.browser_telephone_event_pt >= 0)
      header.set_payload_type(static_cast<uint8_t>(audio_.browser_telephone_event_pt));
    else
      drop = true;  // the browser did not negotiate telephone-event
  } else if (pt == kComfortNoisePt && !audio_.browser_accepts_cn) {
    bump(counters_.dropped_cn);
    drop = true;
  } else if (to_browser_law_ != nullptr && pt == audio_.pbx_audio_pt) {
    transcode_g711(data, size, *to_browser_law_, audio_.browser_audio_pt);
  }
  const bool changed = drop ? toward_browser_.drop_rtp(data, size, now_us)
                            : toward_browser_.rewrite_rtp(data, size, now_us);
  if (changed) bump(counters_.pbx_ssrc_changes);
  return !drop;
}

bool AudioRelay::dtmf_tick(int64_t now_us, TelephoneEventSender::Packet& out) noexcept {
  TelephoneEventSender::Params params;
  params.payload_type = audio_.pbx_telephone_event_pt;
  params.audio_clock = audio_.audio_clock;
  params.event_clock = audio_.telephone_event_clock;
  params.ptime_ms = audio_.ptime_ms;
  const uint64_t before = dtmf_sender_.events_started();
  const bool due = dtmf_sender_.tick(now_us, params, out);
  if (dtmf_sender_.events_started() != before) bump(counters_.dtmf_events_sent);
  return due;
}

uint32_t AudioRelay::dtmf_interval_ms() const noexcept {
  return std::clamp<uint32_t>(audio_.ptime_ms, 10, 200);
}

}  // namespace sipgw::media
