// SIP Gateway demo phone — a minimal client of protocol v1 (docs/protocol.md).
//
// Flow: Connect (WebSocket + `hello`) → Register (`register`, then `registered` or
// `registration_failed`) → Call (getUserMedia, RTCPeerConnection offer in `call`, local ICE
// candidates in `trickle`, the answer from `progress` (early media) or `accepted`) or an
// incoming call (`incomingcall` → Answer: our answer in `accept` / Decline: `decline`) → in the
// call: Hold/Unhold, Mute/Unmute, DTMF keypad → Hang up (`hangup`).
// A dropped connection (not the Disconnect button) is re-attached with `claim` when the gateway
// keeps sessions (`reattach_grace_s` > 0 in the hello response); the PeerConnection lives on.
//
// Modules: app.js (this file: connection, hello/claim, gateway events, wiring), calls.js (what
// the call buttons do), call.js (one call's media: microphone, RTCPeerConnection, stats),
// protocol.js (WebSocket, transactions, the session kept for a claim), state.js (shared state),
// ui.js (elements and drawing). No build step: ES modules served as they are.
// For automated tests the page exposes a read-only view of its state as `window.sipgwDemo`
// (events seen, responses, last stats); tests still drive the page through its buttons.
import {
  answer, applyAnswer, decline, endCall, hangup, sendDigit, startCall, toggleHold, toggleMute,
} from './calls.js';
import {
  GatewayConnection, forgetSession, loadSavedSession, saveSession, summarize, touchSavedSession,
} from './protocol.js';
import {
  errText, redraw, request, seen, state, who,
} from './state.js';
import { addMissedCall, log, setStatus, showDigits, sinceLoadMs, ui } from './ui.js';

const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000];

// ---------------------------------------------------------------------------------------------
// Connection, hello / claim, dropped connections

function connect({ claim = null } = {}) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}/ws`;
  log('·', claim ? `connecting to ${url} to claim session ${claim.sessionId}` : `connecting to ${url}`);
  if (!claim) setStatus('Connecting…', 'busy');
  const conn = new GatewayConnection(url, {
    onOpen: () => onOpen(conn, claim),
    onClose: (ev) => onClose(conn, ev),
    onEvent: (msg) => {
      seen.events.push({ ...msg, received_at_ms: sinceLoadMs() });
      log('←', summarize(msg));
      onEvent(msg);
      redraw();
    },
    onResponse: (msg, quiet) => {
      seen.responses.push(msg);
      if (!quiet || !msg.ok) log('←', summarize(msg), msg.ok ? '' : 'error');
    },
    onSend: (msg, quiet) => { if (!quiet) log('→', summarize(msg)); },
    onError: (text) => log('!', text, 'error'),
  });
  state.ws = conn;
  conn.connect();
  redraw();
}

async function onOpen(conn, claim) {
  log('·', 'WebSocket open');
  if (claim) {
    const res = await conn.request('claim', { session_id: claim.sessionId, secret: claim.secret });
    if (res.ok) { onClaimed(conn, res, claim); return; }
    log('!', `claim refused (${errText(res)}): starting a new session`, 'error');
    forgetSession();
    giveUpSession('the session could not be re-attached');
  }
  const res = await conn.request('hello', { client_id: ui.clientId.value.trim() || undefined });
  if (!res.ok) {
    setStatus(`hello failed: ${errText(res)}`, 'error');
    return;
  }
  state.sessionId = res.session_id;
  state.graceS = res.reattach_grace_s ?? 0;
  if (state.graceS > 0 && res.secret) saveSession({ sessionId: res.session_id, secret: res.secret, graceS: state.graceS });
  else forgetSession();
  setStatus(`Connected (session ${res.session_id})`, 'ok');
  conn.startKeepalive();
  redraw();
}

function onClaimed(conn, res, claim) {
  clearTimeout(state.reconnect?.timer);
  state.reconnect = null;
  state.sessionId = res.session_id;
  state.graceS = claim.graceS;
  saveSession(claim);
  if (res.client_id) ui.clientId.value = res.client_id;
  state.registration = res.registered ? 'registered' : 'none';
  const kept = res.call ?? null;
  if (state.call && kept?.call_id === state.call.callId) {
    state.call.held = Boolean(kept.held);
    state.call.muted = Boolean(kept.muted);
    state.call.setMicEnabled(!state.call.muted);
  } else {
    if (state.call) endCall('the call ended while we were away');
    // A call the gateway kept but this page has no media for (e.g. after a reload): end it.
    if (kept && kept.call_id !== state.incoming?.callId) conn.request('hangup', { call_id: kept.call_id });
  }
  setStatus(`Reconnected: session ${res.session_id} claimed (${res.missed_events ?? 0} missed events follow)`, 'ok');
  conn.startKeepalive();
  redraw();
}

function onClose(conn, ev) {
  if (state.ws !== conn) return;
  state.ws = null;
  const clean = ev.code === 1000;
  log('·', `WebSocket closed (code ${ev.code}${ev.reason ? `, ${ev.reason}` : ''})`, clean ? '' : 'error');

  // A drop we may recover from: the gateway keeps the session for graceS seconds.
  const saved = loadSavedSession();
  if (!state.userDisconnect && state.graceS > 0 && saved && (state.reconnect || saved.sessionId === state.sessionId)) {
    if (!state.reconnect) {
      touchSavedSession();
      state.reconnect = { saved, attempt: 0, deadline: Date.now() + state.graceS * 1000, timer: null };
    }
    const r = state.reconnect;
    const delay = RECONNECT_DELAYS_MS[Math.min(r.attempt, RECONNECT_DELAYS_MS.length - 1)];
    if (Date.now() + delay < r.deadline) {
      r.attempt++;
      setStatus(`Connection lost — reconnecting (attempt ${r.attempt}) to keep session ${saved.sessionId}…`, 'busy');
      r.timer = setTimeout(() => connect({ claim: saved }), delay);
      redraw();
      return;
    }
    log('!', `session ${saved.sessionId} not re-attached within ${state.graceS} s`, 'error');
    state.reconnect = null;
    forgetSession();
  }
  giveUpSession('connection closed');
  state.sessionId = null;
  if (state.userDisconnect) forgetSession();
  setStatus(clean ? 'Not connected' : `Disconnected (code ${ev.code})`, clean ? 'idle' : 'error');
  redraw();
}

/** The session is gone: so are its call, a ringing call and the registration. */
function giveUpSession(why) {
  endCall(why);
  state.incoming = null;
  Object.assign(state, { registration: 'none', user: null });
}

async function disconnect() {
  state.userDisconnect = true;
  if (state.reconnect) {
    clearTimeout(state.reconnect.timer);
    state.reconnect = null;
  }
  const conn = state.ws;
  // With a grace period the gateway would keep our call and registration after the close; the
  // Disconnect button means "end it all", so say so first.
  if (conn?.open && state.graceS > 0) {
    if (state.call?.callId) await conn.request('hangup', { call_id: state.call.callId });
    if (state.registration === 'registered') await conn.request('unregister');
  }
  forgetSession();
  endCall('disconnect');
  if (conn) conn.close(1000, 'bye');
  else { state.sessionId = null; giveUpSession('disconnect'); setStatus('Not connected', 'idle'); }
  redraw();
}

// ---------------------------------------------------------------------------------------------
// Events from the gateway

function onEvent(msg) {
  const call = state.call;
  // An outgoing call's events may overtake the `call` response: keep them until the call_id is known.
  if (call?.direction === 'outgoing' && call.callId === null && msg.call_id && msg.event !== 'hangup'
      && !['incomingcall', 'missed_call'].includes(msg.event)) {
    call.pendingEvents.push(msg);
    return;
  }
  const forCall = call !== null && (msg.call_id === undefined || msg.call_id === call.callId);
  switch (msg.event) {
    case 'registering':
      state.registration = 'registering';
      setStatus(`Registering ${msg.user ?? ''}@${msg.domain ?? ''}…`, 'busy');
      break;
    case 'registered':
      state.registration = 'registered';
      state.user = msg.user;
      setStatus(`Registered as ${msg.user}@${msg.domain} (expires ${msg.expires} s)`, 'ok');
      break;
    case 'registration_failed':
      state.registration = msg.retrying ? 'registering' : 'failed';
      setStatus(`Registration failed: ${msg.code} ${msg.reason}${msg.retrying ? ` — retrying in ${msg.retry_in_s ?? '?'} s` : ''}`, 'error');
      break;
    case 'unregistering':
      state.registration = 'unregistering';
      setStatus('Unregistering…', 'busy');
      break;
    case 'unregistered':
      state.registration = 'none';
      setStatus('Unregistered', 'idle');
      break;
    case 'calling':
      if (forCall) call.state = 'calling';
      setStatus(`Calling ${msg.callee}…`, 'busy');
      break;
    case 'progress':
      if (forCall) onProgress(call, msg);
      break;
    case 'accepted':
      if (forCall) onAccepted(call, msg);
      break;
    case 'incomingcall':
      onIncoming(msg);
      break;
    case 'missed_call':
      addMissedCall({ ...msg, reason: 'busy in another call' });
      log('·', `missed call from ${who(msg.caller, msg.caller_name)} (refused with 486: busy)`);
      setStatus(`Missed call from ${who(msg.caller, msg.caller_name)}`, 'busy');
      break;
    case 'updatingcall':
      if (!forCall) break;
      call.mediaDirection = msg.direction ?? call.mediaDirection;
      if (msg.initiator === 'local' && msg.reason === 'hold') call.held = true;
      if (msg.initiator === 'local' && msg.reason === 'unhold') call.held = false;
      setStatus(`Call updated by the ${msg.initiator === 'local' ? 'gateway (us)' : 'far end'}: ${msg.reason}, media ${msg.direction}`,
        call.held ? 'busy' : 'ok');
      break;
    case 'muted':
      if (!forCall) break;
      call.muted = Boolean(msg.muted);
      call.setMicEnabled(!call.muted);
      setStatus(call.muted ? 'Microphone muted' : 'Microphone on', call.muted ? 'busy' : 'ok');
      break;
    case 'dtmf':
      if (!forCall) break;
      state.dtmfReceived += msg.digit;
      showDigits(state.dtmfSent, state.dtmfReceived);
      setStatus(`Received DTMF ${msg.digit} (${msg.method}, ${msg.duration_ms} ms)`, 'ok');
      break;
    case 'hangup':
      onHangup(msg);
      break;
    default:
      break;
  }
}

async function onProgress(call, msg) {
  call.state = msg.jsep ? 'early' : 'progress';
  setStatus(`${msg.code} ${msg.reason}${msg.jsep ? ' — early media' : ''}`, 'busy');
  if (msg.jsep) await applyAnswer(call, msg.jsep, 'early-media answer');
}

async function onAccepted(call, msg) {
  call.state = 'accepted';
  setStatus(`In call ${call.direction === 'incoming' ? 'with' : 'to'} ${who(call.peer, call.peerName)}`, 'ok');
  if (call.direction === 'outgoing' && msg.jsep) await applyAnswer(call, msg.jsep, 'answer');
  redraw();
}

function onIncoming(msg) {
  if (state.call || state.incoming) { // the gateway sends missed_call instead; be safe anyway
    request('decline', { call_id: msg.call_id, code: 486 });
    return;
  }
  state.incoming = {
    callId: msg.call_id, caller: msg.caller, callerName: msg.caller_name, callee: msg.callee,
    offer: msg.jsep, busy: false,
  };
  setStatus(`Incoming call from ${who(msg.caller, msg.caller_name)}`, 'ring');
}

function onHangup(msg) {
  const detail = `${msg.cause ?? 'ended'} (${msg.code} ${msg.reason})`;
  const call = state.call;
  if (call && (call.callId === null || msg.call_id === undefined || msg.call_id === call.callId)) {
    if (state.incoming?.callId === msg.call_id) state.incoming = null;
    setStatus(`Call ended: ${detail}`, ['answered', 'cancelled'].includes(msg.cause) ? 'idle' : 'error');
    endCall(`hangup: ${detail}`);
    return;
  }
  const inc = state.incoming;
  if (inc && msg.call_id === inc.callId) { // still ringing: the caller gave up, or we declined
    state.incoming = null;
    if (msg.cause === 'cancelled') addMissedCall({ caller: inc.caller, caller_name: inc.callerName, reason: 'caller hung up' });
    setStatus(`Call from ${who(inc.caller, inc.callerName)} ended: ${detail}`, 'idle');
    return;
  }
  if (!call && !state.incoming) setStatus(`Call ended: ${detail}`, msg.cause === 'rejected' ? 'idle' : 'error');
}

// ---------------------------------------------------------------------------------------------
// Wiring

ui.clientId.value = `web-demo-${Math.random().toString(36).slice(2, 8)}`;
ui.domain.value = location.hostname.replace(/^\[(.*)\]$/, '$1');

ui.connect.addEventListener('click', () => {
  state.userDisconnect = false;
  // A session this tab had before a reload, still within its grace period: claim it.
  const saved = loadSavedSession();
  const fresh = saved && Date.now() - (saved.savedAt ?? 0) < saved.graceS * 1000;
  if (saved && !fresh) forgetSession();
  if (fresh) state.graceS = saved.graceS;
  connect({ claim: fresh ? saved : null });
});
ui.disconnect.addEventListener('click', disconnect);
ui.registerForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const port = Number.parseInt(ui.port.value, 10);
  const res = await request('register', {
    user: ui.user.value.trim(), password: ui.password.value, domain: ui.domain.value.trim(),
    port: Number.isFinite(port) ? port : 5060, transport: 'udp',
  });
  if (!res.ok) setStatus(`Register refused: ${errText(res)}`, 'error');
});
ui.unregister.addEventListener('click', () => request('unregister'));
ui.callForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const number = ui.number.value.trim();
  if (number) startCall(number, onEvent);
});
ui.hangup.addEventListener('click', hangup);
ui.answer.addEventListener('click', answer);
ui.decline.addEventListener('click', decline);
ui.hold.addEventListener('click', toggleHold);
ui.mute.addEventListener('click', toggleMute);
for (const key of ui.dtmfKeys) key.addEventListener('click', () => sendDigit(key.dataset.digit));
ui.clearLog.addEventListener('click', () => ui.log.replaceChildren());
window.addEventListener('beforeunload', () => {
  touchSavedSession(); // the grace period starts now; a reload can claim the session
  state.ws?.close(1000, 'page closed');
});

// Read-only view for automated tests and for poking around in the console.
Object.defineProperty(window, 'sipgwDemo', {
  value: Object.freeze({
    get events() { return structuredClone(seen.events); },
    get responses() { return structuredClone(seen.responses); },
    get stats() { return seen.lastStats ? { ...seen.lastStats } : null; },
    get state() {
      const c = state.call;
      return {
        connected: state.ws?.open ?? false, sessionId: state.sessionId, registration: state.registration,
        reattachGraceS: state.graceS, reconnecting: state.reconnecting,
        callId: c?.callId ?? null, callState: c?.state ?? null, callDirection: c?.direction ?? null,
        held: c?.held ?? false, muted: c?.muted ?? false, mediaDirection: c?.mediaDirection ?? null,
        incomingCallId: state.incoming?.callId ?? null,
        dtmfSent: state.dtmfSent, dtmfReceived: state.dtmfReceived,
      };
    },
  }),
  writable: false,
  configurable: false,
});

redraw();
log('·', 'page loaded — click Connect');
