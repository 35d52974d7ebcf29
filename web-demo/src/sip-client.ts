// SIPClient — the seed's browser phone API (MISSION.md §1) on top of Sipgateway. Constructor
// options, method names and event names are the seed's; payloads are documented in README.md.
//
// Every method returns a Promise that never rejects: it resolves to true when the gateway
// accepted the request, false otherwise — the reason goes to `on_error` as a typed error
// (GatewayError, SipError, MediaError). So the seed's usage (`sipClient.hangup();`, no await)
// is safe as written.

import { ConnectionError, GatewayError, MediaError, SipError, SipGatewayClientError } from './errors.js';
import type { CallStats } from './call-stats.js';
import { MediaSession } from './media.js';
import type { EventFields, GatewayEvent, Jsep, RequestFields, RequestName } from './protocol.js';
import { Sipgateway, type ReadyInfo, type SessionInfo, type SipgatewayOptions } from './sipgateway.js';

import {
  EXTRA_EVENTS, SEED_EVENTS, type CallInfo, type CallState, type IncomingInfo, type RegisterOptions,
  type RegistrationState, type SIPClientEventArgs, type SIPClientEventName, type SIPClientEvents,
  type SIPClientOptions, type SIPClientState,
} from './sip-client-types.js';

export {
  EXTRA_EVENTS, SEED_EVENTS, type CallInfo, type CallState, type IncomingInfo, type RegisterOptions,
  type RegistrationState, type SIPClientEventArgs, type SIPClientEventName, type SIPClientEvents,
  type SIPClientOptions, type SIPClientState,
};

/** One call as the client tracks it (internal). */
interface Call extends CallInfo {
  media: MediaSession;
  /** Events that overtook the `call` response (the call_id is not known yet). */
  pendingEvents: GatewayEvent[];
  busy: boolean;
}

const DEFAULT_DECLINE_CODE = 603; // Decline: the person said no (the gateway's default is 486 Busy Here)
const UNREGISTER_WAIT_MS = 1500;

export class SIPClient {
  /** The protocol layer; subscribe to its raw frames (`gateway.on('frame', …)`) for logs. */
  readonly gateway: Sipgateway;
  private readonly options: SIPClientOptions;
  private call: Call | null = null;
  private incoming: (IncomingInfo & { offer: Jsep; busy: boolean }) | null = null;
  private registration: RegistrationState = 'none';
  private user: string | null = null;
  private graceS = 0;
  /** The last incoming call's id: its `hangup` (after a decline) is `direction: 'incoming'`. */
  private lastIncomingId: string | null = null;

  constructor(options: SIPClientOptions, gatewayOptions: Partial<SipgatewayOptions> = {}) {
    this.options = options;
    const host = options.server.includes(':') && !options.server.startsWith('[') ? `[${options.server}]` : options.server;
    this.gateway = new Sipgateway({
      url: `${options.protocol}://${host}:${options.port}/ws`,
      ...(options.client_id !== undefined ? { client_id: options.client_id } : {}),
      debug: options.debug ?? false,
      ...gatewayOptions,
    });
    this.gateway.on('event', (ev) => this.onGatewayEvent(ev));
    this.gateway.on('ready', (info) => this.onReady(info));
    this.gateway.on('reconnecting', (info) => this.emit('reconnecting', info));
    this.gateway.on('session_lost', () => this.dropSession('the session could not be re-attached'));
    this.gateway.on('closed', (info) => {
      this.dropSession('connection closed');
      this.emit('disconnected', info);
    });
    this.gateway.on('error', (err) => this.fail(err));
  }

  // ---- read-only state -------------------------------------------------------------------------

  get state(): SIPClientState {
    const c = this.call;
    return {
      connected: this.gateway.ready,
      reconnecting: this.gateway.reconnecting,
      session_id: this.gateway.session_id,
      reattach_grace_s: this.graceS,
      registration: this.registration,
      user: this.user,
      call: c ? {
        call_id: c.call_id, direction: c.direction, peer: c.peer, peer_name: c.peer_name, state: c.state,
        held: c.held, muted: c.muted, media_direction: c.media_direction, recording: c.recording, answered_at: c.answered_at,
      } : null,
      incoming: this.incoming ? {
        call_id: this.incoming.call_id, caller: this.incoming.caller, caller_name: this.incoming.caller_name,
        callee: this.incoming.callee,
      } : null,
    };
  }

  /** What a reloaded page needs to `connect({resume})` this session (null: the gateway keeps none). */
  get session(): SessionInfo | null { return this.gateway.session; }

  /**
   * The current call's media quality (call-stats.ts `CallStats`): packets sent/received/lost,
   * jitter (s), round-trip time (s), audio level in/out (0..1), codec, the selected ICE pair and
   * an estimated MOS — one getStats() of its RTCPeerConnection. Null when there is no call (or no
   * peer connection yet). Never rejects. Poll it (the demo page does, each second).
   */
  async get_stats(): Promise<CallStats | null> {
    return (await this.call?.media.stats().catch(() => null)) ?? null;
  }

  // ---- the seed's methods ----------------------------------------------------------------------

  /** Opens the connection and the session (`hello`, or `claim` of `resume`); then `ready`. */
  async connect(options: { resume?: SessionInfo | null } = {}): Promise<boolean> {
    try {
      await this.gateway.connect(options);
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  /** Registers the extension on the PBX; then `registering` and `registered` / `registration_failed`. */
  async register({ user, password, domain, port, transport, display_name }: RegisterOptions): Promise<boolean> {
    const fields: RequestFields['register'] = { user, password, domain };
    if (port !== undefined) fields.port = port;
    if (transport !== undefined) fields.transport = transport as 'udp';
    if (display_name !== undefined) fields.display_name = display_name;
    return this.send('register', fields);
  }

  /** Removes the registration; then `unregistering` and `unregistered`. */
  async unregister(): Promise<boolean> {
    return this.send('unregister', {});
  }

  /**
   * Calls `number` (or a `sip:` URI) through `domain`:`port` (default: the registration's).
   * getUserMedia, our offer in `call`, trickle ICE; then `calling`, `progress`, `accepted` or `hangup`.
   */
  async start_call(number: string, domain?: string, port?: number): Promise<boolean> {
    if (this.call || this.incoming) {
      this.fail(new GatewayError(409, 'a call is already in progress', 'call'));
      return false;
    }
    const call = this.newCall('outgoing', number, null, null);
    try {
      await call.media.open();
      const jsep = await call.media.createOffer();
      const fields: RequestFields['call'] = { number, jsep };
      if (domain !== undefined && domain !== '') fields.domain = domain;
      if (port !== undefined) fields.port = port;
      const res = await this.gateway.request('call', fields);
      if (!this.isCurrent(call)) { // hung up while the request was on its way
        this.gateway.request('hangup', { call_id: res.call_id }).catch(() => {});
        return false;
      }
      call.call_id = res.call_id;
      call.media.startTrickle(res.call_id);
      for (const ev of call.pendingEvents.splice(0)) this.onGatewayEvent(ev);
      return true;
    } catch (err) {
      if (this.isCurrent(call)) this.endCall();
      this.fail(err);
      return false;
    }
  }

  /** Answers the ringing incoming call: getUserMedia, our answer in `accept`; then `accepted`. */
  async accept(): Promise<boolean> {
    const inc = this.incoming;
    if (!inc || inc.busy || this.call) {
      this.fail(new GatewayError(409, 'no incoming call to accept', 'accept'));
      return false;
    }
    inc.busy = true;
    const call = this.newCall('incoming', inc.caller, inc.caller_name, inc.call_id);
    call.state = 'answering';
    try {
      await call.media.open();
      const jsep = await call.media.answerOffer(inc.offer);
      await this.gateway.request('accept', { call_id: inc.call_id, jsep });
      if (this.incoming === inc) this.incoming = null;
      if (!this.isCurrent(call)) return false; // the caller gave up meanwhile
      call.media.startTrickle(inc.call_id);
      return true;
    } catch (err) {
      if (this.incoming === inc) this.incoming = null;
      if (this.call === call) this.endCall();
      this.fail(err);
      if (err instanceof MediaError) {
        this.gateway.request('decline', { call_id: inc.call_id, code: 488, reason: 'Not Acceptable Here' }).catch(() => {});
      }
      return false;
    }
  }

  /** Refuses the ringing incoming call (SIP `code`, default 603 Decline); then `hangup` cause `rejected`. */
  async decline(code: number = DEFAULT_DECLINE_CODE): Promise<boolean> {
    const inc = this.incoming;
    if (!inc || inc.busy) {
      this.fail(new GatewayError(409, 'no incoming call to decline', 'decline'));
      return false;
    }
    inc.busy = true;
    const ok = await this.send('decline', { call_id: inc.call_id, code });
    if (this.incoming === inc) this.incoming = null;
    return ok;
  }

  /** Ends the call (CANCEL before answer, BYE after); a ringing incoming call is declined. Then `hangup`. */
  async hangup(): Promise<boolean> {
    const call = this.call;
    if (!call) {
      if (this.incoming) return this.decline();
      this.fail(new GatewayError(404, 'no call to hang up', 'hangup'));
      return false;
    }
    if (!call.call_id) { // the `call` request is still on its way: start_call hangs it up
      this.endCall();
      return true;
    }
    const ok = await this.send('hangup', { call_id: call.call_id });
    if (!ok && this.call === call) this.endCall(); // e.g. the call was already gone
    return ok;
  }

  /** Stops sending our audio: the microphone track is disabled at once and the gateway stops forwarding; then `muted`. */
  mute(): Promise<boolean> { return this.setMuted(true); }
  unmute(): Promise<boolean> { return this.setMuted(false); }

  /** Puts the call on hold (re-INVITE a=sendonly); then `updatingcall` (initiator local, reason hold). */
  hold(): Promise<boolean> { return this.setHeld(true); }
  unhold(): Promise<boolean> { return this.setHeld(false); }

  /** Sends DTMF digits (0-9 * # A-D, up to 32): RFC 4733 when negotiated, else SIP INFO. */
  async send_dtmf(digits: string, duration_ms?: number): Promise<boolean> {
    const call = this.activeCall('dtmf');
    if (!call) return false;
    const fields: RequestFields['dtmf'] = { call_id: call, digits: String(digits) };
    if (duration_ms !== undefined) fields.duration_ms = duration_ms;
    return this.send('dtmf', fields);
  }

  /** Starts or resumes the call's recording; then `recordingupdated`. */
  async start_recording(): Promise<boolean> {
    const call = this.activeCall('start_recording');
    return call ? this.send('start_recording', { call_id: call }) : false;
  }

  /** Pauses the call's recording; then `recordingupdated` (state `paused`). */
  async stop_recording(): Promise<boolean> {
    const call = this.activeCall('stop_recording');
    return call ? this.send('stop_recording', { call_id: call }) : false;
  }

  /** Hangs up, unregisters the extension and leaves the gateway; then `disconnected`. */
  async disconnect(): Promise<boolean> {
    const gw = this.gateway;
    if (gw.ready) {
      if (this.call?.call_id) await this.send('hangup', { call_id: this.call.call_id }, false);
      if (this.incoming) await this.send('decline', { call_id: this.incoming.call_id, code: 486 }, false);
      if (this.registration === 'registered' || this.registration === 'registering') {
        const unregistered = new Promise<void>((resolve) => {
          const stop = gw.on('event', (ev) => { if (ev.event === 'unregistered') { stop(); resolve(); } });
          setTimeout(() => { stop(); resolve(); }, UNREGISTER_WAIT_MS);
        });
        if (await this.send('unregister', {}, false)) await unregistered;
      }
    }
    this.endCall();
    gw.forgetSession();
    gw.close(1000, 'bye');
    return true;
  }

  // ---- internals -------------------------------------------------------------------------------

  private emit<K extends SIPClientEventName>(event: K, data: SIPClientEvents[K]): void {
    if (this.options.debug) console.debug('SIPClient event', event, data);
    try {
      (this.options.on_event as ((e: K, d: SIPClientEvents[K]) => void) | undefined)?.(event, data);
    } catch (err) {
      console.error('SIPClient: on_event threw', err);
    }
  }

  private fail(err: unknown): void {
    const e = err instanceof SipGatewayClientError ? err : new SipGatewayClientError(String((err as Error)?.message ?? err), { cause: err });
    if (this.options.debug) console.debug('SIPClient error', e);
    if (this.options.on_error) {
      try { this.options.on_error(e); } catch (x) { console.error('SIPClient: on_error threw', x); }
    } else {
      console.error('SIPClient:', e);
    }
  }

  /** A request whose failure goes to on_error; resolves to whether the gateway accepted it. */
  private async send<N extends RequestName>(name: N, fields: RequestFields[N], report = true): Promise<boolean> {
    try {
      await this.gateway.request(name, fields);
      return true;
    } catch (err) {
      if (report) this.fail(err);
      return false;
    }
  }

  private activeCall(what: string): string | null {
    const id = this.call?.call_id ?? null;
    if (!id) this.fail(new GatewayError(404, 'no call', what));
    return id;
  }

  private async setMuted(want: boolean): Promise<boolean> {
    const call = this.call;
    const id = this.activeCall(want ? 'mute' : 'unmute');
    if (!call || !id) return false;
    call.media.setMicEnabled(!want); // at once, locally
    call.busy = true;
    const ok = await this.send(want ? 'mute' : 'unmute', { call_id: id });
    call.busy = false;
    if (ok) call.muted = want;
    else call.media.setMicEnabled(!call.muted);
    return ok;
  }

  private async setHeld(want: boolean): Promise<boolean> {
    const call = this.call;
    const id = this.activeCall(want ? 'hold' : 'unhold');
    if (!call || !id) return false;
    call.busy = true;
    const ok = await this.send(want ? 'hold' : 'unhold', { call_id: id });
    call.busy = false;
    if (ok) call.held = want;
    return ok;
  }

  private newCall(direction: 'outgoing' | 'incoming', peer: string, peerName: string | null, callId: string | null): Call {
    const media = new MediaSession({
      trickle: (id, candidate) => { this.gateway.trickle(id, candidate).catch(() => { /* the call may be gone */ }); },
      onTrack: (stream) => this.attach(this.options.remote_stream, stream, false),
      onLocalStream: (stream) => this.attach(this.options.local_stream, stream, true),
      onIceFailed: () => this.fail(new MediaError('ice', 'ICE connection failed: no media path to the gateway')),
      onLog: (text) => { if (this.options.debug) console.debug('SIPClient media', text); },
    }, callId);
    const call: Call = {
      call_id: callId, direction, peer, peer_name: peerName, state: 'starting', held: false, muted: false,
      media_direction: 'sendrecv', recording: null, answered_at: null, media, pendingEvents: [], busy: false,
    };
    this.call = call;
    return call;
  }

  private attach(el: HTMLMediaElement | null | undefined, stream: MediaStream | null, local: boolean): void {
    if (!el) return;
    if (local) el.muted = true;
    el.srcObject = stream;
    if (stream) {
      const played = el.play?.();
      if (played && typeof played.catch === 'function') {
        played.catch((err: unknown) => { if (!local) this.fail(new MediaError('webrtc', `audio playback: ${(err as Error).message ?? err}`, err)); });
      }
    }
  }

  /** Not narrowed by TypeScript across awaits (this.call changes while we wait). */
  private isCurrent(call: Call): boolean { return this.call === call; }

  private endCall(): void {
    const call = this.call;
    if (!call) return;
    this.call = null;
    call.media.close();
    this.attach(this.options.remote_stream, null, false);
    this.attach(this.options.local_stream, null, true);
  }

  private dropSession(_why: string): void {
    this.endCall();
    this.incoming = null;
    this.registration = 'none';
    this.user = null;
  }

  private onReady(info: ReadyInfo): void {
    this.graceS = info.reattach_grace_s;
    const data: SIPClientEvents['ready'] = {
      session_id: info.session_id, client_id: info.client_id, reattach_grace_s: info.reattach_grace_s, reattached: info.reattached,
    };
    if (info.claim) {
      const claim = info.claim;
      this.registration = claim.registered ? 'registered' : 'none';
      const kept = claim.call ?? null;
      const call = this.call;
      if (call && kept && kept.call_id === call.call_id) {
        call.held = Boolean(kept.held);
        call.muted = Boolean(kept.muted);
        call.media.setMicEnabled(!call.muted);
      } else {
        if (call) this.endCall(); // the call ended while we were away
        // A call the gateway kept that this page has no media for (e.g. after a reload): end it.
        if (kept && kept.call_id !== this.incoming?.call_id) {
          this.gateway.request('hangup', { call_id: kept.call_id }).catch(() => {});
        }
      }
      Object.assign(data, { registered: claim.registered, call: kept, missed_events: claim.missed_events ?? 0 });
    }
    this.emit('ready', data);
  }

  private onGatewayEvent(ev: GatewayEvent): void {
    const call = this.call;
    // An outgoing call's events may overtake the `call` response: keep them until its call_id is known.
    if (call?.direction === 'outgoing' && call.call_id === null && 'call_id' in ev && ev.call_id
        && ev.event !== 'incomingcall' && ev.event !== 'missed_call') {
      call.pendingEvents.push(ev);
      return;
    }
    const forCall = call !== null && (!('call_id' in ev) || ev.call_id === call.call_id);
    switch (ev.event) {
      case 'registering':
        this.registration = 'registering';
        this.emit('registering', { user: ev.user, domain: ev.domain });
        break;
      case 'registered':
        this.registration = 'registered';
        this.user = ev.user;
        this.emit('registered', { user: ev.user, domain: ev.domain, expires: ev.expires });
        break;
      case 'registration_failed': {
        const retrying = Boolean(ev.retrying);
        this.registration = retrying ? 'registering' : 'failed';
        const data: SIPClientEvents['registration_failed'] = { code: ev.code, reason: ev.reason, retrying };
        if (ev.retry_in_s !== undefined) data.retry_in_s = ev.retry_in_s;
        this.emit('registration_failed', data);
        if (!retrying) this.fail(new SipError(ev.code, ev.reason, 'register'));
        break;
      }
      case 'unregistering':
        this.registration = 'unregistering';
        this.emit('unregistering', {});
        break;
      case 'unregistered': {
        this.registration = 'none';
        this.user = null;
        const data: SIPClientEvents['unregistered'] = {};
        if (ev.code !== undefined) data.code = ev.code;
        if (ev.reason !== undefined) data.reason = ev.reason;
        this.emit('unregistered', data);
        break;
      }
      case 'calling':
        if (forCall && call) call.state = 'calling';
        this.emit('calling', { call_id: ev.call_id, callee: ev.callee });
        break;
      case 'progress':
        if (forCall && call) {
          call.state = ev.jsep ? 'early' : call.state === 'early' ? 'early' : 'progress';
          if (ev.jsep) this.applyAnswer(call, ev.jsep);
        }
        this.emit('progress', { call_id: ev.call_id, code: ev.code, reason: ev.reason, early_media: Boolean(ev.jsep) });
        break;
      case 'accepted':
        if (!forCall || !call) break;
        call.state = 'accepted';
        call.answered_at = Date.now();
        if (call.direction === 'outgoing' && ev.jsep) this.applyAnswer(call, ev.jsep);
        this.emit('accepted', { call_id: ev.call_id, direction: call.direction });
        break;
      case 'incomingcall':
        this.onIncoming(ev);
        break;
      case 'missed_call':
        this.emit('missed_call', { call_id: ev.call_id, caller: ev.caller, caller_name: ev.caller_name ?? null, callee: ev.callee });
        break;
      case 'updatingcall':
        if (!forCall || !call) break;
        call.media_direction = ev.direction ?? call.media_direction;
        if (ev.initiator === 'local' && ev.reason === 'hold') call.held = true;
        if (ev.initiator === 'local' && ev.reason === 'unhold') call.held = false;
        this.emit('updatingcall', {
          call_id: ev.call_id, direction: ev.direction, initiator: ev.initiator, reason: ev.reason, held: call.held,
        });
        break;
      case 'muted':
        if (forCall && call) {
          call.muted = Boolean(ev.muted);
          call.media.setMicEnabled(!call.muted);
        }
        this.emit('muted', { call_id: ev.call_id, muted: Boolean(ev.muted) });
        break;
      case 'dtmf':
        this.emit('dtmf', { call_id: ev.call_id, digit: ev.digit, duration_ms: ev.duration_ms, method: ev.method });
        break;
      case 'recordingupdated':
        if (forCall && call) call.recording = ev.recording;
        this.emit('recordingupdated', { call_id: ev.call_id, recording: ev.recording });
        break;
      case 'hangup':
        this.onHangup(ev);
        break;
      default:
        break;
    }
  }

  private onIncoming(ev: { call_id: string; caller: string; caller_name?: string; callee: string; jsep: Jsep }): void {
    if (this.call || this.incoming) { // the gateway sends missed_call instead; be safe anyway
      this.gateway.request('decline', { call_id: ev.call_id, code: 486 }).catch(() => {});
      return;
    }
    const info: IncomingInfo = { call_id: ev.call_id, caller: ev.caller, caller_name: ev.caller_name ?? null, callee: ev.callee };
    this.incoming = { ...info, offer: ev.jsep, busy: false };
    this.lastIncomingId = ev.call_id;
    this.emit('incomingcall', info);
  }

  private onHangup(ev: EventFields['hangup']): void {
    const call = this.call;
    let direction: 'outgoing' | 'incoming' | null = null;
    if (call && (call.call_id === null || ev.call_id === undefined || ev.call_id === call.call_id)) {
      direction = call.direction;
      if (this.incoming?.call_id === ev.call_id) this.incoming = null;
      this.endCall();
    } else if (this.incoming && ev.call_id === this.incoming.call_id) {
      direction = 'incoming';
      this.incoming = null;
    } else if (ev.call_id !== undefined && ev.call_id === this.lastIncomingId) {
      direction = 'incoming';
    }
    this.emit('hangup', { call_id: ev.call_id, code: ev.code, reason: ev.reason, cause: ev.cause, direction });
    if (ev.cause === 'failed' && ev.code >= 400) this.fail(new SipError(ev.code, ev.reason, 'call', ev.call_id));
  }

  private applyAnswer(call: Call, jsep: Jsep): void {
    call.media.applyAnswer(jsep).catch((err: unknown) => this.fail(err));
  }
}

export { ConnectionError };
