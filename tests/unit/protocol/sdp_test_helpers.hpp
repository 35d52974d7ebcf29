#pragma once
// Helpers shared by the SDP unit tests: the captured fixtures (tests/fixtures/sdp/README.md) and
// small text predicates.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "protocol/sdp.hpp"

namespace sipgw::protocol::test {

/// The text of tests/fixtures/sdp/<name>, byte for byte ("" when missing).
inline std::string fixture(const std::string& name) {
  std::ifstream in(std::string(SIPGW_FIXTURES_DIR) + "/sdp/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

/// Parses `text`, failing the current test (with the parser's reason) when it does not parse.
inline SessionDescription parsed(const std::string& text) {
  auto r = parse_sdp(text);
  EXPECT_TRUE(r.description) << r.error << "\n" << text;
  return r.description.value_or(SessionDescription{});
}

}  // namespace sipgw::protocol::test
