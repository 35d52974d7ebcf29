#include "gateway/sip/call_id.hpp"

#include <random>

namespace sipgw::sip {

std::string make_call_id() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  std::uniform_int_distribution<size_t> pick(0, sizeof kAlphabet - 2);
  std::string id(22, '\0');
  for (char& c : id) c = kAlphabet[pick(rng)];
  return id;
}

}  // namespace sipgw::sip
