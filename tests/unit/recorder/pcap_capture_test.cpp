// Raw capture: a known packet sequence (RTP on both legs, RTCP from the PBX, a packet sent while
// paused) recorded with capture = pcap gives "<base>.pcap" beside the audio, whose records are
// read back field by field (pcap header, IPv4 with a valid checksum, UDP, RTP header, payload) and,
// when tcpdump is installed, by tcpdump -r.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>

#include "recorder/pcap_capture.hpp"
#include "recorder/recorder.hpp"
#include "recorder_test_support.hpp"

using namespace sipgw::recorder;
using namespace sipgw::recorder::test;

namespace {

struct Record {
  uint32_t ts_sec = 0, ts_usec = 0;
  std::vector<uint8_t> ip;  // the IPv4 packet
  uint32_t src() const { return uint32_t(ip[12]) << 24 | ip[13] << 16 | ip[14] << 8 | ip[15]; }
  uint32_t dst() const { return uint32_t(ip[16]) << 24 | ip[17] << 16 | ip[18] << 8 | ip[19]; }
  uint16_t sport() const { return uint16_t(ip[20] << 8 | ip[21]); }
  uint16_t dport() const { return uint16_t(ip[22] << 8 | ip[23]); }
  const uint8_t* udp_payload() const { return ip.data() + 28; }
  size_t udp_payload_size() const { return ip.size() - 28; }
};

std::vector<Record> read_pcap(const std::string& path, uint32_t* linktype) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Record> out;
  if (b.size() < 24 || rd32(b, 0) != 0xa1b2c3d4 || rd16(b, 4) != 2 || rd16(b, 6) != 4) return out;
  *linktype = rd32(b, 20);
  size_t at = 24;
  while (at + 16 <= b.size()) {
    Record r;
    r.ts_sec = rd32(b, at);
    r.ts_usec = rd32(b, at + 4);
    const uint32_t incl = rd32(b, at + 8);
    EXPECT_EQ(incl, rd32(b, at + 12));
    at += 16;
    if (at + incl > b.size()) break;
    r.ip.assign(b.begin() + at, b.begin() + at + incl);
    at += incl;
    out.push_back(std::move(r));
  }
  EXPECT_EQ(at, b.size()) << "trailing bytes";
  return out;
}

uint16_t checksum_of(const std::vector<uint8_t>& ip) {
  uint32_t sum = 0;
  for (size_t i = 0; i < 20; i += 2) sum += uint32_t(ip[i]) << 8 | ip[i + 1];
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return uint16_t(sum);  // 0xFFFF when the header's checksum is right
}

uint32_t ipv4(const char* text) {
  in_addr a{};
  inet_pton(AF_INET, text, &a);
  return ntohl(a.s_addr);
}

}  // namespace

TEST(PcapCapture, KnownPacketsAreWrittenBesideTheAudio) {
  TempDir dir;
  RecorderOptions options;
  options.workers = 1;
  options.capture = RecordingCapture::pcap;
  Recorder recorder(options);
  RecordingParams p;
  p.directory = dir.path;
  p.base_name = "cap";
  p.browser_payload_types = {{0, {"PCMU", 8000, 1}}};
  p.capture_endpoints.browser = {"203.0.113.5", 61000};
  p.capture_endpoints.gateway_browser_side = {"10.1.1.1", 40010};
  p.capture_endpoints.pbx = {"not-an-address", 0};  // unknown: the documentation address
  recorder.start(1, p);
  recorder.sync();

  const int64_t t0 = steady_now_us();
  const auto wall0 = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<RecordedPacket> sent;
  for (int i = 0; i < 3; ++i) sent.push_back(pcmu_tone(1, Leg::browser, 1000, uint16_t(100 + i), uint32_t(i * 160), t0 + i * 20'000, 0xB0B0));
  sent[0].marker = true;
  for (int i = 0; i < 2; ++i) sent.push_back(pcmu_tone(1, Leg::remote, 440, uint16_t(7 + i), uint32_t(9000 + i * 160), t0 + 5000 + i * 20'000, 0xAEAE));
  for (auto& pkt : sent) ASSERT_TRUE(recorder.queue(0).try_push(pkt));
  // An RTCP receiver report from the PBX (RFC 3550 §6.4.2: RR, no report block).
  const uint8_t rr[8] = {0x80, 201, 0x00, 0x01, 0xAE, 0xAE, 0xAE, 0xAE};
  ASSERT_TRUE(recorder.queue(0).try_push_rtcp(1, Leg::remote, t0 + 50'000, rr, sizeof rr));
  ASSERT_FALSE(recorder.queue(0).try_push_rtcp(1, Leg::remote, t0, rr, 4));  // too short: refused
  recorder.sync();
  recorder.pause(1);
  recorder.queue(0).try_push(pcmu_tone(1, Leg::browser, 1000, 103, 480, steady_now_us() + 1000, 0xB0B0));  // paused: not kept

  std::promise<RecordingResult> done;
  recorder.stop(1, [&done](RecordingResult r) { done.set_value(std::move(r)); });
  RecordingResult r = done.get_future().get();
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.path, dir.file("cap.wav"));
  EXPECT_EQ(r.capture_path, dir.file("cap.pcap"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("cap.pcap.part")));
  EXPECT_EQ(r.capture_bytes, std::filesystem::file_size(r.capture_path));
  EXPECT_TRUE(read_wav(r.path).ok);

  uint32_t linktype = 0;
  auto records = read_pcap(r.capture_path, &linktype);
  EXPECT_EQ(linktype, PcapCapture::kLinktypeRaw);
  ASSERT_EQ(records.size(), 6u);
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& rec = records[i];
    ASSERT_GE(rec.ip.size(), 28u);
    EXPECT_EQ(rec.ip[0], 0x45);
    EXPECT_EQ(rec.ip[9], 17);  // UDP
    EXPECT_EQ(size_t(rec.ip[2] << 8 | rec.ip[3]), rec.ip.size());
    EXPECT_EQ(checksum_of(rec.ip), 0xFFFF) << i;
    EXPECT_EQ(size_t(rec.ip[24] << 8 | rec.ip[25]), rec.ip.size() - 20);  // UDP length
    // Wall-clock arrival times, in the order received.
    const int64_t us = int64_t(rec.ts_sec) * 1'000'000 + rec.ts_usec;
    EXPECT_NEAR(double(us - wall0), i < 5 ? double(sent[i].arrival_us - t0) : 50'000.0, 20'000.0) << i;
  }
  for (size_t i = 0; i < 5; ++i) {
    const Record& rec = records[i];
    const RecordedPacket& s = sent[i];
    const uint8_t* rtp = rec.udp_payload();
    ASSERT_EQ(rec.udp_payload_size(), 12u + 160u);
    EXPECT_EQ(rtp[0], 0x80);
    EXPECT_EQ(rtp[1], (s.marker ? 0x80 : 0) | 0);
    EXPECT_EQ(uint16_t(rtp[2] << 8 | rtp[3]), s.sequence);
    EXPECT_EQ(uint32_t(rtp[4]) << 24 | rtp[5] << 16 | rtp[6] << 8 | rtp[7], s.timestamp);
    EXPECT_EQ(uint32_t(rtp[8]) << 24 | rtp[9] << 16 | rtp[10] << 8 | rtp[11], s.ssrc);
    EXPECT_EQ(0, std::memcmp(rtp + 12, s.payload, 160));
    if (s.leg == Leg::browser) {
      EXPECT_EQ(rec.src(), ipv4("203.0.113.5"));
      EXPECT_EQ(rec.sport(), 61000);
      EXPECT_EQ(rec.dst(), ipv4("10.1.1.1"));
      EXPECT_EQ(rec.dport(), 40010);
    } else {
      EXPECT_EQ(rec.src(), ipv4("198.51.100.10"));
      EXPECT_EQ(rec.sport(), 30000);
      EXPECT_EQ(rec.dst(), ipv4("192.0.2.1"));
      EXPECT_EQ(rec.dport(), 40002);
    }
  }
  const Record& rtcp = records[5];
  ASSERT_EQ(rtcp.udp_payload_size(), sizeof rr);
  EXPECT_EQ(0, std::memcmp(rtcp.udp_payload(), rr, sizeof rr));
  EXPECT_EQ(rtcp.sport(), 30001);  // RTCP on the next port (not muxed on the PBX side)
  EXPECT_EQ(rtcp.dport(), 40003);

  // tcpdump (scripts/setup.sh installs it) reads the file: 6 packets, the addresses above.
  if (std::system("command -v tcpdump >/dev/null 2>&1") == 0) {
    const std::string cmd = "tcpdump -nn -r '" + r.capture_path + "' 2>/dev/null";
    FILE* f = popen(cmd.c_str(), "r");
    ASSERT_TRUE(f);
    std::vector<std::string> lines;
    char buf[512];
    while (fgets(buf, sizeof buf, f)) lines.emplace_back(buf);
    EXPECT_EQ(pclose(f), 0);
    ASSERT_EQ(lines.size(), 6u);
    EXPECT_NE(lines[0].find("IP 203.0.113.5.61000 > 10.1.1.1.40010: UDP, length 172"), std::string::npos) << lines[0];
    EXPECT_NE(lines[3].find("IP 198.51.100.10.30000 > 192.0.2.1.40002: UDP, length 172"), std::string::npos) << lines[3];
    EXPECT_NE(lines[5].find("IP 198.51.100.10.30001 > 192.0.2.1.40003: UDP, length 8"), std::string::npos) << lines[5];
  }
}

TEST(PcapCapture, NoCaptureUnlessAskedFor) {
  TempDir dir;
  Recorder recorder({.workers = 1});
  RecordingParams p;
  p.directory = dir.path;
  p.base_name = "plain";
  recorder.start(1, p);
  const uint8_t rr[8] = {0x80, 201, 0x00, 0x01, 1, 2, 3, 4};
  ASSERT_TRUE(recorder.queue(0).try_push_rtcp(1, Leg::remote, steady_now_us(), rr, sizeof rr));
  std::promise<RecordingResult> done;
  recorder.stop(1, [&done](RecordingResult r) { done.set_value(std::move(r)); });
  RecordingResult r = done.get_future().get();
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_TRUE(r.capture_path.empty());
  EXPECT_FALSE(std::filesystem::exists(dir.file("plain.pcap")));
  EXPECT_EQ(r.packets[1], 0u);  // RTCP is not audio
  EXPECT_EQ(r.undecodable, 0u);
}
