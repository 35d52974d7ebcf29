// CallStats — one call's media quality, summarised from its RTCPeerConnection's getStats()
// report (W3C "Identifiers for WebRTC's Statistics API", webrtc-stats): what we receive
// (inbound-rtp), what we send (outbound-rtp, media-source), what the far end reports about our
// stream (remote-inbound-rtp, from its RTCP receiver reports, RFC 3550 §6.4.2), the round-trip
// time and the selected ICE pair — plus an estimated MOS, so a page can say "good" or "poor".
//
// Pure functions, no I/O: MediaSession.stats() feeds them the report, tests feed them a Map.

/** What `SIPClient.get_stats()` returns: a summary of the current call's getStats report. */
export interface CallStats {
  call_id: string | null;
  /** When the report was taken: ms since the Unix epoch. */
  timestamp: number;
  iceConnectionState: RTCIceConnectionState;

  // ---- what we receive (inbound-rtp, kind audio) ----
  packetsReceived?: number;
  bytesReceived?: number;
  /** Packets lost on their way to us, cumulative (RFC 3550 §6.4.1 "cumulative number of packets lost"). */
  packetsLost?: number;
  /** Interarrival jitter of what we receive, in seconds (RFC 3550 §6.4.1). */
  jitter?: number;
  /** Level of the received audio, 0..1 (linear). Chromium reports it only while the track plays in a media element. */
  audioLevel?: number;
  totalAudioEnergy?: number;
  /** `packetsLost / (packetsReceived + packetsLost)`, 0..1, over the whole call. */
  lossFraction?: number;
  /** The negotiated audio codec, e.g. `"PCMU/8000"`. */
  codec?: string;

  // ---- what we send (outbound-rtp, media-source) ----
  packetsSent?: number;
  bytesSent?: number;
  /** Level of our microphone, 0..1 (media-source `audioLevel`); 0 while muted. */
  audioLevelOut?: number;
  /** What the far end reports about our stream (RTCP receiver reports): packets lost, cumulative. */
  remotePacketsLost?: number;
  /** …and the jitter it measures on our stream, in seconds. */
  remoteJitter?: number;

  // ---- the path ----
  /** Round-trip time in seconds: from RTCP (remote-inbound-rtp) when the far end sends reports, else the ICE pair's STUN checks. */
  roundTripTime?: number;
  rttSource?: 'rtcp' | 'ice';
  dtlsState?: string;
  /** `"local-address:port ⇄ remote-address:port"` of the selected ICE candidate pair. */
  selectedPair?: string;

  /** Estimated mean opinion score, 1..4.5 (ITU-T G.107 E-model for G.711 with packet-loss concealment; see `estimateMos`). */
  mos?: number;
}

/** The fields of a webrtc-stats dictionary this file reads (every one optional). */
type Stat = Record<string, unknown> & { type?: string; kind?: string; id?: string };

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Estimated MOS (1..4.5) of a G.711 call from its loss, jitter and round-trip time: the E-model
 * (ITU-T G.107) reduced to its delay and loss terms. R = 93.2 − Id − Ie,eff where Id is the
 * delay impairment of the one-way delay `rtt/2 + 2·jitter + 10 ms` (Cole & Rosenbluth 2001:
 * d/40 below 160 ms, (d − 120)/10 above) and Ie,eff = 95·Ppl / (Ppl + 25.1) for G.711 with
 * packet-loss concealment (G.113 Appendix I: Ie = 0, Bpl = 25.1; Ppl in %); MOS from R by
 * G.107 (B-4). Inputs: lossFraction 0..1, jitter and rtt in seconds.
 */
export function estimateMos(lossFraction: number, jitterS: number, rttS: number): number {
  const delayMs = (Math.max(0, rttS) * 1000) / 2 + Math.max(0, jitterS) * 2000 + 10;
  const id = delayMs < 160 ? delayMs / 40 : (delayMs - 120) / 10;
  const ppl = Math.min(100, Math.max(0, lossFraction * 100));
  const ie = (95 * ppl) / (ppl + 25.1);
  const r = 93.2 - id - ie;
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return Math.min(4.5, 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r));
}

/**
 * Summarises a getStats report (an RTCStatsReport or any Map of id → stats dictionary) for one
 * call. Fields the browser did not report are left out; never throws on odd input.
 */
export function summarizeStats(
  report: { forEach(cb: (value: Stat, key: string) => void): void; get(id: string): unknown },
  callId: string | null,
  iceConnectionState: RTCIceConnectionState,
  now: number = Date.now(),
): CallStats {
  const s: CallStats = { call_id: callId, timestamp: now, iceConnectionState };
  const get = (id: unknown): Stat | undefined => (typeof id === 'string' && id ? report.get(id) as Stat | undefined : undefined);
  let pairId: string | undefined;
  let codecId: string | undefined;
  let sourceId: string | undefined;
  let sourceLevel: number | undefined;
  let icePairRtt: number | undefined;
  report.forEach((r) => {
    if (!r || typeof r !== 'object') return;
    switch (r.type) {
      case 'inbound-rtp':
        if (r.kind !== 'audio' && r.mediaType !== 'audio') break;
        s.packetsReceived = num(r.packetsReceived) ?? 0;
        s.bytesReceived = num(r.bytesReceived) ?? 0;
        s.packetsLost = num(r.packetsLost) ?? 0;
        s.jitter = num(r.jitter) ?? 0;
        s.audioLevel = num(r.audioLevel) ?? 0;
        s.totalAudioEnergy = num(r.totalAudioEnergy) ?? 0;
        codecId = (r.codecId as string | undefined) ?? codecId;
        break;
      case 'outbound-rtp':
        if (r.kind !== 'audio' && r.mediaType !== 'audio') break;
        s.packetsSent = num(r.packetsSent) ?? 0;
        s.bytesSent = num(r.bytesSent) ?? 0;
        sourceId = (r.mediaSourceId as string | undefined) ?? sourceId;
        codecId ??= r.codecId as string | undefined;
        break;
      case 'remote-inbound-rtp':
        if (r.kind !== 'audio' && r.mediaType !== 'audio') break;
        if (num(r.packetsLost) !== undefined) s.remotePacketsLost = num(r.packetsLost);
        if (num(r.jitter) !== undefined) s.remoteJitter = num(r.jitter);
        if (num(r.roundTripTime) !== undefined) { s.roundTripTime = num(r.roundTripTime); s.rttSource = 'rtcp'; }
        break;
      case 'media-source':
        if (r.kind === 'audio' && num(r.audioLevel) !== undefined) sourceLevel = num(r.audioLevel);
        break;
      case 'transport':
        pairId = (r.selectedCandidatePairId as string | undefined) ?? pairId;
        if (typeof r.dtlsState === 'string') s.dtlsState = r.dtlsState;
        break;
      case 'candidate-pair':
        // Without a transport stats entry (older browsers), the nominated, succeeded pair.
        if (!pairId && r.nominated === true && r.state === 'succeeded') pairId = r.id;
        break;
      default:
        break;
    }
  });
  const source = get(sourceId);
  const level = num(source?.audioLevel) ?? sourceLevel;
  if (level !== undefined) s.audioLevelOut = level;
  const codec = get(codecId);
  if (typeof codec?.mimeType === 'string') {
    const name = codec.mimeType.replace(/^audio\//i, '');
    s.codec = num(codec.clockRate) ? `${name}/${codec.clockRate}` : name;
  }
  const pair = get(pairId);
  if (pair) {
    icePairRtt = num(pair.currentRoundTripTime);
    const local = get(pair.localCandidateId);
    const remote = get(pair.remoteCandidateId);
    if (local || remote) {
      const addr = (c: Stat | undefined) => `${c?.address ?? c?.ip ?? '?'}:${c?.port ?? '?'}`;
      s.selectedPair = `${addr(local)} ⇄ ${addr(remote)}`;
    }
  }
  if (s.roundTripTime === undefined && icePairRtt !== undefined) { s.roundTripTime = icePairRtt; s.rttSource = 'ice'; }
  if (s.packetsReceived !== undefined) {
    const total = s.packetsReceived + Math.max(0, s.packetsLost ?? 0);
    s.lossFraction = total > 0 ? Math.max(0, s.packetsLost ?? 0) / total : 0;
    if (s.packetsReceived > 0) s.mos = +estimateMos(s.lossFraction, s.jitter ?? 0, s.roundTripTime ?? 0).toFixed(2);
  }
  return s;
}
