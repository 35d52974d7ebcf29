// Test doubles: a WebSocket whose peer is the test (it answers requests by hand or with an
// auto-responder), an RTCPeerConnection that produces SDP and ICE candidates, getUserMedia.
import { vi } from 'vitest';

type Listener = (ev: any) => void;

export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  static autoOpen = true;
  /** Answers each request frame; return undefined to leave it unanswered. */
  static responder: ((req: any, ws: FakeWebSocket) => Record<string, unknown> | undefined) | null = null;

  readonly url: string;
  readyState = 0;
  sent: any[] = [];
  closedWith: { code: number; reason: string } | null = null;
  private listeners = new Map<string, Set<Listener>>();

  constructor(url: string) {
    this.url = url;
    FakeWebSocket.instances.push(this);
    if (FakeWebSocket.autoOpen) queueMicrotask(() => this.serverOpen());
  }
  static get last(): FakeWebSocket { return FakeWebSocket.instances.at(-1)!; }
  static reset(): void { FakeWebSocket.instances = []; FakeWebSocket.autoOpen = true; FakeWebSocket.responder = null; }

  addEventListener(type: string, fn: Listener): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(fn);
  }
  removeEventListener(type: string, fn: Listener): void { this.listeners.get(type)?.delete(fn); }
  private dispatch(type: string, ev: any): void { for (const fn of this.listeners.get(type) ?? []) fn(ev); }

  send(data: string): void {
    const msg = JSON.parse(data);
    this.sent.push(msg);
    const res = FakeWebSocket.responder?.(msg, this);
    if (res) queueMicrotask(() => this.serverSend({ response: msg.request, transaction: msg.transaction, ...res }));
  }
  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.closedWith = { code, reason };
    this.readyState = 3;
    queueMicrotask(() => this.dispatch('close', { code, reason }));
  }

  // ---- the server side ----
  serverOpen(): void { this.readyState = 1; this.dispatch('open', {}); }
  serverSend(msg: unknown): void { this.dispatch('message', { data: typeof msg === 'string' ? msg : JSON.stringify(msg) }); }
  /** The connection drops (no close frame from us). */
  serverDrop(code = 1006): void { this.readyState = 3; this.dispatch('close', { code, reason: '' }); }
  requests(name?: string): any[] { return this.sent.filter((m) => name === undefined || m.request === name); }
  lastRequest(name?: string): any { return this.requests(name).at(-1); }
}

export class FakeTrack {
  enabled = true;
  stopped = false;
  kind = 'audio';
  stop(): void { this.stopped = true; }
}
export class FakeMediaStream {
  tracks = [new FakeTrack()];
  constructor(tracks?: FakeTrack[]) { if (tracks) this.tracks = tracks; }
  getTracks(): FakeTrack[] { return this.tracks; }
  getAudioTracks(): FakeTrack[] { return this.tracks; }
}

export class FakeRTCPeerConnection {
  static instances: FakeRTCPeerConnection[] = [];
  static get last(): FakeRTCPeerConnection { return FakeRTCPeerConnection.instances.at(-1)!; }
  localDescription: { type: string; sdp: string } | null = null;
  remoteDescription: { type: string; sdp: string } | null = null;
  signalingState = 'stable';
  iceConnectionState = 'new';
  connectionState = 'new';
  closed = false;
  tracks: FakeTrack[] = [];
  private listeners = new Map<string, Set<Listener>>();
  constructor(public config: unknown) { FakeRTCPeerConnection.instances.push(this); }
  addEventListener(type: string, fn: Listener): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(fn);
  }
  dispatch(type: string, ev: any): void { for (const fn of this.listeners.get(type) ?? []) fn(ev); }
  addTrack(track: FakeTrack): void { this.tracks.push(track); }
  async createOffer(): Promise<{ type: string; sdp: string }> { return { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' }; }
  async createAnswer(): Promise<{ type: string; sdp: string }> { return { type: 'answer', sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n' }; }
  async setLocalDescription(d: { type: string; sdp: string }): Promise<void> { this.localDescription = d; }
  async setRemoteDescription(d: { type: string; sdp: string }): Promise<void> { this.remoteDescription = d; }
  /** A report shaped like Chromium's for an answered G.711 call (see test/call-stats.test.ts). */
  async getStats(): Promise<Map<string, any>> {
    return new Map<string, any>([
      ['in', { type: 'inbound-rtp', kind: 'audio', packetsReceived: 120, bytesReceived: 19200, jitter: 0.002, packetsLost: 1, audioLevel: 0.1, codecId: 'c0' }],
      ['out', { type: 'outbound-rtp', kind: 'audio', packetsSent: 130, bytesSent: 20800, mediaSourceId: 'src', codecId: 'c0' }],
      ['src', { type: 'media-source', kind: 'audio', audioLevel: 0.25 }],
      ['c0', { type: 'codec', mimeType: 'audio/PCMU', clockRate: 8000 }],
      ['tr', { type: 'transport', selectedCandidatePairId: 'pair', dtlsState: 'connected' }],
      ['pair', { type: 'candidate-pair', id: 'pair', localCandidateId: 'lc', remoteCandidateId: 'rc', currentRoundTripTime: 0.004, state: 'succeeded', nominated: true }],
      ['lc', { type: 'local-candidate', address: '127.0.0.1', port: 50000 }],
      ['rc', { type: 'remote-candidate', address: '127.0.0.1', port: 20002 }],
    ]);
  }
  close(): void { this.closed = true; this.signalingState = 'closed'; }
  /** Emits a local candidate (null: gathering complete). */
  candidate(c: string | null): void {
    this.dispatch('icecandidate', { candidate: c === null ? null : { candidate: c, sdpMid: '0', sdpMLineIndex: 0 } });
  }
}

export class FakeMediaElement {
  srcObject: unknown = null;
  muted = false;
  play = vi.fn(async () => {});
}

/** Installs the globals; `denyMic` makes getUserMedia fail with NotAllowedError. */
export function installFakes(opts: { denyMic?: boolean } = {}): void {
  FakeWebSocket.reset();
  FakeRTCPeerConnection.instances = [];
  vi.stubGlobal('WebSocket', FakeWebSocket);
  vi.stubGlobal('RTCPeerConnection', FakeRTCPeerConnection);
  vi.stubGlobal('MediaStream', FakeMediaStream);
  vi.stubGlobal('navigator', {
    mediaDevices: {
      getUserMedia: vi.fn(async () => {
        if (opts.denyMic) throw Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' });
        return new FakeMediaStream();
      }),
    },
  });
}

/** Lets queued microtasks and promise chains run. */
export async function flush(times = 20): Promise<void> {
  for (let i = 0; i < times; i++) await Promise.resolve();
}

export const SESSION_ID = 7924161977477011;
export const SECRET = '9f2c4e0b7a1d3c5e8f0a2b4c6d8e0f1a';

/** Answers every request ok (hello with a session and the given grace; call with call_id C1). */
export function okResponder(grace = 0) {
  return (req: any): Record<string, unknown> | undefined => {
    switch (req.request) {
      case 'hello': return { ok: true, session_id: SESSION_ID, version: 1, secret: SECRET, reattach_grace_s: grace };
      case 'claim': return { ok: true, session_id: req.session_id, client_id: 'agent-42', registered: true, call: null, missed_events: 0 };
      case 'call': return { ok: true, call_id: 'C1' };
      case 'accept': return { ok: true, call_id: req.call_id };
      default: return { ok: true };
    }
  };
}
