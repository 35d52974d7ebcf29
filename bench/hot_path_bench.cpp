// hot_path_bench — Google Benchmark micro-benchmarks of the per-packet and per-request hot path
// (issue 6, docs/benchmarks.md "Hot path"):
//   - SRTP protect / unprotect of one 172-byte G.711 RTP packet (12-byte header + 160 bytes) with
//     the gateway's SrtpSession, for AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM;
//   - the relay's per-packet rewrite (AudioRelay::browser_rtp / pbx_rtp), no I/O;
//   - the media quality meter per RTP packet and per RTCP report (MediaQualityMeter);
//   - SDP translation on the captured fixtures (Chromium offer, baresip answer);
//   - JSON: parse_request of a `call` request carrying the Chromium offer, make_event("hangup").
// The SRTP backend libsrtp2 was built on (NSS, OpenSSL or its internal crypto) is reported in the
// context header ("srtp_backend") and in the SRTP benchmarks' label.
//
//   build-bench/bench/hot_path_bench [--benchmark_filter=...]   (bench/run-hot-path-bench.sh)
#include <benchmark/benchmark.h>
#include <link.h>
#include <srtp2/srtp.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/media/audio_relay.hpp"
#include "gateway/media/media_quality_meter.hpp"
#include "gateway/media/srtp_profile.hpp"
#include "gateway/media/srtp_session.hpp"
#include "protocol/messages.hpp"
#include "protocol/sdp_translation.hpp"

#ifndef SIPGW_SOURCE_DIR
#error "SIPGW_SOURCE_DIR must be defined (bench/CMakeLists.txt)"
#endif

namespace {

using sipgw::media::AudioRelay;
using sipgw::media::SrtpProfile;
using sipgw::media::SrtpSession;

constexpr size_t kRtpHeader = 12;
constexpr size_t kG711Payload = 160;  // 20 ms at 8 kHz
constexpr size_t kPacket = kRtpHeader + kG711Payload;  // 172 bytes

// ---------------------------------------------------------------------------------------------
// Which crypto libsrtp2 uses: the DT_NEEDED entries of the loaded libsrtp2 shared object.

struct NeededScan {
  std::string srtp_object;
  std::vector<std::string> needed;
};

int scan_object(dl_phdr_info* info, size_t, void* arg) {
  auto* scan = static_cast<NeededScan*>(arg);
  const std::string name = info->dlpi_name ? info->dlpi_name : "";
  if (name.find("libsrtp2") == std::string::npos) return 0;
  scan->srtp_object = name;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    if (info->dlpi_phdr[i].p_type != PT_DYNAMIC) continue;
    const auto* dyn = reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    const char* strtab = nullptr;
    for (const ElfW(Dyn)* d = dyn; d->d_tag != DT_NULL; ++d)
      if (d->d_tag == DT_STRTAB) strtab = reinterpret_cast<const char*>(d->d_un.d_ptr);
    if (strtab == nullptr) break;
    for (const ElfW(Dyn)* d = dyn; d->d_tag != DT_NULL; ++d)
      if (d->d_tag == DT_NEEDED) scan->needed.emplace_back(strtab + d->d_un.d_val);
  }
  return 1;
}

std::string srtp_backend() {
  NeededScan scan;
  dl_iterate_phdr(scan_object, &scan);
  std::string version = srtp_get_version_string();
  if (scan.srtp_object.empty()) return version + " (linked statically: backend unknown)";
  for (const auto& lib : scan.needed)
    if (lib.find("libnss3") != std::string::npos) return version + " on NSS (" + lib + ")";
  for (const auto& lib : scan.needed)
    if (lib.find("libcrypto") != std::string::npos) return version + " on OpenSSL (" + lib + ")";
  return version + " on its internal crypto";
}

const std::string& backend() {
  static const std::string value = srtp_backend();
  return value;
}

// ---------------------------------------------------------------------------------------------
// Packets and fixtures.

void write_rtp_header(uint8_t* p, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc) {
  p[0] = 0x80;
  p[1] = pt;
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  p[4] = static_cast<uint8_t>(ts >> 24);
  p[5] = static_cast<uint8_t>(ts >> 16);
  p[6] = static_cast<uint8_t>(ts >> 8);
  p[7] = static_cast<uint8_t>(ts);
  p[8] = static_cast<uint8_t>(ssrc >> 24);
  p[9] = static_cast<uint8_t>(ssrc >> 16);
  p[10] = static_cast<uint8_t>(ssrc >> 8);
  p[11] = static_cast<uint8_t>(ssrc);
}

std::vector<uint8_t> key_salt(SrtpProfile profile) {
  std::vector<uint8_t> k(sipgw::media::srtp_master_key_length(profile) +
                         sipgw::media::srtp_master_salt_length(profile));
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(0x11 * i + 7);
  return k;
}

std::string read_fixture(const char* name) {
  const std::string path = std::string(SIPGW_SOURCE_DIR) + "/tests/fixtures/sdp/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string& chromium_offer() {
  static const std::string text = read_fixture("chromium_offer.sdp");
  return text;
}
const std::string& baresip_answer() {
  static const std::string text = read_fixture("baresip_answer.sdp");
  return text;
}

// ---------------------------------------------------------------------------------------------
// SRTP

void srtp_label(benchmark::State& state, SrtpProfile profile) {
  state.SetLabel(std::string(sipgw::media::srtp_profile_name(profile)) + ", " + backend());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kPacket));
}

// One packet per iteration: header rewritten (next sequence number / timestamp: 12 bytes, part of
// the measured time), payload as left by the previous protect (ciphertext is as good as audio).
void BM_SrtpProtect(benchmark::State& state, SrtpProfile profile) {
  SrtpSession session(profile, SrtpSession::Direction::outbound, key_salt(profile));
  std::vector<uint8_t> buffer(kPacket + SrtpSession::kMaxTrailer, 0xFF);
  uint16_t seq = 1;
  uint32_t ts = 160;
  for (auto _ : state) {
    write_rtp_header(buffer.data(), 0, seq++, ts += 160, 0x11223344);
    size_t length = kPacket;
    if (!session.protect_rtp(buffer.data(), length, buffer.size())) {
      state.SkipWithError("srtp_protect failed");
      break;
    }
    benchmark::DoNotOptimize(buffer.data());
  }
  srtp_label(state, profile);
}

// Unprotect needs fresh, in-order packets (replay window): batches of protected packets are made
// with the timer paused, then unprotected one per iteration (a copy of 172+trailer bytes out of the
// batch is part of the measured time, ~10 ns).
void BM_SrtpUnprotect(benchmark::State& state, SrtpProfile profile) {
  const auto keys = key_salt(profile);
  SrtpSession sender(profile, SrtpSession::Direction::outbound, keys);
  SrtpSession receiver(profile, SrtpSession::Direction::inbound, keys);
  constexpr size_t kBatch = 8192;
  const size_t slot = kPacket + SrtpSession::kMaxTrailer;
  std::vector<uint8_t> batch(kBatch * slot);
  std::vector<size_t> lengths(kBatch);
  std::vector<uint8_t> work(slot);
  uint16_t seq = 1;
  uint32_t ts = 160;
  auto refill = [&] {
    for (size_t i = 0; i < kBatch; ++i) {
      uint8_t* p = batch.data() + i * slot;
      write_rtp_header(p, 0, seq++, ts += 160, 0x11223344);
      std::memset(p + kRtpHeader, 0xFF, kG711Payload);
      lengths[i] = kPacket;
      if (!sender.protect_rtp(p, lengths[i], slot)) throw std::runtime_error("protect failed");
    }
  };
  refill();
  size_t next = 0;
  for (auto _ : state) {
    if (next == kBatch) {
      state.PauseTiming();
      refill();
      next = 0;
      state.ResumeTiming();
    }
    size_t length = lengths[next];
    std::memcpy(work.data(), batch.data() + next * slot, length);
    ++next;
    if (!receiver.unprotect_rtp(work.data(), length) || length != kPacket) {
      state.SkipWithError("srtp_unprotect failed");
      break;
    }
    benchmark::DoNotOptimize(work.data());
  }
  srtp_label(state, profile);
}

BENCHMARK_CAPTURE(BM_SrtpProtect, aes_cm_128_hmac_sha1_80, SrtpProfile::aes128_cm_sha1_80);
BENCHMARK_CAPTURE(BM_SrtpUnprotect, aes_cm_128_hmac_sha1_80, SrtpProfile::aes128_cm_sha1_80);
BENCHMARK_CAPTURE(BM_SrtpProtect, aead_aes_128_gcm, SrtpProfile::aead_aes_128_gcm);
BENCHMARK_CAPTURE(BM_SrtpUnprotect, aead_aes_128_gcm, SrtpProfile::aead_aes_128_gcm);

// ---------------------------------------------------------------------------------------------
// Relay rewrite (AudioRelay): PCMU both legs (or PCMU browser / PCMA PBX with `transcode`),
// telephone-event negotiated on both, sendrecv, not muted. Each iteration writes the next
// header (12 bytes) then runs the relay step on the 172-byte packet.

sipgw::media::NegotiatedAudio negotiated(bool transcode) {
  sipgw::media::NegotiatedAudio audio;
  audio.pbx_telephone_event_pt = 101;
  audio.browser_telephone_event_pt = 126;
  audio.browser_audio_pt = 0;
  audio.pbx_audio_pt = transcode ? 8 : 0;
  return audio;
}

void BM_RelayBrowserRtp(benchmark::State& state, bool transcode) {
  AudioRelay relay(0xCAFEBABE);
  relay.set_negotiated(negotiated(transcode));
  std::vector<uint8_t> packet(kPacket, 0xFF);
  uint16_t seq = 1;
  uint32_t ts = 160;
  int64_t now_us = 1'000'000;
  for (auto _ : state) {
    write_rtp_header(packet.data(), 0, seq++, ts += 160, 0x11223344);
    const bool forward = relay.browser_rtp(packet.data(), packet.size(), now_us += 20'000);
    benchmark::DoNotOptimize(forward);
    benchmark::DoNotOptimize(packet.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RelayPbxRtp(benchmark::State& state, bool transcode) {
  AudioRelay relay(0xCAFEBABE);
  relay.set_negotiated(negotiated(transcode));
  const uint8_t pbx_pt = transcode ? 8 : 0;
  std::vector<uint8_t> packet(kPacket, 0xD5);
  uint16_t seq = 1;
  uint32_t ts = 160;
  int64_t now_us = 1'000'000;
  std::optional<sipgw::media::TelephoneEventDetector::Detected> dtmf;
  for (auto _ : state) {
    write_rtp_header(packet.data(), pbx_pt, seq++, ts += 160, 0x55667788);
    const bool forward = relay.pbx_rtp(packet.data(), packet.size(), now_us += 20'000, dtmf);
    benchmark::DoNotOptimize(forward);
    benchmark::DoNotOptimize(packet.data());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_RelayBrowserRtp, pcmu, false);
BENCHMARK_CAPTURE(BM_RelayPbxRtp, pcmu, false);
BENCHMARK_CAPTURE(BM_RelayBrowserRtp, pcmu_to_pcma, true);
BENCHMARK_CAPTURE(BM_RelayPbxRtp, pcma_to_pcmu, true);

// ---------------------------------------------------------------------------------------------
// Media quality (MediaQualityMeter, issue 4): the RFC 3550 receive statistics the relay runs on
// every RTP packet it receives (arrivals ±2 ms around the 20 ms pace, one packet in 50 lost,
// one in 50 swapped with the next), and the report-block reading of a peer's RTCP RR.

void BM_QualityMeterRtp(benchmark::State& state) {
  sipgw::media::MediaQualityMeter meter;
  meter.set_clock(8000);
  std::vector<uint8_t> packet(kPacket, 0xD5);
  uint32_t n = 0;
  for (auto _ : state) {
    uint32_t k = n++;
    if (k % 50 == 7) k = n++;                     // lost
    if (k % 50 == 20) k += 1; else if (k % 50 == 21) k -= 1;  // reordered
    write_rtp_header(packet.data(), 0, static_cast<uint16_t>(k), 160u * k, 0x55667788);
    meter.on_pbx_rtp(packet.data(), packet.size(), int64_t{20'000} * k + (k % 3) * 2'000);
    benchmark::DoNotOptimize(packet.data());
  }
  benchmark::DoNotOptimize(meter.snapshot());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QualityMeterRtp);

void BM_QualityMeterRtcp(benchmark::State& state) {
  sipgw::media::MediaQualityMeter meter;
  std::vector<uint8_t> browser_rtp(kPacket, 0xFF);
  write_rtp_header(browser_rtp.data(), 0, 1, 160, 0x11223344);
  meter.on_browser_rtp(browser_rtp.data(), browser_rtp.size(), 0);
  // RR (one block about the browser's SSRC) + SDES, as a PBX sends it.
  std::vector<uint8_t> rtcp = {0x81, 201, 0, 7, 0x55, 0x66, 0x77, 0x88, 0x11, 0x22, 0x33, 0x44,
                               5, 0, 0, 3, 0, 0, 0x10, 0, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0,
                               0x81, 202, 0, 3, 0x55, 0x66, 0x77, 0x88, 1, 2, 'a', 'b', 0, 0, 0, 0};
  for (auto _ : state) {
    benchmark::DoNotOptimize(meter.on_pbx_rtcp(rtcp.data(), rtcp.size()));
  }
  benchmark::DoNotOptimize(meter.snapshot());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QualityMeterRtcp);

// ---------------------------------------------------------------------------------------------
// SDP translation on the captured fixtures.

void BM_WebRtcOfferToPlain(benchmark::State& state) {
  const std::string& offer = chromium_offer();
  const sipgw::protocol::PlainEndpoint ours{"203.0.113.5", 40000, 777, 3};
  for (auto _ : state) {
    auto result = sipgw::protocol::webrtc_offer_to_plain(offer, ours);
    if (!result.error.empty()) {
      state.SkipWithError(result.error.c_str());
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetLabel("chromium_offer.sdp (" + std::to_string(offer.size()) + " bytes)");
}
BENCHMARK(BM_WebRtcOfferToPlain);

void BM_PlainAnswerToWebRtc(benchmark::State& state) {
  const std::string& offer = chromium_offer();
  const std::string& answer = baresip_answer();
  sipgw::protocol::WebRtcEndpoint ours;
  ours.ice_ufrag = "gwUf";
  ours.ice_pwd = "gatewayPasswordOf22chr";
  ours.fingerprint =
      "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
  ours.setup = "active";
  ours.candidates = {"candidate:1 1 udp 2130706431 198.51.100.7 50000 typ host"};
  ours.address = "198.51.100.7";
  ours.port = 50000;
  ours.session_id = 4242;
  ours.session_version = 1;
  for (auto _ : state) {
    auto result = sipgw::protocol::plain_answer_to_webrtc(answer, offer, ours);
    if (!result.error.empty()) {
      state.SkipWithError(result.error.c_str());
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetLabel("baresip_answer.sdp for chromium_offer.sdp");
}
BENCHMARK(BM_PlainAnswerToWebRtc);

// ---------------------------------------------------------------------------------------------
// JSON

void BM_ParseCallRequest(benchmark::State& state) {
  const nlohmann::json request = {
      {"request", "call"},
      {"transaction", "b3c1a2d4e5f6"},
      {"number", "1002"},
      {"jsep", {{"type", "offer"}, {"sdp", chromium_offer()}}},
  };
  const std::string frame = request.dump();
  for (auto _ : state) {
    auto parsed = sipgw::protocol::parse_request(frame);
    if (!parsed.request) {
      state.SkipWithError("parse_request rejected the call request");
      break;
    }
    benchmark::DoNotOptimize(parsed);
  }
  state.SetLabel("call + Chromium offer (" + std::to_string(frame.size()) + " bytes)");
}
BENCHMARK(BM_ParseCallRequest);

void BM_MakeHangupEvent(benchmark::State& state) {
  for (auto _ : state) {
    auto text = sipgw::protocol::make_event(
        "hangup", 7924161977477011ULL,
        {{"call_id", "6QfTseOZQwZbOhKXAVQQnDa"}, {"code", 486}, {"reason", "Busy Here"}});
    benchmark::DoNotOptimize(text);
  }
  state.SetLabel("fields built per call (call_id, code, reason)");
}
BENCHMARK(BM_MakeHangupEvent);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("srtp_backend", backend());
  benchmark::AddCustomContext("packet", "172-byte G.711 RTP (12-byte header + 160 bytes)");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
