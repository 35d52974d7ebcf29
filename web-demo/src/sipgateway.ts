// Sipgateway — the protocol layer: one WebSocket to the gateway speaking protocol v1
// (docs/protocol.md). `hello` / `claim`, transactions with timeouts, keepalive, re-attach after a
// dropped connection (a new socket `claim`s the session with the secret of `hello` while the
// gateway keeps it: `reattach_grace_s` > 0), and the gateway's events, typed. The media side
// (getUserMedia, RTCPeerConnection, JSEP and trickle ICE) is `MediaSession` in media.ts.

import { ConnectionError, GatewayError, SipGatewayClientError, TimeoutError } from './errors.js';
import type {
  GatewayEvent, IceCandidateJson, IncomingFrame, OkResponse, RequestFields, RequestName, ResponseResults,
} from './protocol.js';

export interface SipgatewayOptions {
  /** `wss://host:port/ws` (or `ws://` when the gateway allows plain WebSocket). */
  url: string;
  /** Sent in `hello`; appears in every subscriber event. */
  client_id?: string;
  /** Transaction timeout: a request without a response by then rejects with TimeoutError. */
  timeout_ms?: number;
  /** Period of the `keepalive` request (0: none). A keepalive that times out drops the socket. */
  keepalive_ms?: number;
  /** Delays between re-attach attempts after a dropped connection (the last one repeats). */
  reconnect_delays_ms?: number[];
  /** Log every frame to the console. */
  debug?: boolean;
  /** The WebSocket constructor (default: the global one). For tests and non-browser runtimes. */
  WebSocket?: WebSocketConstructor;
}

export type WebSocketConstructor = new (url: string) => WebSocket;

/** A session this library can re-attach to (from `hello`). */
export interface SessionInfo {
  session_id: number;
  secret: string;
  reattach_grace_s: number;
}

export type ClaimResult = OkResponse<'claim'>;
export type HelloResult = OkResponse<'hello'>;

export interface ReadyInfo {
  session_id: number;
  client_id: string | null;
  reattach_grace_s: number;
  /** true: an existing session was claimed (after a drop, or `connect({resume})`). */
  reattached: boolean;
  /** The claim response when `reattached`. */
  claim: ClaimResult | null;
}

export interface ConnectionLostInfo {
  code: number;
  reason: string;
  /** true: a re-attach attempt is scheduled (see `reconnecting`). */
  reconnecting: boolean;
}

export interface ReconnectingInfo {
  session_id: number;
  attempt: number;
  delay_ms: number;
}

export interface ClosedInfo {
  code: number;
  reason: string;
  /** `disconnect()` was called. */
  by_user: boolean;
}

/** What Sipgateway tells its listeners. */
export interface SipgatewayListeners {
  /** Every gateway event (also the missed ones replayed after a claim). */
  event: (ev: GatewayEvent) => void;
  /** A session is ready: `hello` or `claim` answered. */
  ready: (info: ReadyInfo) => void;
  /** The socket dropped. */
  connection_lost: (info: ConnectionLostInfo) => void;
  /** A re-attach attempt is scheduled. */
  reconnecting: (info: ReconnectingInfo) => void;
  /** A claim was refused (or the grace period ended): the old session, its call and registration are gone. */
  session_lost: (info: { session_id: number; reason: string }) => void;
  /** The connection is closed for good (no re-attach). */
  closed: (info: ClosedInfo) => void;
  /** Every frame sent (`out`) or received (`in`), for logs; `quiet` marks keepalives. */
  frame: (dir: 'in' | 'out', msg: Record<string, unknown>, quiet: boolean) => void;
  /** Errors that belong to no request (unparsable frame, WebSocket error). */
  error: (err: SipGatewayClientError) => void;
}

type ListenerMap = { [K in keyof SipgatewayListeners]: Set<SipgatewayListeners[K]> };

interface Pending {
  name: string;
  quiet: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve: (msg: Record<string, unknown>) => void;
  reject: (err: GatewayError) => void;
}

export interface RequestOptions {
  timeout_ms?: number;
  /** Not reported as `frame` (keepalives). */
  quiet?: boolean;
}

const DEFAULTS = { timeout_ms: 15000, keepalive_ms: 20000, reconnect_delays_ms: [500, 1000, 2000, 4000] };
const WS_OPEN = 1;

export type SipgatewayState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export class Sipgateway {
  readonly url: string;
  client_id: string | null;
  private readonly opts: Required<Omit<SipgatewayOptions, 'client_id' | 'WebSocket' | 'url'>>;
  private readonly WS: WebSocketConstructor;
  private ws: WebSocket | null = null;
  private nextTransaction = 1;
  private readonly pending = new Map<string, Pending>();
  private keepaliveTimer: ReturnType<typeof setInterval> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnect: { attempt: number; deadline: number } | null = null;
  private userClose = false;
  private readonly listeners: ListenerMap = {
    event: new Set(), ready: new Set(), connection_lost: new Set(), reconnecting: new Set(),
    session_lost: new Set(), closed: new Set(), frame: new Set(), error: new Set(),
  };
  private _session: SessionInfo | null = null;
  private _sessionId: number | null = null;
  private _state: SipgatewayState = 'idle';

  constructor(options: SipgatewayOptions) {
    this.url = options.url;
    this.client_id = options.client_id ?? null;
    this.opts = {
      timeout_ms: options.timeout_ms ?? DEFAULTS.timeout_ms,
      keepalive_ms: options.keepalive_ms ?? DEFAULTS.keepalive_ms,
      reconnect_delays_ms: options.reconnect_delays_ms ?? DEFAULTS.reconnect_delays_ms,
      debug: options.debug ?? false,
    };
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) throw new SipGatewayClientError('no WebSocket implementation available');
    this.WS = WS;
  }

  /** The current session id (null before `hello`). */
  get session_id(): number | null { return this._sessionId; }
  /** What a new connection needs to claim this session (null when the gateway keeps no sessions). */
  get session(): SessionInfo | null { return this._session; }
  get state(): SipgatewayState { return this._state; }
  /** A session is open and requests can be sent. */
  get ready(): boolean { return this._state === 'open' && this._sessionId !== null; }
  get reconnecting(): boolean { return this._state === 'reconnecting'; }

  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof SipgatewayListeners>(name: K, fn: SipgatewayListeners[K]): () => void {
    (this.listeners[name] as Set<SipgatewayListeners[K]>).add(fn);
    return () => { (this.listeners[name] as Set<SipgatewayListeners[K]>).delete(fn); };
  }

  private emit<K extends keyof SipgatewayListeners>(name: K, ...args: Parameters<SipgatewayListeners[K]>): void {
    for (const fn of this.listeners[name]) {
      try {
        (fn as (...a: Parameters<SipgatewayListeners[K]>) => void)(...args);
      } catch (err) {
        console.error(`sipgateway: ${name} listener threw`, err);
      }
    }
  }

  /**
   * Opens the WebSocket and starts a session with `hello` — or, with `resume`, claims that
   * session first (falling back to `hello` when the claim is refused). Resolves once the
   * session is ready; rejects with a GatewayError (connection failed, hello refused).
   */
  connect(options: { resume?: SessionInfo | null } = {}): Promise<ReadyInfo> {
    if (this.ws) return Promise.reject(new GatewayError(409, 'already connected', 'hello'));
    this.userClose = false;
    this._state = 'connecting';
    return this.open(options.resume ?? null);
  }

  private open(resume: SessionInfo | null): Promise<ReadyInfo> {
    return new Promise<ReadyInfo>((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new this.WS(this.url);
      } catch (err) {
        this._state = 'closed';
        reject(new ConnectionError(`cannot open ${this.url}: ${String(err)}`));
        return;
      }
      this.ws = ws;
      let opened = false;
      ws.addEventListener('open', () => {
        opened = true;
        this.startSession(resume).then(resolve, (err: GatewayError) => {
          reject(err);
          if (this.ws === ws) ws.close(1000, 'session refused');
        });
      });
      ws.addEventListener('message', (ev: MessageEvent) => this.onMessage(ev.data));
      ws.addEventListener('error', () => {
        this.emit('error', new ConnectionError(`WebSocket error on ${this.url} (certificate not accepted? gateway down?)`));
      });
      ws.addEventListener('close', (ev: CloseEvent) => {
        if (!opened) reject(new ConnectionError(`WebSocket closed before opening (code ${ev.code})`));
        this.onClose(ws, ev.code, ev.reason);
      });
    });
  }

  private async startSession(resume: SessionInfo | null): Promise<ReadyInfo> {
    if (resume) {
      try {
        const res = await this.request('claim', { session_id: resume.session_id, secret: resume.secret });
        this._sessionId = res.session_id;
        this._session = { ...resume, session_id: res.session_id };
        if (res.client_id) this.client_id = res.client_id;
        this.reconnect = null;
        this._state = 'open';
        this.startKeepalive();
        const info: ReadyInfo = {
          session_id: res.session_id, client_id: this.client_id, reattach_grace_s: resume.reattach_grace_s,
          reattached: true, claim: res,
        };
        this.emit('ready', info);
        return info;
      } catch (err) {
        if (err instanceof GatewayError && !(err instanceof ConnectionError) && !(err instanceof TimeoutError)) {
          this.reconnect = null;
          this._session = null;
          this.emit('session_lost', { session_id: resume.session_id, reason: err.message });
        } else {
          throw err;
        }
      }
    }
    const fields: RequestFields['hello'] = this.client_id ? { client_id: this.client_id } : {};
    const res = await this.request('hello', fields);
    this._sessionId = res.session_id;
    const grace = res.reattach_grace_s ?? 0;
    this._session = grace > 0 && res.secret ? { session_id: res.session_id, secret: res.secret, reattach_grace_s: grace } : null;
    this._state = 'open';
    this.startKeepalive();
    const info: ReadyInfo = {
      session_id: res.session_id, client_id: this.client_id, reattach_grace_s: grace, reattached: false, claim: null,
    };
    this.emit('ready', info);
    return info;
  }

  /**
   * Sends a request; resolves to the `ok: true` response, rejects with GatewayError (`ok: false`:
   * the gateway's code and reason), ConnectionError (not connected, or closed before the
   * response) or TimeoutError (no response within `timeout_ms`).
   */
  request<N extends RequestName>(name: N, fields: RequestFields[N], options: RequestOptions = {}): Promise<OkResponse<N>> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WS_OPEN) return Promise.reject(new ConnectionError('not connected', name));
    const transaction = `t${this.nextTransaction++}`;
    const msg = { request: name, transaction, ...fields };
    const quiet = options.quiet ?? false;
    const timeoutMs = options.timeout_ms ?? this.opts.timeout_ms;
    return new Promise<OkResponse<N>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new TimeoutError(name, timeoutMs));
      }, timeoutMs);
      this.pending.set(transaction, {
        name, quiet, timer, reject,
        resolve: (res) => {
          if (res.ok === true) resolve(res as OkResponse<N>);
          else {
            const e = (res.error ?? {}) as { code?: number; reason?: string };
            reject(new GatewayError(e.code ?? 0, e.reason ?? 'error', name));
          }
        },
      });
      this.debugLog('→', msg);
      this.emit('frame', 'out', msg, quiet);
      ws.send(JSON.stringify(msg));
    });
  }

  /** Trickles one local ICE candidate (`null`: end of candidates) for a call. */
  trickle(callId: string | null, candidate: IceCandidateJson | null): Promise<OkResponse<'trickle'>> {
    const base = callId ? { call_id: callId } : {};
    return candidate === null
      ? this.request('trickle', { ...base, completed: true })
      : this.request('trickle', { ...base, candidate });
  }

  /**
   * Ends the connection for good (no re-attach). The gateway then ends the session unless it
   * keeps sessions for a grace period — SIPClient.disconnect() hangs up and unregisters first.
   */
  close(code = 1000, reason = 'bye'): void {
    this.userClose = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const wasReconnecting = this.reconnect !== null && this.ws === null;
    this.reconnect = null;
    if (this.ws) {
      this.ws.close(code, reason);
    } else if (wasReconnecting || this._state !== 'closed') {
      this.finish(code, reason);
    }
  }

  /** The session will not come back: forget it (a reload must not claim it). */
  forgetSession(): void { this._session = null; }

  private startKeepalive(): void {
    this.stopKeepalive();
    if (this.opts.keepalive_ms <= 0) return;
    this.keepaliveTimer = setInterval(() => {
      const ws = this.ws;
      this.request('keepalive', {}, { quiet: true }).catch((err: unknown) => {
        // No answer: the connection is dead even if TCP has not noticed. Drop it (re-attach follows).
        if (err instanceof TimeoutError && this.ws === ws) ws?.close(4000, 'keepalive timeout');
      });
    }, this.opts.keepalive_ms);
  }

  private stopKeepalive(): void {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = null;
  }

  private onMessage(data: unknown): void {
    let msg: IncomingFrame & Record<string, unknown>;
    try {
      msg = JSON.parse(String(data)) as IncomingFrame & Record<string, unknown>;
    } catch {
      this.emit('error', new GatewayError(0, `unparsable frame: ${String(data).slice(0, 200)}`));
      return;
    }
    if (msg === null || typeof msg !== 'object') return;
    if (typeof msg.event === 'string') {
      this.debugLog('←', msg);
      this.emit('frame', 'in', msg, false);
      this.emit('event', msg as GatewayEvent);
      return;
    }
    const p = typeof msg.transaction === 'string' ? this.pending.get(msg.transaction) : undefined;
    this.debugLog('←', msg);
    this.emit('frame', 'in', msg, (p?.quiet ?? false) && msg.ok === true);
    if (p) {
      clearTimeout(p.timer);
      this.pending.delete(msg.transaction as string);
      p.resolve(msg);
    } else if (msg.ok === false) {
      const e = (msg.error ?? {}) as { code?: number; reason?: string };
      this.emit('error', new GatewayError(e.code ?? 0, e.reason ?? 'error', typeof msg.response === 'string' ? msg.response : null));
    }
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.ws !== ws) return;
    this.ws = null;
    this.stopKeepalive();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ConnectionError(`connection closed (code ${code})`, p.name));
    }
    this.pending.clear();

    const session = this._session;
    const now = Date.now();
    if (!this.userClose && session && this._sessionId === session.session_id) {
      if (!this.reconnect) this.reconnect = { attempt: 0, deadline: now + session.reattach_grace_s * 1000 };
      const r = this.reconnect;
      const delays = this.opts.reconnect_delays_ms;
      const delay = delays[Math.min(r.attempt, delays.length - 1)] ?? 1000;
      if (now + delay < r.deadline) {
        r.attempt++;
        this._state = 'reconnecting';
        this.emit('connection_lost', { code, reason, reconnecting: true });
        this.emit('reconnecting', { session_id: session.session_id, attempt: r.attempt, delay_ms: delay });
        this.reconnectTimer = setTimeout(() => {
          this.reconnectTimer = null;
          this.open(session).catch(() => { /* the close handler schedules the next attempt */ });
        }, delay);
        return;
      }
      this.reconnect = null;
      this._session = null;
      this.emit('session_lost', { session_id: session.session_id, reason: `not re-attached within ${session.reattach_grace_s} s` });
    }
    this.emit('connection_lost', { code, reason, reconnecting: false });
    this.finish(code, reason);
  }

  private finish(code: number, reason: string): void {
    this._state = 'closed';
    this._sessionId = null;
    if (this.userClose) this._session = null;
    this.emit('closed', { code, reason, by_user: this.userClose });
  }

  private debugLog(dir: string, msg: Record<string, unknown>): void {
    if (this.opts.debug) console.debug(`sipgateway ${dir}`, summarize(msg));
  }
}

/** A frame as one log line: never the password or secret; SDP bodies abbreviated. */
export function summarize(msg: unknown): string {
  return JSON.stringify(msg, (key, value: unknown) => {
    if (key === 'password' || key === 'secret') return '••••';
    if (key === 'sdp' && typeof value === 'string') return `<${value.split('\r\n').filter(Boolean).length} SDP lines>`;
    return value;
  });
}

export type { ResponseResults };
