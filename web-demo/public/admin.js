// Sessions monitor: a live table of every client session of the gateway and its call, fed by the
// subscriber stream (wss://HOST/events?token=…, docs/protocol.md "Subscriber stream"). A dropped
// stream is resumed with `since=<last seq>`, so no event is missed or counted twice.
// A session's extension: the `user` of its `registered` event when the gateway sends one, else
// what its calls say (the caller of its outgoing calls, the callee of its incoming ones).

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'), form: $('sub-form'), token: $('token'), history: $('history'),
  subscribe: $('subscribe'), unsubscribe: $('unsubscribe'), lastSeq: $('last-seq'), count: $('event-count'),
  body: $('sessions-body'), showEnded: $('show-ended'),
};
const RETRY_MS = [500, 1000, 2000, 5000];
/** Each row's cells, in order (also their `data-col`, which tests and scripts read). */
const COLUMNS = ['session', 'client', 'extension', 'registration', 'call', 'parties', 'duration', 'last'];

const sessions = new Map(); // session_id → { clientId, extension, registration, call, last, ended }
let ws = null;
let lastSeq = null;
let count = 0;
let wanted = false;
let attempt = 0;

function setStatus(text, kind) {
  ui.status.textContent = text;
  ui.status.dataset.state = kind;
}

function open() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const q = new URLSearchParams({ token: ui.token.value });
  if (lastSeq !== null) q.set('since', String(lastSeq));
  else if (ui.history.checked) q.set('since', '0');
  const sock = new WebSocket(`${scheme}://${location.host}/events?${q}`);
  ws = sock;
  setStatus(lastSeq !== null ? `Resuming after seq ${lastSeq}…` : 'Connecting…', 'busy');
  sock.addEventListener('open', () => { attempt = 0; setStatus('Live', 'ok'); });
  sock.addEventListener('message', (ev) => {
    let e;
    try { e = JSON.parse(ev.data); } catch { return; }
    if (typeof e.seq === 'number') {
      if (lastSeq !== null && e.seq <= lastSeq) return; // never twice
      lastSeq = e.seq;
    }
    count++;
    apply(e);
    scheduleRender();
  });
  sock.addEventListener('close', (ev) => {
    if (ws !== sock) return;
    ws = null;
    if (!wanted) { setStatus('Stopped', 'idle'); drawButtons(); return; }
    // 1006 before open is also what a wrong token (HTTP 401) looks like from a browser.
    const delay = RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)];
    setStatus(`Stream closed (code ${ev.code}${attempt > 2 ? ', wrong token?' : ''}) — retrying in ${delay / 1000} s`, 'error');
    setTimeout(() => { if (wanted && !ws) open(); }, delay);
  });
  drawButtons();
}

function session(e) {
  let s = sessions.get(e.session_id);
  if (!s) {
    s = { id: e.session_id, clientId: e.client_id, extension: null, registration: '—', call: null, last: null, ended: false, firstSeen: e.timestamp_ms };
    sessions.set(e.session_id, s);
  }
  if (e.client_id) s.clientId = e.client_id;
  return s;
}

function apply(e) {
  const s = session(e);
  const d = e.call_details ?? {};
  const t = e.timestamp_ms ?? Date.now();
  const callFor = () => {
    if (!s.call || (d.call_id && s.call.callId !== d.call_id) || s.call.endedAt) {
      s.call = { callId: d.call_id ?? null, state: '—', caller: null, callee: null, startedAt: t, answeredAt: null, endedAt: null };
    }
    if (d.caller) s.call.caller = d.caller_name && d.caller_name !== d.caller ? `${d.caller_name} (${d.caller})` : d.caller;
    if (d.callee) s.call.callee = d.callee_name && d.callee_name !== d.callee ? `${d.callee_name} (${d.callee})` : d.callee;
    return s.call;
  };
  switch (e.event) {
    case 'connected': s.ended = false; break;
    case 'registered':
      s.registration = 'registered';
      if (e.user) s.extension = e.domain ? `${e.user}@${e.domain}` : e.user;
      break;
    case 'unregistered': s.registration = 'unregistered'; break;
    case 'calling':
      callFor().state = 'calling';
      if (d.caller && !s.extension) s.extension = d.caller;
      break;
    case 'incomingcall':
      callFor().state = 'incoming';
      if (d.callee && !s.extension) s.extension = d.callee;
      break;
    case 'proceeding': callFor().state = 'ringing'; break;
    case 'answered': { const c = callFor(); c.state = 'answered'; c.answeredAt = t; break; }
    case 'hangup': {
      const c = callFor();
      c.state = `ended: ${e.cause ?? ''}${e.code ? ` ${e.code}` : ''}`.trim();
      c.endedAt = t;
      break;
    }
    case 'disconnected': s.ended = true; if (s.call && !s.call.endedAt) s.call.endedAt = t; break;
    default: break;
  }
  s.last = { event: e.event, at: t, seq: e.seq };
}

let renderPending = false;
function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => { renderPending = false; render(); });
}

const fmtDuration = (ms) => {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const fmtTime = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

function cell(text, cls, attrs = {}) {
  const td = document.createElement('td');
  if (cls) {
    const span = document.createElement('span');
    span.className = cls;
    Object.assign(span.dataset, attrs);
    span.textContent = text;
    td.append(span);
  } else {
    td.textContent = text;
  }
  return td;
}

function render() {
  ui.lastSeq.textContent = lastSeq ?? '—';
  ui.count.textContent = String(count);
  const rows = [...sessions.values()]
    .filter((s) => ui.showEnded.checked || !s.ended)
    .sort((a, b) => Number(a.ended) - Number(b.ended) || (b.last?.at ?? 0) - (a.last?.at ?? 0));
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    tr.className = 'none';
    const td = cell(sessions.size ? 'no live sessions' : 'no sessions seen yet');
    td.colSpan = 8;
    tr.append(td);
    ui.body.replaceChildren(tr);
    return;
  }
  const now = Date.now();
  ui.body.replaceChildren(...rows.map((s) => {
    const tr = document.createElement('tr');
    tr.dataset.sessionId = String(s.id);
    if (s.ended) tr.className = 'ended';
    const c = s.call;
    const callState = s.ended && (!c || c.endedAt) ? 'session ended' : c ? c.state : 'idle';
    const duration = c?.answeredAt ? fmtDuration((c.endedAt ?? now) - c.answeredAt) : '—';
    tr.append(
      cell(String(s.id)),
      cell(s.clientId ?? '—'),
      cell(s.extension ?? '—'),
      cell(s.registration, 'state', { s: s.registration }),
      cell(callState, 'state', { s: callState.split(':')[0] }),
      cell(c ? `${c.caller ?? '?'} → ${c.callee ?? '?'}` : '—'),
      cell(duration),
      cell(s.last ? `${s.last.event} · ${fmtTime(s.last.at)} (#${s.last.seq})` : '—'),
    );
    [...tr.children].forEach((td, i) => { td.dataset.col = COLUMNS[i]; });
    return tr;
  }));
}

function drawButtons() {
  ui.subscribe.disabled = wanted;
  ui.unsubscribe.disabled = !wanted;
  ui.token.disabled = wanted;
}

ui.form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (wanted) return;
  wanted = true;
  attempt = 0;
  try { sessionStorage.setItem('sipgw-admin.token', ui.token.value); } catch { /* storage off */ }
  open();
});
ui.unsubscribe.addEventListener('click', () => {
  wanted = false;
  ws?.close(1000, 'stop');
  drawButtons();
});
ui.showEnded.addEventListener('change', render);
try { ui.token.value = sessionStorage.getItem('sipgw-admin.token') ?? ''; } catch { /* storage off */ }
setInterval(() => { if ([...sessions.values()].some((s) => s.call?.answeredAt && !s.call.endedAt)) render(); }, 1000);
render();
drawButtons();
