// The gateway's JSON protocol, version 1 (docs/protocol.md; JSON Schema in
// protocol/schema/protocol.schema.json), as TypeScript types.

export const PROTOCOL_VERSION = 1;

export interface Jsep {
  type: 'offer' | 'answer';
  sdp: string;
}

export interface IceCandidateJson {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

// ---- requests (client → gateway) ---------------------------------------------------------------

/** Fields of each request, without `request` and `transaction`. */
export interface RequestFields {
  hello: { client_id?: string };
  claim: { session_id: number; secret: string };
  register: {
    user: string;
    password: string;
    domain: string;
    port?: number;
    transport?: 'udp';
    display_name?: string;
  };
  unregister: Record<string, never>;
  call: { number: string; domain?: string; port?: number; jsep: Jsep };
  trickle: { call_id?: string; candidate?: IceCandidateJson; candidates?: IceCandidateJson[]; completed?: true };
  hangup: { call_id?: string };
  accept: { call_id?: string; jsep: Jsep };
  decline: { call_id?: string; code?: number; reason?: string };
  hold: { call_id?: string };
  unhold: { call_id?: string };
  mute: { call_id?: string };
  unmute: { call_id?: string };
  dtmf: { call_id?: string; digits: string; duration_ms?: number; method?: 'auto' | 'rfc4733' | 'info' };
  start_recording: { call_id?: string };
  stop_recording: { call_id?: string };
  keepalive: Record<string, never>;
}
export type RequestName = keyof RequestFields;

export type Request<N extends RequestName = RequestName> = { request: N; transaction: string } & RequestFields[N];

// ---- responses (gateway → client) --------------------------------------------------------------

export interface ClaimedCall {
  call_id: string;
  held: boolean;
  muted: boolean;
}

/** The result fields of a successful response, per request. */
export interface ResponseResults {
  hello: { session_id: number; version: number; secret?: string; reattach_grace_s?: number };
  claim: { session_id: number; client_id?: string; registered: boolean; call?: ClaimedCall | null; missed_events?: number };
  register: Record<string, never>;
  unregister: Record<string, never>;
  call: { call_id: string };
  trickle: Record<string, never>;
  hangup: Record<string, never>;
  accept: { call_id: string };
  decline: Record<string, never>;
  hold: Record<string, never>;
  unhold: Record<string, never>;
  mute: Record<string, never>;
  unmute: Record<string, never>;
  dtmf: Record<string, never>;
  start_recording: Record<string, never>;
  stop_recording: Record<string, never>;
  keepalive: Record<string, never>;
}

export interface ErrorBody {
  code: number;
  reason: string;
}

export type OkResponse<N extends RequestName = RequestName> = {
  response: N;
  transaction: string;
  ok: true;
} & ResponseResults[N];

export interface ErrorResponse {
  response: string;
  transaction: string | null;
  ok: false;
  error: ErrorBody;
}

export type Response<N extends RequestName = RequestName> = OkResponse<N> | ErrorResponse;

// ---- events (gateway → client) -----------------------------------------------------------------

export type HangupCause = 'answered' | 'no-answer' | 'busy' | 'rejected' | 'cancelled' | 'failed';
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface RecordingInfo {
  recording_id: number | string;
  state: 'recording' | 'paused' | 'completed' | 'failed';
  path?: string;
  bytes?: number;
  duration_ms?: number;
  error?: string;
}

/** Fields of each event, without `event` and `session_id`. */
export interface EventFields {
  registering: { user: string; domain: string };
  registered: { user: string; domain: string; expires: number };
  registration_failed: { code: number; reason: string; retrying?: boolean; retry_in_s?: number };
  unregistering: Record<string, never>;
  unregistered: { code?: number; reason?: string };
  calling: { call_id: string; callee: string };
  progress: { call_id: string; code: number; reason: string; jsep?: Jsep };
  accepted: { call_id: string; jsep?: Jsep };
  incomingcall: { call_id: string; caller: string; caller_name?: string; callee: string; jsep: Jsep };
  missed_call: { call_id: string; caller: string; caller_name?: string; callee: string };
  updatingcall: {
    call_id: string;
    direction: MediaDirection;
    initiator: 'local' | 'remote';
    reason: 'hold' | 'unhold' | 're-INVITE' | 'UPDATE' | string;
  };
  muted: { call_id: string; muted: boolean };
  dtmf: { call_id: string; digit: string; duration_ms: number; method: 'rfc4733' | 'info' };
  recordingupdated: { call_id: string; recording: RecordingInfo };
  hangup: { call_id: string; code: number; reason: string; cause: HangupCause };
}
export type EventName = keyof EventFields;
export const EVENT_NAMES: readonly EventName[] = [
  'registering', 'registered', 'registration_failed', 'unregistering', 'unregistered', 'calling',
  'progress', 'accepted', 'incomingcall', 'missed_call', 'updatingcall', 'muted', 'dtmf',
  'recordingupdated', 'hangup',
];

export type GatewayEvent<N extends EventName = EventName> = N extends EventName
  ? { event: N; session_id: number } & EventFields[N]
  : never;

/** Any frame the gateway may send. */
export type IncomingFrame = Response | GatewayEvent;

// ---- subscriber stream (/events?token=…) -------------------------------------------------------

export interface CallDetails {
  callee?: string;
  caller?: string;
  call_id?: string;
  callee_name?: string;
  caller_name?: string;
}

export interface SubscriberEvent {
  session_id: number;
  client_id: string;
  event: 'connected' | 'registered' | 'calling' | 'incomingcall' | 'proceeding' | 'answered' | 'hangup'
    | 'unregistered' | 'disconnected' | 'recordingupdated' | string;
  call_details?: CallDetails;
  seq: number;
  timestamp_ms: number;
  code?: number;
  reason?: string;
  cause?: HangupCause;
  recording?: RecordingInfo;
}

/** Protocol error codes (docs/protocol.md, "Error codes"). */
export const ErrorCodes = {
  BadRequest: 400,
  NoSession: 401,
  NoSuchCall: 404,
  WrongState: 409,
  UnusableSdp: 488,
  Internal: 500,
  UnknownRequest: 501,
} as const;
