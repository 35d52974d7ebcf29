#include "recorder/call_recording.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>

#include "recorder/file_writer.hpp"
#include "recorder/g711.hpp"
#include "recorder/opus_decoder.hpp"
#include "recorder/pcap_capture.hpp"

namespace sipgw::recorder {

namespace {

constexpr int64_t kArrivalGapUs = 500'000;     // an arrival gap this long re-anchors a leg
constexpr int64_t kMaxDivergenceUs = 300'000;  // timestamp vs arrival disagreement that re-anchors
constexpr int64_t kMaxDropout = 3000;          // RFC 3550 §A.1 MAX_DROPOUT: larger jumps restart
constexpr int64_t kMaxPendingSeconds = 60;     // guard: never hold more than this in memory

bool iequals(const std::string& a, const char* b) {
  size_t n = std::char_traits<char>::length(b);
  if (a.size() != n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

bool has_opus(const PayloadMap& map) {
  return std::any_of(map.begin(), map.end(),
                     [](const auto& entry) { return iequals(entry.second.encoding, "opus"); });
}

uint32_t valid_opus_rate(uint32_t rate) {
  switch (rate) {
    case 8000: case 12000: case 16000: case 24000: case 48000: return rate;
    default: return 48000;
  }
}

}  // namespace

Codec codec_for(const PayloadMap& map, uint8_t pt, uint32_t* clock_rate) {
  uint32_t clock = 8000;
  Codec codec = Codec::unknown;
  if (auto it = map.find(pt); it != map.end()) {
    const auto& f = it->second;
    clock = f.clock_rate ? f.clock_rate : 8000;
    if (iequals(f.encoding, "pcmu")) codec = Codec::pcmu;
    else if (iequals(f.encoding, "pcma")) codec = Codec::pcma;
    else if (iequals(f.encoding, "opus")) codec = Codec::opus, clock = 48000;
    else if (iequals(f.encoding, "telephone-event")) codec = Codec::telephone_event;
    else if (iequals(f.encoding, "cn")) codec = Codec::comfort_noise;
  } else if (pt == 0) {
    codec = Codec::pcmu;  // RFC 3551 §6, table 4
  } else if (pt == 8) {
    codec = Codec::pcma;
  } else if (pt == 13) {
    codec = Codec::comfort_noise;
  }
  if (clock_rate) *clock_rate = clock;
  return codec;
}

struct CallRecording::LegState {
  const PayloadMap* map = nullptr;
  // Timeline anchor (see the header).
  bool anchored = false;
  uint32_t ssrc = 0;
  uint32_t anchor_ts = 0;
  int64_t anchor_frame = 0;
  uint32_t anchor_clock = 0;
  int64_t last_arrival_us = INT64_MIN;
  // Sequence tracking per SSRC epoch (RFC 3550 §A.1/§A.3).
  bool seq_started = false;
  uint32_t seq_ssrc = 0;
  int64_t highest = 0;  // extended highest sequence number
  int64_t base = 0;     // extended lowest sequence number of the epoch
  uint64_t received = 0;
  uint64_t window = 0;  // bit i: packet `highest - i` received (duplicate detection)
  uint64_t lost_closed = 0;
  uint64_t packets = 0;
  std::unique_ptr<OpusStreamDecoder> opus;

  void close_epoch() {
    if (seq_started) {
      int64_t expected = highest - base + 1;
      if (expected > static_cast<int64_t>(received)) lost_closed += expected - received;
    }
    seq_started = false;
    received = 0;
  }
  uint64_t lost() const {
    uint64_t total = lost_closed;
    int64_t expected = highest - base + 1;
    if (seq_started && expected > static_cast<int64_t>(received)) total += expected - received;
    return total;
  }
};

std::unique_ptr<CallRecording> CallRecording::create(uint64_t recording_id,
                                                     const RecordingParams& params,
                                                     int64_t start_us, Timing timing,
                                                     FileWriter& writer) {
  uint32_t rate = (has_opus(params.browser_payload_types) || has_opus(params.remote_payload_types))
                      ? valid_opus_rate(params.opus_sample_rate)
                      : 8000;
  SinkSpec spec;
  spec.directory = params.directory;
  spec.base_name = params.base_name;
  spec.sample_rate = rate;
  spec.channels = 2;
  spec.format = params.format.value_or(RecordingFormat::wav);
  spec.capture = params.capture.value_or(RecordingCapture::none);
  spec.on_error = params.on_error;
  writer.open(recording_id, std::move(spec));
  return std::unique_ptr<CallRecording>(new CallRecording(recording_id, params, start_us, timing, writer, rate));
}

CallRecording::CallRecording(uint64_t id, const RecordingParams& params, int64_t start_us,
                             Timing timing, FileWriter& writer, uint32_t rate)
    : id_(id), params_(params), start_us_(start_us), timing_(timing), writer_(writer),
      rate_(rate) {
  const PayloadMap& browser =
      params_.browser_payload_types.empty() ? params_.remote_payload_types : params_.browser_payload_types;
  const PayloadMap& remote =
      params_.remote_payload_types.empty() ? params_.browser_payload_types : params_.remote_payload_types;
  for (auto& leg : legs_) leg = std::make_unique<LegState>();
  legs_[0]->map = &browser;
  legs_[1]->map = &remote;
  // Largest decode: 1280 G.711 bytes upsampled to 48 kHz (7680) or 120 ms of Opus at 48 kHz.
  scratch_.resize(8192);
  pending_.reserve(static_cast<size_t>(rate_) * 2);
  if (params_.capture.value_or(RecordingCapture::none) == RecordingCapture::pcap) {
    const int64_t wall_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count();
    capture_ = std::make_unique<PcapCapture>(params_.capture_endpoints, wall_us - steady_now_us());
  }
}

CallRecording::~CallRecording() {
  if (!finished_) finish(INT64_MIN, 0, nullptr);
}

int64_t CallRecording::frame_at(int64_t t_us) const noexcept {
  // Floor division so that instants before the start map to negative frames.
  __int128 us = static_cast<__int128>(t_us) - start_us_ - paused_total_us_;
  __int128 scaled = us * rate_;
  __int128 q = scaled / 1'000'000;
  if (scaled % 1'000'000 < 0) --q;
  return static_cast<int64_t>(q);
}

CallRecording::SequenceCheck CallRecording::track_sequence(LegState& leg, const RecordedPacket& p) {
  if (leg.seq_started && p.ssrc == leg.seq_ssrc) {
    auto delta = static_cast<int16_t>(static_cast<uint16_t>(p.sequence - static_cast<uint16_t>(leg.highest)));
    if (delta > 0 && delta <= kMaxDropout) {
      leg.window = delta >= 64 ? 1 : (leg.window << delta) | 1;
      leg.highest += delta;
      ++leg.received;
      return SequenceCheck::newest;
    }
    if (delta == 0) return SequenceCheck::rejected;
    if (delta < 0 && -delta < 64) {
      uint64_t bit = uint64_t{1} << -delta;
      if (leg.window & bit) return SequenceCheck::rejected;
      leg.window |= bit;
      ++leg.received;
      leg.base = std::min(leg.base, leg.highest + delta);
      return SequenceCheck::reordered;
    }
    if (delta < 0 && -delta <= kMaxDropout) return SequenceCheck::rejected;  // too old to tell
    // A jump beyond MAX_DROPOUT: the sender restarted its sequence; start a new epoch.
  }
  leg.close_epoch();
  leg.seq_started = true;
  leg.seq_ssrc = p.ssrc;
  leg.highest = leg.base = p.sequence;
  leg.received = 1;
  leg.window = 1;
  return SequenceCheck::newest;
}

void CallRecording::add(const RecordedPacket& p) {
  if (finished_) return;
  if (paused_ && p.arrival_us >= paused_at_us_) return;  // arrived while paused: not recorded
  if (p.arrival_us < resumed_at_us_) return;              // arrived during the pause
  if (capture_) capture_->append(p, capture_records_);    // everything recorded, as received
  if (p.kind == PacketKind::rtcp) return;                 // no audio in RTCP
  const size_t channel = p.leg == Leg::remote ? 1 : 0;
  LegState& leg = *legs_[channel];
  const SequenceCheck order = track_sequence(leg, p);
  if (order == SequenceCheck::rejected) {
    ++late_or_duplicate_;
    return;
  }
  ++leg.packets;
  const bool gap = leg.last_arrival_us != INT64_MIN && p.arrival_us - leg.last_arrival_us >= kArrivalGapUs;
  leg.last_arrival_us = std::max(leg.last_arrival_us, p.arrival_us);
  newest_arrival_us_ = std::max(newest_arrival_us_, p.arrival_us);

  uint32_t clock = 8000;
  const Codec codec = codec_for(*leg.map, p.payload_type, &clock);
  size_t count = 0;
  switch (codec) {
    case Codec::telephone_event:
    case Codec::comfort_noise:
      return;  // no audio: whatever they cover stays silent
    case Codec::unknown:
      ++undecodable_;
      return;
    case Codec::pcmu:
    case Codec::pcma: {
      int16_t pcm[kMaxRecordedPayload];
      const size_t n = std::min<size_t>(p.payload_size, kMaxRecordedPayload);
      if (codec == Codec::pcmu) decode_ulaw(p.payload, n, pcm);
      else decode_alaw(p.payload, n, pcm);
      if (rate_ == 8000) {
        std::copy(pcm, pcm + n, scratch_.begin());
        count = n;
      } else if (n > 0) {
        // Linear interpolation up to the output rate (a G.711 packet in an Opus-rate recording).
        count = n * rate_ / 8000;
        for (size_t i = 0; i < count; ++i) {
          const uint64_t pos = static_cast<uint64_t>(i) * 8000;
          const size_t idx = pos / rate_;
          const int64_t frac = pos % rate_;
          const int a = pcm[idx];
          const int b = pcm[std::min(idx + 1, n - 1)];
          scratch_[i] = static_cast<int16_t>(a + (b - a) * frac / static_cast<int64_t>(rate_));
        }
      }
      clock = 8000;
      break;
    }
    case Codec::opus: {
      if (!leg.opus) leg.opus = std::make_unique<OpusStreamDecoder>(rate_);
      const int n = leg.opus->decode(p.payload, p.payload_size, scratch_.data());
      if (n < 0) {
        ++undecodable_;
        return;
      }
      count = static_cast<size_t>(n);
      break;
    }
  }

  const int64_t arrival_frame = frame_at(p.arrival_us);
  bool reanchor = !leg.anchored || leg.ssrc != p.ssrc || leg.anchor_clock != clock ||
                  (gap && order == SequenceCheck::newest);
  int64_t frame = arrival_frame;
  if (!reanchor) {
    const int64_t ticks = static_cast<int32_t>(p.timestamp - leg.anchor_ts);
    frame = leg.anchor_frame + ticks * static_cast<int64_t>(rate_) / clock;
    const int64_t max_divergence = kMaxDivergenceUs * rate_ / 1'000'000;
    if (order == SequenceCheck::newest &&
        (frame - arrival_frame >= max_divergence || arrival_frame - frame >= max_divergence)) {
      reanchor = true;
    }
  }
  if (reanchor) {
    leg.anchored = true;
    leg.ssrc = p.ssrc;
    leg.anchor_ts = p.timestamp;
    leg.anchor_clock = clock;
    leg.anchor_frame = arrival_frame;
    frame = arrival_frame;
  }
  place(channel, frame, scratch_.data(), count);

  const int64_t pending_frames = static_cast<int64_t>(pending_.size() / 2);
  if (pending_frames > kMaxPendingSeconds * rate_) {
    write_until(written_ + pending_frames - static_cast<int64_t>(timing_.jitter_ms) * rate_ / 1000);
  }
}

void CallRecording::place(size_t channel, int64_t frame, const int16_t* samples, size_t count) {
  if (count == 0) return;
  int64_t end = frame + static_cast<int64_t>(count);
  if (end <= written_) {
    ++late_or_duplicate_;  // its place in the file is already written
    return;
  }
  if (frame < written_) {
    const auto skip = static_cast<size_t>(written_ - frame);
    samples += skip;
    count -= skip;
    frame = written_;
  }
  const auto offset = static_cast<size_t>(frame - written_);
  if (pending_.size() < (offset + count) * 2) pending_.resize((offset + count) * 2, 0);
  int16_t* out = pending_.data() + offset * 2 + channel;
  for (size_t i = 0; i < count; ++i) out[i * 2] = samples[i];
}

void CallRecording::write_until(int64_t target) {
  if (target <= written_) return;
  const int64_t frames = target - written_;
  const int64_t buffered = static_cast<int64_t>(pending_.size() / 2);
  const int64_t from_buffer = std::min(frames, buffered);
  if (from_buffer > 0) {
    outgoing_.insert(outgoing_.end(), pending_.begin(), pending_.begin() + from_buffer * 2);
    pending_.erase(pending_.begin(), pending_.begin() + from_buffer * 2);
  }
  if (frames > buffered) outgoing_.resize(outgoing_.size() + static_cast<size_t>(frames - buffered) * 2, 0);
  written_ = target;
}

void CallRecording::hand_off(bool flush) {
  WriteBlock block;
  block.audio.swap(outgoing_);
  block.flush = flush;
  block.capture.swap(capture_records_);
  outgoing_.reserve(block.audio.capacity());
  writer_.append(id_, std::move(block));
}

void CallRecording::advance(int64_t now_us) {
  if (finished_) return;
  const int64_t now = std::max(now_us, newest_arrival_us_);
  int64_t target = frame_at(now) - static_cast<int64_t>(timing_.jitter_ms) * rate_ / 1000;
  if (paused_) target = std::min(target, frame_at(paused_at_us_));
  write_until(target);
  // One block per flush interval: the file (and its header) is at most that far behind.
  if (last_hand_off_us_ == INT64_MIN) last_hand_off_us_ = now;
  if (now - last_hand_off_us_ >= static_cast<int64_t>(params_.flush_interval_ms) * 1000) {
    last_hand_off_us_ = now;
    hand_off(true);
  }
}

void CallRecording::pause(int64_t at_us) {
  if (paused_ || finished_) return;
  paused_ = true;
  paused_at_us_ = at_us;
}

void CallRecording::resume(int64_t at_us) {
  if (!paused_ || finished_) return;
  // Close the segment: what was buffered up to the pause is written, anything placed beyond it
  // (a packet that arrived before the pause but timestamped after it) is discarded.
  write_until(frame_at(paused_at_us_));
  pending_.clear();
  paused_total_us_ += std::max<int64_t>(0, at_us - paused_at_us_);
  paused_ = false;
  resumed_at_us_ = at_us;
  for (auto& leg : legs_) {
    leg->anchored = false;
    leg->close_epoch();  // packets skipped while paused are not losses
    leg->last_arrival_us = INT64_MIN;
  }
}

void CallRecording::finish(int64_t at_us, uint64_t queue_drops, std::function<void(RecordingResult)> done) {
  if (finished_) return;
  if (paused_) {
    write_until(frame_at(paused_at_us_));
  } else {
    const int64_t buffered_end = written_ + static_cast<int64_t>(pending_.size() / 2);
    write_until(std::max(at_us == INT64_MIN ? buffered_end : frame_at(at_us), buffered_end));
  }
  pending_.clear();
  finished_ = true;
  hand_off(true);
  RecordingResult result;
  result.recording_id = id_;
  result.sample_rate = rate_;
  result.format = params_.format.value_or(RecordingFormat::wav);
  for (size_t i = 0; i < 2; ++i) {
    result.packets[i] = legs_[i]->packets;
    result.lost[i] = legs_[i]->lost();
  }
  result.late_or_duplicate = late_or_duplicate_;
  result.undecodable = undecodable_;
  result.queue_drops = queue_drops;
  writer_.close(id_, std::move(result), std::move(done));
}

}  // namespace sipgw::recorder
