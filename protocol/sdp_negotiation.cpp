// Negotiated audio parameters and the gateway's own re-offers/re-answers toward the PBX (see
// sdp_negotiation.hpp). Pure: builds text from parsed models, never throws.
#include "protocol/sdp_negotiation.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/sdp.hpp"
#include "protocol/sdp_section.hpp"
#include "protocol/sdp_text.hpp"

namespace sipgw::protocol {

namespace {

using namespace sdp_section;
using sdp_text::iequals;
using sdp_text::to_uint;
using sdp_text::trim;

bool sends(Direction d) { return d == Direction::sendrecv || d == Direction::sendonly; }
bool receives(Direction d) { return d == Direction::sendrecv || d == Direction::recvonly; }

Direction make_direction(bool send, bool receive) {
  if (send && receive) return Direction::sendrecv;
  if (send) return Direction::sendonly;
  if (receive) return Direction::recvonly;
  return Direction::inactive;
}

bool is_telephone_event(const Encoding& e) { return iequals(e.name, "telephone-event"); }
bool is_comfort_noise(const Encoding& e) { return iequals(e.name, "CN"); }

// RTP clock of an encoding: G722's is 8000 whatever its sampling rate (RFC 3551 §4.5.2), and a
// missing or malformed clock in an rtpmap reads as the telephony default.
uint32_t rtp_clock(const Encoding& e) {
  if (iequals(e.name, "G722") || e.clock == 0) return 8000;
  return e.clock;
}

// G.711 as the relay can transcode it: PCMU as static PT 0, PCMA as static PT 8 (RFC 3551 §6),
// named so by their rtpmap or, without one, by the static table.
enum class G711Law { none, ulaw, alaw };
G711Law g711_law(std::string_view pt, const Encoding& e) {
  if (rtp_clock(e) != 8000 || e.channels != 1) return G711Law::none;
  if (pt == "0" && iequals(e.name, "PCMU")) return G711Law::ulaw;
  if (pt == "8" && iequals(e.name, "PCMA")) return G711Law::alaw;
  return G711Law::none;
}

// The main audio codec of `m` (first usable PT that is neither telephone-event nor CN), as its PT
// string and encoding; nullopt when it has none.
std::optional<std::pair<std::string, Encoding>> main_codec(const SdpMedia& m) {
  for (const auto& pt : m.formats) {
    auto rtpmap = rtpmap_of(m, pt);
    if (!rtpmap || !to_uint(pt, 127)) continue;
    Encoding e = parse_rtpmap(*rtpmap);
    if (!is_telephone_event(e) && !is_comfort_noise(e)) return std::pair{pt, std::move(e)};
  }
  return std::nullopt;
}

// a=ptime in milliseconds ("20", also "20.0" as some phones write it); 20 when absent or absurd.
uint32_t ptime_of(const SessionDescription& sdp, const SdpMedia& m) {
  auto v = media_or_session(sdp, m, "ptime");
  if (!v) return 20;
  std::string_view text = *v;
  text = text.substr(0, text.find('.'));
  auto ms = to_uint(trim(text), 1000);
  return ms && *ms > 0 ? static_cast<uint32_t>(*ms) : 20;
}

NegotiatedCodecs read_codecs(const SessionDescription& sdp, const SdpMedia& m) {
  NegotiatedCodecs c;
  struct TelephoneEvent {
    int pt;
    uint32_t clock;
  };
  std::vector<TelephoneEvent> events;
  for (const auto& pt : m.formats) {
    auto number = to_uint(pt, 127);
    auto rtpmap = rtpmap_of(m, pt);
    if (!number || !rtpmap) continue;  // not RTP, or a dynamic PT without rtpmap: unusable
    const Encoding e = parse_rtpmap(*rtpmap);
    if (is_telephone_event(e)) {
      events.push_back({static_cast<int>(*number), rtp_clock(e)});
    } else if (is_comfort_noise(e)) {
      c.comfort_noise = c.comfort_noise || rtp_clock(e) == 8000;
    } else if (c.audio_pt < 0) {
      c.audio_pt = static_cast<int>(*number);
      c.audio_encoding = e.name;
      c.audio_clock = rtp_clock(e);
    }
  }
  // Pitfall 9: Chromium offers telephone-event at 48000 and 8000; the one whose clock matches
  // the audio codec's is the one RFC 4733 §2.1 lets us send with it.
  auto match = std::find_if(events.begin(), events.end(),
                            [&](const TelephoneEvent& t) { return t.clock == c.audio_clock; });
  if (match == events.end() && !events.empty()) match = events.begin();
  if (match != events.end()) {
    c.telephone_event_pt = match->pt;
    c.telephone_event_clock = match->clock;
  }
  c.ptime_ms = ptime_of(sdp, m);
  return c;
}

AudioDescription describe_section(const SessionDescription& sdp, const SdpMedia& m) {
  AudioDescription d;
  d.address = connection_of(sdp, m);
  d.rtp_port = m.port;
  if (m.port != 0) {
    if (d.address.empty()) d.error = "audio section has no c= line";
    d.rtcp_port = rtcp_port(m).value_or(m.port < 65535 ? static_cast<uint16_t>(m.port + 1) : 0);
  }
  d.direction = direction_enum(m, sdp, true);  // c=0.0.0.0 reads as hold (RFC 3264 §8.4)
  d.codecs = read_codecs(sdp, m);
  return d;
}

// Sets the direction attribute of `m` to `direction`, in place of the old one(s).
void set_direction(SdpMedia& m, Direction direction) {
  auto& attrs = m.attributes;
  auto first = std::find_if(attrs.begin(), attrs.end(), [](const SdpAttribute& a) { return is_direction(a.name); });
  if (first == attrs.end()) {
    auto rtcp = std::find_if(attrs.begin(), attrs.end(), [](const SdpAttribute& a) { return a.name == "rtcp"; });
    first = attrs.insert(rtcp, SdpAttribute{});
  }
  *first = SdpAttribute{to_string(direction), {}};
  attrs.erase(std::remove_if(std::next(first), attrs.end(), [](const SdpAttribute& a) { return is_direction(a.name); }),
              attrs.end());
}

}  // namespace

const char* to_string(Direction direction) {
  switch (direction) {
    case Direction::sendrecv: return "sendrecv";
    case Direction::sendonly: return "sendonly";
    case Direction::recvonly: return "recvonly";
    case Direction::inactive: return "inactive";
  }
  return "sendrecv";
}

Direction answer_direction(Direction offered, Direction local) {
  // RFC 3264 §6.1: we may send only where the offerer receives and receive only where it sends;
  // sendonly is answered recvonly (or inactive), recvonly sendonly (or inactive), inactive inactive.
  return make_direction(sends(local) && receives(offered), receives(local) && sends(offered));
}

AudioDescription describe_audio(const std::string& sdp) {
  auto parsed = parse_sdp(sdp);
  if (!parsed.description) {
    AudioDescription d;
    d.error = "unparsable SDP: " + parsed.error;
    return d;
  }
  const int index = find_plain_audio(*parsed.description);
  if (index < 0) {
    AudioDescription d;
    d.error = "SDP has no audio section";
    return d;
  }
  return describe_section(*parsed.description, parsed.description->media[static_cast<size_t>(index)]);
}

std::string plain_reoffer(const std::string& last_plain_sdp, Direction direction, uint64_t session_version) {
  auto parsed = parse_sdp(last_plain_sdp);
  if (!parsed.description) return {};
  SessionDescription& sdp = *parsed.description;
  const int index = find_plain_audio(sdp);
  if (index < 0) return {};
  // RFC 3264 §8: same o= session id, version one more (the caller's), same m= lines in the
  // same order; only the direction changes (§8.4: hold is a=sendonly, not c=0.0.0.0).
  sdp.origin_session_version = std::to_string(session_version);
  std::erase_if(sdp.attributes, [](const SdpAttribute& a) { return is_direction(a.name); });
  set_direction(sdp.media[static_cast<size_t>(index)], direction);
  return to_string(sdp);
}

ReofferAnswer answer_plain_reoffer(const std::string& pbx_reoffer, const std::string& negotiated_plain_sdp,
                                   const PlainEndpoint& ours, Direction local) {
  ReofferAnswer r;
  if (!valid_plain_endpoint(ours)) {
    r.error = "invalid plain endpoint (address empty or rtp port 0/65535)";
    return r;
  }
  auto parsed = parse_sdp(pbx_reoffer);
  if (!parsed.description) {
    r.error = "PBX re-offer: " + parsed.error;
    return r;
  }
  const SessionDescription& offer = *parsed.description;
  const int index = find_plain_audio(offer);
  if (index < 0) {
    r.error = "PBX re-offer has no audio section";
    return r;
  }
  const SdpMedia& audio = offer.media[static_cast<size_t>(index)];
  r.pbx = describe_section(offer, audio);
  if (!r.pbx.error.empty()) {
    r.error = "PBX re-offer: " + r.pbx.error;
    return r;
  }
  auto negotiated = parse_sdp(negotiated_plain_sdp);
  const int negotiated_index = negotiated.description ? find_plain_audio(*negotiated.description) : -1;
  if (negotiated_index < 0) {
    r.error = "negotiated SDP unusable: " + (negotiated.error.empty() ? "no audio section" : negotiated.error);
    return r;
  }
  const SdpMedia& before = negotiated.description->media[static_cast<size_t>(negotiated_index)];

  PlainAudio plain;
  if (audio.port != 0) {
    if (!is_plain_rtp(audio)) {
      r.error = "PBX re-offer uses " + audio.protocol + " for audio; only plain RTP (RTP/AVP) is supported";
      return r;
    }
    std::vector<Encoding> accepted;
    for (const auto& pt : before.formats)
      if (auto rtpmap = rtpmap_of(before, pt); rtpmap && to_uint(pt, 127)) accepted.push_back(parse_rtpmap(*rtpmap));
    const auto in_call = [&](const std::string&, const Encoding& e) {
      return std::any_of(accepted.begin(), accepted.end(), [&](const Encoding& a) { return a.same_codec(e); });
    };
    // The re-offer's order and numbering (RFC 3264 §6.1), restricted to what `acceptable` lets
    // through; true when an audio codec (not only telephone-event/CN) is among them.
    const auto answer_codecs = [&](const auto& acceptable) {
      plain.codecs.clear();
      bool audio_codec = false;
      for (const auto& pt : audio.formats) {
        auto rtpmap = rtpmap_of(audio, pt);
        if (!rtpmap || !to_uint(pt, 127)) continue;
        if (std::any_of(plain.codecs.begin(), plain.codecs.end(), [&](const PlainCodec& c) { return c.pt == pt; }))
          continue;
        const Encoding e = parse_rtpmap(*rtpmap);
        if (!acceptable(pt, e)) continue;
        plain.codecs.push_back({pt, *rtpmap, pt_attribute(audio, "fmtp", pt)});
        audio_codec = audio_codec || !(is_telephone_event(e) || is_comfort_noise(e));
      }
      return audio_codec;
    };
    // Codecs the call already negotiated: the browser is not asked again, so nothing new can be
    // accepted...
    bool audio_codec = answer_codecs(in_call);
    // ...except the other G.711 law than the call's, which the relay transcodes in place: the
    // re-offer's first such codec, with the telephone-event/CN the call has.
    if (!audio_codec) {
      const auto call_codec = main_codec(before);
      const G711Law call_law = call_codec ? g711_law(call_codec->first, call_codec->second) : G711Law::none;
      const auto other_law = [&](const std::string& pt, const Encoding& e) {
        const G711Law law = g711_law(pt, e);
        return call_law != G711Law::none && law != G711Law::none && law != call_law;
      };
      const auto offered = std::find_if(audio.formats.begin(), audio.formats.end(), [&](const std::string& pt) {
        auto rtpmap = rtpmap_of(audio, pt);
        return rtpmap && other_law(pt, parse_rtpmap(*rtpmap));
      });
      if (offered != audio.formats.end())
        audio_codec = answer_codecs([&](const std::string& pt, const Encoding& e) { return pt == *offered || in_call(pt, e); });
    }
    if (!audio_codec) {
      r.error = "no codec in common with the call";
      return r;
    }
    if (auto ptime = audio.attribute("ptime")) plain.ptime = std::string(trim(*ptime));
    plain.direction = to_string(answer_direction(r.pbx.direction, local));
  }
  // A re-offer with audio port 0 disables the stream: answered with port 0 too (RFC 3264 §8.2).
  r.sdp = write_plain(ours, plain, &offer, index);
  return r;
}

int answered_audio_pt(const std::string& pbx_sdp, const std::string& our_sdp) {
  auto pbx = parse_sdp(pbx_sdp);
  const int pbx_index = pbx.description ? find_plain_audio(*pbx.description) : -1;
  if (pbx_index < 0) return -1;
  const SdpMedia& theirs = pbx.description->media[static_cast<size_t>(pbx_index)];
  auto ours = parse_sdp(our_sdp);
  const int our_index = ours.description ? find_plain_audio(*ours.description) : -1;
  if (our_index >= 0) {
    const SdpMedia& mine = ours.description->media[static_cast<size_t>(our_index)];
    for (const auto& pt : theirs.formats) {
      auto rtpmap = rtpmap_of(theirs, pt);
      auto number = to_uint(pt, 127);
      if (!rtpmap || !number) continue;
      const Encoding e = parse_rtpmap(*rtpmap);
      if (is_telephone_event(e) || is_comfort_noise(e)) continue;
      auto listed = rtpmap_of(mine, pt);
      if (listed && std::find(mine.formats.begin(), mine.formats.end(), pt) != mine.formats.end() &&
          parse_rtpmap(*listed).same_codec(e))
        return static_cast<int>(*number);
    }
  }
  auto first = main_codec(theirs);
  return first ? static_cast<int>(*to_uint(first->first, 127)) : -1;
}

}  // namespace sipgw::protocol
