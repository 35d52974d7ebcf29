// The page's elements and how they are drawn: status line, event log, buttons, incoming-call
// banner, call controls, keypad, stats. No protocol logic here: app.js calls render(view).

const MAX_LOG_LINES = 500;
const t0 = performance.now();
export const sinceLoadMs = () => Math.round(performance.now() - t0);

const $ = (id) => document.getElementById(id);
export const ui = {
  status: $('status'), clientId: $('client-id'), sessionId: $('session-id'),
  connect: $('connect'), disconnect: $('disconnect'),
  registerForm: $('register-form'), user: $('user'), password: $('password'),
  domain: $('domain'), port: $('port'), register: $('register'), unregister: $('unregister'), registeredAs: $('registered-as'),
  callForm: $('call-form'), number: $('number'), backspace: $('dial-backspace'), call: $('call'), hangup: $('hangup'),
  incoming: $('incoming'), incomingName: $('incoming-name'), incomingNumber: $('incoming-number'),
  answer: $('answer'), decline: $('decline'),
  callInfo: $('call-info'), callTimer: $('call-timer'), recState: $('rec-state'),
  hold: $('hold'), mute: $('mute'), record: $('record'),
  keypad: $('keypad'), keypadMode: $('keypad-mode'), dtmfKeys: [...document.querySelectorAll('#keypad button[data-digit]')],
  dtmfSent: $('dtmf-sent'), dtmfReceived: $('dtmf-received'),
  missedCalls: $('missed-calls'),
  log: $('log'), clearLog: $('clear-log'), remoteAudio: $('remote-audio'), localAudio: $('local-audio'),
  qualityBadge: $('quality-badge'), meterIn: $('meter-in'), meterOut: $('meter-out'),
  stat: {
    packetsReceived: $('stat-packets-received'), packetsSent: $('stat-packets-sent'),
    packetsLost: $('stat-packets-lost'), jitter: $('stat-jitter'), rtt: $('stat-rtt'), codec: $('stat-codec'),
    audioLevel: $('stat-audio-level'), audioLevelOut: $('stat-audio-level-out'), ice: $('stat-ice'),
  },
};

export function setStatus(text, kind = 'idle') {
  ui.status.textContent = text;
  ui.status.dataset.state = kind;
}

/** One log line; dir is → (sent), ← (received) or · / ! (notes, errors). */
export function log(dir, text, cls = '') {
  const li = document.createElement('li');
  li.className = `${dir === '→' ? 'out' : dir === '←' ? 'in' : 'note'} ${cls}`.trim();
  const t = document.createElement('span');
  t.className = 't';
  t.textContent = (sinceLoadMs() / 1000).toFixed(3).padStart(8, ' ');
  const d = document.createElement('span');
  d.className = 'dir';
  d.textContent = `${dir} `;
  li.append(t, d, document.createTextNode(text));
  const atBottom = ui.log.scrollTop + ui.log.clientHeight >= ui.log.scrollHeight - 4;
  ui.log.append(li);
  while (ui.log.childElementCount > MAX_LOG_LINES) ui.log.firstElementChild.remove();
  if (atBottom) ui.log.scrollTop = ui.log.scrollHeight;
}

/** "Alice (1002)", or just the number when there is no other name. */
export const who = (number, name) => (name && name !== number ? `${name} (${number})` : number ?? 'unknown');

/** Enables, labels and shows every control from the page's view of the client (app.js view()). */
export function render(v) {
  const { ready } = v;
  const call = v.call;
  const inCall = call !== null;
  const live = inCall && call.state === 'accepted';
  ui.connect.disabled = v.open || v.reconnecting;
  ui.clientId.disabled = v.open || v.reconnecting;
  ui.disconnect.disabled = !v.open && !v.reconnecting;
  ui.register.disabled = !ready || v.registration === 'registering';
  ui.unregister.disabled = !ready || v.registration !== 'registered';
  ui.registeredAs.textContent = v.registration === 'registered' ? v.user ?? 'yes' : v.registration === 'none' ? '—' : v.registration;
  ui.call.disabled = !ready || v.registration !== 'registered' || inCall || v.incoming !== null;
  ui.hangup.disabled = !inCall;
  ui.sessionId.textContent = v.sessionId ?? '—';

  // Incoming-call banner.
  const inc = v.incoming;
  ui.incoming.hidden = inc === null;
  if (inc) {
    ui.incomingName.textContent = inc.callerName || inc.caller || 'Unknown caller';
    ui.incomingNumber.textContent = inc.callerName && inc.callerName !== inc.caller ? inc.caller ?? '' : '';
    ui.answer.disabled = inc.busy || !ready;
    ui.decline.disabled = inc.busy || !ready;
  }

  // Call controls: usable once the call is answered (and while the socket is up).
  const busy = call?.busy ?? false;
  ui.hold.disabled = !live || !ready || busy;
  ui.mute.disabled = !live || !ready || busy;
  ui.hold.textContent = call?.held ? 'Unhold' : 'Hold';
  ui.hold.setAttribute('aria-pressed', String(Boolean(call?.held)));
  ui.mute.textContent = call?.muted ? 'Unmute' : 'Mute';
  ui.mute.setAttribute('aria-pressed', String(Boolean(call?.muted)));
  const rec = call?.recording ?? null; // recording | paused | completed | failed | null
  const recording = rec === 'recording';
  ui.record.disabled = !live || !ready || busy;
  ui.record.textContent = recording ? 'Pause recording' : rec === 'paused' ? 'Resume recording' : 'Record';
  ui.record.setAttribute('aria-pressed', String(recording));
  ui.recState.hidden = !inCall || rec === null;
  ui.recState.dataset.state = rec ?? 'none';
  ui.recState.textContent = { recording: 'REC', paused: 'REC paused', failed: 'REC failed', completed: 'REC saved' }[rec] ?? 'REC';
  ui.recState.title = { recording: 'The gateway is recording this call', paused: 'Recording paused: this part is not in the file' }[rec] ?? '';

  // The dial pad: without a call its digits build the number; in an answered call they are DTMF.
  const compose = !inCall && inc === null;
  for (const key of ui.dtmfKeys) key.disabled = !(compose || (live && ready));
  ui.keypad.dataset.mode = live ? 'dtmf' : 'dial';
  ui.keypadMode.textContent = live ? 'In the call: digits are sent as DTMF' : compose ? 'Digits build the number' : 'Dial pad: usable once the call is answered';
  ui.number.readOnly = inCall;
  ui.backspace.disabled = !compose;

  let info = 'No call';
  let infoState = 'none';
  if (inCall) {
    const peer = call.direction === 'incoming' ? `from ${who(call.peer, call.peerName)}` : `to ${call.peer}`;
    const flags = [call.held && 'on hold', call.muted && 'muted',
      call.mediaDirection !== 'sendrecv' && !call.held && `media ${call.mediaDirection}`].filter(Boolean);
    const what = { starting: 'Starting call', calling: 'Calling', progress: 'Ringing', early: 'Early media',
      accepted: 'In call', answering: 'Answering call' }[call.state] ?? call.state;
    info = `${what} ${peer}${flags.length ? ` · ${flags.join(' · ')}` : ''}`;
    infoState = call.held ? 'held' : live ? 'live' : 'setup';
  }
  ui.callInfo.textContent = info;
  ui.callInfo.dataset.state = infoState;
  ui.callTimer.hidden = !call?.answeredAt;
  ui.callTimer.textContent = call?.answeredAt ? clock(Date.now() - call.answeredAt) : '0:00';
  document.body.dataset.call = inCall || inc ? 'active' : 'none'; // narrow screens: call card first
}

/** 75000 → "1:15". */
const clock = (ms) => {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/** Linear audio level 0..1 → the meter's width in % (−60 dBFS … 0 dBFS) and a label. */
function level(el, out, value) {
  if (value === undefined || value === null) {
    el.style.width = '0%';
    el.dataset.level = '0';
    out.textContent = '—';
    return;
  }
  const db = value > 0 ? 20 * Math.log10(value) : -Infinity;
  el.style.width = `${Math.max(0, Math.min(100, ((db + 60) / 60) * 100)).toFixed(1)}%`;
  el.dataset.level = value.toFixed(4);
  out.textContent = Number.isFinite(db) ? `${db.toFixed(0)} dB` : 'silent';
}

const QUALITY = [[4.3, 'excellent', 'Excellent'], [4.0, 'good', 'Good'], [3.6, 'fair', 'Fair'], [3.1, 'poor', 'Poor'], [0, 'bad', 'Bad']];

/** Draws a CallStats summary (SIPClient.get_stats()), or clears the view (null). */
export function renderStats(s) {
  const ms = (sec) => (sec !== undefined ? `${(sec * 1000).toFixed(1)} ms` : '—');
  ui.stat.packetsReceived.textContent = s?.packetsReceived ?? '—';
  ui.stat.packetsSent.textContent = s?.packetsSent ?? '—';
  ui.stat.packetsLost.textContent = s?.packetsLost === undefined ? '—'
    : `${s.packetsLost} (${((s.lossFraction ?? 0) * 100).toFixed(1)} %)`;
  ui.stat.jitter.textContent = ms(s?.jitter);
  ui.stat.rtt.textContent = s?.roundTripTime !== undefined ? `${ms(s.roundTripTime)}${s.rttSource === 'ice' ? ' (ICE)' : ''}` : '—';
  ui.stat.codec.textContent = s?.codec ?? '—';
  ui.stat.ice.textContent = !s ? '—' : s.selectedPair ? `${s.iceConnectionState} · ${s.selectedPair}` : s.iceConnectionState;
  level(ui.meterIn, ui.stat.audioLevel, s?.audioLevel);
  level(ui.meterOut, ui.stat.audioLevelOut, s?.audioLevelOut);
  const q = s?.mos !== undefined ? QUALITY.find(([min]) => s.mos >= min) : null;
  ui.qualityBadge.dataset.q = q ? q[1] : 'none';
  ui.qualityBadge.textContent = q ? `${q[2]} · MOS ${s.mos.toFixed(1)}` : s ? 'measuring…' : 'no call';
}

export function showDigits(sent, received) {
  ui.dtmfSent.textContent = sent || '—';
  ui.dtmfReceived.textContent = received || '—';
}

export function addMissedCall({ caller, caller_name: name, reason }) {
  ui.missedCalls.querySelector('.none')?.remove();
  const li = document.createElement('li');
  const time = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  li.textContent = `${time} — ${who(caller, name)}${reason ? ` (${reason})` : ''}`;
  ui.missedCalls.prepend(li);
}
