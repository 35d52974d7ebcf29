#pragma once
// PcapCapture: turns the packets a recording receives into pcap records (the classic libpcap
// file format, microsecond timestamps, LINKTYPE_RAW = 101: each record is an IPv4 packet) so a
// recording's "<base>.pcap" can be read by tcpdump -r, tshark or Wireshark ("Decode As… RTP").
//
// The media workers hand the recorder parsed RTP (header fields and payload) and whole RTCP
// packets, so each record is rebuilt: a 20-byte IPv4 header (checksummed), an 8-byte UDP header
// (checksum 0, allowed over IPv4, RFC 768), then for RTP a 12-byte header (RFC 3550 §5.1: V=2,
// M, PT, sequence, timestamp, SSRC; CSRCs and header extensions are not kept) and the payload,
// for RTCP the packet as received. Browser-leg packets go browser → gateway, remote-leg packets
// PBX → gateway; RTCP uses the RTP ports, +1 on the PBX side (RFC 3550 §11; the browser side is
// RTCP-muxed, RFC 5761). Addresses are the call's real ones when the caller gives them
// (CaptureEndpoints), else documentation addresses (RFC 5737). Timestamps are the arrival times
// on the wall clock.
//
// Thread: the recorder thread (one per recording); not thread-safe.
#include <cstdint>
#include <string>
#include <vector>

#include "recorder/recorded_packet.hpp"

namespace sipgw::recorder {

/// An IPv4 address ("192.0.2.1") and UDP port. An empty or non-IPv4 address means "unknown".
struct UdpEndpoint {
  std::string address;
  uint16_t port = 0;
};

/// The call's media addresses as the gateway saw them. Unknown ones are replaced by
/// 192.0.2.10:50000 (browser), 192.0.2.1:40000 / :40002 (gateway, browser / PBX side) and
/// 198.51.100.10:30000 (PBX).
struct CaptureEndpoints {
  UdpEndpoint browser;
  UdpEndpoint gateway_browser_side;
  UdpEndpoint gateway_pbx_side;
  UdpEndpoint pbx;
};

class PcapCapture {
 public:
  static constexpr uint32_t kLinktypeRaw = 101;  ///< LINKTYPE_RAW: raw IPv4/IPv6, no link header

  /// `wall_minus_steady_us`: system_clock − steady_clock, µs, to stamp records on the wall clock.
  PcapCapture(const CaptureEndpoints& endpoints, int64_t wall_minus_steady_us);

  /// Appends the pcap record of `packet` (RTP or RTCP) to `out`.
  void append(const RecordedPacket& packet, std::vector<uint8_t>& out);

  /// The 24-byte pcap file header: magic 0xa1b2c3d4 (µs), version 2.4, snaplen 65535, LINKTYPE_RAW.
  static std::vector<uint8_t> file_header();

 private:
  struct Address {
    uint32_t ip;  // host order
    uint16_t port;
  };
  static Address resolve(const UdpEndpoint& endpoint, uint32_t default_ip, uint16_t default_port);

  Address browser_, gateway_browser_, gateway_pbx_, pbx_;
  int64_t wall_minus_steady_us_;
  uint16_t ip_id_ = 0;
};

}  // namespace sipgw::recorder
