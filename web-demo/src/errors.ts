// Typed errors handed to `on_error` (SIPClient) and thrown by Sipgateway's requests.

/** Base class of every error of this library. */
export class SipGatewayClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The gateway refused a request (`ok: false`: `code` is the protocol error code of
 * docs/protocol.md — 400, 401, 404, 409, 488, 500, 501 — or the PBX's code for hold/unhold),
 * or the request never got an answer (`code` 0: see `ConnectionError` and `TimeoutError`).
 */
export class GatewayError extends SipGatewayClientError {
  readonly code: number;
  readonly reason: string;
  /** The request that failed (`register`, `call`, …), when there was one. */
  readonly request: string | null;
  constructor(code: number, reason: string, request: string | null = null) {
    super(`${request ? `${request}: ` : ''}${code ? `${code} ` : ''}${reason}`);
    this.code = code;
    this.reason = reason;
    this.request = request;
  }
}

/** No connection to the gateway (not connected, or it closed before the response came). */
export class ConnectionError extends GatewayError {
  constructor(reason: string, request: string | null = null) {
    super(0, reason, request);
  }
}

/** The gateway did not answer a request within the transaction timeout. */
export class TimeoutError extends GatewayError {
  readonly timeout_ms: number;
  constructor(request: string, timeoutMs: number) {
    super(0, `no response in ${timeoutMs} ms`, request);
    this.timeout_ms = timeoutMs;
  }
}

/**
 * The SIP server (PBX) refused something: a final registration failure (`registration_failed`
 * with `retrying: false`) or a call that failed (`hangup` with cause `failed`). `sip_code` is the
 * SIP status code (e.g. 401, 403, 404, 503).
 */
export class SipError extends SipGatewayClientError {
  readonly sip_code: number;
  readonly reason: string;
  /** What failed: `register` or `call`. */
  readonly context: 'register' | 'call';
  readonly call_id: string | null;
  constructor(sipCode: number, reason: string, context: 'register' | 'call', callId: string | null = null) {
    super(`${context === 'register' ? 'registration' : 'call'} failed: ${sipCode} ${reason}`);
    this.sip_code = sipCode;
    this.reason = reason;
    this.context = context;
    this.call_id = callId;
  }
}

/**
 * The browser's media failed: `permission` (getUserMedia refused: NotAllowedError, no device),
 * `webrtc` (createOffer / setRemoteDescription / … failed), or `ice` (ICE connection failed).
 */
export class MediaError extends SipGatewayClientError {
  readonly kind: 'permission' | 'webrtc' | 'ice';
  constructor(kind: 'permission' | 'webrtc' | 'ice', message: string, cause?: unknown) {
    super(message, { cause });
    this.kind = kind;
  }
}
