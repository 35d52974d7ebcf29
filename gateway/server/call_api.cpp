#include "gateway/server/call_api.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <filesystem>
#include <map>
#include <optional>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "recorder/call_store.hpp"

namespace sipgw::server {

struct CallApi::Impl {
  boost::asio::io_context& io;
  recorder::CallStore& store;
  std::string token;
  std::string recordings_dir;
};

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Respond = std::function<void(ApiResponse)>;

constexpr std::string_view kPrefix = "/api/";

std::string dump(const json& value) {
  // Names come from SIP headers and may not be valid UTF-8: replace, never throw.
  return value.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

ApiResponse json_response(int status, const json& body) {
  ApiResponse response;
  response.status = status;
  response.body = dump(body);
  // Call records name people and numbers: keep them out of shared caches.
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

ApiResponse error_response(int status, std::string_view error, std::string message) {
  return json_response(status, {{"error", error}, {"message", std::move(message)}});
}

ApiResponse bad_parameter(std::string_view parameter, std::string message) {
  return json_response(400, {{"error", "bad_parameter"}, {"parameter", parameter}, {"message", std::move(message)}});
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

/// Compares the presented token with the configured one (non-empty) in time that depends only
/// on the presented token's length, so response times reveal nothing of the secret.
bool token_matches(std::string_view presented, std::string_view expected) {
  unsigned char diff = presented.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < presented.size(); ++i)
    diff |= static_cast<unsigned char>(presented[i] ^ expected[i % expected.size()]);
  return diff == 0;
}

/// The token of "Bearer <token>" (RFC 6750 §2.1: the scheme is case-insensitive), or nothing.
std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() ||
      !equal_ignoring_case(authorization.substr(0, kScheme.size()), kScheme) || authorization[kScheme.size()] != ' ')
    return std::nullopt;
  auto token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

/// %-decodes `text` (and '+' as a space in query strings); nothing when a %-escape is malformed.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%') {
      unsigned value = 0;
      if (i + 2 >= text.size()) return std::nullopt;
      const auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec != std::errc() || end != text.data() + i + 3) return std::nullopt;
      out += static_cast<char>(value);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<int64_t> parse_int64(std::string_view text) {
  int64_t value = 0;
  if (text.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

using QueryParameters = std::map<std::string, std::string, std::less<>>;

/// The %-decoded parameters of a query string, or the 400 that names a malformed or repeated one.
std::variant<QueryParameters, ApiResponse> parse_query_parameters(std::string_view query) {
  QueryParameters seen;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const auto raw_key = pair.substr(0, eq);
    const auto key = percent_decode(raw_key, true);
    const auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value) return bad_parameter(std::string(raw_key), "malformed %-escape");
    if (!seen.emplace(*key, *value).second) return bad_parameter(*key, "given more than once");
  }
  return seen;
}

/// GET /api/calls: the query parameters as a CallQuery, or the 400 that names the bad one.
/// Unknown or repeated parameters are refused too, so a misspelt filter never silently widens
/// the result.
std::variant<recorder::CallQuery, ApiResponse> parse_call_query(std::string_view query) {
  recorder::CallQuery out;
  auto parsed = parse_query_parameters(query);
  if (auto* error = std::get_if<ApiResponse>(&parsed)) return std::move(*error);
  for (const auto& [key, value] : std::get<QueryParameters>(parsed)) {
    if (key == "client_id") {
      if (value.empty()) return bad_parameter(key, "must not be empty");
      out.client_id = value;
      continue;
    }
    if (key != "since_ms" && key != "until_ms" && key != "limit" && key != "offset")
      return bad_parameter(key, "unknown parameter (known: since_ms, until_ms, client_id, limit, offset)");
    const auto number = parse_int64(value);
    if (!number || *number < 0) return bad_parameter(key, "must be a non-negative integer");
    if (key == "since_ms") out.since_ms = *number;
    if (key == "until_ms") out.until_ms = *number;
    if (key == "limit") {
      if (*number < 1) return bad_parameter(key, "must be at least 1");
      out.limit = static_cast<int>(std::min<int64_t>(*number, recorder::kMaxCallPage));
    }
    if (key == "offset") {
      if (*number > INT_MAX) return bad_parameter(key, "too large");
      out.offset = static_cast<int>(*number);
    }
  }
  return out;
}

/// GET /api/calls/<call_id>/recording: the leg asked for with `session_id` (nothing: the first
/// leg with a recording), or the 400 that names the bad parameter. Unknown parameters are
/// refused, so a misspelt `session_id` never silently falls back to another leg.
std::variant<std::optional<uint64_t>, ApiResponse> parse_recording_query(std::string_view query) {
  auto parsed = parse_query_parameters(query);
  if (auto* error = std::get_if<ApiResponse>(&parsed)) return std::move(*error);
  std::optional<uint64_t> session_id;
  for (const auto& [key, value] : std::get<QueryParameters>(parsed)) {
    if (key != "session_id") return bad_parameter(key, "unknown parameter (known: session_id)");
    uint64_t number = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size())
      return bad_parameter(key, "must be a non-negative integer");
    session_id = number;
  }
  return session_id;
}

template <class T>
json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

/// One `calls` row (one call leg), keyed by its column names (absent values are null).
json record_json(const recorder::CallRecord& r) {
  return {
      {"id", r.id},
      {"call_id", r.call_id},
      {"session_id", r.session_id},
      {"client_id", r.client_id},
      {"direction", recorder::to_string(r.direction)},
      {"caller", r.caller},
      {"callee", r.callee},
      {"caller_name", r.caller_name},
      {"callee_name", r.callee_name},
      {"pbx", r.pbx},
      {"started_at", r.started_at_ms},
      {"answered_at", optional_json(r.answered_at_ms)},
      {"ended_at", optional_json(r.ended_at_ms)},
      {"duration_ms", optional_json(r.duration_ms)},
      {"outcome", r.outcome ? json(recorder::to_string(*r.outcome)) : json(nullptr)},
      {"sip_code", optional_json(r.sip_code)},
      {"reason", r.reason},
      {"recording_path", optional_json(r.recording_path)},
      {"recording_bytes", optional_json(r.recording_bytes)},
      {"recording_duration_ms", optional_json(r.recording_duration_ms)},
      {"packets_sent", optional_json(r.media.packets_sent)},
      {"packets_received", optional_json(r.media.packets_received)},
      {"packets_lost", optional_json(r.media.packets_lost)},
      {"jitter_ms", optional_json(r.media.jitter_ms)},
      {"browser_packets_lost", optional_json(r.media.browser_packets_lost)},
      {"browser_jitter_ms", optional_json(r.media.browser_jitter_ms)},
      {"remote_packets_lost", optional_json(r.media.remote_packets_lost)},
      {"remote_jitter_ms", optional_json(r.media.remote_jitter_ms)},
      {"browser_rtcp_lost", optional_json(r.media.browser_rtcp_lost)},
      {"browser_rtcp_jitter_ms", optional_json(r.media.browser_rtcp_jitter_ms)},
      {"remote_rtcp_lost", optional_json(r.media.remote_rtcp_lost)},
      {"remote_rtcp_jitter_ms", optional_json(r.media.remote_rtcp_jitter_ms)},
      {"last_known_at", r.last_known_at_ms},
  };
}

/// The recording file if it is a regular file inside `recordings_dir` once both are
/// canonicalised (so "..", and symlinks leading out, are refused).
std::optional<fs::path> recording_file(const std::string& recordings_dir, const std::string& recorded_path) {
  std::error_code ec;
  if (recordings_dir.empty() || recorded_path.empty()) return std::nullopt;
  const auto root = fs::canonical(recordings_dir, ec);
  if (ec) return std::nullopt;
  const auto path = fs::canonical(recorded_path, ec);
  if (ec || !fs::is_regular_file(path, ec)) return std::nullopt;
  const auto relative = path.lexically_relative(root);
  if (relative.empty() || *relative.begin() == ".." || relative.is_absolute()) return std::nullopt;
  return path;
}

/// A filename safe inside a quoted Content-Disposition parameter.
std::string download_name(const fs::path& path) {
  std::string name = path.filename().string();
  for (auto& c : name) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '-' || c == '_';
    if (!safe) c = '_';
  }
  return name.empty() ? "recording" : name;
}

/// The media type of a recording by its extension (recording.format: wav, flac, ogg → .opus).
std::string recording_content_type(const fs::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".flac") return "audio/flac";       // RFC 9639
  if (ext == ".opus" || ext == ".ogg") return "audio/ogg";  // RFC 7845 §9
  return "audio/wav";
}

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
};

/// One `bytes=` range of a file of `size` bytes (RFC 9110 §14.1.2): a range to send, an empty
/// optional for "unsatisfiable" (416), or the whole file when the header is absent, has several
/// ranges or cannot be parsed (the server then ignores it, §14.2).
std::variant<std::monostate, ByteRange, std::nullopt_t> parse_range(std::string_view header, uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() <= kUnit.size() || !equal_ignoring_case(header.substr(0, kUnit.size()), kUnit)) return {};
  auto spec = header.substr(kUnit.size());
  while (!spec.empty() && spec.front() == ' ') spec.remove_prefix(1);
  while (!spec.empty() && spec.back() == ' ') spec.remove_suffix(1);
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) return {};
  const auto first_text = spec.substr(0, dash);
  const auto last_text = spec.substr(dash + 1);
  const auto parse = [](std::string_view text) -> std::optional<uint64_t> {
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
  };
  if (first_text.empty()) {  // "-N": the last N bytes
    const auto suffix = parse(last_text);
    if (!suffix) return {};
    if (*suffix == 0 || size == 0) return std::nullopt;
    return ByteRange{size - std::min(*suffix, size), size - 1};
  }
  const auto first = parse(first_text);
  const auto last = last_text.empty() ? std::optional<uint64_t>(UINT64_MAX) : parse(last_text);
  if (!first || !last || *last < *first) return {};
  if (*first >= size) return std::nullopt;
  return ByteRange{*first, std::min(*last, size - 1)};
}

/// The recording of `record` as a file response (the whole file, or the asked range).
ApiResponse recording_response(const std::string& recordings_dir, const recorder::CallRecord& record,
                               const std::string& range_header, bool head) {
  if (!record.recording_path) return error_response(404, "no_recording", "this call has no recording");
  const auto file = recording_file(recordings_dir, *record.recording_path);
  if (!file) return error_response(404, "no_recording", "the recording file is not available");
  std::error_code ec;
  const uint64_t size = fs::file_size(*file, ec);
  if (ec) return error_response(404, "no_recording", "the recording file is not available");

  ApiResponse response;
  response.content_type = recording_content_type(*file);
  response.file_path = file->string();
  response.file_length = size;
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + download_name(*file) + "\"");
  response.headers.emplace_back("Accept-Ranges", "bytes");
  response.headers.emplace_back("Cache-Control", "no-store");
  if (head || range_header.empty()) return response;
  const auto range = parse_range(range_header, size);
  if (std::holds_alternative<std::nullopt_t>(range)) {
    auto refused = error_response(416, "range_not_satisfiable", "the file has " + std::to_string(size) + " bytes");
    refused.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    return refused;
  }
  if (const auto* bytes = std::get_if<ByteRange>(&range)) {
    response.status = 206;
    response.file_offset = bytes->first;
    response.file_length = bytes->last - bytes->first + 1;
    response.headers.emplace_back("Content-Range", "bytes " + std::to_string(bytes->first) + "-" +
                                                       std::to_string(bytes->last) + "/" + std::to_string(size));
  }
  return response;
}

/// Runs `make` on the control thread and hands its response to `respond` there. Store thread.
template <class Make>
void answer_on(boost::asio::io_context& io, Respond respond, Make make) {
  boost::asio::post(io, [respond = std::move(respond), make = std::move(make)]() mutable { respond(make()); });
}

ApiResponse store_error(const std::string& error) {
  return error_response(500, "store_error", "the call store failed: " + error);
}

}  // namespace

CallApi::CallApi(boost::asio::io_context& io, recorder::CallStore& store, std::string api_token,
                 std::string recordings_dir)
    : impl_(std::make_shared<const Impl>(Impl{io, store, std::move(api_token), std::move(recordings_dir)})) {}

CallApi::~CallApi() = default;

std::function<void(ApiRequest, std::function<void(ApiResponse)>)> CallApi::route(std::shared_ptr<const CallApi> api) {
  return [api = std::move(api)](ApiRequest request, std::function<void(ApiResponse)> respond) {
    api->handle(std::move(request), std::move(respond));
  };
}

void CallApi::handle(ApiRequest request, std::function<void(ApiResponse)> respond) const {
  const auto& impl = *impl_;
  if (impl.token.empty())
    return respond(error_response(404, "not_found", "the call history API is disabled"));
  const auto presented = bearer_token(request.authorization);
  if (!presented || !token_matches(*presented, impl.token)) {
    auto refused = error_response(401, "unauthorized", "missing or wrong bearer token");
    // RFC 6750 §3: a challenge always; error="invalid_token" only when a token was presented.
    refused.headers.emplace_back("WWW-Authenticate", presented ? R"(Bearer realm="sip-gateway", error="invalid_token")"
                                                               : R"(Bearer realm="sip-gateway")");
    return respond(std::move(refused));
  }
  const bool head = request.method == "HEAD";
  if (request.method != "GET" && !head) {
    auto refused = error_response(405, "method_not_allowed", "only GET and HEAD");
    refused.headers.emplace_back("Allow", "GET, HEAD");
    return respond(std::move(refused));
  }

  const std::string_view target = request.target;
  const auto question = target.find('?');
  const auto path = target.substr(0, question);
  const auto query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  const auto not_found = [] { return error_response(404, "not_found", "no such API endpoint"); };
  if (path.substr(0, kPrefix.size()) != kPrefix) return respond(not_found());

  // Segments after /api/, each %-decoded on its own: a Call-ID may contain '/' (RFC 3261 §25.1),
  // which the client sends as %2F.
  std::vector<std::string> segments;
  for (auto rest = path.substr(kPrefix.size());;) {
    const auto slash = rest.find('/');
    auto segment = percent_decode(rest.substr(0, slash), false);
    if (!segment) return respond(not_found());
    segments.push_back(std::move(*segment));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (segments.empty() || segments[0] != "calls") return respond(not_found());

  auto& io = impl.io;
  if (segments.size() == 1) {
    auto parsed = parse_call_query(query);
    if (auto* error = std::get_if<ApiResponse>(&parsed)) return respond(std::move(*error));
    const auto call_query = std::get<recorder::CallQuery>(parsed);
    impl.store.list_calls(call_query, [&io, respond = std::move(respond), call_query](auto result) mutable {
      answer_on(io, std::move(respond), [result = std::move(result), call_query] {
        if (!result) return store_error(result.error());
        json calls = json::array();
        for (const auto& record : result.value()) calls.push_back(record_json(record));
        return json_response(200, {{"calls", std::move(calls)},
                                   {"limit", call_query.limit},
                                   {"offset", call_query.offset}});
      });
    });
    return;
  }
  if (segments[1].empty() || segments.size() > 3 || (segments.size() == 3 && segments[2] != "recording"))
    return respond(not_found());
  const bool recording = segments.size() == 3;
  std::optional<uint64_t> session_id;  // recording: the leg asked for
  if (recording) {
    auto parsed = parse_recording_query(query);
    if (auto* error = std::get_if<ApiResponse>(&parsed)) return respond(std::move(*error));
    session_id = std::get<std::optional<uint64_t>>(parsed);
  }
  impl.store.get_call_legs(segments[1], [&io, respond = std::move(respond), call_id = segments[1], recording,
                                         session_id, head, dir = impl.recordings_dir,
                                         range = std::move(request.range)](auto result) mutable {
    answer_on(io, std::move(respond), [result = std::move(result), call_id = std::move(call_id), recording, session_id,
                                       head, dir = std::move(dir), range = std::move(range)] {
      if (!result) return store_error(result.error());
      const auto& legs = result.value();
      if (legs.empty()) return error_response(404, "not_found", "no such call");
      if (!recording) {
        json records = json::array();
        for (const auto& leg : legs) records.push_back(record_json(leg));
        return json_response(200, {{"call_id", call_id}, {"legs", std::move(records)}});
      }
      // Both legs of a call between two clients of this gateway share the Call-ID: the leg of
      // `session_id`, else the first (oldest) leg that has a recording.
      const auto leg = std::find_if(legs.begin(), legs.end(), [&](const recorder::CallRecord& r) {
        return session_id ? r.session_id == *session_id : r.recording_path.has_value();
      });
      if (leg == legs.end()) {
        return session_id ? error_response(404, "not_found", "no leg of this call in that session")
                          : error_response(404, "no_recording", "this call has no recording");
      }
      return recording_response(dir, *leg, range, head);
    });
  });
}

}  // namespace sipgw::server
