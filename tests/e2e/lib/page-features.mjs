// The demo page's features beyond call control, driven through its UI by the `callcontrol`
// scenario (callcontrol-e2e.mjs): the sessions monitor (admin.html), the media-quality view, the
// Record toggle and its WAV, and a reload in the middle of a call. Each function makes its checks
// with lib/harness.mjs's check()/require_() and records its figures.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readWav } from './audio.mjs';
import {
  BASE_URL, EVENTS_TOKEN, PBX, WORK, check, demo, figures, require_, saveLog, sleep, waitEvent, waitFor,
} from './harness.mjs';
import { recordingEvents, recordingPath } from './recording.mjs';

const PBX_HOST = PBX.split(':')[0];
const readLog = (name) => { try { return readFileSync(join(WORK, name), 'utf8'); } catch { return ''; } };
const received = (s) => s?.packetsReceived ?? 0;

// ---- the sessions monitor (admin.html) ------------------------------------------------------------
// Opened before the demo page connects, so it sees the session from `connected` on; in a browser
// context of its own (as an admin's browser would be): a second tab of the page's context made
// Playwright's clicks in the demo page wait ~2 s each for animation frames.
export async function openAdmin(browser) {
  const admin = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  await admin.setViewportSize({ width: 1280, height: 520 });
  const resp = await admin.goto(`${BASE_URL}/admin.html`, { waitUntil: 'load' });
  await admin.fill('#token', EVENTS_TOKEN);
  await admin.click('#subscribe');
  const live = await admin.waitForFunction(() => document.querySelector('#status').dataset.state === 'ok', null, { timeout: 5000 })
    .then(() => true, () => false);
  require_('admin.html loads and subscribes with the events token (status Live)', resp?.ok() && live,
    `HTTP ${resp?.status()}, status "${await admin.textContent('#status')}"`);
  return admin;
}
/** The monitor's row of a session: { column: text } (columns by their data-col), or null. */
export const adminRow = (admin, sessionId) => admin.evaluate((id) => {
  const tr = document.querySelector(`#sessions-body tr[data-session-id="${id}"]`);
  return tr ? Object.fromEntries([...tr.children].map((td) => [td.dataset.col, td.textContent.trim()])) : null;
}, String(sessionId));

// ---- the media-quality view -------------------------------------------------------------------
/** What the quality card shows (figures as text, meters' raw levels). */
const qualityView = (page) => page.evaluate(() => {
  const t = (id) => document.getElementById(id).textContent.trim();
  return {
    received: Number(t('stat-packets-received')), sent: Number(t('stat-packets-sent')), lost: t('stat-packets-lost'),
    jitter: t('stat-jitter'), rtt: t('stat-rtt'), codec: t('stat-codec'), ice: t('stat-ice'),
    badge: t('quality-badge'), quality: document.getElementById('quality-badge').dataset.q,
    levelIn: Number(document.getElementById('meter-in').dataset.level), levelOut: Number(document.getElementById('meter-out').dataset.level),
    meterInWidth: document.getElementById('meter-in').style.width, meterOutWidth: document.getElementById('meter-out').style.width,
  };
});

export async function checkQualityView(page) {
  // Two stats ticks apart: the figures are live, not a snapshot.
  const q0 = await qualityView(page);
  await sleep(2100);
  const q = await qualityView(page);
  figures.quality_view = q;
  check('quality view: packets received and sent shown, > 50 each way and growing each second',
    q.received > 50 && q.sent > 50 && q.received > q0.received + 50 && q.sent > q0.sent + 50,
    `received ${q0.received} → ${q.received}, sent ${q0.sent} → ${q.sent} in 2.1 s`);
  check('quality view: packets lost with a percentage, jitter and round trip in ms, codec G.711',
    /^\d+ \(\d+\.\d %\)$/.test(q.lost) && /^\d+\.\d ms$/.test(q.jitter) && /^\d+\.\d ms/.test(q.rtt) && /^PCM[UA]\/8000$/.test(q.codec),
    `lost "${q.lost}", jitter "${q.jitter}", rtt "${q.rtt}", codec "${q.codec}"`);
  check('quality view: MOS badge rates the loopback call good or excellent', ['good', 'excellent'].includes(q.quality), q.badge);
  check('quality view: both audio meters move (1000 Hz microphone out, 440 Hz phone in)',
    q.levelOut > 0.01 && q.levelIn > 0.01 && parseFloat(q.meterOutWidth) > 10 && parseFloat(q.meterInWidth) > 10,
    `out ${q.levelOut} (${q.meterOutWidth}), in ${q.levelIn} (${q.meterInWidth})`);
  check('quality view: the ICE pair is on loopback', /127\.0\.0\.1:\d+ ⇄ 127\.0\.0\.1:\d+/.test(q.ice), q.ice);
}

// ---- Record: pause and resume from the page; the WAV lacks the paused time ---------------------
export async function recordToggles(page, callId) {
  const recEvents = async () => (await demo(page, 'events')).filter((e) => e.event === 'recordingupdated' && e.call_id === callId);
  const badge = async () => ({
    visible: await page.isVisible('#rec-state'), state: await page.getAttribute('#rec-state', 'data-state'),
    text: (await page.textContent('#rec-state')).trim(), button: (await page.textContent('#record')).trim(),
    pressed: await page.getAttribute('#record', 'aria-pressed'),
  });
  const first = (await recEvents()).at(-1);
  const b0 = await badge();
  check('c. recorded from the answer: recordingupdated recording; badge "REC", button "Pause recording" (pressed)',
    first?.recording?.state === 'recording' && b0.visible && b0.state === 'recording' && b0.text === 'REC' &&
    b0.button === 'Pause recording' && b0.pressed === 'true', JSON.stringify({ event: first?.recording ?? null, ...b0 }));
  const timer = (await page.textContent('#call-timer')).trim();
  const [mm, ss] = timer.split(':').map(Number);
  check('c. the call timer runs (m:ss, ≥ 0:05 by now)', await page.isVisible('#call-timer') && /^\d+:\d\d$/.test(timer) && mm * 60 + ss >= 5, timer);

  let n = (await recEvents()).length;
  await page.click('#record');
  const paused = await waitFor('recordingupdated paused', async () => (await recEvents()).slice(n).find((e) => e.recording?.state === 'paused'), 5000);
  const b1 = await badge();
  check('c. Record → stop_recording: recordingupdated paused; badge "REC paused", button "Resume recording" (not pressed)',
    paused && b1.visible && b1.state === 'paused' && b1.text === 'REC paused' && b1.button === 'Resume recording' && b1.pressed === 'false',
    JSON.stringify({ event: paused?.recording ?? null, ...b1 }));
  await sleep(1500);
  n = (await recEvents()).length;
  await page.click('#record');
  const resumed = await waitFor('recordingupdated recording', async () => (await recEvents()).slice(n).find((e) => e.recording?.state === 'recording'), 5000);
  const b2 = await badge();
  check('c. Record again → start_recording: recordingupdated recording; badge "REC", button "Pause recording"',
    resumed && b2.state === 'recording' && b2.text === 'REC' && b2.button === 'Pause recording' && b2.pressed === 'true',
    JSON.stringify({ event: resumed?.recording ?? null, ...b2 }));
  check('c. one recording_id throughout', paused && resumed && paused.recording.recording_id === first?.recording?.recording_id &&
    resumed.recording.recording_id === first.recording.recording_id);
}

// After the call: the subscriber saw recording → paused → recording → completed, and the WAV
// exists without the paused time (by the gateway's own clock: the events' timestamp_ms).
export async function checkPausedRecording(sub, callId) {
  const done = await waitFor('recordingupdated completed', () => recordingEvents(sub, callId).find((e) => e.recording?.state === 'completed'), 10000);
  const evs = recordingEvents(sub, callId);
  const states = evs.map((e) => e.recording?.state).join(',');
  check('c. subscriber: recordingupdated recording, paused, recording, completed (one recording_id)',
    states === 'recording,paused,recording,completed' && new Set(evs.map((e) => e.recording?.recording_id)).size === 1, states);
  if (!check('c. the recording completed after Hang up', done, states)) return;
  const r = done.recording;
  const path = recordingPath(r.path);
  let size = null;
  try { size = statSync(path).size; } catch { /* checked below */ }
  check('c. the final WAV exists, its size = the event\'s bytes, no .wav.part left', size !== null && size === r.bytes &&
    (() => { try { statSync(`${path}.part`); return false; } catch { return true; } })(), `${path}: ${size ?? 'missing'} bytes, event ${r.bytes}`);
  const at = (name) => sub.events.find((e) => e.event === name && e.call_details?.call_id === callId)?.timestamp_ms;
  const pausedAt = evs.find((e) => e.recording?.state === 'paused')?.timestamp_ms;
  const resumedAt = evs.filter((e) => e.recording?.state === 'recording')[1]?.timestamp_ms;
  const callMs = at('hangup') - at('answered');
  const pausedMs = resumedAt - pausedAt;
  const w = size ? readWav(path) : null;
  const wavMs = w ? Math.round((w.samples.length / w.sampleRate) * 1000) : null;
  figures.record_toggle = { call_ms: callMs, paused_ms: pausedMs, expected_ms: callMs - pausedMs, wav_ms: wavMs, event_duration_ms: r.duration_ms, bytes: r.bytes };
  check('c. the WAV lacks the paused time: its duration = answered → hangup − paused ± 0.6 s (gateway clock)',
    wavMs !== null && Number.isFinite(callMs - pausedMs) && Math.abs(wavMs - (callMs - pausedMs)) <= 600 && Math.abs(r.duration_ms - wavMs) <= 50,
    `WAV ${wavMs} ms (event ${r.duration_ms}), call ${callMs} ms − paused ${pausedMs} ms = ${callMs - pausedMs} ms`);
}

// ---- f. a reload during a call --------------------------------------------------------------------
// The page keeps {session_id, secret} in sessionStorage (saved at beforeunload); the reloaded page
// claims the session by itself. A reload destroys the RTCPeerConnection, so the call cannot go
// on: the unloading page hangs it up (`hangup` request → BYE, cause answered) before its socket
// closes; a call the gateway still held at the claim would be hung up by the library
// (unit-tested). The registration stays.
export async function reloadDuringCall(page, sub, phone, phone2, sessionId) {
  await page.waitForSelector('#call:not([disabled])', { timeout: 5000 });
  const nResp = (await demo(page, 'responses')).length;
  await page.click('#call');
  const callResp = await waitFor('call response', async () => (await demo(page, 'responses')).slice(nResp).find((r) => r.response === 'call'), 10000);
  require_('f. a new call to 1002', callResp?.ok, JSON.stringify(callResp));
  const callId = callResp.call_id;
  require_('f. 1002 answered', await waitEvent(page, (e) => e.event === 'accepted' && e.call_id === callId, 'accepted', 15000));
  require_('f. media flows (> 50 packets received)', await waitFor('media', async () => (received(await demo(page, 'stats')) > 50 ? true : null), 10000, 200));
  const closedBefore = phone.events.filter((e) => e.type === 'CALL_CLOSED').length;
  const subBefore = sub.events.length;

  await saveLog(page, 'page-log-before-reload.txt');
  const tReload = Date.now();
  await page.reload({ waitUntil: 'load' });
  await page.waitForFunction(() => window.sipgwDemo !== undefined, null, { timeout: 5000 });
  const claim = await waitFor('claim after the reload', async () => (await demo(page, 'responses')).find((r) => r.response === 'claim'), 8000);
  const tClaim = Date.now();
  require_('f. the reloaded page claims its session by itself: claim ok, same session, registered (the call already ended, or listed to be hung up)',
    claim?.ok && claim.session_id === sessionId && claim.registered === true && (claim.call == null || claim.call.call_id === callId),
    JSON.stringify(claim ?? 'no claim in 8 s'));
  check('f. no new session (no hello after the reload)', !(await demo(page, 'responses')).some((r) => r.response === 'hello'));
  const subHup = await waitFor('subscriber hangup', () => sub.events.slice(subBefore).find((e) => e.event === 'hangup' && e.call_details?.call_id === callId), 3000);
  const gwEnd = readLog('gateway.log').match(new RegExp(`call ${callId}: ended [^\n]*`))?.[0];
  check('f. the call is hung up cleanly by the unloading page: gateway "hangup requested by the client", subscriber hangup cause answered (not a media failure)',
    /hangup requested by the client/.test(gwEnd ?? '') && subHup?.cause === 'answered', `${gwEnd ?? 'no end in gateway.log'}; subscriber ${subHup ? `${subHup.code} ${subHup.reason} ${subHup.cause}` : 'none'}`);
  const closed = await waitFor('1002 CALL_CLOSED', () => phone.events.filter((e) => e.type === 'CALL_CLOSED')[closedBefore], 5000);
  check('f. 1002 got the BYE: its call closed', closed, closed?.param ?? 'no CALL_CLOSED in 5 s');
  const st = await demo(page, 'state');
  await page.waitForSelector('#call:not([disabled])', { timeout: 3000 }).catch(() => null);
  check('f. page: same session, registered, no call; Call enabled; "Registered as 1001"',
    st.sessionId === sessionId && st.registration === 'registered' && st.callId === null && await page.isEnabled('#call') &&
    (await page.textContent('#registered-as')).trim() === '1001', JSON.stringify({ ...st, registeredAs: await page.textContent('#registered-as') }));
  check('f. the status line says the session was claimed and the call ended with the reload',
    /claimed, still registered; the call ended with the reload/.test(await page.textContent('#status')), await page.textContent('#status'));
  check('f. subscriber: no disconnected or unregistered for the session',
    !sub.events.slice(subBefore).some((e) => e.session_id === sessionId && ['disconnected', 'unregistered'].includes(e.event)),
    sub.events.slice(subBefore).filter((e) => e.session_id === sessionId).map((e) => e.event).join(','));
  figures.reload = { claim_after_ms: tClaim - tReload, claim_missed_events: claim.missed_events ?? null, gateway: gwEnd ?? null };

  // Still registered at the PBX: 1003 calls 1001 and the reloaded page rings; Decline.
  await phone2.command('dial', `sip:1001@${PBX_HOST}`);
  const inc = await waitEvent(page, (e) => e.event === 'incomingcall' && e.caller === '1003', 'incomingcall after the reload', 8000);
  const banner = await page.waitForSelector('#incoming:not([hidden])', { timeout: 3000 }).then(() => true, () => false);
  check('f. the extension still takes calls: 1003 → 1001 rings the reloaded page', inc && banner);
  if (banner) {
    await page.click('#decline');
    const declined = await waitEvent(page, (e) => e.event === 'hangup' && e.call_id === inc.call_id, 'hangup (declined)', 5000);
    check('f. … Decline → hangup cause rejected', declined?.cause === 'rejected', declined ? `${declined.code} ${declined.reason} ${declined.cause}` : 'none');
  }
}
