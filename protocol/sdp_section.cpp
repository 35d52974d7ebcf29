// Private helpers reading one SDP media section and writing our plain description (see
// sdp_section.hpp). Pure: no I/O, never throws.
#include "protocol/sdp_section.hpp"

#include <array>
#include <string>
#include <string_view>

#include "protocol/sdp_text.hpp"

namespace sipgw::protocol::sdp_section {

namespace {

using sdp_text::iequals;
using sdp_text::split_ws;
using sdp_text::to_uint;
using sdp_text::trim;

constexpr std::array<std::string_view, 4> kDirections = {"sendrecv", "sendonly", "recvonly", "inactive"};

// Encodings a PBX audio leg cannot use: redundancy/FEC/retransmission wrappers (RFC 2198,
// RFC 5109, RFC 8627, RFC 4588) and video codecs that have no place in an audio section.
constexpr std::array<std::string_view, 11> kNonPbxEncodings = {
    "red", "ulpfec", "flexfec", "flexfec-03", "rtx", "vp8", "vp9", "h264", "h265", "av1", "av1x"};

// Static audio payload types (RFC 3551 §6, table 4) with their rtpmap value.
struct StaticPt {
  std::string_view pt;
  std::string_view rtpmap;
};
constexpr std::array<StaticPt, 15> kStaticAudio = {{{"0", "PCMU/8000"},  {"3", "GSM/8000"},
                                                    {"4", "G723/8000"},  {"5", "DVI4/8000"},
                                                    {"6", "DVI4/16000"}, {"7", "LPC/8000"},
                                                    {"8", "PCMA/8000"},  {"9", "G722/8000"},
                                                    {"10", "L16/44100/2"}, {"11", "L16/44100"},
                                                    {"12", "QCELP/8000"}, {"13", "CN/8000"},
                                                    {"14", "MPA/90000"}, {"15", "G728/8000"},
                                                    {"18", "G729/8000"}}};

}  // namespace

bool is_plain_rtp(const SdpMedia& m) { return m.protocol == "RTP/AVP" || m.protocol == "RTP/AVPF"; }

bool is_null_address(std::string_view address) { return address == "0.0.0.0" || address == "::"; }

std::optional<std::string_view> static_rtpmap(std::string_view pt) {
  for (const auto& s : kStaticAudio)
    if (s.pt == pt) return s.rtpmap;
  return std::nullopt;
}

std::optional<std::string> pt_attribute(const SdpMedia& m, std::string_view name, std::string_view pt) {
  for (const auto& a : m.attributes) {
    if (a.name != name) continue;
    std::string_view v = trim(a.value);
    size_t sp = v.find_first_of(" \t");
    if (sp == std::string_view::npos || v.substr(0, sp) != pt) continue;
    return std::string(trim(v.substr(sp + 1)));
  }
  return std::nullopt;
}

std::optional<std::string> rtpmap_of(const SdpMedia& m, std::string_view pt) {
  if (auto v = pt_attribute(m, "rtpmap", pt)) return v;
  if (auto s = static_rtpmap(pt)) return std::string(*s);
  return std::nullopt;
}

bool Encoding::same_codec(const Encoding& other) const {
  return iequals(name, other.name) && clock == other.clock && channels == other.channels;
}

Encoding parse_rtpmap(std::string_view rtpmap) {
  Encoding e;
  const size_t slash = rtpmap.find('/');
  e.name = std::string(trim(rtpmap.substr(0, slash)));
  if (slash == std::string_view::npos) return e;
  std::string_view rest = rtpmap.substr(slash + 1);
  const size_t slash2 = rest.find('/');
  e.clock = static_cast<uint32_t>(to_uint(trim(rest.substr(0, slash2)), 10'000'000).value_or(0));
  if (slash2 != std::string_view::npos)
    e.channels = static_cast<uint32_t>(to_uint(trim(rest.substr(slash2 + 1)), 255).value_or(1));
  return e;
}

std::optional<std::string> media_or_session(const SessionDescription& sdp, const SdpMedia& m, std::string_view name) {
  if (auto v = m.attribute(name)) return std::string(trim(*v));
  if (auto v = sdp.attribute(name)) return std::string(trim(*v));
  return std::nullopt;
}

bool is_direction(std::string_view attribute_name) {
  for (auto d : kDirections)
    if (d == attribute_name) return true;
  return false;
}

std::string direction_of(const SdpMedia& m, const SessionDescription& sdp) {
  for (auto d : kDirections)
    if (m.has_attribute(d)) return std::string(d);
  for (auto d : kDirections)
    if (sdp.attribute(d)) return std::string(d);
  return "sendrecv";  // RFC 8866 §6.7: the default
}

Direction direction_enum(const SdpMedia& m, const SessionDescription& sdp, bool null_address_is_hold) {
  const std::string name = direction_of(m, sdp);
  Direction d = Direction::sendrecv;
  for (Direction candidate : {Direction::sendonly, Direction::recvonly, Direction::inactive})
    if (name == to_string(candidate)) d = candidate;
  if (null_address_is_hold && is_null_address(connection_of(sdp, m))) {
    if (d == Direction::sendrecv) d = Direction::sendonly;
    if (d == Direction::recvonly) d = Direction::inactive;
  }
  return d;
}

int find_audio(const SessionDescription& sdp) {
  for (size_t i = 0; i < sdp.media.size(); ++i) {
    const auto& m = sdp.media[i];
    if (m.media == "audio" && (m.port != 0 || m.has_attribute("bundle-only"))) return static_cast<int>(i);
  }
  return -1;
}

int find_plain_audio(const SessionDescription& sdp) {
  // Some PBXs offer "best effort SRTP" as an RTP/SAVP section followed by an RTP/AVP one for the
  // same stream; the plain one is ours.
  int live = -1;
  int any = -1;
  for (size_t i = 0; i < sdp.media.size(); ++i) {
    const auto& m = sdp.media[i];
    if (m.media != "audio") continue;
    if (m.port != 0 && is_plain_rtp(m)) return static_cast<int>(i);
    if (m.port != 0 && live < 0) live = static_cast<int>(i);
    if (any < 0) any = static_cast<int>(i);
  }
  return live >= 0 ? live : any;
}

std::vector<std::string> bundle_mids(const SessionDescription& sdp) {
  std::vector<std::string> mids;
  for (const auto& a : sdp.attributes) {
    if (a.name != "group") continue;
    auto f = split_ws(a.value);
    if (f.empty() || f[0] != "BUNDLE") continue;
    for (size_t i = 1; i < f.size(); ++i) mids.emplace_back(f[i]);
  }
  return mids;
}

bool keep_for_pbx(const SdpMedia& m, const std::string& pt) {
  auto number = to_uint(pt, 127);
  if (!number) return false;
  auto rtpmap = pt_attribute(m, "rtpmap", pt);
  if (!rtpmap) return static_rtpmap(pt).has_value();  // dynamic PT without rtpmap: unusable
  std::string_view encoding = *rtpmap;
  encoding = encoding.substr(0, encoding.find('/'));
  for (auto bad : kNonPbxEncodings)
    if (iequals(encoding, bad)) return false;
  return true;
}

std::string connection_of(const SessionDescription& sdp, const SdpMedia& m) {
  // RFC 8866 §5.7: a media-level c= overrides the session-level one.
  if (m.connection_address) return *m.connection_address;
  if (sdp.connection_address) return *sdp.connection_address;
  return {};
}

std::optional<uint16_t> rtcp_port(const SdpMedia& m) {
  auto v = m.attribute("rtcp");
  if (!v) return std::nullopt;
  auto f = split_ws(*v);
  if (f.empty()) return std::nullopt;
  auto port = to_uint(f[0], 65535);
  if (!port || *port == 0) return std::nullopt;
  return static_cast<uint16_t>(*port);
}

std::string read_webrtc_transport(const SessionDescription& sdp, const SdpMedia& audio,
                                  WebRtcTransportParameters& out) {
  // ICE and DTLS parameters: media level wins over session level (RFC 8839 §5.4, RFC 8842 §5).
  out.ice_ufrag = media_or_session(sdp, audio, "ice-ufrag").value_or("");
  out.ice_pwd = media_or_session(sdp, audio, "ice-pwd").value_or("");
  if (out.ice_ufrag.empty() || out.ice_pwd.empty()) return "no ICE credentials (a=ice-ufrag / a=ice-pwd)";
  auto fingerprint = media_or_session(sdp, audio, "fingerprint");
  auto f = fingerprint ? split_ws(*fingerprint) : std::vector<std::string_view>{};
  if (f.size() != 2) return "no usable a=fingerprint";
  // RFC 8122 §5: the hash name is case-insensitive, the hex is written upper case.
  out.fingerprint_algorithm = sdp_text::lower(f[0]);
  out.fingerprint = sdp_text::upper(f[1]);
  // RFC 4145 §4: an absent a=setup means "active".
  out.setup = media_or_session(sdp, audio, "setup").value_or("active");
  out.mid = std::string(trim(audio.attribute("mid").value_or("")));

  // Candidates of the audio section; with BUNDLE they may live only in the tagged (first)
  // section of the group (RFC 9143 §7.1.1), so fall back to that one.
  const SdpMedia* candidate_source = &audio;
  if (!audio.has_attribute("candidate")) {
    auto mids = bundle_mids(sdp);
    if (!mids.empty())
      for (const auto& m : sdp.media)
        if (trim(m.attribute("mid").value_or("")) == mids.front()) candidate_source = &m;
  }
  for (const auto& c : candidate_source->attributes_named("candidate"))
    out.candidates.push_back("candidate:" + std::string(trim(c)));
  return {};
}

void line(std::string& out, std::string_view text) {
  out.append(text);
  out.append("\r\n");
}

std::string addr_line(std::string_view address) {
  return std::string("IN ") + std::string(sdp_text::addrtype_for(address)) + " " + std::string(address);
}

bool valid_plain_endpoint(const PlainEndpoint& ours) {
  return !ours.address.empty() && ours.rtp_port != 0 && ours.rtp_port != 65535;
}

std::string write_plain(const PlainEndpoint& ours, const PlainAudio& audio, const SessionDescription* offer,
                        int offer_audio) {
  // RFC 3264 §5/§6: our own o= (pitfall 6), RTP/AVP, RTCP on port+1 announced explicitly.
  const std::string address = addr_line(ours.address);
  std::string out;
  line(out, "v=0");
  line(out, "o=- " + std::to_string(ours.session_id) + " " + std::to_string(ours.session_version) + " " + address);
  line(out, "s=-");
  line(out, "c=" + address);
  line(out, "t=0 0");
  const size_t sections = offer != nullptr ? offer->media.size() : 1;
  for (size_t i = 0; i < sections; ++i) {
    const SdpMedia* offered = offer != nullptr ? &offer->media[i] : nullptr;
    if (offered != nullptr && (static_cast<int>(i) != offer_audio || audio.codecs.empty())) {
      // RFC 3264 §6: a rejected (or disabled) stream is answered with port 0, same media/proto.
      line(out, "m=" + offered->media + " 0 " + offered->protocol + " " + offered->formats.front());
      continue;
    }
    std::string m = "m=audio " + std::to_string(ours.rtp_port) + " " +
                    (offered != nullptr ? offered->protocol : std::string("RTP/AVP"));
    for (const auto& c : audio.codecs) m += " " + c.pt;
    line(out, m);
    for (const auto& c : audio.codecs) {
      if (!c.rtpmap.empty()) line(out, "a=rtpmap:" + c.pt + " " + c.rtpmap);
      if (c.fmtp) line(out, "a=fmtp:" + c.pt + " " + *c.fmtp);
    }
    // RFC 4566 §6 (pitfall 8).
    if (audio.ptime) line(out, "a=ptime:" + *audio.ptime);
    if (audio.maxptime) line(out, "a=maxptime:" + *audio.maxptime);
    line(out, "a=" + audio.direction);
    line(out, "a=rtcp:" + std::to_string(ours.rtp_port + 1));
  }
  return out;
}

}  // namespace sipgw::protocol::sdp_section
