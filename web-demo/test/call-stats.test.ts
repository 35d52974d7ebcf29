import { describe, expect, it } from 'vitest';
import { estimateMos, summarizeStats } from '../src/call-stats';

// A report as Chromium gives it for a G.711 call whose far end sends RTCP receiver reports.
const report = new Map<string, any>([
  ['IT01A', { id: 'IT01A', type: 'inbound-rtp', kind: 'audio', packetsReceived: 950, bytesReceived: 152000, packetsLost: 50,
    jitter: 0.0125, audioLevel: 0.31, totalAudioEnergy: 1.5, codecId: 'CIT01_0' }],
  ['OT01A', { id: 'OT01A', type: 'outbound-rtp', kind: 'audio', packetsSent: 1000, bytesSent: 160000, mediaSourceId: 'SA1', codecId: 'COT01_0' }],
  ['RI01A', { id: 'RI01A', type: 'remote-inbound-rtp', kind: 'audio', packetsLost: 7, jitter: 0.003, roundTripTime: 0.042 }],
  ['SA1', { id: 'SA1', type: 'media-source', kind: 'audio', audioLevel: 0.5 }],
  ['CIT01_0', { id: 'CIT01_0', type: 'codec', mimeType: 'audio/PCMA', clockRate: 8000 }],
  ['T01', { id: 'T01', type: 'transport', selectedCandidatePairId: 'CP1', dtlsState: 'connected' }],
  ['CP1', { id: 'CP1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', currentRoundTripTime: 0.001 }],
  ['L1', { id: 'L1', type: 'local-candidate', address: '10.0.0.2', port: 54321 }],
  ['R1', { id: 'R1', type: 'remote-candidate', address: '203.0.113.7', port: 20010 }],
  ['V1', { id: 'V1', type: 'inbound-rtp', kind: 'video', packetsReceived: 99999 }],
]);

describe('summarizeStats', () => {
  it("reads both directions, the far end's report, levels, codec and the ICE pair", () => {
    const s = summarizeStats(report, 'C1', 'connected', 1234);
    expect(s).toEqual({
      call_id: 'C1', timestamp: 1234, iceConnectionState: 'connected',
      packetsReceived: 950, bytesReceived: 152000, packetsLost: 50, jitter: 0.0125, audioLevel: 0.31, totalAudioEnergy: 1.5,
      lossFraction: 0.05, codec: 'PCMA/8000',
      packetsSent: 1000, bytesSent: 160000, audioLevelOut: 0.5, remotePacketsLost: 7, remoteJitter: 0.003,
      roundTripTime: 0.042, rttSource: 'rtcp', dtlsState: 'connected', selectedPair: '10.0.0.2:54321 ⇄ 203.0.113.7:20010',
      mos: expect.any(Number),
    });
    // 5 % loss costs G.711 with PLC about half a MOS point (R ≈ 76: "some users dissatisfied").
    expect(s.mos).toBeCloseTo(3.87, 2);
  });

  it('takes the RTT from the ICE pair when there is no RTCP report, and leaves out what was not reported', () => {
    const partial = new Map([...report].filter(([k]) => !['RI01A', 'SA1', 'CIT01_0'].includes(k)));
    const s = summarizeStats(partial, null, 'checking');
    expect(s.roundTripTime).toBe(0.001);
    expect(s.rttSource).toBe('ice');
    expect(s).not.toHaveProperty('audioLevelOut');
    expect(s).not.toHaveProperty('codec');
    expect(s).not.toHaveProperty('remotePacketsLost');
  });

  it('before any packet: counters at zero, no MOS; an empty report gives just the call and ICE state', () => {
    const early = new Map<string, any>([['in', { type: 'inbound-rtp', kind: 'audio' }]]);
    expect(summarizeStats(early, 'C1', 'new', 5)).toEqual({
      call_id: 'C1', timestamp: 5, iceConnectionState: 'new', packetsReceived: 0, bytesReceived: 0, packetsLost: 0,
      jitter: 0, audioLevel: 0, totalAudioEnergy: 0, lossFraction: 0,
    });
    expect(summarizeStats(new Map(), 'C1', 'new', 5)).toEqual({ call_id: 'C1', timestamp: 5, iceConnectionState: 'new' });
  });
});

describe('estimateMos (E-model, G.711 with PLC)', () => {
  it('a clean LAN call scores about 4.4; loss and delay lower it; the range is 1..4.5', () => {
    expect(estimateMos(0, 0.001, 0.002)).toBeCloseTo(4.4, 1);
    expect(estimateMos(0.01, 0.001, 0.002)).toBeLessThan(estimateMos(0, 0.001, 0.002));
    expect(estimateMos(0, 0.001, 0.6)).toBeLessThan(4);
    expect(estimateMos(0.2, 0.05, 0.4)).toBeLessThan(2.5);
    expect(estimateMos(1, 1, 10)).toBe(1);
  });
});
