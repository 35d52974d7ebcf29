#pragma once
// Detection of RFC 4733 DTMF events in the PBX's RTP: one report per event, on its end packet.
// The end packet is sent three times (§2.5.1.4) with the same timestamp: an event is identified
// by (SSRC, timestamp) and reported once. An event whose end packets were all lost is reported
// when the next event (another timestamp) begins, with the last duration seen.
//
// Pure state. Threads: one media worker (not thread-safe).
#include <cstddef>
#include <cstdint>
#include <optional>

namespace sipgw::media {

class TelephoneEventDetector {
 public:
  struct Detected {
    char digit = 0;             // 0-9 * # A-D
    uint32_t duration_ms = 0;
  };

  /// One telephone-event packet (`payload` is its RTP payload). `clock` is the
  /// telephone-event clock rate. Returns the event that ended, if any.
  std::optional<Detected> on_packet(uint32_t ssrc, uint32_t timestamp, const uint8_t* payload,
                                    size_t size, uint32_t clock) noexcept;

 private:
  struct Current {
    uint32_t ssrc = 0;
    uint32_t timestamp = 0;
    uint8_t event = 0;
    uint16_t duration = 0;
    uint32_t clock = 8000;
    bool reported = false;
  };

  static std::optional<Detected> report(const Current& current) noexcept;

  std::optional<Current> current_;
};

}  // namespace sipgw::media
