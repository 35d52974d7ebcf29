#include "recorder/pcap_capture.hpp"

#include <arpa/inet.h>

namespace sipgw::recorder {

namespace {

constexpr size_t kIpv4Header = 20;
constexpr size_t kUdpHeader = 8;
constexpr size_t kRtpHeader = 12;

void le32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void le16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}
void be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
void be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// RFC 791 §3.1 / RFC 1071: one's complement of the one's complement sum of the header's words.
uint16_t ipv4_checksum(const uint8_t* header) {
  uint32_t sum = 0;
  for (size_t i = 0; i < kIpv4Header; i += 2) sum += (uint32_t(header[i]) << 8) | header[i + 1];
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

PcapCapture::Address PcapCapture::resolve(const UdpEndpoint& endpoint, uint32_t default_ip, uint16_t default_port) {
  in_addr addr{};
  if (!endpoint.address.empty() && inet_pton(AF_INET, endpoint.address.c_str(), &addr) == 1)
    return {ntohl(addr.s_addr), endpoint.port ? endpoint.port : default_port};
  return {default_ip, default_port};
}

PcapCapture::PcapCapture(const CaptureEndpoints& e, int64_t wall_minus_steady_us)
    : browser_(resolve(e.browser, 0xC000020A, 50000)),            // 192.0.2.10
      gateway_browser_(resolve(e.gateway_browser_side, 0xC0000201, 40000)),  // 192.0.2.1
      gateway_pbx_(resolve(e.gateway_pbx_side, 0xC0000201, 40002)),
      pbx_(resolve(e.pbx, 0xC633640A, 30000)),                    // 198.51.100.10
      wall_minus_steady_us_(wall_minus_steady_us) {}

std::vector<uint8_t> PcapCapture::file_header() {
  std::vector<uint8_t> h;
  le32(h, 0xa1b2c3d4);  // microsecond timestamps, written in our (little-endian) byte order
  le16(h, 2);
  le16(h, 4);
  le32(h, 0);  // thiszone
  le32(h, 0);  // sigfigs
  le32(h, 65535);
  le32(h, kLinktypeRaw);
  return h;
}

void PcapCapture::append(const RecordedPacket& p, std::vector<uint8_t>& out) {
  const bool rtcp = p.kind == PacketKind::rtcp;
  const bool from_browser = p.leg == Leg::browser;
  Address src = from_browser ? browser_ : pbx_;
  Address dst = from_browser ? gateway_browser_ : gateway_pbx_;
  if (rtcp && !from_browser) {  // RFC 3550 §11: RTCP on the next port unless muxed
    src.port = static_cast<uint16_t>(src.port + 1);
    dst.port = static_cast<uint16_t>(dst.port + 1);
  }
  const size_t payload = p.payload_size <= kMaxRecordedPayload ? p.payload_size : kMaxRecordedPayload;
  const size_t udp_length = kUdpHeader + (rtcp ? 0 : kRtpHeader) + payload;
  const size_t ip_length = kIpv4Header + udp_length;

  // Record header (pcap: ts_sec, ts_usec, incl_len, orig_len), little-endian like the file header.
  const int64_t wall_us = p.arrival_us + wall_minus_steady_us_;
  le32(out, static_cast<uint32_t>(wall_us / 1'000'000));
  le32(out, static_cast<uint32_t>(wall_us % 1'000'000));
  le32(out, static_cast<uint32_t>(ip_length));
  le32(out, static_cast<uint32_t>(ip_length));

  const size_t at = out.size();
  out.resize(at + ip_length - payload);
  uint8_t* ip = out.data() + at;
  ip[0] = 0x45;  // IPv4, 5 words of header
  ip[1] = 0;
  be16(ip + 2, static_cast<uint16_t>(ip_length));
  be16(ip + 4, ip_id_++);
  be16(ip + 6, 0x4000);  // don't fragment
  ip[8] = 64;            // TTL
  ip[9] = 17;            // UDP
  be16(ip + 10, 0);
  be32(ip + 12, src.ip);
  be32(ip + 16, dst.ip);
  be16(ip + 10, ipv4_checksum(ip));
  uint8_t* udp = ip + kIpv4Header;
  be16(udp, src.port);
  be16(udp + 2, dst.port);
  be16(udp + 4, static_cast<uint16_t>(udp_length));
  be16(udp + 6, 0);  // no checksum (RFC 768)
  if (!rtcp) {
    uint8_t* rtp = udp + kUdpHeader;
    rtp[0] = 0x80;  // V=2, no padding, no extension, no CSRC
    rtp[1] = static_cast<uint8_t>((p.marker ? 0x80 : 0) | (p.payload_type & 0x7F));
    be16(rtp + 2, p.sequence);
    be32(rtp + 4, p.timestamp);
    be32(rtp + 8, p.ssrc);
  }
  out.insert(out.end(), p.payload, p.payload + payload);
}

}  // namespace sipgw::recorder
