#pragma once
// SDP model (RFC 8866): a parsed session description that keeps every line it does not
// interpret, so that a parse/serialise round trip is lossless. Pure: no I/O, no threads.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipgw::protocol {

/// One `a=` line: `a=name` or `a=name:value`.
struct SdpAttribute {
  std::string name;
  std::string value;  // empty for property attributes such as `a=rtcp-mux`
};

/// One `m=` section with the lines that follow it up to the next `m=`.
struct SdpMedia {
  std::string media;                 // "audio", "video", "application"
  uint16_t port = 0;                 // 0 means rejected / disabled (RFC 3264 §6)
  std::string protocol;              // "UDP/TLS/RTP/SAVPF", "RTP/AVP", ...
  std::vector<std::string> formats;  // payload types as text, in preference order
  std::optional<std::string> connection_address;  // from a media-level `c=IN IP4 <addr>`
  std::vector<std::string> other_lines;           // b=, i=, k= lines, verbatim without "\r\n"
  std::vector<SdpAttribute> attributes;

  /// First value of attribute `name`, if present.
  std::optional<std::string> attribute(std::string_view name) const;
  /// All values of attribute `name` (e.g. every `rtpmap`).
  std::vector<std::string> attributes_named(std::string_view name) const;
  bool has_attribute(std::string_view name) const;
};

/// A whole session description.
struct SessionDescription {
  int version = 0;                          // v=
  std::string origin_username = "-";        // o= fields
  std::string origin_session_id = "0";
  std::string origin_session_version = "0";
  std::string origin_address = "127.0.0.1";
  std::string session_name = "-";           // s=
  std::optional<std::string> connection_address;  // session-level c=IN IP4 <addr>
  std::vector<std::string> other_lines;     // t=, b=, i=, ... verbatim, in order
  std::vector<SdpAttribute> attributes;     // session-level a= lines
  std::vector<SdpMedia> media;

  std::optional<std::string> attribute(std::string_view name) const;
};

/// Parse result: either a description or a human-readable reason naming the bad line.
struct SdpParseResult {
  std::optional<SessionDescription> description;
  std::string error;  // empty on success
};

/// Parses SDP text (CRLF or LF line ends). Never throws; rejects input with no v= line,
/// a malformed o=/m=/c= line, or more than 64 KiB / 64 media sections.
SdpParseResult parse_sdp(std::string_view text);

/// Serialises with CRLF line ends in RFC 8866 order (v o s c t... a m...).
std::string to_string(const SessionDescription& sdp);

}  // namespace sipgw::protocol
