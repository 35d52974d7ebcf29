// Fuzz target: the SDP model (protocol/sdp.hpp).
// Properties checked for every input:
//  - parse_sdp never throws and sets exactly one of `description` / `error`;
//  - whatever parses serialises (to_string) into text that parses again;
//  - after that one normalising round, parse + to_string is a fixed point (the model is
//    lossless for what it keeps).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "protocol/sdp.hpp"

namespace {

using namespace sipgw::protocol;

constexpr size_t kMaxSdpBytes = 64 * 1024;  // parse_sdp's documented limit

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const SdpParseResult first = parse_sdp(text);
  FUZZ_CHECK(first.description.has_value() == first.error.empty(), "exactly one of description/error");
  if (!first.description) return 0;

  const std::string once = to_string(*first.description);
  // Serialising adds CRLFs and a t= line, so text just under the limit may grow past it; the
  // documented size limit then applies, nothing else may fail.
  if (once.size() > kMaxSdpBytes) return 0;
  const SdpParseResult second = parse_sdp(once);
  FUZZ_CHECK(second.description.has_value(), second.error.c_str());

  const std::string twice = to_string(*second.description);
  FUZZ_CHECK(twice == once, "parse(to_string(x)) is not a fixed point after one round");
  FUZZ_CHECK(second.description->media.size() == first.description->media.size(), "media sections lost");
  return 0;
}
