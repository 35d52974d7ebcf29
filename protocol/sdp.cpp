// SDP parse/serialise (RFC 8866). Lossless for every line the model does not interpret: such
// lines are kept verbatim and written back in RFC 8866 §5 order. Never throws.
#include "protocol/sdp.hpp"

#include <string>
#include <string_view>
#include <utility>

#include "protocol/sdp_text.hpp"

namespace sipgw::protocol {

namespace {

using sdp_text::split_ws;
using sdp_text::to_uint;

constexpr size_t kMaxSdpBytes = 64 * 1024;  // documented in sdp.hpp
constexpr size_t kMaxMediaSections = 64;
constexpr size_t kMaxExcerpt = 60;

// Type letters RFC 8866 §5 defines. An unknown letter makes the whole description unusable
// (RFC 8866 §5: "a parser MUST completely ignore any session description that contains a
// type letter that it does not understand"), so it is rejected.
bool is_known_type(char t) {
  return std::string_view("vosiuepcbtrzkam").find(t) != std::string_view::npos;
}

// Lines RFC 8866 §5 allows after an m= line.
bool is_media_level_type(char t) { return std::string_view("icbka").find(t) != std::string_view::npos; }

// Session-level lines written before c= (RFC 8866 §5 order: v o s i u e p c b t r z k a).
bool precedes_connection(const std::string& line) {
  return !line.empty() && std::string_view("iuep").find(line[0]) != std::string_view::npos;
}

std::string excerpt(std::string_view line) {
  std::string out;
  for (char c : line.substr(0, kMaxExcerpt))
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  if (line.size() > kMaxExcerpt) out += "...";
  return out;
}

std::string line_error(size_t number, std::string_view line, std::string_view why) {
  return "SDP line " + std::to_string(number) + " '" + excerpt(line) + "': " + std::string(why);
}

// "IN IP4 <addr>" / "IN IP6 <addr>" (RFC 8866 §5.7). Returns the address, empty if malformed.
std::string parse_connection(std::string_view value) {
  auto f = split_ws(value);
  if (f.size() != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6")) return {};
  return std::string(f[2]);
}

class Parser {
 public:
  SdpParseResult run(std::string_view text) {
    SdpParseResult result;
    if (text.size() > kMaxSdpBytes) {
      result.error = "SDP too large: " + std::to_string(text.size()) + " bytes (limit 65536)";
      return result;
    }
    size_t number = 0;
    while (!text.empty()) {
      size_t nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
      ++number;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      // RFC 8866 §5 has no empty lines; tolerate them (a trailing blank line is common).
      if (line.empty()) continue;
      std::string why = take_line(line);
      if (!why.empty()) {
        result.error = line_error(number, line, why);
        return result;
      }
    }
    if (!seen_v_) {
      result.error = "SDP has no v= line";
      return result;
    }
    if (!seen_o_) {
      result.error = "SDP has no o= line (RFC 8866 §5.2)";
      return result;
    }
    result.description = std::move(sdp_);
    return result;
  }

 private:
  // Returns an empty string when the line was accepted, else why not.
  std::string take_line(std::string_view line) {
    for (char c : line)
      if (c == '\r' || c == '\0') return "control character inside a line";
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z')
      return "not a '<type>=<value>' line";
    const char type = line[0];
    const std::string_view value = line.substr(2);
    if (!seen_v_) {
      if (type != 'v') return "SDP must start with v= (RFC 8866 §5.1)";
      auto v = to_uint(value, 1000);
      if (!v) return "bad protocol version";
      sdp_.version = static_cast<int>(*v);
      seen_v_ = true;
      return {};
    }
    if (!is_known_type(type)) return "unknown line type (RFC 8866 §5)";
    if (type == 'v') return "duplicate v= line";
    if (type == 'm') return take_media(value);
    if (type == 'a') return take_attribute(value);
    if (media_ != nullptr) {
      if (!is_media_level_type(type)) return "line type not allowed in a media section";
      if (type == 'c') {
        if (media_->connection_address) return "duplicate c= line in media section";
        std::string address = parse_connection(value);
        if (address.empty()) return "malformed c= line (expected 'IN IP4|IP6 <address>')";
        media_->connection_address = std::move(address);
        return {};
      }
      media_->other_lines.emplace_back(line);
      return {};
    }
    switch (type) {
      case 'o': return take_origin(value);
      case 's':
        if (seen_s_) return "duplicate s= line";
        seen_s_ = true;
        sdp_.session_name = std::string(value);
        return {};
      case 'c': {
        if (sdp_.connection_address) return "duplicate session-level c= line";
        std::string address = parse_connection(value);
        if (address.empty()) return "malformed c= line (expected 'IN IP4|IP6 <address>')";
        sdp_.connection_address = std::move(address);
        return {};
      }
      default:
        sdp_.other_lines.emplace_back(line);
        return {};
    }
  }

  // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (§5.2)
  std::string take_origin(std::string_view value) {
    if (seen_o_) return "duplicate o= line";
    auto f = split_ws(value);
    if (f.size() != 6 || f[3] != "IN" || (f[4] != "IP4" && f[4] != "IP6"))
      return "malformed o= line (expected 6 fields: user id version IN IP4|IP6 address)";
    sdp_.origin_username = std::string(f[0]);
    sdp_.origin_session_id = std::string(f[1]);
    sdp_.origin_session_version = std::string(f[2]);
    sdp_.origin_address = std::string(f[5]);
    seen_o_ = true;
    return {};
  }

  // m=<media> <port> <proto> <fmt> ... (§5.14)
  std::string take_media(std::string_view value) {
    if (sdp_.media.size() >= kMaxMediaSections) return "more than 64 media sections";
    auto f = split_ws(value);
    if (f.size() < 4) return "malformed m= line (expected: media port proto fmt...)";
    if (f[1].find('/') != std::string_view::npos) return "m= port/count (RFC 8866 §5.14) not supported";
    auto port = to_uint(f[1], 65535);
    if (!port) return "bad m= port";
    SdpMedia m;
    m.media = std::string(f[0]);
    m.port = static_cast<uint16_t>(*port);
    m.protocol = std::string(f[2]);
    for (size_t i = 3; i < f.size(); ++i) m.formats.emplace_back(f[i]);
    sdp_.media.push_back(std::move(m));
    media_ = &sdp_.media.back();
    return {};
  }

  // a=<attribute> or a=<attribute>:<value> (§5.13); the value is kept verbatim.
  std::string take_attribute(std::string_view value) {
    size_t colon = value.find(':');
    std::string_view name = value.substr(0, colon);
    if (name.empty()) return "a= line without an attribute name";
    for (char c : name)
      if (sdp_text::is_space(c)) return "attribute name contains a space";
    SdpAttribute a{std::string(name),
                   colon == std::string_view::npos ? std::string{} : std::string(value.substr(colon + 1))};
    (media_ ? media_->attributes : sdp_.attributes).push_back(std::move(a));
    return {};
  }

  SessionDescription sdp_;
  SdpMedia* media_ = nullptr;  // the section being filled; nullptr at session level
  bool seen_v_ = false;
  bool seen_o_ = false;
  bool seen_s_ = false;
};

std::optional<std::string> first_value(const std::vector<SdpAttribute>& attrs, std::string_view name) {
  for (const auto& a : attrs)
    if (a.name == name) return a.value;
  return std::nullopt;
}

void append_line(std::string& out, std::string_view line) {
  out.append(line);
  out.append("\r\n");
}

void append_attributes(std::string& out, const std::vector<SdpAttribute>& attrs) {
  for (const auto& a : attrs) {
    out += "a=";
    out += a.name;
    if (!a.value.empty()) {
      out += ':';
      out += a.value;
    }
    out += "\r\n";
  }
}

void append_connection(std::string& out, const std::string& address) {
  out += "c=IN ";
  out += sdp_text::addrtype_for(address);
  out += ' ';
  out += address;
  out += "\r\n";
}

}  // namespace

std::optional<std::string> SdpMedia::attribute(std::string_view name) const { return first_value(attributes, name); }

std::vector<std::string> SdpMedia::attributes_named(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& a : attributes)
    if (a.name == name) out.push_back(a.value);
  return out;
}

bool SdpMedia::has_attribute(std::string_view name) const { return first_value(attributes, name).has_value(); }

std::optional<std::string> SessionDescription::attribute(std::string_view name) const {
  return first_value(attributes, name);
}

SdpParseResult parse_sdp(std::string_view text) {
  Parser parser;
  return parser.run(text);
}

std::string to_string(const SessionDescription& sdp) {
  std::string out;
  out.reserve(512);
  out += "v=" + std::to_string(sdp.version) + "\r\n";
  out += "o=" + sdp.origin_username + ' ' + sdp.origin_session_id + ' ' + sdp.origin_session_version + " IN ";
  out += sdp_text::addrtype_for(sdp.origin_address);
  out += ' ' + sdp.origin_address + "\r\n";
  out += "s=" + sdp.session_name + "\r\n";
  bool has_timing = false;
  for (const auto& line : sdp.other_lines) {
    if (precedes_connection(line)) append_line(out, line);
    has_timing = has_timing || line.starts_with("t=");
  }
  if (sdp.connection_address) append_connection(out, *sdp.connection_address);
  // RFC 8866 §5.9: t= is mandatory; a model built in code may not carry one. It goes after b=
  // and before r= z= k= (§5 order).
  for (const auto& line : sdp.other_lines) {
    if (precedes_connection(line)) continue;
    if (!has_timing && line[0] != 'b') {
      out += "t=0 0\r\n";
      has_timing = true;
    }
    append_line(out, line);
  }
  if (!has_timing) out += "t=0 0\r\n";
  append_attributes(out, sdp.attributes);
  for (const auto& m : sdp.media) {
    out += "m=" + m.media + ' ' + std::to_string(m.port) + ' ' + m.protocol;
    for (const auto& f : m.formats) out += ' ' + f;
    out += "\r\n";
    // Media-level order (§5): i c b k a.
    for (const auto& line : m.other_lines)
      if (line.starts_with("i=")) append_line(out, line);
    if (m.connection_address) append_connection(out, *m.connection_address);
    for (const auto& line : m.other_lines)
      if (!line.starts_with("i=")) append_line(out, line);
    append_attributes(out, m.attributes);
  }
  return out;
}

}  // namespace sipgw::protocol
