// SIP Gateway demo phone — a minimal client of protocol v1 (docs/protocol.md).
//
// Flow: Connect (WebSocket + `hello`) → Register (`register`, then `registered` or
// `registration_failed`) → Call (getUserMedia, RTCPeerConnection offer in `call`, local ICE
// candidates in `trickle`, the answer from `accepted`) → Hang up (`hangup`).
// No build step: this file is an ES module served as is. For automated tests the page exposes a
// read-only view of its state as `window.sipgwDemo` (events seen, last stats); tests still drive
// the page through its buttons.

const KEEPALIVE_MS = 20000;
const STATS_MS = 1000;
const MAX_LOG_LINES = 500;

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'), clientId: $('client-id'), sessionId: $('session-id'),
  connect: $('connect'), disconnect: $('disconnect'),
  registerForm: $('register-form'), user: $('user'), password: $('password'),
  domain: $('domain'), port: $('port'), register: $('register'), unregister: $('unregister'),
  callForm: $('call-form'), number: $('number'), call: $('call'), hangup: $('hangup'),
  log: $('log'), clearLog: $('clear-log'), remoteAudio: $('remote-audio'),
  stat: {
    packetsReceived: $('stat-packets-received'), packetsSent: $('stat-packets-sent'),
    packetsLost: $('stat-packets-lost'), jitter: $('stat-jitter'),
    audioLevel: $('stat-audio-level'), ice: $('stat-ice'),
  },
};

// ---------------------------------------------------------------------------------------------
// State

const state = {
  ws: null,
  connected: false,      // WebSocket open
  sessionId: null,       // from the hello response
  registration: 'none',  // none | registering | registered | failed | unregistering
  user: null,
  call: null,            // { callId, pc, localStream, state, pendingCandidates, pendingAnswer, statsTimer }
  nextTransaction: 1,
  pending: new Map(),    // transaction → { resolve, request }
  keepaliveTimer: null,
};
const seenEvents = [];     // every event frame from the gateway, with a local timestamp
const seenResponses = [];  // every response frame
let lastStats = null;      // the newest getStats summary of the current (or last) call
const t0 = performance.now();

// ---------------------------------------------------------------------------------------------
// Log and status

function setStatus(text, kind = 'idle') {
  ui.status.textContent = text;
  ui.status.dataset.state = kind;
}

function summarize(msg) {
  // Never show the password; abbreviate SDP bodies.
  return JSON.stringify(msg, (key, value) => {
    if (key === 'password') return '••••';
    if (key === 'sdp' && typeof value === 'string') {
      return `<${value.split('\r\n').filter(Boolean).length} SDP lines>`;
    }
    return value;
  });
}

function log(dir, text, cls = '') {
  const li = document.createElement('li');
  li.className = `${dir === '→' ? 'out' : dir === '←' ? 'in' : 'note'} ${cls}`.trim();
  const t = document.createElement('span');
  t.className = 't';
  t.textContent = ((performance.now() - t0) / 1000).toFixed(3).padStart(8, ' ');
  const d = document.createElement('span');
  d.className = 'dir';
  d.textContent = `${dir} `;
  li.append(t, d, document.createTextNode(text));
  const atBottom = ui.log.scrollTop + ui.log.clientHeight >= ui.log.scrollHeight - 4;
  ui.log.append(li);
  while (ui.log.childElementCount > MAX_LOG_LINES) ui.log.firstElementChild.remove();
  if (atBottom) ui.log.scrollTop = ui.log.scrollHeight;
}

function refreshButtons() {
  const ready = state.connected && state.sessionId !== null;
  const inCall = state.call !== null;
  ui.connect.disabled = state.ws !== null;
  ui.clientId.disabled = state.ws !== null;
  ui.disconnect.disabled = state.ws === null;
  ui.register.disabled = !ready || state.registration === 'registering';
  ui.unregister.disabled = !ready || state.registration !== 'registered';
  ui.call.disabled = !ready || state.registration !== 'registered' || inCall;
  ui.hangup.disabled = !inCall;
  ui.sessionId.textContent = state.sessionId ?? '—';
}

// ---------------------------------------------------------------------------------------------
// WebSocket and requests

function send(request, fields = {}, { quiet = false } = {}) {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
    log('!', `cannot send ${request}: not connected`, 'error');
    return Promise.resolve({ response: request, ok: false, error: { code: 0, reason: 'not connected' } });
  }
  const transaction = `t${state.nextTransaction++}`;
  const msg = { request, transaction, ...fields };
  state.ws.send(JSON.stringify(msg));
  if (!quiet) log('→', summarize(msg));
  return new Promise((resolve) => state.pending.set(transaction, { resolve, request, quiet }));
}

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}/ws`;
  log('·', `connecting to ${url}`);
  setStatus('Connecting…', 'busy');
  const ws = new WebSocket(url);
  state.ws = ws;
  refreshButtons();

  ws.addEventListener('open', async () => {
    state.connected = true;
    log('·', 'WebSocket open');
    const res = await send('hello', { client_id: ui.clientId.value.trim() || undefined });
    if (!res.ok) {
      setStatus(`hello failed: ${res.error?.code} ${res.error?.reason}`, 'error');
      return;
    }
    state.sessionId = res.session_id;
    setStatus(`Connected (session ${res.session_id})`, 'ok');
    refreshButtons();
    state.keepaliveTimer = setInterval(() => send('keepalive', {}, { quiet: true }), KEEPALIVE_MS);
  });

  ws.addEventListener('message', (ev) => {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      log('!', `unparsable frame: ${String(ev.data).slice(0, 200)}`, 'error');
      return;
    }
    if (typeof msg.event === 'string') {
      seenEvents.push({ ...msg, received_at_ms: Math.round(performance.now() - t0) });
      log('←', summarize(msg));
      onEvent(msg);
    } else if (typeof msg.response === 'string') {
      seenResponses.push(msg);
      const p = state.pending.get(msg.transaction);
      if (!p?.quiet || !msg.ok) log('←', summarize(msg), msg.ok ? '' : 'error');
      if (p) {
        state.pending.delete(msg.transaction);
        p.resolve(msg);
      }
    } else {
      log('←', summarize(msg));
    }
  });

  ws.addEventListener('close', (ev) => {
    log('·', `WebSocket closed (code ${ev.code}${ev.reason ? `, ${ev.reason}` : ''})`, ev.code === 1000 ? '' : 'error');
    for (const p of state.pending.values()) p.resolve({ response: p.request, ok: false, error: { code: 0, reason: 'connection closed' } });
    state.pending.clear();
    clearInterval(state.keepaliveTimer);
    endCall('connection closed');
    Object.assign(state, { ws: null, connected: false, sessionId: null, registration: 'none', user: null });
    setStatus(ev.code === 1000 ? 'Not connected' : `Disconnected (code ${ev.code})`, ev.code === 1000 ? 'idle' : 'error');
    refreshButtons();
  });

  ws.addEventListener('error', () => log('!', 'WebSocket error (certificate not accepted? gateway down?)', 'error'));
}

function disconnect() {
  endCall('disconnect');
  state.ws?.close(1000, 'bye');
}

// ---------------------------------------------------------------------------------------------
// Events from the gateway

function onEvent(msg) {
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
      state.registration = 'failed';
      setStatus(`Registration failed: ${msg.code} ${msg.reason}`, 'error');
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
      if (state.call) state.call.state = 'calling';
      setStatus(`Calling ${msg.callee}…`, 'busy');
      break;
    case 'progress':
      if (state.call) state.call.state = 'progress';
      setStatus(`${msg.code} ${msg.reason}`, 'busy');
      break;
    case 'accepted':
      onAccepted(msg);
      break;
    case 'hangup':
      if (!state.call || !state.call.callId || msg.call_id === undefined || msg.call_id === state.call.callId) {
        setStatus(`Call ended: ${msg.code} ${msg.reason}`, msg.code >= 400 ? 'error' : 'idle');
        endCall(`hangup ${msg.code}`);
      }
      break;
    default:
      break;
  }
  refreshButtons();
}

async function onAccepted(msg) {
  const call = state.call;
  if (!call) return;
  if (!call.callId) { // the event overtook the call response: apply it once the call_id is known
    call.pendingAnswer = msg;
    return;
  }
  if (msg.call_id && msg.call_id !== call.callId) return;
  call.state = 'accepted';
  setStatus('In call', 'ok');
  try {
    await call.pc.setRemoteDescription(msg.jsep);
    log('·', 'remote answer applied');
  } catch (err) {
    log('!', `setRemoteDescription failed: ${err}`, 'error');
    setStatus(`Bad answer from gateway: ${err.message}`, 'error');
  }
}

// ---------------------------------------------------------------------------------------------
// Calls

function candidateToJSON(c) {
  return { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex };
}

function sendCandidates(call, items) {
  for (const item of items) {
    if (item === null) send('trickle', { call_id: call.callId, completed: true });
    else send('trickle', { call_id: call.callId, candidate: item });
  }
}

async function startCall(number) {
  if (state.call) return;
  const call = { callId: null, pc: null, localStream: null, state: 'starting', pendingCandidates: [], pendingAnswer: null, statsTimer: null };
  state.call = call;
  lastStats = null;
  refreshButtons();
  setStatus(`Calling ${number}…`, 'busy');
  try {
    call.localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    if (state.call !== call) { call.localStream.getTracks().forEach((t) => t.stop()); return; }
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    call.pc = pc;
    for (const track of call.localStream.getTracks()) pc.addTrack(track, call.localStream);

    pc.addEventListener('track', (ev) => {
      ui.remoteAudio.srcObject = ev.streams[0] ?? new MediaStream([ev.track]);
      ui.remoteAudio.play().catch((err) => log('!', `audio playback: ${err.message}`, 'error'));
    });
    pc.addEventListener('icecandidate', (ev) => {
      const item = ev.candidate ? candidateToJSON(ev.candidate) : null;
      if (item && !item.candidate) return; // end-of-generation marker of one m-line
      if (call.callId) sendCandidates(call, [item]);
      else call.pendingCandidates.push(item);
    });
    pc.addEventListener('iceconnectionstatechange', () => {
      log('·', `ICE ${pc.iceConnectionState}`, pc.iceConnectionState === 'failed' ? 'error' : '');
      if (pc.iceConnectionState === 'failed') setStatus('Media failed (ICE)', 'error');
    });
    pc.addEventListener('connectionstatechange', () => log('·', `peer connection ${pc.connectionState}`));

    await pc.setLocalDescription(await pc.createOffer());
    const res = await send('call', { number, jsep: { type: 'offer', sdp: pc.localDescription.sdp } });
    if (state.call !== call) { // hung up while the call request was on its way
      if (res.ok) send('hangup', { call_id: res.call_id });
      return;
    }
    if (!res.ok) {
      setStatus(`Call refused: ${res.error?.code} ${res.error?.reason}`, 'error');
      endCall('call refused');
      return;
    }
    call.callId = res.call_id;
    sendCandidates(call, call.pendingCandidates.splice(0));
    if (call.pendingAnswer) onAccepted(call.pendingAnswer);
    call.statsTimer = setInterval(() => collectStats(call), STATS_MS);
  } catch (err) {
    log('!', `call setup failed: ${err}`, 'error');
    setStatus(`Call setup failed: ${err.message}`, 'error');
    endCall('setup failed');
  }
  refreshButtons();
}

async function hangup() {
  const call = state.call;
  if (!call) return;
  if (!call.callId) { endCall('local hangup'); return; }
  const res = await send('hangup', { call_id: call.callId });
  // The `hangup` event ends the call; if the gateway refused (e.g. call already gone), end it here.
  if (!res.ok) endCall('local hangup');
}

function endCall(why) {
  const call = state.call;
  if (!call) return;
  state.call = null;
  clearInterval(call.statsTimer);
  if (call.pc) collectStats(call).finally(() => call.pc.close());
  call.localStream?.getTracks().forEach((t) => t.stop());
  ui.remoteAudio.srcObject = null;
  log('·', `call ended (${why})`);
  refreshButtons();
}

async function collectStats(call) {
  if (!call.pc || call.pc.signalingState === 'closed') return;
  const report = await call.pc.getStats();
  const s = { at_ms: Math.round(performance.now() - t0), call_id: call.callId };
  let pairId = null;
  report.forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'audio') {
      Object.assign(s, {
        packetsReceived: r.packetsReceived ?? 0, bytesReceived: r.bytesReceived ?? 0,
        packetsLost: r.packetsLost ?? 0, jitter: r.jitter ?? 0, audioLevel: r.audioLevel ?? 0,
        totalAudioEnergy: r.totalAudioEnergy ?? 0,
      });
    } else if (r.type === 'outbound-rtp' && r.kind === 'audio') {
      Object.assign(s, { packetsSent: r.packetsSent ?? 0, bytesSent: r.bytesSent ?? 0 });
    } else if (r.type === 'transport') {
      pairId = r.selectedCandidatePairId ?? pairId;
      s.dtlsState = r.dtlsState;
    }
  });
  if (pairId && report.get(pairId)) {
    const pair = report.get(pairId);
    const local = report.get(pair.localCandidateId);
    const remote = report.get(pair.remoteCandidateId);
    s.selectedPair = `${local?.address}:${local?.port} ⇄ ${remote?.address}:${remote?.port}`;
  }
  s.iceConnectionState = call.pc.iceConnectionState;
  lastStats = s;
  ui.stat.packetsReceived.textContent = s.packetsReceived ?? '—';
  ui.stat.packetsSent.textContent = s.packetsSent ?? '—';
  ui.stat.packetsLost.textContent = s.packetsLost ?? '—';
  ui.stat.jitter.textContent = s.jitter !== undefined ? `${(s.jitter * 1000).toFixed(1)} ms` : '—';
  ui.stat.audioLevel.textContent = s.audioLevel !== undefined ? s.audioLevel.toFixed(3) : '—';
  ui.stat.ice.textContent = s.selectedPair ? `${s.iceConnectionState} (${s.selectedPair})` : s.iceConnectionState;
}

// ---------------------------------------------------------------------------------------------
// Wiring

ui.clientId.value = `web-demo-${Math.random().toString(36).slice(2, 8)}`;
ui.domain.value = location.hostname.replace(/^\[(.*)\]$/, '$1');

ui.connect.addEventListener('click', connect);
ui.disconnect.addEventListener('click', disconnect);
ui.registerForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const port = Number.parseInt(ui.port.value, 10);
  const res = await send('register', {
    user: ui.user.value.trim(), password: ui.password.value, domain: ui.domain.value.trim(),
    port: Number.isFinite(port) ? port : 5060, transport: 'udp',
  });
  if (!res.ok) setStatus(`Register refused: ${res.error?.code} ${res.error?.reason}`, 'error');
});
ui.unregister.addEventListener('click', () => send('unregister'));
ui.callForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const number = ui.number.value.trim();
  if (number) startCall(number);
});
ui.hangup.addEventListener('click', hangup);
ui.clearLog.addEventListener('click', () => ui.log.replaceChildren());
window.addEventListener('beforeunload', () => state.ws?.close(1000, 'page closed'));

// Read-only view for automated tests and for poking around in the console.
Object.defineProperty(window, 'sipgwDemo', {
  value: Object.freeze({
    get events() { return structuredClone(seenEvents); },
    get responses() { return structuredClone(seenResponses); },
    get stats() { return lastStats ? { ...lastStats } : null; },
    get state() {
      return {
        connected: state.connected, sessionId: state.sessionId, registration: state.registration,
        callId: state.call?.callId ?? null, callState: state.call?.state ?? null,
      };
    },
  }),
  writable: false,
  configurable: false,
});

refreshButtons();
log('·', 'page loaded — click Connect');
