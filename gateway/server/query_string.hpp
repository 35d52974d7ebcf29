#pragma once
// Reading values from a request target's query string ("a=1&b=2").
#include <string>
#include <string_view>

namespace sipgw::server {

/// The value of `key` in `query` (no '?'), or "" when absent. No %-decoding: tokens, ids and
/// event names used here are plain ASCII. Any thread; pure.
std::string query_value(std::string_view query, std::string_view key);

}  // namespace sipgw::server
