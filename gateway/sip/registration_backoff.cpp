#include "gateway/sip/registration_backoff.hpp"

#include <algorithm>

namespace sipgw::sip {

uint32_t RegistrationBackoff::next_delay_s() {
  const uint32_t delay = next_;
  next_ = std::min(next_ * 2, kMaxDelayS);
  return delay;
}

bool is_transient_register_failure(int status) {
  return status == 408 || (status >= 500 && status < 600) || status >= 700;
}

}  // namespace sipgw::sip
