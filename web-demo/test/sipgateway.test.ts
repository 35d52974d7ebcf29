import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionError, GatewayError, Sipgateway, TimeoutError } from '../src/index';
import { FakeWebSocket, SECRET, SESSION_ID, flush, installFakes, okResponder } from './fakes';

describe('Sipgateway', () => {
  beforeEach(() => installFakes());
  afterEach(() => { vi.useRealTimers(); vi.unstubAllGlobals(); });

  it('opens the WebSocket and says hello with the client_id', async () => {
    FakeWebSocket.responder = okResponder(30);
    const gw = new Sipgateway({ url: 'wss://gw:8443/ws', client_id: 'agent-42' });
    const ready = vi.fn();
    gw.on('ready', ready);
    const info = await gw.connect();
    expect(FakeWebSocket.last.url).toBe('wss://gw:8443/ws');
    expect(FakeWebSocket.last.sent[0]).toEqual({ request: 'hello', transaction: expect.any(String), client_id: 'agent-42' });
    expect(info).toMatchObject({ session_id: SESSION_ID, reattach_grace_s: 30, reattached: false });
    expect(ready).toHaveBeenCalledOnce();
    expect(gw.session).toEqual({ session_id: SESSION_ID, secret: SECRET, reattach_grace_s: 30 });
    expect(gw.ready).toBe(true);
  });

  it('gives every request its own transaction and resolves with its response', async () => {
    FakeWebSocket.responder = okResponder();
    const gw = new Sipgateway({ url: 'ws://gw/ws' });
    await gw.connect();
    FakeWebSocket.responder = null;
    const ws = FakeWebSocket.last;
    const a = gw.request('hangup', { call_id: 'A' });
    const b = gw.request('hangup', { call_id: 'B' });
    const [ta, tb] = ws.requests('hangup').map((r) => r.transaction);
    expect(ta).not.toBe(tb);
    ws.serverSend({ response: 'hangup', transaction: tb, ok: false, error: { code: 404, reason: 'no such call' } });
    ws.serverSend({ response: 'hangup', transaction: ta, ok: true });
    await expect(a).resolves.toMatchObject({ ok: true });
    const err = await b.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 404, reason: 'no such call', request: 'hangup' });
  });

  it('rejects a request without a response with TimeoutError after timeout_ms', async () => {
    vi.useFakeTimers();
    FakeWebSocket.responder = okResponder();
    const gw = new Sipgateway({ url: 'ws://gw/ws', timeout_ms: 1000, keepalive_ms: 0 });
    const connected = gw.connect();
    await vi.advanceTimersByTimeAsync(0);
    await connected;
    FakeWebSocket.responder = null;
    const p = gw.request('register', { user: '1001', password: 'x', domain: 'pbx' });
    const caught = p.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(999);
    await vi.advanceTimersByTimeAsync(2);
    const err = await caught;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ request: 'register', timeout_ms: 1000 });
  });

  it('rejects requests when not connected, and pending ones when the socket closes', async () => {
    const gw = new Sipgateway({ url: 'ws://gw/ws' });
    await expect(gw.request('keepalive', {})).rejects.toBeInstanceOf(ConnectionError);
    FakeWebSocket.responder = okResponder(0);
    await gw.connect();
    FakeWebSocket.responder = null;
    const p = gw.request('keepalive', {});
    FakeWebSocket.last.serverDrop();
    await expect(p).rejects.toBeInstanceOf(ConnectionError);
  });

  it('sends keepalives and drops a connection whose keepalive is not answered', async () => {
    vi.useFakeTimers();
    FakeWebSocket.responder = okResponder(0);
    const gw = new Sipgateway({ url: 'ws://gw/ws', keepalive_ms: 5000, timeout_ms: 2000 });
    const c = gw.connect();
    await vi.advanceTimersByTimeAsync(0);
    await c;
    const ws = FakeWebSocket.last;
    await vi.advanceTimersByTimeAsync(5000);
    expect(ws.requests('keepalive')).toHaveLength(1);
    FakeWebSocket.responder = null;
    const closed = vi.fn();
    gw.on('closed', closed);
    await vi.advanceTimersByTimeAsync(5000 + 2001);
    expect(ws.closedWith).toEqual({ code: 4000, reason: 'keepalive timeout' });
    await vi.advanceTimersByTimeAsync(0);
    expect(closed).toHaveBeenCalledWith({ code: 4000, reason: 'keepalive timeout', by_user: false });
  });

  it('re-attaches after a dropped connection with claim (session_id + secret) when reattach_grace_s > 0', async () => {
    vi.useFakeTimers();
    FakeWebSocket.responder = okResponder(15);
    const gw = new Sipgateway({ url: 'ws://gw/ws', keepalive_ms: 0, reconnect_delays_ms: [100] });
    const c = gw.connect();
    await vi.advanceTimersByTimeAsync(0);
    await c;
    const events = { lost: vi.fn(), reconnecting: vi.fn(), ready: vi.fn(), closed: vi.fn() };
    gw.on('connection_lost', events.lost);
    gw.on('reconnecting', events.reconnecting);
    gw.on('ready', events.ready);
    gw.on('closed', events.closed);
    const first = FakeWebSocket.last;
    first.serverDrop(1006);
    expect(events.lost).toHaveBeenCalledWith({ code: 1006, reason: '', reconnecting: true });
    expect(events.reconnecting).toHaveBeenCalledWith({ session_id: SESSION_ID, attempt: 1, delay_ms: 100 });
    expect(gw.reconnecting).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    const second = FakeWebSocket.last;
    expect(second).not.toBe(first);
    expect(second.sent[0]).toEqual({ request: 'claim', transaction: expect.any(String), session_id: SESSION_ID, secret: SECRET });
    expect(second.requests('hello')).toHaveLength(0);
    expect(events.ready).toHaveBeenCalledWith(expect.objectContaining({ session_id: SESSION_ID, reattached: true }));
    expect(events.closed).not.toHaveBeenCalled();
    expect(gw.ready).toBe(true);
  });

  it('starts a new session when the claim is refused, and does not re-attach when the grace is 0', async () => {
    vi.useFakeTimers();
    FakeWebSocket.responder = okResponder(15);
    const gw = new Sipgateway({ url: 'ws://gw/ws', keepalive_ms: 0, reconnect_delays_ms: [100] });
    const c = gw.connect();
    await vi.advanceTimersByTimeAsync(0);
    await c;
    const lost = vi.fn();
    gw.on('session_lost', lost);
    FakeWebSocket.responder = (req) => (req.request === 'claim'
      ? { ok: false, error: { code: 404, reason: 'no such session' } }
      : okResponder(0)(req));
    FakeWebSocket.last.serverDrop();
    await vi.advanceTimersByTimeAsync(100);
    expect(lost).toHaveBeenCalledOnce();
    expect(FakeWebSocket.last.requests().map((r) => r.request)).toEqual(['claim', 'hello']);
    expect(gw.session).toBeNull(); // grace 0 now
    const closed = vi.fn();
    gw.on('closed', closed);
    const n = FakeWebSocket.instances.length;
    FakeWebSocket.last.serverDrop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(FakeWebSocket.instances.length).toBe(n);
    expect(closed).toHaveBeenCalledOnce();
  });

  it('close() ends the connection without re-attaching', async () => {
    FakeWebSocket.responder = okResponder(30);
    const gw = new Sipgateway({ url: 'ws://gw/ws', keepalive_ms: 0 });
    await gw.connect();
    const closed = vi.fn();
    gw.on('closed', closed);
    gw.close();
    await flush();
    expect(FakeWebSocket.last.closedWith).toEqual({ code: 1000, reason: 'bye' });
    expect(closed).toHaveBeenCalledWith({ code: 1000, reason: 'bye', by_user: true });
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('reports events, frames, and unparsable frames', async () => {
    FakeWebSocket.responder = okResponder();
    const gw = new Sipgateway({ url: 'ws://gw/ws', keepalive_ms: 0 });
    await gw.connect();
    const ev = vi.fn(); const frame = vi.fn(); const error = vi.fn();
    gw.on('event', ev); gw.on('frame', frame); gw.on('error', error);
    FakeWebSocket.last.serverSend({ event: 'registered', session_id: SESSION_ID, user: '1001', domain: 'pbx', expires: 300 });
    FakeWebSocket.last.serverSend('not json');
    FakeWebSocket.last.serverSend({ response: 'error', transaction: null, ok: false, error: { code: 400, reason: 'malformed JSON' } });
    expect(ev).toHaveBeenCalledWith(expect.objectContaining({ event: 'registered', user: '1001' }));
    expect(frame).toHaveBeenCalledWith('in', expect.objectContaining({ event: 'registered' }), false);
    expect(error).toHaveBeenCalledTimes(2);
    expect(error.mock.calls[1]![0]).toMatchObject({ code: 400 });
  });

  it('trickles candidates and the end of candidates', async () => {
    FakeWebSocket.responder = okResponder();
    const gw = new Sipgateway({ url: 'ws://gw/ws', keepalive_ms: 0 });
    await gw.connect();
    await gw.trickle('C1', { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 });
    await gw.trickle('C1', null);
    const [a, b] = FakeWebSocket.last.requests('trickle');
    expect(a).toMatchObject({ call_id: 'C1', candidate: { candidate: expect.stringContaining('127.0.0.1'), sdpMid: '0' } });
    expect(b).toMatchObject({ call_id: 'C1', completed: true });
  });
});
