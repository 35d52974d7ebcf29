// The public types of SIPClient (sip-client.ts): its options, events and their payloads, and the
// state snapshot. Kept apart so the class file holds only behaviour.

import type { SipGatewayClientError } from './errors.js';
import type { ClaimedCall, HangupCause, MediaDirection, RecordingInfo } from './protocol.js';

// ---- events ------------------------------------------------------------------------------------

/** Payload of each event `on_event(event, data)` receives. */
export interface SIPClientEvents {
  /** Connected to the gateway: a session is open (again, after a re-attach: `reattached`). */
  ready: {
    session_id: number;
    client_id: string | null;
    reattach_grace_s: number;
    reattached: boolean;
    /** After a re-attach: whether the extension is still registered, the call kept, events replayed. */
    registered?: boolean;
    call?: ClaimedCall | null;
    missed_events?: number;
  };
  registering: { user: string; domain: string };
  registered: { user: string; domain: string; expires: number };
  /** Wrong user/password (401/403), unknown user (404) or a transient failure (`retrying`). */
  registration_failed: { code: number; reason: string; retrying: boolean; retry_in_s?: number };
  unregistering: Record<string, never>;
  unregistered: { code?: number; reason?: string };
  /** Our INVITE went out. */
  calling: { call_id: string; callee: string };
  /** Someone calls us: answer with `accept()`, refuse with `decline()`. */
  incomingcall: { call_id: string; caller: string; caller_name: string | null; callee: string };
  /** 180/183 from the PBX; `early_media` when a 183 brought the answer (audio plays before answer). */
  progress: { call_id: string; code: number; reason: string; early_media: boolean };
  /** The call was answered (outgoing: the PBX's 200 OK; incoming: the PBX acknowledged our answer). */
  accepted: { call_id: string; direction: 'outgoing' | 'incoming' };
  /** Hold/unhold or a re-INVITE/UPDATE of the far end; `held` is our hold state after it. */
  updatingcall: {
    call_id: string;
    direction: MediaDirection;
    initiator: 'local' | 'remote';
    reason: string;
    held: boolean;
  };
  hangup: { call_id: string; code: number; reason: string; cause: HangupCause; direction: 'outgoing' | 'incoming' | null };
  recordingupdated: { call_id: string; recording: RecordingInfo };
  // -- extras (not in the seed's list; documented in README.md) --
  /** After mute()/unmute(): the gateway stopped/resumed forwarding our audio. */
  muted: { call_id: string; muted: boolean };
  /** A DTMF digit from the far end. */
  dtmf: { call_id: string; digit: string; duration_ms: number; method: 'rfc4733' | 'info' };
  /** A call arrived while we were busy; the gateway refused it with 486. */
  missed_call: { call_id: string; caller: string; caller_name: string | null; callee: string };
  /** The connection dropped; the session is being re-attached (`ready` with `reattached` follows). */
  reconnecting: { session_id: number; attempt: number; delay_ms: number };
  /** The connection to the gateway is closed for good (after `disconnect()`, or a drop that could not be re-attached). */
  disconnected: { code: number; reason: string; by_user: boolean };
}
export type SIPClientEventName = keyof SIPClientEvents;

/** The seed's event names, then the documented extras. */
export const SEED_EVENTS = [
  'ready', 'registering', 'registered', 'registration_failed', 'unregistering', 'unregistered', 'calling',
  'incomingcall', 'progress', 'accepted', 'updatingcall', 'hangup', 'recordingupdated',
] as const satisfies readonly SIPClientEventName[];
export const EXTRA_EVENTS = ['muted', 'dtmf', 'missed_call', 'reconnecting', 'disconnected'] as const satisfies readonly SIPClientEventName[];

/** `(event, data)` with `data` narrowed by `event` (switch on `event` in the callback). */
export type SIPClientEventArgs = { [K in SIPClientEventName]: [event: K, data: SIPClientEvents[K]] }[SIPClientEventName];

// ---- options -----------------------------------------------------------------------------------

export interface SIPClientOptions {
  /** The gateway's host name or address. */
  server: string;
  /** The gateway's HTTPS/WSS port (e.g. 8443). */
  port: number;
  /** `"wss"` (or `"ws"` when the gateway allows plain WebSocket). */
  protocol: 'ws' | 'wss' | (string & {});
  /** Your id for this user; it appears in every subscriber event. */
  client_id?: string;
  /** Log every frame and event to the console. */
  debug?: boolean;
  on_event?: (...args: SIPClientEventArgs) => void;
  on_error?: (error: SipGatewayClientError) => void;
  /** Media element for the local (microphone) audio; it is muted so you do not hear yourself. */
  local_stream?: HTMLMediaElement | null;
  /** Media element that plays the remote party. */
  remote_stream?: HTMLMediaElement | null;
}

export interface RegisterOptions {
  user: string;
  password: string;
  domain: string;
  port?: number;
  transport?: 'udp' | (string & {});
  display_name?: string;
}

// ---- state -------------------------------------------------------------------------------------

export type CallState = 'starting' | 'calling' | 'progress' | 'early' | 'answering' | 'accepted';
export type RegistrationState = 'none' | 'registering' | 'registered' | 'failed' | 'unregistering';

export interface CallInfo {
  call_id: string | null;
  direction: 'outgoing' | 'incoming';
  /** The number called, or the caller. */
  peer: string;
  peer_name: string | null;
  state: CallState;
  held: boolean;
  muted: boolean;
  media_direction: MediaDirection;
  recording: RecordingInfo | null;
  /** Date.now() when the call was answered. */
  answered_at: number | null;
}

export interface IncomingInfo {
  call_id: string;
  caller: string;
  caller_name: string | null;
  callee: string;
}

export interface SIPClientState {
  connected: boolean;
  reconnecting: boolean;
  session_id: number | null;
  reattach_grace_s: number;
  registration: RegistrationState;
  user: string | null;
  call: CallInfo | null;
  incoming: IncomingInfo | null;
}
