#include "gateway/sip/registration_backoff.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace sipgw::sip;

TEST(RegistrationBackoff, DoublesFromTwoToSixtySeconds) {
  RegistrationBackoff b;
  std::vector<uint32_t> got;
  for (int i = 0; i < 8; ++i) got.push_back(b.next_delay_s());
  EXPECT_EQ(got, (std::vector<uint32_t>{2, 4, 8, 16, 32, 60, 60, 60}));
}

TEST(RegistrationBackoff, ResetStartsOver) {
  RegistrationBackoff b;
  b.next_delay_s();
  b.next_delay_s();
  b.reset();
  EXPECT_EQ(b.next_delay_s(), 2u);
  EXPECT_EQ(b.next_delay_s(), 4u);
}

TEST(RegistrationBackoff, TransientVersusFinalFailures) {
  for (int s : {408, 500, 503, 504, 599, 702, 904})
    EXPECT_TRUE(is_transient_register_failure(s)) << s;
  for (int s : {400, 401, 403, 404, 407, 423, 480, 600, 603})
    EXPECT_FALSE(is_transient_register_failure(s)) << s;
}
