// The gateway connection: one WebSocket speaking protocol v1 (docs/protocol.md). Requests get a
// fresh transaction and resolve to their response; events go to `onEvent`. Knows nothing of the
// page: app.js decides what a dropped connection means (claim or not).

const KEEPALIVE_MS = 20000;
const REQUEST_TIMEOUT_MS = 15000;

export class GatewayConnection {
  /**
   * @param {string} url            wss://host/ws
   * @param {object} hooks          onOpen(), onClose(CloseEvent), onEvent(msg), onResponse(msg),
   *                                onSend(msg, quiet), onError(text)
   */
  constructor(url, hooks) {
    this.url = url;
    this.hooks = hooks;
    this.ws = null;
    this.nextTransaction = 1;
    this.pending = new Map(); // transaction → { resolve, request, quiet, timer }
    this.keepaliveTimer = null;
  }

  get open() { return this.ws !== null && this.ws.readyState === WebSocket.OPEN; }

  connect() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener('open', () => this.hooks.onOpen?.());
    ws.addEventListener('message', (ev) => this.#onMessage(ev.data));
    ws.addEventListener('close', (ev) => {
      clearInterval(this.keepaliveTimer);
      this.keepaliveTimer = null;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.resolve({ response: p.request, ok: false, error: { code: 0, reason: 'connection closed' } });
      }
      this.pending.clear();
      this.ws = null;
      this.hooks.onClose?.(ev);
    });
    ws.addEventListener('error', () => this.hooks.onError?.('WebSocket error (certificate not accepted? gateway down?)'));
  }

  /** Sends a keepalive every 20 s (the gateway's own pings keep the socket alive too). */
  startKeepalive() {
    clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = setInterval(() => this.request('keepalive', {}, { quiet: true }), KEEPALIVE_MS);
  }

  /** Resolves to the response frame, or to a synthetic `ok: false` one (not connected, closed,
   *  no answer within 15 s); never rejects. */
  request(name, fields = {}, { quiet = false } = {}) {
    if (!this.open) {
      return Promise.resolve({ response: name, ok: false, error: { code: 0, reason: 'not connected' } });
    }
    const transaction = `t${this.nextTransaction++}`;
    const msg = { request: name, transaction, ...fields };
    this.ws.send(JSON.stringify(msg));
    this.hooks.onSend?.(msg, quiet);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        resolve({ response: name, transaction, ok: false, error: { code: 0, reason: 'no response in 15 s' } });
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(transaction, { resolve, request: name, quiet, timer });
    });
  }

  close(code = 1000, reason = 'bye') {
    this.ws?.close(code, reason);
  }

  #onMessage(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      this.hooks.onError?.(`unparsable frame: ${String(data).slice(0, 200)}`);
      return;
    }
    if (typeof msg.event === 'string') {
      this.hooks.onEvent?.(msg);
    } else if (typeof msg.response === 'string') {
      const p = this.pending.get(msg.transaction);
      this.hooks.onResponse?.(msg, p?.quiet ?? false);
      if (p) {
        clearTimeout(p.timer);
        this.pending.delete(msg.transaction);
        p.resolve(msg);
      }
    } else {
      this.hooks.onResponse?.(msg, false);
    }
  }
}

/** Never show the password; abbreviate SDP bodies. */
export function summarize(msg) {
  return JSON.stringify(msg, (key, value) => {
    if (key === 'password' || key === 'secret') return '••••';
    if (key === 'sdp' && typeof value === 'string') {
      return `<${value.split('\r\n').filter(Boolean).length} SDP lines>`;
    }
    return value;
  });
}

// ---- the session kept for a claim after a dropped connection (sessionStorage: per tab) ---------
const SESSION_KEY = 'sipgw-demo.session';

/** { sessionId, secret, graceS, savedAt } or null. */
export function loadSavedSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    return s && Number.isFinite(s.sessionId) && typeof s.secret === 'string' ? s : null;
  } catch {
    return null;
  }
}
export function saveSession(s) {
  try { sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...s, savedAt: Date.now() })); } catch { /* storage off */ }
}
export function touchSavedSession() { // the grace period counts from the moment we lost the socket
  const s = loadSavedSession();
  if (s) saveSession(s);
}
export function forgetSession() {
  try { sessionStorage.removeItem(SESSION_KEY); } catch { /* storage off */ }
}
