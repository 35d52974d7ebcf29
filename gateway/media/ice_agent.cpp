#include "gateway/media/ice_agent.hpp"

#include <nice/agent.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace sipgw::media {

namespace {
constexpr guint kComponent = 1;  // rtcp-mux: RTP and RTCP share component 1 (RFC 5761)
}

// C callbacks (GObject signals, receive). Each catches everything.
struct IceAgent::Trampolines {
  static void on_gathering_done(NiceAgent* agent, guint stream_id, gpointer data) {
    auto* self = static_cast<IceAgent*>(data);
    try {
      if (stream_id != self->stream_id_ || self->gathering_done_) return;
      self->gathering_done_ = true;
      gchar* ufrag = nullptr;
      gchar* pwd = nullptr;
      if (!nice_agent_get_local_credentials(agent, stream_id, &ufrag, &pwd)) {
        self->listener_.on_ice_failed("ICE: no local credentials");
        return;
      }
      const std::string local_ufrag = ufrag;
      const std::string local_pwd = pwd;
      g_free(ufrag);
      g_free(pwd);
      std::vector<std::string> lines;
      GSList* candidates = nice_agent_get_local_candidates(agent, stream_id, kComponent);
      for (GSList* item = candidates; item; item = item->next) {
        auto* candidate = static_cast<NiceCandidate*>(item->data);
        if (gchar* sdp = nice_agent_generate_local_candidate_sdp(agent, candidate)) {
          std::string line = sdp;
          g_free(sdp);
          if (line.rfind("a=", 0) == 0) line.erase(0, 2);
          lines.push_back(std::move(line));
        }
      }
      g_slist_free_full(candidates, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
      spdlog::debug("ICE: gathering done, {} local candidate(s)", lines.size());
      if (lines.empty()) {
        self->listener_.on_ice_failed("ICE gathering produced no candidates");
        return;
      }
      self->listener_.on_ice_gathering_done(local_ufrag, local_pwd, lines);
    } catch (const std::exception& e) {
      spdlog::error("ICE: gathering-done callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("ICE: gathering-done callback threw");
    }
  }

  static void on_state_changed(NiceAgent*, guint stream_id, guint component_id, guint state,
                               gpointer data) {
    auto* self = static_cast<IceAgent*>(data);
    try {
      if (stream_id != self->stream_id_ || component_id != kComponent) return;
      spdlog::debug("ICE: component state {}", nice_component_state_to_string(
                                                   static_cast<NiceComponentState>(state)));
      if ((state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) &&
          !self->connected_) {
        self->connected_ = true;
        self->listener_.on_ice_connected();
      } else if (state == NICE_COMPONENT_STATE_FAILED) {
        // After connection, FAILED means consent was lost (RFC 7675): libnice 0.1.21 sends a
        // consent check every ~5 s and fails the pair 10 s after the last response.
        self->listener_.on_ice_failed(self->connected_
                                          ? "ICE failed: consent lost (RFC 7675), browser media "
                                            "path gone"
                                          : "ICE failed: no working candidate pair");
      }
    } catch (const std::exception& e) {
      spdlog::error("ICE: state callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("ICE: state callback threw");
    }
  }

  static void on_receive(NiceAgent*, guint, guint, guint length, gchar* buffer, gpointer data) {
    auto* self = static_cast<IceAgent*>(data);
    try {
      self->listener_.on_ice_packet(reinterpret_cast<const uint8_t*>(buffer), length);
    } catch (const std::exception& e) {
      spdlog::error("ICE: receive callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("ICE: receive callback threw");
    }
  }
};

IceAgent::IceAgent(GMainContext* context, const Options& options, Listener& listener)
    : context_(context), listener_(listener) {
  // Full ICE (not lite): we may sit behind NAT. Trickle: the browser trickles its candidates and
  // sends end-of-candidates rarely, so the agent must not fail a check list early; the session's
  // own ICE deadline bounds the wait. Consent freshness: notice a browser that went away.
  agent_ = nice_agent_new_full(
      context_, NICE_COMPATIBILITY_RFC5245,
      static_cast<NiceAgentOption>(NICE_AGENT_OPTION_ICE_TRICKLE |
                                   NICE_AGENT_OPTION_CONSENT_FRESHNESS));
  if (!agent_) throw std::runtime_error("nice_agent_new_full failed");
  // RFC 8445 §6.1.1: the offerer is controlling (both sides are full agents): controlled when
  // the browser offered, controlling when we did. A conflict (487) is resolved by libnice.
  g_object_set(agent_, "controlling-mode", options.controlling ? TRUE : FALSE, "ice-tcp", FALSE, "ice-udp", TRUE,
               "upnp", FALSE, nullptr);

  for (const auto& address : options.local_addresses) {
    NiceAddress nice_address;
    nice_address_init(&nice_address);
    if (!nice_address_set_from_string(&nice_address, address.c_str())) {
      g_object_unref(agent_);
      throw std::runtime_error("ICE: invalid local address " + address);
    }
    // libnice skips loopback unless it is added explicitly.
    nice_agent_add_local_address(agent_, &nice_address);
  }

  stream_id_ = nice_agent_add_stream(agent_, 1);
  if (stream_id_ == 0) {
    g_object_unref(agent_);
    throw std::runtime_error("nice_agent_add_stream failed");
  }
  if (options.port_min && options.port_max >= options.port_min)
    nice_agent_set_port_range(agent_, stream_id_, kComponent, options.port_min, options.port_max);

  g_signal_connect(agent_, "candidate-gathering-done",
                   G_CALLBACK(&Trampolines::on_gathering_done), this);
  g_signal_connect(agent_, "component-state-changed", G_CALLBACK(&Trampolines::on_state_changed),
                   this);
  nice_agent_attach_recv(agent_, stream_id_, kComponent, context_, &Trampolines::on_receive,
                         this);
}

IceAgent::~IceAgent() {
  if (!agent_) return;
  g_signal_handlers_disconnect_by_data(agent_, this);
  nice_agent_attach_recv(agent_, stream_id_, kComponent, context_, nullptr, nullptr);
  nice_agent_remove_stream(agent_, stream_id_);
  g_object_unref(agent_);
}

void IceAgent::set_remote_credentials(const std::string& ufrag, const std::string& pwd) {
  nice_agent_set_remote_credentials(agent_, stream_id_, ufrag.c_str(), pwd.c_str());
}

bool IceAgent::add_remote_candidate(const std::string& candidate) {
  std::string line = candidate;
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' '))
    line.pop_back();
  if (line.rfind("a=", 0) != 0) line.insert(0, "a=");
  // Fields: foundation component transport priority address port typ ...
  std::vector<std::string> fields;
  for (size_t start = line.find(':') + 1, end; start < line.size(); start = end + 1) {
    end = line.find(' ', start);
    if (end == std::string::npos) end = line.size();
    if (end > start) fields.push_back(line.substr(start, end - start));
  }
  if (fields.size() < 8) {
    spdlog::debug("ICE: ignoring malformed candidate '{}'", candidate);
    return false;
  }
  const std::string& address = fields[4];
  if (address.size() > 6 && address.compare(address.size() - 6, 6, ".local") == 0) {
    spdlog::debug("ICE: ignoring mDNS candidate {}", address);
    return false;
  }
  if (fields[1] != "1") return false;  // rtcp-mux: component 1 only
  if (g_ascii_strcasecmp(fields[2].c_str(), "udp") != 0) return false;

  NiceCandidate* parsed = nice_agent_parse_remote_candidate_sdp(agent_, stream_id_, line.c_str());
  if (!parsed) {
    spdlog::debug("ICE: libnice could not parse candidate '{}'", candidate);
    return false;
  }
  GSList list{parsed, nullptr};
  const int added = nice_agent_set_remote_candidates(agent_, stream_id_, kComponent, &list);
  nice_candidate_free(parsed);
  return added > 0;
}

bool IceAgent::gather() { return nice_agent_gather_candidates(agent_, stream_id_); }

bool IceAgent::send(const uint8_t* data, size_t length) noexcept {
  return nice_agent_send(agent_, stream_id_, kComponent, static_cast<guint>(length),
                         reinterpret_cast<const gchar*>(data)) >= 0;
}

}  // namespace sipgw::media
