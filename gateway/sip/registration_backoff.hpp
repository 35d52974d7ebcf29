#pragma once
// Retry schedule for a registration that failed transiently (408, 5xx, transport error):
// 2 s, 4 s, 8 s … doubling up to 60 s, back to 2 s after a success. Pure code, unit-tested.
#include <cstdint>

namespace sipgw::sip {

class RegistrationBackoff {
 public:
  static constexpr uint32_t kFirstDelayS = 2;
  static constexpr uint32_t kMaxDelayS = 60;

  /// The delay before the next attempt; each call doubles the following one (capped).
  uint32_t next_delay_s();
  /// A registration succeeded: the next failure starts again at kFirstDelayS.
  void reset() { next_ = kFirstDelayS; }

 private:
  uint32_t next_ = kFirstDelayS;
};

/// True for REGISTER failures worth retrying: 408, any 5xx, and sofia's internal
/// transport/timeout errors (>= 700). 401/403/404 and other 4xx/6xx are final.
bool is_transient_register_failure(int status);

}  // namespace sipgw::sip
