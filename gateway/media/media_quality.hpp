#pragma once
// The media quality of one call as the gateway knows it, per leg and direction (issue 4: the
// CDR's "media quality summary (packets, loss, jitter from RTCP)"). Plain values, safe to copy
// between threads; produced by MediaQualityMeter on the media worker.
//
//   browser ──▶ gateway : from_browser    measured by the gateway (RFC 3550 A.1/A.3/A.8)
//   PBX     ──▶ gateway : from_pbx        measured by the gateway
//   gateway ──▶ browser : browser_reports what the browser's RTCP report blocks said (§6.4)
//   gateway ──▶ PBX     : pbx_reports     what the PBX's RTCP report blocks said
//
// The gateway relays sequence numbers (it only closes gaps it makes itself, pitfall 5), so a
// peer's report covers the whole path from the other peer through the gateway: packets the
// browser lost on its way to the gateway show up again in the PBX's cumulative loss.
#include <cstdint>

namespace sipgw::media {

/// RFC 3550 receive statistics of one inbound RTP stream, summed over the SSRCs it carried
/// (a PBX may switch SSRC on transfer) and over sequence restarts (A.1: a jump of more than
/// 3000 confirmed by the next packet).
struct ReceivedStreamQuality {
  uint64_t packets_received = 0;  // distinct packets: duplicates within the last 64 sequence
                                  // numbers are not counted (A.3 would, and hide as many losses)
  uint64_t packets_expected = 0;  // A.3: extended highest sequence number − first + 1
  uint64_t packets_lost = 0;      // A.3: expected − received per source, never below 0
  uint64_t duplicates = 0;        // packets seen twice (not in packets_received)
  uint64_t reordered = 0;         // packets older than the highest sequence number seen
  double jitter_ms = 0;           // A.8 interarrival jitter at the last packet
  double mean_jitter_ms = 0;      // the A.8 estimate averaged over every packet that updated it
  double max_jitter_ms = 0;       // its largest value during the call
};

/// What a peer's RTCP report blocks (SR/RR, RFC 3550 §6.4.1) said about the stream the gateway
/// sends it. Every field is 0 when `reports` is 0.
struct ReportedStreamQuality {
  uint64_t reports = 0;           // report blocks about our stream
  int64_t cumulative_lost = 0;    // the latest block's cumulative number of packets lost
                                  // (summed over the SSRCs we sent with); may be negative
                                  // (duplicates, §6.4.1)
  double fraction_lost = 0;       // the latest block's fraction lost, 0..1
  double max_fraction_lost = 0;   // its largest value during the call
  double jitter_ms = 0;           // the latest block's interarrival jitter
  double mean_jitter_ms = 0;      // averaged over the blocks
  double max_jitter_ms = 0;
};

struct MediaQuality {
  ReceivedStreamQuality from_browser;     // browser RTP after SRTP unprotect
  ReceivedStreamQuality from_pbx;         // PBX RTP as it arrived on the plain socket
  ReportedStreamQuality browser_reports;  // the browser's SRTCP about gateway → browser
  ReportedStreamQuality pbx_reports;      // the PBX's RTCP about gateway → PBX
  uint64_t rtcp_malformed = 0;            // RTCP packets (either side) that failed RFC 3550
                                          // §6.1 / A.2 validation: not measured; the relay
                                          // treats them as before (the PBX's that it cannot
                                          // rewrite are dropped, the browser's pass)
};

}  // namespace sipgw::media
