// SIP Gateway demo phone — the page on the SIPClient library (web-demo/src, built into
// lib/sipgateway.js by `npm run build`). The library does the protocol (hello/claim,
// transactions, keepalive, re-attach after a dropped connection) and the media (microphone,
// RTCPeerConnection, JSEP, trickle ICE); this file only wires the buttons to SIPClient's methods
// and draws what its events say.
//
// Flow: Connect (`connect()` → `ready`) → Register (`register()` → `registered` /
// `registration_failed`) → Call (`start_call()` → `calling`, `progress`, `accepted`) or an
// incoming call (`incomingcall` → Answer: `accept()` / Decline: `decline()`) → in the call:
// Hold/Unhold, Mute/Unmute, Record, DTMF keypad → Hang up (`hangup()` → `hangup`). The dial pad
// builds the number before a call and sends DTMF in one; the media-quality view polls
// `get_stats()` each second.
// A dropped connection (not the Disconnect button) is re-attached by the library (`reconnecting`,
// then `ready` with `reattached`). A reload within the grace period claims the session too: the
// page reconnects by itself with connect({resume}) (the session, client id and extension are kept
// in sessionStorage, per tab) and is registered again at once. A reload cannot keep the call's
// RTCPeerConnection, so the page hangs a call up as it unloads (BYE to the far end, cause
// answered; the reloaded page says so) — and should the gateway still hold one at the claim, the
// library hangs it up. The registration stays.
//
// For automated tests the page exposes a read-only view of its state as `window.sipgwDemo`
// (every gateway event and response frame, last stats); tests still drive the page through its
// buttons.
import { SIPClient, summarize } from './lib/sipgateway.js';
import {
  addMissedCall, log, render, renderStats, setStatus, showDigits, sinceLoadMs, ui, who,
} from './ui.js';

const STATS_MS = 1000;
const SESSION_KEY = 'sipgw-demo.session';
const FORM_KEY = 'sipgw-demo.form';

/** @type {SIPClient | null} the client while connected, connecting or re-attaching */
let client = null;
const page = {
  busy: false,          // a hold/mute/record request is on its way
  incomingBusy: false,  // Answer or Decline was clicked
  ringing: null,        // call_id of the incoming call shown in the banner
  dtmfSent: '',
  dtmfReceived: '',
  statsTimer: null,
  lastCallId: null,
  reloadedCall: null,   // call_id of a call the gateway kept across a reload (hung up: no media here)
  resumed: false,       // this page load claimed the session of the page before the reload
  resumedCall: null,    // call_id of the call the page before the reload hung up as it unloaded
  unloading: false,     // beforeunload ran: the session stays saved for the reloaded page
};
const seen = { events: [], responses: [], lastStats: null };
const lastIncoming = { caller: null, caller_name: null }; // the caller of the banner's call

// ---------------------------------------------------------------------------------------------
// The page's view of the client

function view() {
  const st = client?.state;
  const c = st?.call ?? null;
  const inc = st?.incoming ?? null;
  return {
    open: client !== null && !st.reconnecting,
    ready: Boolean(st?.connected) && !st.reconnecting,
    reconnecting: Boolean(st?.reconnecting),
    sessionId: st?.session_id ?? null,
    registration: st?.registration ?? 'none',
    user: st?.user ?? (st?.registration === 'registered' ? ui.user.value.trim() : null),
    call: c && {
      state: c.state, busy: page.busy, held: c.held, muted: c.muted, direction: c.direction, peer: c.peer,
      peerName: c.peer_name, mediaDirection: c.media_direction, recording: c.recording?.state ?? null,
      answeredAt: c.answered_at,
    },
    incoming: inc && { caller: inc.caller, callerName: inc.caller_name, busy: page.incomingBusy },
  };
}
const redraw = () => render(view());

// ---- the session kept for a claim after a reload (sessionStorage: per tab) ---------------------
function loadSavedSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    return s && Number.isFinite(s.session_id) && typeof s.secret === 'string' ? s : null;
  } catch {
    return null;
  }
}
function saveSession() {
  const s = client?.session;
  const callId = client?.state.call?.call_id ?? null;
  try {
    if (s) sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...s, call_id: callId, savedAt: Date.now() }));
    else sessionStorage.removeItem(SESSION_KEY);
  } catch { /* storage off */ }
}
function forgetSession() {
  try { sessionStorage.removeItem(SESSION_KEY); } catch { /* storage off */ }
}
// The register form and client id (not the password), so that a reloaded tab shows what it claimed.
function saveForm() {
  try {
    sessionStorage.setItem(FORM_KEY, JSON.stringify({
      clientId: ui.clientId.value, user: ui.user.value, domain: ui.domain.value, port: ui.port.value,
    }));
  } catch { /* storage off */ }
}
function restoreForm() {
  try {
    const f = JSON.parse(sessionStorage.getItem(FORM_KEY) ?? 'null');
    if (!f) return;
    for (const [k, el] of [['clientId', ui.clientId], ['user', ui.user], ['domain', ui.domain], ['port', ui.port]]) {
      if (typeof f[k] === 'string' && f[k]) el.value = f[k];
    }
  } catch { /* storage off */ }
}

// ---------------------------------------------------------------------------------------------
// Connection

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const port = Number(location.port) || (scheme === 'wss' ? 443 : 80);
  const c = new SIPClient({
    server: location.hostname,
    port,
    protocol: scheme,
    client_id: ui.clientId.value.trim() || undefined,
    debug: false,
    on_event: (event, data) => { if (client === c) onEvent(event, data); },
    on_error: (error) => { if (client === c) onError(error); },
    local_stream: ui.localAudio,
    remote_stream: ui.remoteAudio,
  });
  c.gateway.on('frame', (dir, msg, quiet) => {
    if (dir === 'in' && typeof msg.event === 'string') seen.events.push({ ...msg, received_at_ms: sinceLoadMs() });
    else if (dir === 'in') seen.responses.push(msg);
    if (!quiet) log(dir === 'in' ? '←' : '→', summarize(msg), dir === 'in' && msg.ok === false ? 'error' : '');
  });
  c.gateway.on('connection_lost', (info) => {
    log('·', `WebSocket closed (code ${info.code}${info.reason ? `, ${info.reason}` : ''})`, info.code === 1000 ? '' : 'error');
  });
  c.gateway.on('session_lost', (info) => log('!', `session ${info.session_id} lost: ${info.reason}`, 'error'));
  client = c;
  saveForm();

  // A session this tab had before a reload, still within its grace period: claim it.
  const saved = loadSavedSession();
  const fresh = saved && Date.now() - (saved.savedAt ?? 0) < saved.reattach_grace_s * 1000;
  if (saved && !fresh) forgetSession();
  log('·', fresh ? `connecting to ${c.gateway.url} to claim session ${saved.session_id}` : `connecting to ${c.gateway.url}`);
  setStatus('Connecting…', 'busy');
  redraw();
  c.connect(fresh ? { resume: saved } : {}).then((ok) => {
    if (!ok && client === c) {
      client = null;
      setStatus('Could not connect to the gateway', 'error');
    }
    redraw();
  });
}

async function disconnect() {
  const c = client;
  if (!c) return;
  forgetSession();
  await c.disconnect(); // hangs up, unregisters, closes; then `disconnected`
  redraw();
}

// ---------------------------------------------------------------------------------------------
// Events of SIPClient (the seed's names, plus muted, dtmf, missed_call, reconnecting, disconnected)

function onEvent(event, d) {
  switch (event) {
    case 'ready':
      saveSession();
      if (d.reattached && d.call && !client.state.call) {
        // A reloaded page: the gateway kept the call, but its audio (the old RTCPeerConnection)
        // went with the old page. The library hangs it up; the registration is kept.
        page.reloadedCall = d.call.call_id;
        log('·', `session ${d.session_id} claimed after a reload: registered ${d.registered ? 'yes' : 'no'}; `
          + `the call ${d.call.call_id} cannot keep its audio across a reload and is hung up`);
        setStatus(`Reconnected: session ${d.session_id} claimed — ending the call the reload interrupted…`, 'busy');
      } else if (d.reattached && page.resumed) {
        const ended = page.resumedCall ? '; the call ended with the reload' : '';
        if (page.resumedCall) log('·', `the call ${page.resumedCall} was hung up as the page unloaded (a reload cannot keep its audio)`);
        setStatus(`Page reloaded: session ${d.session_id} claimed, ${d.registered ? 'still registered' : 'not registered'}${ended}`, 'ok');
      } else if (d.reattached) {
        setStatus(`Reconnected: session ${d.session_id} claimed (${d.missed_events ?? 0} missed events follow)`, 'ok');
      } else {
        setStatus(`Connected (session ${d.session_id})`, 'ok');
      }
      break;
    case 'reconnecting':
      setStatus(`Connection lost — reconnecting (attempt ${d.attempt}) to keep session ${d.session_id}…`, 'busy');
      break;
    case 'disconnected':
      client = null;
      stopStats();
      if (d.by_user && !page.unloading) forgetSession();
      setStatus(d.code === 1000 ? 'Not connected' : `Disconnected (code ${d.code})`, d.code === 1000 ? 'idle' : 'error');
      break;
    case 'registering':
      setStatus(`Registering ${d.user ?? ''}@${d.domain ?? ''}…`, 'busy');
      break;
    case 'registered':
      setStatus(`Registered as ${d.user}@${d.domain} (expires ${d.expires} s)`, 'ok');
      break;
    case 'registration_failed':
      setStatus(`Registration failed: ${d.code} ${d.reason}${d.retrying ? ` — retrying in ${d.retry_in_s ?? '?'} s` : ''}`, 'error');
      break;
    case 'unregistering':
      setStatus('Unregistering…', 'busy');
      break;
    case 'unregistered':
      setStatus('Unregistered', 'idle');
      break;
    case 'calling':
      setStatus(`Calling ${d.callee}…`, 'busy');
      break;
    case 'progress':
      setStatus(`${d.code} ${d.reason}${d.early_media ? ' — early media' : ''}`, 'busy');
      break;
    case 'accepted': {
      const c = client.state.call;
      setStatus(`In call ${c?.direction === 'incoming' ? 'with' : 'to'} ${who(c?.peer, c?.peer_name)}`, 'ok');
      break;
    }
    case 'incomingcall':
      page.ringing = d.call_id;
      page.incomingBusy = false;
      Object.assign(lastIncoming, { caller: d.caller, caller_name: d.caller_name });
      setStatus(`Incoming call from ${who(d.caller, d.caller_name)}`, 'ring');
      break;
    case 'missed_call':
      addMissedCall({ ...d, reason: 'busy in another call' });
      log('·', `missed call from ${who(d.caller, d.caller_name)} (refused with 486: busy)`);
      setStatus(`Missed call from ${who(d.caller, d.caller_name)}`, 'busy');
      break;
    case 'updatingcall':
      setStatus(`Call updated by the ${d.initiator === 'local' ? 'gateway (us)' : 'far end'}: ${d.reason}, media ${d.direction}`,
        d.held ? 'busy' : 'ok');
      break;
    case 'muted':
      setStatus(d.muted ? 'Microphone muted' : 'Microphone on', d.muted ? 'busy' : 'ok');
      break;
    case 'dtmf':
      page.dtmfReceived += d.digit;
      showDigits(page.dtmfSent, page.dtmfReceived);
      setStatus(`Received DTMF ${d.digit} (${d.method}, ${d.duration_ms} ms)`, 'ok');
      break;
    case 'recordingupdated': {
      const r = d.recording;
      log('·', `recording ${r.state}${r.path ? `: ${r.path}` : ''}${r.bytes ? ` (${r.bytes} bytes)` : ''}`);
      break;
    }
    case 'hangup':
      onHangup(d);
      break;
    default:
      break;
  }
  if (event === 'accepted' || event === 'calling') startStats();
  redraw();
}

function onHangup(d) {
  const detail = `${d.cause ?? 'ended'} (${d.code} ${d.reason})`;
  if (page.ringing === d.call_id) { // still ringing: the caller gave up, or we declined
    page.ringing = null;
    page.incomingBusy = false;
    if (d.cause === 'cancelled') addMissedCall({ caller: lastIncoming.caller, caller_name: lastIncoming.caller_name, reason: 'caller hung up' });
    setStatus(`Call from ${who(lastIncoming.caller, lastIncoming.caller_name)} ended: ${detail}`, 'idle');
    return;
  }
  // The call of the page before the reload (hung up as it unloaded; its hangup is replayed after
  // the claim), or one the gateway still held at the claim.
  if ((page.reloadedCall && d.call_id === page.reloadedCall) || (page.resumed && d.direction === null && !client?.state.call)) {
    page.reloadedCall = null;
    log('·', `call ended (hangup: ${detail}) — it was interrupted by the page reload`);
    setStatus(`Call ended by the page reload (${detail}); still registered${client?.state.registration === 'registered' ? '' : '?'}`, 'idle');
    return;
  }
  collectStats().finally(stopStats);
  log('·', `call ended (hangup: ${detail})`);
  setStatus(`Call ended: ${detail}`, ['answered', 'cancelled', 'rejected'].includes(d.cause) ? 'idle' : 'error');
}

function onError(err) {
  log('!', `${err.name}: ${err.message}`, 'error');
  const what = err.request ?? null;
  if (err.name === 'MediaError') setStatus(`Media failed: ${err.message}`, 'error');
  else if (what === 'register') setStatus(`Register refused: ${err.code} ${err.reason}`, 'error');
  else if (what === 'call') setStatus(`Call refused: ${err.code} ${err.reason}`, 'error');
  else if (what === 'accept') setStatus(`Answer refused: ${err.code} ${err.reason}`, 'error');
  else if (['hold', 'unhold'].includes(what)) setStatus(`${what === 'hold' ? 'Hold' : 'Unhold'} failed: ${err.code} ${err.reason} (the call continues as it was)`, 'error');
  else if (['mute', 'unmute', 'dtmf', 'start_recording', 'stop_recording', 'decline'].includes(what)) setStatus(`${what} failed: ${err.code} ${err.reason}`, 'error');
  redraw();
}

// ---------------------------------------------------------------------------------------------
// Stats of the current call (getStats through the library)

function startStats() {
  if (page.statsTimer) return;
  seen.lastStats = null;
  page.statsTimer = setInterval(collectStats, STATS_MS);
}
function stopStats() {
  clearInterval(page.statsTimer);
  page.statsTimer = null;
}
async function collectStats() {
  const s = await client?.get_stats();
  if (!s) return;
  seen.lastStats = { ...s, at_ms: sinceLoadMs() };
  renderStats(seen.lastStats);
}

// ---------------------------------------------------------------------------------------------
// Buttons

async function withBusy(fn) {
  page.busy = true;
  redraw();
  try { await fn(); } finally { page.busy = false; redraw(); }
}

ui.clientId.value = `web-demo-${Math.random().toString(36).slice(2, 8)}`;
ui.domain.value = location.hostname.replace(/^\[(.*)\]$/, '$1');
restoreForm();

ui.connect.addEventListener('click', connect);
ui.disconnect.addEventListener('click', disconnect);
ui.registerForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  saveForm();
  const port = Number.parseInt(ui.port.value, 10);
  client?.register({
    user: ui.user.value.trim(), password: ui.password.value, domain: ui.domain.value.trim(),
    port: Number.isFinite(port) ? port : 5060, transport: 'udp',
  });
});
ui.unregister.addEventListener('click', () => client?.unregister());
ui.callForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const number = ui.number.value.trim();
  if (!number || !client || client.state.call) return;
  page.dtmfSent = '';
  page.dtmfReceived = '';
  showDigits('', '');
  setStatus(`Calling ${number}…`, 'busy');
  const p = client.start_call(number);
  redraw();
  const ok = await p;
  if (ok) startStats();
  redraw();
});
ui.hangup.addEventListener('click', async () => { await client?.hangup(); redraw(); });
ui.answer.addEventListener('click', async () => {
  const inc = client?.state.incoming;
  if (!inc || page.incomingBusy) return;
  page.incomingBusy = true;
  page.ringing = null;
  page.dtmfSent = '';
  page.dtmfReceived = '';
  showDigits('', '');
  setStatus(`Answering ${who(inc.caller, inc.caller_name)}…`, 'busy');
  const p = client.accept();
  redraw();
  if (await p) startStats();
  page.incomingBusy = false;
  redraw();
});
ui.decline.addEventListener('click', async () => {
  const inc = client?.state.incoming;
  if (!inc || page.incomingBusy) return;
  page.incomingBusy = true;
  redraw();
  const ok = await client.decline(603); // 603 Decline: the person said no
  page.incomingBusy = false;
  if (ok) setStatus(`Declined the call from ${who(inc.caller, inc.caller_name)}`, 'idle');
  redraw();
});
ui.hold.addEventListener('click', () => withBusy(() => (client?.state.call?.held ? client.unhold() : client?.hold())));
ui.mute.addEventListener('click', () => withBusy(() => (client?.state.call?.muted ? client.unmute() : client?.mute())));
ui.record.addEventListener('click', () => withBusy(() => (client?.state.call?.recording?.state === 'recording'
  ? client.stop_recording() : client?.start_recording())));
// The dial pad: in an answered call a key is a DTMF digit; otherwise it types into the number.
function pressKey(digit) {
  const call = client?.state.call;
  if (call) {
    if (call.state !== 'accepted' || !call.call_id) return;
    page.dtmfSent += digit;
    showDigits(page.dtmfSent, page.dtmfReceived);
    client.send_dtmf(digit);
  } else if (!client?.state.incoming) {
    ui.number.value += digit;
  }
}
for (const key of ui.dtmfKeys) key.addEventListener('click', () => pressKey(key.dataset.digit));
ui.backspace.addEventListener('click', () => { ui.number.value = ui.number.value.slice(0, -1); ui.number.focus(); });
// Keyboard digits during a call (outside the form fields) are DTMF too.
document.addEventListener('keydown', (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.target instanceof HTMLInputElement) return;
  const key = ui.dtmfKeys.find((k) => k.dataset.digit === ev.key);
  if (key && !key.disabled && client?.state.call) { ev.preventDefault(); key.click(); }
});
ui.clearLog.addEventListener('click', () => ui.log.replaceChildren());
window.addEventListener('beforeunload', () => {
  page.unloading = true;
  saveSession(); // the grace period starts now; a reload can claim the session
  saveForm();
  // The call's RTCPeerConnection dies with this document: end the call now (a BYE, not a media
  // failure), before the socket closes. The session and its registration stay for the claim.
  if (client?.state.call?.call_id) client.hangup();
  client?.gateway.close(1000, 'page closed');
});
setInterval(() => { if (client?.state.call?.answered_at) redraw(); }, 1000); // the call timer

// Read-only view for automated tests and for poking around in the console.
Object.defineProperty(window, 'sipgwDemo', {
  value: Object.freeze({
    get events() { return structuredClone(seen.events); },
    get responses() { return structuredClone(seen.responses); },
    get stats() { return seen.lastStats ? { ...seen.lastStats } : null; },
    get state() {
      const st = client?.state;
      const c = st?.call ?? null;
      return {
        connected: Boolean(st?.connected), sessionId: st?.session_id ?? null, registration: st?.registration ?? 'none',
        reattachGraceS: st?.reattach_grace_s ?? 0, reconnecting: Boolean(st?.reconnecting),
        callId: c?.call_id ?? null, callState: c?.state ?? null, callDirection: c?.direction ?? null,
        held: c?.held ?? false, muted: c?.muted ?? false, mediaDirection: c?.media_direction ?? null,
        incomingCallId: st?.incoming?.call_id ?? null,
        dtmfSent: page.dtmfSent, dtmfReceived: page.dtmfReceived,
      };
    },
    /** The SIPClient instance (null when not connected), for the console. */
    get client() { return client; },
  }),
  writable: false,
  configurable: false,
});

redraw();
renderStats(null);
// A reload within the session's grace period: reconnect at once and claim it.
const saved = loadSavedSession();
if (saved && Date.now() - (saved.savedAt ?? 0) < saved.reattach_grace_s * 1000) {
  log('·', `page reloaded — claiming session ${saved.session_id}`);
  page.resumed = true;
  page.resumedCall = typeof saved.call_id === 'string' ? saved.call_id : null;
  connect();
} else {
  log('·', 'page loaded — click Connect');
}
