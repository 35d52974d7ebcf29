#pragma once
// RFC 4733 §2.5 telephone-event generation inside the browser's audio stream toward the PBX.
//
// The generated packets use the browser stream's SSRC and take sequence numbers from it, so the
// sender also owns the sequence mapping of the browser's packets toward the PBX: it keeps an
// offset applied to every browser packet (+1 for each generated packet, -1 for each browser
// packet dropped: suppressed during an event, muted, comfort noise...), so that the PBX sees
// neither a gap nor a duplicate (RFC 3550 §5.1). Event timing (§2.5.1):
//   - the event timestamp is the audio timestamp at the event start, extrapolated from the last
//     browser packet plus the elapsed time in the audio clock;
//   - one packet per `ptime_ms` tick with a growing duration (the first one marked, M bit);
//   - the last packet carries the E bit and the full duration and is sent three times, one per
//     tick (§2.5.1.4), each with its own sequence number;
//   - the browser's audio is suppressed from the first to the last packet (§2.5.1.2);
//   - queued digits follow one another, each with a later timestamp.
// Durations longer than the 16-bit duration field allows (1365 ms at 48 kHz) are clamped rather
// than split into segments (§2.5.1.3).
//
// Pure state: no clock and no timer of its own; the caller passes the time and ticks it.
// Threads: one media worker (not thread-safe).
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace sipgw::media {

class TelephoneEventSender {
 public:
  static constexpr size_t kPacketSize = 16;  // RTP fixed header + 4-byte event
  static constexpr size_t kMaxQueued = 64;
  static constexpr uint8_t kVolume = 10;     // -10 dBm0
  static constexpr int kEndRepeats = 3;

  struct Params {
    int payload_type = -1;         // telephone-event PT toward the PBX; -1 = not negotiated
    uint32_t audio_clock = 8000;   // RTP clock of the stream (timestamps)
    uint32_t event_clock = 8000;   // telephone-event clock (durations)
    uint32_t ptime_ms = 20;        // interval between packets
  };

  struct Packet {
    std::array<uint8_t, kPacketSize> bytes{};
    size_t size = kPacketSize;
  };

  /// A browser RTP packet about to go to the PBX (`data` is a valid RTP packet). Returns false
  /// when it must be dropped because an event is playing; otherwise rewrites its sequence
  /// number (and sets the marker on the first packet after a pause).
  bool on_browser_rtp(uint8_t* data, size_t size, int64_t now_us) noexcept;

  /// A browser RTP packet dropped for another reason (mute, CN, direction): no gap follows.
  void on_browser_rtp_dropped(const uint8_t* data, size_t size, int64_t now_us) noexcept;

  /// Queues one digit (0-9 * # A-D) of `duration_ms` (clamped to 40-5000). False when the digit
  /// is invalid or the queue is full.
  bool enqueue(char digit, uint32_t duration_ms);

  /// Drops the queued digits and any event playing (its end packets are not sent).
  void clear() noexcept;

  /// True while an event plays or digits wait.
  bool busy() const noexcept { return current_.has_value() || !queue_.empty(); }

  /// One timer tick: fills `out` and returns true when a packet is due. Waits (false) until a
  /// first browser packet gave the stream's SSRC. A queued digit without a negotiated
  /// telephone-event PT is dropped (`dropped_no_pt` counts it).
  bool tick(int64_t now_us, const Params& params, Packet& out) noexcept;

  /// Events that have started (their first packet was produced).
  uint64_t events_started() const noexcept { return events_started_; }
  uint64_t dropped_no_pt() const noexcept { return dropped_no_pt_; }
  /// The offset currently added to browser sequence numbers (for tests and RTCP translation).
  uint16_t sequence_offset() const noexcept { return offset_; }

 private:
  struct Digit {
    uint8_t code;
    uint32_t duration_ms;
  };
  struct Event {
    uint8_t code = 0;
    uint32_t timestamp = 0;
    uint32_t total = 0;          // full duration in the event clock (<= 0xFFFF)
    uint32_t step = 0;           // event-clock units per packet
    uint32_t elapsed = 0;        // duration of the last packet sent
    int ends_sent = 0;
    bool first = true;
    uint8_t payload_type = 0;
    uint32_t audio_span = 0;     // total in the audio clock, for the next event's timestamp
  };

  void note_browser(const uint8_t* data, int64_t now_us) noexcept;
  void note_out_sequence(uint16_t sequence) noexcept;

  std::deque<Digit> queue_;
  std::optional<Event> current_;
  bool have_browser_ = false;
  uint32_t ssrc_ = 0;
  uint32_t last_ts_ = 0;        // last browser timestamp seen
  int64_t last_time_us_ = 0;    // when it arrived
  uint16_t last_out_seq_ = 0;   // last sequence number the PBX got from us
  bool have_out_ = false;
  uint16_t offset_ = 0;
  bool resume_marker_ = false;  // set M on the next forwarded packet (new talkspurt)
  std::optional<uint32_t> next_event_min_ts_;
  uint64_t events_started_ = 0;
  uint64_t dropped_no_pt_ = 0;
};

}  // namespace sipgw::media
