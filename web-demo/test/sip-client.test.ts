import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  EXTRA_EVENTS, GatewayError, MediaError, SEED_EVENTS, SIPClient, SipError, TimeoutError,
  type SIPClientOptions,
} from '../src/index';
import {
  FakeMediaElement, FakeRTCPeerConnection, FakeWebSocket, SECRET, SESSION_ID, flush, installFakes, okResponder,
} from './fakes';

const OFFER = { type: 'offer', sdp: 'v=0\r\no=- 9 9 IN IP4 127.0.0.1\r\n' };
const ANSWER = { type: 'answer', sdp: 'v=0\r\no=- 8 8 IN IP4 127.0.0.1\r\n' };

function makeClient(extra: Partial<SIPClientOptions> = {}, gatewayOpts = {}) {
  const events: [string, any][] = [];
  const errors: Error[] = [];
  const local = new FakeMediaElement();
  const remote = new FakeMediaElement();
  const client = new SIPClient({
    server: 'gw.example.net', port: 8443, protocol: 'wss', client_id: 'agent-42', debug: false,
    on_event: (event, data) => { events.push([event, data]); },
    on_error: (error) => { errors.push(error); },
    local_stream: local as unknown as HTMLMediaElement,
    remote_stream: remote as unknown as HTMLMediaElement,
    ...extra,
  }, { keepalive_ms: 0, ...gatewayOpts });
  const names = () => events.map(([e]) => e);
  const last = (name: string) => events.filter(([e]) => e === name).at(-1)?.[1];
  return { client, events, errors, names, last, local, remote };
}

const server = (msg: Record<string, unknown>) => FakeWebSocket.last.serverSend({ session_id: SESSION_ID, ...msg });

/** Connected, registered, in an answered outgoing call C1 to 1002. */
async function inCall(grace = 0) {
  FakeWebSocket.responder = okResponder(grace);
  const t = makeClient();
  await t.client.connect();
  server({ event: 'registered', user: '1001', domain: 'pbx', expires: 300 });
  const placed = t.client.start_call('1002');
  await flush();
  await placed;
  server({ event: 'accepted', call_id: 'C1', jsep: ANSWER });
  await flush();
  return t;
}

describe('SIPClient', () => {
  beforeEach(() => installFakes());
  afterEach(() => { vi.useRealTimers(); vi.unstubAllGlobals(); });

  it('connect(): wss URL from server/port/protocol, hello with client_id, then ready', async () => {
    FakeWebSocket.responder = okResponder(30);
    const t = makeClient();
    expect(await t.client.connect()).toBe(true);
    expect(FakeWebSocket.last.url).toBe('wss://gw.example.net:8443/ws');
    expect(FakeWebSocket.last.lastRequest('hello')).toMatchObject({ client_id: 'agent-42' });
    expect(t.events).toEqual([['ready', { session_id: SESSION_ID, client_id: 'agent-42', reattach_grace_s: 30, reattached: false }]]);
  });

  it('register() sends the documented register request', async () => {
    FakeWebSocket.responder = okResponder();
    const t = makeClient();
    await t.client.connect();
    expect(await t.client.register({ user: '1001', password: 'pass1001', domain: 'pbx.example.net', port: 5060, transport: 'udp' })).toBe(true);
    expect(FakeWebSocket.last.lastRequest('register')).toEqual({
      request: 'register', transaction: expect.any(String), user: '1001', password: 'pass1001', domain: 'pbx.example.net', port: 5060, transport: 'udp',
    });
  });

  it('start_call(): getUserMedia, offer in call (number, domain, port), trickle after the response, answer applied on accepted', async () => {
    FakeWebSocket.responder = okResponder();
    const t = makeClient();
    await t.client.connect();
    const placed = t.client.start_call('11992252626', 'sip.domain.com', 5060);
    await flush();
    const pc = FakeRTCPeerConnection.last;
    expect(await placed).toBe(true);
    const call = FakeWebSocket.last.lastRequest('call');
    expect(call).toMatchObject({ number: '11992252626', domain: 'sip.domain.com', port: 5060, jsep: { type: 'offer', sdp: expect.stringContaining('v=0') } });
    expect(t.local.srcObject).not.toBeNull();
    expect(t.local.muted).toBe(true);
    pc.candidate('candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host');
    pc.candidate(null);
    await flush();
    const tr = FakeWebSocket.last.requests('trickle');
    expect(tr[0]).toMatchObject({ call_id: 'C1', candidate: { candidate: expect.stringContaining('54321'), sdpMid: '0', sdpMLineIndex: 0 } });
    expect(tr[1]).toMatchObject({ call_id: 'C1', completed: true });
    server({ event: 'calling', call_id: 'C1', callee: '11992252626' });
    server({ event: 'progress', call_id: 'C1', code: 180, reason: 'Ringing' });
    server({ event: 'accepted', call_id: 'C1', jsep: ANSWER });
    await flush();
    expect(pc.remoteDescription).toEqual(ANSWER);
    expect(t.names()).toEqual(['ready', 'calling', 'progress', 'accepted']);
    expect(t.last('progress')).toEqual({ call_id: 'C1', code: 180, reason: 'Ringing', early_media: false });
    expect(t.last('accepted')).toEqual({ call_id: 'C1', direction: 'outgoing' });
    expect(t.client.state.call).toMatchObject({ call_id: 'C1', state: 'accepted', direction: 'outgoing' });
  });

  it('queues candidates gathered before the call response, and events that overtake it', async () => {
    FakeWebSocket.responder = okResponder();
    const t = makeClient();
    await t.client.connect();
    let release!: () => void;
    FakeWebSocket.responder = (req, ws) => {
      if (req.request !== 'call') return okResponder()(req);
      release = () => ws.serverSend({ response: 'call', transaction: req.transaction, ok: true, call_id: 'C9' });
      return undefined;
    };
    const placed = t.client.start_call('1002');
    await flush();
    FakeRTCPeerConnection.last.candidate('candidate:1 1 udp 1 127.0.0.1 1 typ host');
    server({ event: 'calling', call_id: 'C9', callee: '1002' });
    expect(FakeWebSocket.last.requests('trickle')).toHaveLength(0);
    expect(t.names()).toEqual(['ready']);
    release();
    await placed;
    expect(FakeWebSocket.last.requests('trickle')[0]).toMatchObject({ call_id: 'C9' });
    expect(t.names()).toEqual(['ready', 'calling']);
  });

  it('early media: progress with jsep applies the answer and says early_media', async () => {
    FakeWebSocket.responder = okResponder();
    const t = makeClient();
    await t.client.connect();
    await t.client.start_call('1002');
    server({ event: 'progress', call_id: 'C1', code: 183, reason: 'Session Progress', jsep: ANSWER });
    server({ event: 'accepted', call_id: 'C1' });
    await flush();
    expect(FakeRTCPeerConnection.last.remoteDescription).toEqual(ANSWER);
    expect(t.last('progress')).toMatchObject({ early_media: true });
    expect(t.last('accepted')).toEqual({ call_id: 'C1', direction: 'outgoing' });
  });

  it('in a call: mute, unmute, hold, unhold, send_dtmf, start/stop_recording, hangup send the documented requests', async () => {
    const t = await inCall();
    const ws = FakeWebSocket.last;
    const pc = FakeRTCPeerConnection.last;
    expect(await t.client.mute()).toBe(true);
    expect(pc.tracks[0]!.enabled).toBe(false);
    expect(t.client.state.call?.muted).toBe(true);
    await t.client.unmute();
    expect(pc.tracks[0]!.enabled).toBe(true);
    await t.client.hold();
    expect(t.client.state.call?.held).toBe(true);
    await t.client.unhold();
    await t.client.send_dtmf('123');
    await t.client.start_recording();
    await t.client.stop_recording();
    await t.client.hangup();
    const sent = ws.requests().filter((r) => !['hello', 'call', 'trickle'].includes(r.request))
      .map(({ transaction, ...rest }) => rest);
    expect(sent).toEqual([
      { request: 'mute', call_id: 'C1' },
      { request: 'unmute', call_id: 'C1' },
      { request: 'hold', call_id: 'C1' },
      { request: 'unhold', call_id: 'C1' },
      { request: 'dtmf', call_id: 'C1', digits: '123' },
      { request: 'start_recording', call_id: 'C1' },
      { request: 'stop_recording', call_id: 'C1' },
      { request: 'hangup', call_id: 'C1' },
    ]);
    server({ event: 'hangup', call_id: 'C1', code: 200, reason: 'BYE', cause: 'answered' });
    expect(t.last('hangup')).toEqual({ call_id: 'C1', code: 200, reason: 'BYE', cause: 'answered', direction: 'outgoing' });
    expect(pc.closed).toBe(true);
    expect(t.remote.srcObject).toBeNull();
    expect(t.client.state.call).toBeNull();
    expect(t.errors).toEqual([]);
  });

  it('incoming call: incomingcall, accept() answers the offer in accept, then accepted', async () => {
    FakeWebSocket.responder = okResponder();
    const t = makeClient();
    await t.client.connect();
    server({ event: 'incomingcall', call_id: 'I1', caller: '1003', caller_name: 'Carol', callee: '1001', jsep: OFFER });
    expect(t.last('incomingcall')).toEqual({ call_id: 'I1', caller: '1003', caller_name: 'Carol', callee: '1001' });
    expect(await t.client.accept()).toBe(true);
    const pc = FakeRTCPeerConnection.last;
    expect(pc.remoteDescription).toEqual(OFFER);
    expect(FakeWebSocket.last.lastRequest('accept')).toMatchObject({ call_id: 'I1', jsep: { type: 'answer', sdp: expect.any(String) } });
    pc.candidate('candidate:2 1 udp 1 127.0.0.1 2 typ host');
    await flush();
    expect(FakeWebSocket.last.lastRequest('trickle')).toMatchObject({ call_id: 'I1' });
    server({ event: 'accepted', call_id: 'I1' });
    expect(t.last('accepted')).toEqual({ call_id: 'I1', direction: 'incoming' });
    const stream = { id: 'remote' };
    pc.dispatch('track', { streams: [stream], track: {} });
    expect(t.remote.srcObject).toBe(stream);
    expect(t.remote.play).toHaveBeenCalled();
  });

  it('decline() refuses the ringing call (603 by default); hangup() while ringing declines too', async () => {
    FakeWebSocket.responder = okResponder();
    const t = makeClient();
    await t.client.connect();
    server({ event: 'incomingcall', call_id: 'I2', caller: '1003', callee: '1001', jsep: OFFER });
    expect(await t.client.decline()).toBe(true);
    expect(FakeWebSocket.last.lastRequest('decline')).toMatchObject({ call_id: 'I2', code: 603 });
    server({ event: 'hangup', call_id: 'I2', code: 603, reason: 'Decline', cause: 'rejected' });
    expect(t.last('hangup')).toMatchObject({ call_id: 'I2', cause: 'rejected', direction: 'incoming' });
    server({ event: 'incomingcall', call_id: 'I3', caller: '1003', callee: '1001', jsep: OFFER });
    await t.client.hangup();
    expect(FakeWebSocket.last.lastRequest('decline')).toMatchObject({ call_id: 'I3' });
    expect(t.errors).toEqual([]);
  });

  it('maps every protocol event to the seed event name (and the documented extras)', async () => {
    const t = await inCall();
    const frames: Record<string, unknown>[] = [
      { event: 'registering', user: '1001', domain: 'pbx' },
      { event: 'registered', user: '1001', domain: 'pbx', expires: 300 },
      { event: 'registration_failed', code: 503, reason: 'Service Unavailable', retrying: true, retry_in_s: 2 },
      { event: 'unregistering' },
      { event: 'unregistered', code: 200, reason: 'OK' },
      { event: 'calling', call_id: 'C1', callee: '1002' },
      { event: 'progress', call_id: 'C1', code: 180, reason: 'Ringing' },
      { event: 'accepted', call_id: 'C1' },
      { event: 'updatingcall', call_id: 'C1', direction: 'recvonly', initiator: 'remote', reason: 're-INVITE' },
      { event: 'muted', call_id: 'C1', muted: true },
      { event: 'dtmf', call_id: 'C1', digit: '5', duration_ms: 160, method: 'rfc4733' },
      { event: 'recordingupdated', call_id: 'C1', recording: { recording_id: 'r1', state: 'paused' } },
      { event: 'missed_call', call_id: 'M1', caller: '1004', callee: '1001' },
      { event: 'hangup', call_id: 'C1', code: 200, reason: 'BYE', cause: 'answered' },
      { event: 'incomingcall', call_id: 'I1', caller: '1003', callee: '1001', jsep: OFFER },
    ];
    const before = t.events.length;
    for (const f of frames) server(f);
    expect(t.events.slice(before).map(([e]) => e)).toEqual([
      'registering', 'registered', 'registration_failed', 'unregistering', 'unregistered', 'calling', 'progress',
      'accepted', 'updatingcall', 'muted', 'dtmf', 'recordingupdated', 'missed_call', 'hangup', 'incomingcall',
    ]);
    const allowed = new Set<string>([...SEED_EVENTS, ...EXTRA_EVENTS]);
    expect(t.events.every(([e]) => allowed.has(e))).toBe(true);
    expect(t.last('updatingcall')).toEqual({ call_id: 'C1', direction: 'recvonly', initiator: 'remote', reason: 're-INVITE', held: false });
    expect(t.last('muted')).toEqual({ call_id: 'C1', muted: true });
    expect(t.last('dtmf')).toEqual({ call_id: 'C1', digit: '5', duration_ms: 160, method: 'rfc4733' });
    expect(t.last('recordingupdated')).toEqual({ call_id: 'C1', recording: { recording_id: 'r1', state: 'paused' } });
    expect(t.last('missed_call')).toEqual({ call_id: 'M1', caller: '1004', caller_name: null, callee: '1001' });
    expect(t.last('registration_failed')).toEqual({ code: 503, reason: 'Service Unavailable', retrying: true, retry_in_s: 2 });
    expect(t.last('unregistered')).toEqual({ code: 200, reason: 'OK' });
    expect(t.errors).toEqual([]); // a transient registration failure is no error
  });

  it('hold/unhold events of the gateway update the hold state', async () => {
    const t = await inCall();
    server({ event: 'updatingcall', call_id: 'C1', direction: 'sendonly', initiator: 'local', reason: 'hold' });
    expect(t.last('updatingcall')).toMatchObject({ held: true, direction: 'sendonly' });
    server({ event: 'updatingcall', call_id: 'C1', direction: 'sendrecv', initiator: 'local', reason: 'unhold' });
    expect(t.client.state.call?.held).toBe(false);
  });

  describe('errors reach on_error', () => {
    it('GatewayError with the code when the gateway refuses a request', async () => {
      FakeWebSocket.responder = (req) => (req.request === 'register'
        ? { ok: false, error: { code: 400, reason: 'missing field: user' } } : okResponder()(req));
      const t = makeClient();
      await t.client.connect();
      expect(await t.client.register({ user: '', password: 'x', domain: 'pbx' })).toBe(false);
      expect(t.errors[0]).toBeInstanceOf(GatewayError);
      expect(t.errors[0]).toMatchObject({ code: 400, request: 'register' });
    });

    it('SipError for a final registration failure and a failed call', async () => {
      const t = await inCall();
      server({ event: 'registration_failed', code: 401, reason: 'Unauthorized', retrying: false });
      expect(t.last('registration_failed')).toEqual({ code: 401, reason: 'Unauthorized', retrying: false });
      expect(t.errors[0]).toBeInstanceOf(SipError);
      expect(t.errors[0]).toMatchObject({ sip_code: 401, context: 'register' });
      server({ event: 'hangup', call_id: 'C1', code: 404, reason: 'Not Found', cause: 'failed' });
      expect(t.errors[1]).toBeInstanceOf(SipError);
      expect(t.errors[1]).toMatchObject({ sip_code: 404, context: 'call', call_id: 'C1' });
      server({ event: 'hangup', call_id: 'X', code: 486, reason: 'Busy Here', cause: 'busy' });
      expect(t.errors).toHaveLength(2); // busy is an outcome, not an error
    });

    it('MediaError (permission) when getUserMedia is refused; no call request is sent', async () => {
      installFakes({ denyMic: true });
      FakeWebSocket.responder = okResponder();
      const t = makeClient();
      await t.client.connect();
      expect(await t.client.start_call('1002')).toBe(false);
      expect(t.errors[0]).toBeInstanceOf(MediaError);
      expect(t.errors[0]).toMatchObject({ kind: 'permission' });
      expect(FakeWebSocket.last.requests('call')).toHaveLength(0);
      expect(t.client.state.call).toBeNull();
    });

    it('MediaError (ice) when ICE fails', async () => {
      const t = await inCall();
      const pc = FakeRTCPeerConnection.last;
      pc.iceConnectionState = 'failed';
      pc.dispatch('iceconnectionstatechange', {});
      expect(t.errors[0]).toBeInstanceOf(MediaError);
      expect(t.errors[0]).toMatchObject({ kind: 'ice' });
    });

    it('TimeoutError when a request gets no response', async () => {
      vi.useFakeTimers();
      FakeWebSocket.responder = okResponder();
      const t = makeClient({}, { timeout_ms: 500 });
      const c = t.client.connect();
      await vi.advanceTimersByTimeAsync(0);
      await c;
      FakeWebSocket.responder = null;
      const r = t.client.register({ user: '1001', password: 'x', domain: 'pbx' });
      await vi.advanceTimersByTimeAsync(501);
      expect(await r).toBe(false);
      expect(t.errors[0]).toBeInstanceOf(TimeoutError);
    });

    it('a method without a call reports GatewayError 404', async () => {
      FakeWebSocket.responder = okResponder();
      const t = makeClient();
      await t.client.connect();
      expect(await t.client.send_dtmf('1')).toBe(false);
      expect(t.errors[0]).toMatchObject({ code: 404, request: 'dtmf' });
    });

    it('connect() failing reports a GatewayError', async () => {
      FakeWebSocket.responder = (req) => ({ ok: false, error: { code: 409, reason: 'hello twice' }, response: req.request });
      const t = makeClient();
      expect(await t.client.connect()).toBe(false);
      expect(t.errors[0]).toBeInstanceOf(GatewayError);
    });
  });

  it('claims the session after a dropped connection: same call, media untouched, ready with reattached', async () => {
    vi.useFakeTimers();
    FakeWebSocket.responder = okResponder(15);
    const t = makeClient({}, { reconnect_delays_ms: [200] });
    const c = t.client.connect();
    await vi.advanceTimersByTimeAsync(0);
    await c;
    server({ event: 'registered', user: '1001', domain: 'pbx', expires: 300 });
    const placed = t.client.start_call('1002');
    await vi.advanceTimersByTimeAsync(0);
    await placed;
    server({ event: 'accepted', call_id: 'C1', jsep: ANSWER });
    await vi.advanceTimersByTimeAsync(0);
    const pc = FakeRTCPeerConnection.last;
    FakeWebSocket.responder = (req) => (req.request === 'claim'
      ? { ok: true, session_id: req.session_id, client_id: 'agent-42', registered: true, call: { call_id: 'C1', held: false, muted: true }, missed_events: 2 }
      : okResponder(15)(req));
    FakeWebSocket.last.serverDrop(1006);
    expect(t.last('reconnecting')).toEqual({ session_id: SESSION_ID, attempt: 1, delay_ms: 200 });
    expect(t.client.state.reconnecting).toBe(true);
    await vi.advanceTimersByTimeAsync(200);
    expect(FakeWebSocket.last.sent[0]).toMatchObject({ request: 'claim', session_id: SESSION_ID, secret: SECRET });
    expect(t.last('ready')).toEqual({
      session_id: SESSION_ID, client_id: 'agent-42', reattach_grace_s: 15, reattached: true, registered: true,
      call: { call_id: 'C1', held: false, muted: true }, missed_events: 2,
    });
    expect(t.client.state).toMatchObject({ connected: true, reconnecting: false, registration: 'registered', call: { call_id: 'C1', muted: true } });
    expect(pc.closed).toBe(false);
    expect(pc.tracks[0]!.enabled).toBe(false);
    expect(t.names()).not.toContain('disconnected');
  });

  it('disconnect(): hangs up, unregisters, closes; then disconnected', async () => {
    const t = await inCall(30);
    const ws = FakeWebSocket.last;
    const done = t.client.disconnect();
    await flush();
    server({ event: 'unregistered', code: 200, reason: 'OK' });
    await done;
    await flush();
    expect(ws.requests().slice(-2).map((r) => r.request)).toEqual(['hangup', 'unregister']);
    expect(ws.closedWith).toEqual({ code: 1000, reason: 'bye' });
    expect(t.last('disconnected')).toEqual({ code: 1000, reason: 'bye', by_user: true });
    expect(FakeRTCPeerConnection.last.closed).toBe(true);
    expect(t.client.session).toBeNull();
    expect(FakeWebSocket.instances).toHaveLength(1); // no re-attach
  });

  it('get_stats() returns the typed summary of the call (both directions, jitter, RTT, levels, codec, ICE pair, MOS); null without a call', async () => {
    FakeWebSocket.responder = okResponder();
    const idle = makeClient();
    await idle.client.connect();
    expect(await idle.client.get_stats()).toBeNull();
    const t = await inCall();
    const s = await t.client.get_stats();
    expect(s).toMatchObject({
      call_id: 'C1', packetsReceived: 120, bytesReceived: 19200, packetsLost: 1, jitter: 0.002, audioLevel: 0.1,
      packetsSent: 130, bytesSent: 20800, audioLevelOut: 0.25, codec: 'PCMU/8000',
      roundTripTime: 0.004, rttSource: 'ice', dtlsState: 'connected', selectedPair: '127.0.0.1:50000 ⇄ 127.0.0.1:20002',
    });
    expect(s!.lossFraction).toBeCloseTo(1 / 121, 6);
    expect(s!.mos).toBeGreaterThan(4);
    expect(s!.timestamp).toBeGreaterThan(0);
    await t.client.hangup();
    server({ event: 'hangup', call_id: 'C1', code: 200, reason: 'BYE', cause: 'answered' });
    await flush();
    expect(await t.client.get_stats()).toBeNull();
  });

  describe('connect({resume}): a reloaded page claims its session', () => {
    const saved = { session_id: SESSION_ID, secret: SECRET, reattach_grace_s: 15 };

    it('sends claim (not hello) with session_id and secret; ready says reattached and registered', async () => {
      FakeWebSocket.responder = okResponder(15);
      const t = makeClient();
      expect(await t.client.connect({ resume: saved })).toBe(true);
      expect(FakeWebSocket.last.requests().map((r) => r.request)).toEqual(['claim']);
      expect(FakeWebSocket.last.lastRequest('claim')).toEqual({ request: 'claim', transaction: expect.any(String), session_id: SESSION_ID, secret: SECRET });
      expect(t.events).toEqual([['ready', {
        session_id: SESSION_ID, client_id: 'agent-42', reattach_grace_s: 15, reattached: true, registered: true, call: null, missed_events: 0,
      }]]);
      expect(t.client.state).toMatchObject({ connected: true, session_id: SESSION_ID, registration: 'registered', call: null });
      expect(t.client.session).toEqual(saved);
    });

    it('a call the gateway kept for the session has no media in the new page: it is hung up, the registration kept', async () => {
      FakeWebSocket.responder = (req) => (req.request === 'claim'
        ? { ok: true, session_id: req.session_id, registered: true, call: { call_id: 'C9', held: false, muted: false }, missed_events: 3 }
        : okResponder(15)(req));
      const t = makeClient();
      expect(await t.client.connect({ resume: saved })).toBe(true);
      await flush();
      expect(FakeWebSocket.last.lastRequest('hangup')).toMatchObject({ call_id: 'C9' });
      expect(t.last('ready')).toMatchObject({ reattached: true, registered: true, call: { call_id: 'C9' }, missed_events: 3 });
      expect(FakeRTCPeerConnection.instances).toHaveLength(0);
      expect(t.client.state).toMatchObject({ registration: 'registered', call: null });
      server({ event: 'hangup', call_id: 'C9', code: 200, reason: 'BYE', cause: 'answered' });
      await flush();
      expect(t.last('hangup')).toEqual({ call_id: 'C9', code: 200, reason: 'BYE', cause: 'answered', direction: null });
      expect(t.client.state.registration).toBe('registered');
      expect(t.errors).toEqual([]);
    });

    it('a refused claim (session gone) falls back to a new session with hello', async () => {
      FakeWebSocket.responder = (req) => (req.request === 'claim'
        ? { ok: false, error: { code: 404, reason: 'no such session' } }
        : okResponder(15)(req));
      const t = makeClient();
      expect(await t.client.connect({ resume: { ...saved, secret: 'stale' } })).toBe(true);
      expect(FakeWebSocket.last.requests().map((r) => r.request)).toEqual(['claim', 'hello']);
      expect(t.events).toEqual([['ready', { session_id: SESSION_ID, client_id: 'agent-42', reattach_grace_s: 15, reattached: false }]]);
      expect(t.client.state.registration).toBe('none');
      expect(t.client.session?.secret).toBe(SECRET);
    });
  });
});
