// The `callcontrol` e2e scenario (run by run-call-e2e.sh inside its loopback-only namespace, with
// baresip 1002 (auto-answer) and baresip 1003 (manual), both with their SIP trace on and a
// ctrl_tcp control socket). Drives the demo page as a person would, against Kamailio, both phones
// and the gateway:
//
//   a. 1003 calls 1001: the page shows the incoming banner, Answer; media both ways (440 Hz from
//      the phone heard in the page, 1000 Hz from the browser in what 1003 recorded); subscriber
//      incomingcall + answered with call_details (callee 1001, caller 1003); 1003 hangs up →
//      `hangup` cause answered.
//   b. 1003 calls again, Decline → 1003 sees the call rejected (603 in its trace), cause rejected.
//   c. the page calls 1002: DTMF keys 1 2 3 # → baresip receives the telephone-events; Mute →
//      `muted` and what 1002 records goes silent for ≥ 1 s; Unmute → the 1000 Hz tone comes back;
//      Hold → `updatingcall` local sendonly and a re-INVITE with a=sendonly at baresip, the phone
//      stops sending; Unhold → a=sendrecv and packets flow again.
//   e. (gateway with --reattach-grace 15) the page's WebSocket is cut mid-call (`ss -K`): the page
//      reconnects, `claim`s its session (same session, still registered, the call kept) and the
//      media keeps flowing.
//   d. then, while that call is up, 1003 calls 1001 → 1003 gets 486 and the page shows
//      `missed_call` (on the claimed session); Hang up → cause answered.
//   In call c. also: the media-quality view shows packets both ways, jitter, RTT, codec, MOS and
//   both audio meters moving; Record pauses (`recordingupdated` paused, the REC badge says so)
//   and resumes the recording, and the final WAV lacks the paused time; the sessions monitor
//   (admin.html, opened with the events token before the page connects) shows the session with
//   its extension and the answered call 1001 → 1002, then the call ended.
//   f. reload during a call: the reloaded page claims its session by itself (connect({resume})
//      from sessionStorage): same session, still registered; the call cannot keep its
//      RTCPeerConnection across a reload, so it is hung up cleanly (BYE to 1002, `hangup` cause
//      answered) and the extension still takes calls (1003 rings the page).
//
// SIPGW_SCREENSHOTS=1 saves docs/screenshots/*.png (idle registered, incoming call, in call with
// the keypad, the in-call view at phone width, the media-quality view, the sessions monitor).

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTone, readWav, toneProbeSource } from './lib/audio.mjs';
import { baresipControl, finishedRecording } from './lib/baresip.mjs';
import {
  EVENTS_TOKEN, PBX, PHONE_REC, WORK, check, demo, figures, launchBrowser, note, openAndConnect,
  register, require_, runScenario, saveLog, sleep, subscribe, waitEvent, waitFor,
} from './lib/harness.mjs';
import {
  adminRow, checkPausedRecording, checkQualityView, openAdmin, recordToggles, reloadDuringCall,
} from './lib/page-features.mjs';

const PHONE_CTRL = process.env.SIPGW_E2E_PHONE_CTRL ?? '127.0.0.1:4444';   // baresip 1002
const PHONE2_CTRL = process.env.SIPGW_E2E_PHONE2_CTRL ?? '127.0.0.1:4445'; // baresip 1003
const PHONE2_REC = process.env.SIPGW_E2E_PHONE2_REC ?? '';
const SHOTS = process.env.SIPGW_SCREENSHOTS === '1' ? process.env.SIPGW_E2E_SCREENSHOT_DIR : null;
const PBX_HOST = PBX.split(':')[0];

const readLog = (name) => { try { return readFileSync(join(WORK, name), 'utf8'); } catch { return ''; } };
const logLength = (name) => readLog(name).length;
const logSince = (name, offset) => readLog(name).slice(offset);

async function screenshot(page, name, selector = null) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  if (selector) await page.locator(selector).screenshot({ path });
  else await page.screenshot({ path, fullPage: true });
  note(`screenshot ${name}.png`);
}

// The newest stats the page collected after `since` (Date.now() in node; the page collects each s).
async function statsAfter(page, ms) {
  await sleep(ms);
  return demo(page, 'stats');
}
const received = (s) => s?.packetsReceived ?? 0;

// ---- a. incoming call answered in the browser ---------------------------------------------------
async function incomingAnswered(page, sub, phone2, sessionId) {
  await phone2.command('dial', `sip:1001@${PBX_HOST}`);
  const banner = await page.waitForSelector('#incoming:not([hidden])', { timeout: 10000 }).then(() => true, () => false);
  const inc = await waitEvent(page, (e) => e.event === 'incomingcall', 'incomingcall', 2000);
  require_('a. incoming: the page gets incomingcall from 1003 (with an offer)',
    inc && inc.caller === '1003' && inc.callee === '1001' && inc.jsep?.type === 'offer', inc ? JSON.stringify({ ...inc, jsep: inc.jsep?.type }) : 'none in 10 s');
  const shown = banner ? await page.textContent('#incoming') : '';
  check('a. incoming banner shows the caller, with Answer and Decline', banner && shown.includes('1003') &&
    await page.isEnabled('#answer') && await page.isEnabled('#decline'), shown.replace(/\s+/g, ' ').trim());
  await screenshot(page, 'incoming-call');

  const tClick = Date.now();
  await page.click('#answer');
  const acc = await waitEvent(page, (e) => e.event === 'accepted' && e.call_id === inc.call_id, 'accepted (incoming)', 10000);
  const tAccepted = Date.now();
  require_('a. Answer → accept ok, then accepted', acc, acc ? `after ${tAccepted - tClick} ms` : 'no accepted in 10 s');
  const acceptResp = (await demo(page, 'responses')).find((r) => r.response === 'accept');
  check('a. accept response ok with the call_id', acceptResp?.ok && acceptResp.call_id === inc.call_id, JSON.stringify(acceptResp));
  check('a. banner hidden once answered', await page.isHidden('#incoming'));

  const haveStream = await page.waitForFunction(() => document.querySelector('#remote-audio').srcObject !== null, null, { timeout: 5000 })
    .then(() => true, () => false);
  if (haveStream) await page.evaluate(`(${toneProbeSource})(${JSON.stringify({ selector: '#remote-audio', freqs: [440, 1000], minRms: 0.01, minRatio: 0.5 })})`);
  const flowing = await waitFor('incoming media', async () => {
    const s = await demo(page, 'stats');
    return s?.packetsReceived > 100 && s?.packetsSent > 100 ? s : null;
  }, 10000, 250);
  await sleep(1000);
  const probe = haveStream ? await page.evaluate(() => window.__toneProbe.result()) : null;
  if (haveStream) await page.evaluate(() => window.__toneProbe.stop());
  const s = await demo(page, 'stats');
  figures.incoming = {
    answer_click_to_accepted_ms: tAccepted - tClick,
    packets_received: s?.packetsReceived, packets_sent: s?.packetsSent, ice: s?.selectedPair,
    probe: probe && { voiced: probe.voiced, tonal_440: probe.tonal[440], mean_rms: +probe.meanRms.toFixed(3) },
  };
  check('a. media: inbound packetsReceived > 100 and outbound packetsSent > 100', flowing,
    `${s?.packetsReceived} received, ${s?.packetsSent} sent`);
  check('a. the page hears the caller: 440 Hz in most voiced blocks',
    probe && probe.voiced >= 10 && probe.tonal[440] >= 0.6 * probe.voiced,
    probe ? `${probe.tonal[440]}/${probe.voiced} voiced blocks at 440 Hz (mean RMS ${probe.meanRms.toFixed(3)})` : 'no probe');

  const subFor = (name) => sub.events.find((e) => e.session_id === sessionId && e.event === name && e.call_details?.call_id === inc.call_id);
  for (const name of ['incomingcall', 'answered']) {
    const e = await waitFor(`subscriber ${name}`, () => subFor(name), 3000);
    check(`a. subscriber: ${name} with call_details (callee 1001, caller 1003)`,
      e && e.call_details.callee === '1001' && e.call_details.caller === '1003', JSON.stringify(e?.call_details ?? null));
  }

  await phone2.command('hangup');
  const hup = await waitEvent(page, (e) => e.event === 'hangup' && e.call_id === inc.call_id, 'hangup (caller hung up)', 8000);
  check('a. the caller hangs up → hangup with cause "answered"', hup?.cause === 'answered', hup ? `${hup.code} ${hup.reason} cause ${hup.cause}` : 'none in 8 s');
  figures.incoming.hangup = hup && `${hup.code} ${hup.reason} (${hup.cause})`;
  const subHup = await waitFor('subscriber hangup', () => subFor('hangup'), 3000);
  check('a. subscriber: hangup with cause "answered"', subHup?.cause === 'answered', subHup ? `${subHup.code} ${subHup.reason} cause ${subHup.cause}` : 'not seen');
  check('a. status shows the cause', /answered/.test(await page.textContent('#status')), await page.textContent('#status'));

  // What 1003 recorded from the browser: the fake microphone's 1000 Hz.
  const rec = await waitFor('1003 recording', () => finishedRecording(PHONE2_REC, '-dec.wav'), 5000, 200);
  if (check('a. 1003 recorded the call (sndfile)', rec, rec ?? `no *-dec.wav in ${PHONE2_REC}`)) {
    const w = readWav(rec);
    const a = analyzeTone(w.samples, w.sampleRate, 1000);
    figures.incoming.caller_received = { seconds: +a.seconds.toFixed(2), voiced: a.voiced, tonal_1000: a.tonal };
    check('a. the caller hears the browser: 1000 Hz in ≥ 1.5 s of what 1003 received',
      a.voiced >= 30 && a.tonal >= 0.8 * a.voiced, `${a.tonal}/${a.voiced} voiced 50 ms blocks at 1000 Hz of ${a.seconds.toFixed(1)} s`);
  }
}

// ---- b. incoming call declined -------------------------------------------------------------------
async function incomingDeclined(page, phone2) {
  const off = logLength('baresip2.log');
  const closedBefore = phone2.events.filter((e) => e.type === 'CALL_CLOSED').length;
  const seen = (await demo(page, 'events')).length;
  await phone2.command('dial', `sip:1001@${PBX_HOST}`);
  const inc = await waitFor('second incomingcall', async () => (await demo(page, 'events')).slice(seen)
    .find((e) => e.event === 'incomingcall' && e.caller === '1003'), 10000);
  const banner = await page.waitForSelector('#incoming:not([hidden])', { timeout: 10000 }).then(() => true, () => false);
  require_('b. second call from 1003: incomingcall and the banner', banner && inc);
  const callId = inc.call_id;
  await page.click('#decline');
  const hup = await waitEvent(page, (e) => e.event === 'hangup' && e.call_id === callId, 'hangup (declined)', 8000);
  check('b. Decline → hangup with cause "rejected"', hup?.cause === 'rejected', hup ? `${hup.code} ${hup.reason} cause ${hup.cause}` : 'none in 8 s');
  const closed = await waitFor('1003 CALL_CLOSED', () => phone2.events.filter((e) => e.type === 'CALL_CLOSED')[closedBefore], 5000);
  const trace = logSince('baresip2.log', off);
  const final = trace.match(/^SIP\/2\.0 (486|603) [^\r\n]*/m)?.[0];
  check('b. the caller sees the call rejected: 486 or 603 in its SIP trace and its call closed',
    final && closed && /486|603|Busy|Decline/i.test(closed.param ?? ''), `trace: ${final ?? 'no 486/603'}; CALL_CLOSED: ${closed?.param ?? 'none'}`);
  figures.declined = { page: hup && `${hup.code} ${hup.reason} (${hup.cause})`, caller_saw: closed?.param ?? null };
  check('b. banner hidden, no call left', await page.isHidden('#incoming') && (await demo(page, 'state')).callId === null);
  return callId;
}

// ---- c + d. outgoing call: hold/unhold, DTMF, mute, a missed call ---------------------------------
async function outgoingControls(page, sub, phone, phone2, sessionId, admin) {
  const tCall = Date.now();
  await page.click('#call');
  const callResp = await waitFor('call response', async () => (await demo(page, 'responses')).find((r) => r.response === 'call'), 10000);
  require_('c. call to 1002 accepted by the gateway', callResp?.ok, JSON.stringify(callResp));
  const callId = callResp.call_id;
  const acc = await waitEvent(page, (e) => e.event === 'accepted' && e.call_id === callId, 'accepted', 15000);
  require_('c. 1002 answered', acc);
  const tAnswered = Date.now();
  const flowing = await waitFor('media', async () => (received(await demo(page, 'stats')) > 50 ? true : null), 10000, 200);
  require_('c. media flows (> 50 packets received)', flowing);
  for (const id of ['hold', 'mute', 'dtmf-1', 'dtmf-hash', 'dtmf-star', 'dtmf-0']) {
    if (!await page.isEnabled(`#${id}`)) check(`c. #${id} enabled in the call`, false);
  }

  // DTMF: four key clicks, each a `dtmf` request; baresip reports each telephone-event.
  let off = logLength('baresip.log');
  const dtmfEventsBefore = phone.events.filter((e) => e.type === 'CALL_DTMF_START').length;
  const keys = [['dtmf-1', '1'], ['dtmf-2', '2'], ['dtmf-3', '3'], ['dtmf-hash', '#']];
  for (const [id] of keys) { await page.click(`#${id}`); await sleep(350); }
  const dtmfResps = (await demo(page, 'responses')).filter((r) => r.response === 'dtmf');
  check('c. four dtmf requests answered ok', dtmfResps.length === 4 && dtmfResps.every((r) => r.ok), JSON.stringify(dtmfResps.map((r) => r.ok)));
  check('c. the page shows the digits sent', (await page.textContent('#dtmf-sent')) === '123#', await page.textContent('#dtmf-sent'));
  const want = keys.map(([, d]) => d).join('');
  const gotDigits = () => {
    const viaCtrl = phone.events.filter((e) => e.type === 'CALL_DTMF_START').slice(dtmfEventsBefore).map((e) => e.param).join('');
    const viaLog = [...logSince('baresip.log', off).matchAll(/received event: '(.)' \(end=0\)/g)].map((x) => x[1]).join('');
    return { viaCtrl, viaLog };
  };
  await waitFor('baresip DTMF', () => gotDigits().viaCtrl === want || gotDigits().viaLog === want, 4000);
  const got = gotDigits();
  figures.dtmf = { sent: want, baresip_ctrl_events: got.viaCtrl, baresip_log_events: got.viaLog };
  check('c. baresip 1002 received the telephone-events 1 2 3 # in order', got.viaCtrl === want || got.viaLog === want,
    `ctrl_tcp CALL_DTMF_START: "${got.viaCtrl}", log: "${got.viaLog}"`);

  check('c. in the call the dial pad sends DTMF and leaves the number alone', (await page.inputValue('#number')) === '1002',
    await page.inputValue('#number'));
  await checkQualityView(page);

  // The sessions monitor shows the session, its extension and the answered call.
  const row = await waitFor('admin row: answered', async () => {
    const r = await adminRow(admin, sessionId);
    return r?.call === 'answered' ? r : null;
  }, 3000, 200) ?? await adminRow(admin, sessionId);
  figures.admin_in_call = row;
  check('admin.html: the session\'s row shows extension 1001, registered, call answered 1001 → 1002 with a running duration',
    row && row.extension === '1001' && row.registration === 'registered' && row.call === 'answered' && row.parties === '1001 → 1002' &&
    /^\d+:\d\d$/.test(row.duration) && row.client === await page.inputValue('#client-id'), JSON.stringify(row));
  await screenshot(admin, 'admin-sessions');

  await screenshot(page, 'in-call-keypad'); // with the digits sent
  await screenshot(page, 'media-quality', '#quality');
  if (SHOTS) {
    const vp = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'in-call-phone');
    await page.setViewportSize(vp);
  }

  // Mute for ~2.5 s, then unmute; the recording of what 1002 received is analysed after the call.
  // (Before Hold: baresip 1.0 stops writing its decode recording at the first re-INVITE it gets,
  // also between two baresips.)
  // The request goes out when Playwright dispatches the click, at the end of page.click(): on a
  // busy machine its actionability checks alone can take a second, so the time is taken after it.
  await page.click('#mute');
  const tMute = Date.now();
  const muted = await waitEvent(page, (e) => e.event === 'muted' && e.call_id === callId && e.muted === true, 'muted', 5000);
  check('c. Mute → muted event (muted: true), button reads Unmute', muted && (await page.textContent('#mute')) === 'Unmute',
    muted ? `after ${Date.now() - tMute} ms` : 'none in 5 s');
  check('c. Mute disables the local track', await page.evaluate(() => window.sipgwDemo.state.muted));
  await sleep(2500);
  await page.click('#mute');
  const tUnmute = Date.now();
  const unmuted = await waitEvent(page, (e) => e.event === 'muted' && e.call_id === callId && e.muted === false, 'unmuted', 5000);
  check('c. Unmute → muted event (muted: false), button reads Mute', unmuted && (await page.textContent('#mute')) === 'Mute');
  await sleep(2000); // 2 s of sound again before the hold (baresip stops its recording there)

  // Hold: our re-INVITE with a=sendonly, the phone answers recvonly and stops sending.
  off = logLength('baresip.log');
  const nEvents = (await demo(page, 'events')).length;
  const since = (pred) => async () => (await demo(page, 'events')).slice(nEvents).find(pred);
  await page.click('#hold');
  const held = await waitFor('updatingcall hold', since((e) => e.event === 'updatingcall' && e.call_id === callId && e.reason === 'hold'), 8000);
  check('c. Hold → updatingcall (initiator local, direction sendonly)', held?.initiator === 'local' && held.direction === 'sendonly',
    held ? JSON.stringify({ direction: held.direction, initiator: held.initiator, reason: held.reason }) : 'none in 8 s');
  const reinviteHold = reinviteSdp(logSince('baresip.log', off));
  check('c. baresip got a re-INVITE with a=sendonly', /^a=sendonly/m.test(reinviteHold ?? ''), reinviteHold ? directionLines(reinviteHold) : 'no re-INVITE in the trace');
  check('c. Hold button now reads Unhold (aria-pressed)', (await page.textContent('#hold')) === 'Unhold' &&
    await page.getAttribute('#hold', 'aria-pressed') === 'true');
  await sleep(1200); // let the last packets from before the hold drain and a stats tick pass
  const h0 = received(await demo(page, 'stats'));
  const h1 = received(await statsAfter(page, 2000));
  figures.hold = { packets_received_in_2s_on_hold: h1 - h0 };
  check('c. on hold the phone sends (almost) nothing: < 15 packets in 2 s', h1 - h0 < 15, `${h1 - h0} packets in 2 s`);

  off = logLength('baresip.log');
  const m = (await demo(page, 'events')).length;
  await page.click('#hold');
  const unheld = await waitFor('updatingcall unhold', async () => (await demo(page, 'events')).slice(m).find((e) => e.event === 'updatingcall' && e.reason === 'unhold'), 8000);
  check('c. Unhold → updatingcall (initiator local, direction sendrecv)', unheld?.initiator === 'local' && unheld.direction === 'sendrecv',
    unheld ? JSON.stringify({ direction: unheld.direction, initiator: unheld.initiator, reason: unheld.reason }) : 'none in 8 s');
  const reinviteUnhold = reinviteSdp(logSince('baresip.log', off));
  check('c. baresip got a re-INVITE with a=sendrecv', /^a=sendrecv/m.test(reinviteUnhold ?? ''), reinviteUnhold ? directionLines(reinviteUnhold) : 'no re-INVITE in the trace');
  await sleep(1000);
  const u0 = received(await demo(page, 'stats'));
  const u1 = received(await statsAfter(page, 2000));
  figures.hold.packets_received_in_2s_after_unhold = u1 - u0;
  check('c. after Unhold packets flow again: > 60 in 2 s', u1 - u0 > 60, `${u1 - u0} packets in 2 s`);

  note('c. record pause/resume');
  await recordToggles(page, callId);

  note('e. dropped WebSocket');
  await dropAndClaim(page, sub, callId, sessionId);

  // d. 1003 calls 1001 while it is busy → 486 at 1003, missed_call in the page.
  const closedBefore = phone2.events.filter((e) => e.type === 'CALL_CLOSED').length;
  const off2 = logLength('baresip2.log');
  await phone2.command('dial', `sip:1001@${PBX_HOST}`);
  const missed = await waitEvent(page, (e) => e.event === 'missed_call', 'missed_call', 8000);
  check('d. the page gets missed_call (caller 1003, callee 1001)', missed?.caller === '1003' && missed.callee === '1001',
    missed ? JSON.stringify({ caller: missed.caller, callee: missed.callee, caller_name: missed.caller_name }) : 'none in 8 s');
  check('d. the missed call is listed on the page, no incoming banner',
    (await page.textContent('#missed-calls')).includes('1003') && await page.isHidden('#incoming'), await page.textContent('#missed-calls'));
  const closed = await waitFor('1003 CALL_CLOSED', () => phone2.events.filter((e) => e.type === 'CALL_CLOSED')[closedBefore], 5000);
  const busy = logSince('baresip2.log', off2).match(/^SIP\/2\.0 486 [^\r\n]*/m)?.[0];
  check('d. 1003 gets 486 Busy Here', busy && /486|Busy/i.test(closed?.param ?? ''), `trace: ${busy ?? 'no 486'}; CALL_CLOSED: ${closed?.param ?? 'none'}`);
  figures.missed_call = { caller_saw: closed?.param ?? null };
  check('d. the call with 1002 is still up', (await demo(page, 'state')).callId === callId);

  await sleep(1500);
  const tHangup = Date.now();
  await page.click('#hangup');
  const hup = await waitEvent(page, (e) => e.event === 'hangup' && e.call_id === callId, 'hangup', 8000);
  check('c. Hang up → hangup with cause "answered"', hup?.cause === 'answered', hup ? `${hup.code} ${hup.reason} cause ${hup.cause}` : 'none');
  check('c. after the call the REC badge and the timer are gone', await page.isHidden('#rec-state') && await page.isHidden('#call-timer'));
  const ended = await waitFor('admin row: ended', async () => {
    const r = await adminRow(admin, sessionId);
    return /^ended/.test(r?.call ?? '') ? r : null;
  }, 3000, 200);
  check('admin.html: after Hang up the call shows ended (answered), the session still registered',
    /^ended: answered/.test(ended?.call ?? '') && ended.registration === 'registered', JSON.stringify(ended));
  await checkPausedRecording(sub, callId);

  // What 1002 received around the mute. baresip's decode recording holds what it decoded: while
  // the gateway forwards nothing there is nothing to decode, so muted time shows either as a
  // silent stretch (if silence were forwarded) or as audio missing from the recording. The
  // recording runs from the first RTP (ctrl_tcp CALL_RTPESTAB) to the hold re-INVITE (baresip
  // 1.0 stops it there: CALL_REMOTE_SDP offer), which gives its expected length.
  const rec = await waitFor('1002 recording', () => finishedRecording(PHONE_REC, '-dec.wav'), 5000, 200);
  const rtpEstab = phone.events.find((e) => e.type === 'CALL_RTPESTAB' && e.at >= tCall);
  const reoffer = phone.events.find((e) => e.type === 'CALL_REMOTE_SDP' && e.param === 'offer' && e.at >= tUnmute);
  if (check('c. 1002 recorded the call (sndfile) and reported its first RTP and the hold re-INVITE (ctrl_tcp)',
    rec && rtpEstab && reoffer, `${rec ?? 'no recording'}; RTPESTAB ${Boolean(rtpEstab)}, re-offer ${Boolean(reoffer)}`)) {
    const mute = analyzeMute(rec, {
      muteAt: (tMute - rtpEstab.at) / 1000, unmuteAt: (tUnmute - rtpEstab.at) / 1000, endAt: (reoffer.at - rtpEstab.at) / 1000,
    });
    figures.mute = mute;
    const mutedFor = (tUnmute - tMute) / 1000;
    check(`c. Mute: 1002 received no sound for ≥ 1 s at the mute time (muted ${mutedFor.toFixed(1)} s)`,
      // upper bound: audio missing from the recording is counted over the whole call, and a busy
      // machine drops some outside the muted stretch too
      mute.not_heard_s >= 1 && mute.not_heard_s <= mutedFor + 1.5,
      `${mute.missing_s} s of audio never arrived + ${mute.silence_s} s arrived silent, in a ${mute.expected_s} s stretch of call`);
    const tone = (m) => m.blocks >= 15 && m.voiced >= 0.8 * m.blocks && m.tonal >= 0.8 * m.blocks;
    check('c. before the mute 1002 hears the 1000 Hz tone (the 1 s before)', tone(mute.before), JSON.stringify(mute.before));
    check('c. after Unmute the 1000 Hz tone comes back (the 1 s after)', tone(mute.after), JSON.stringify(mute.after));
  }
}

// ---- e. the page's WebSocket drops mid-call: it reconnects and claims its session --------------
// The gateway runs with --reattach-grace 15 in this scenario. `ss -K` (inside the namespace)
// destroys the browser's TCP connections to the gateway, as a network drop would; the node
// subscriber's own connection is spared.
async function dropAndClaim(page, sub, callId, sessionId) {
  const st = await demo(page, 'state');
  require_('e. hello said reattach_grace_s 15 (gateway --reattach-grace 15)', st.reattachGraceS === 15, `${st.reattachGraceS}`);
  const nResp = (await demo(page, 'responses')).length;
  const subPort = sub.ws._socket?.localPort;
  const filter = `( dport = :8443${subPort ? ` and not sport = :${subPort}` : ''} )`;
  const tDrop = Date.now();
  const killed = execFileSync('ss', ['-HK', filter], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
  note(`ss -K ${filter}: ${killed} connection(s) destroyed`);
  const claim = await waitFor('claim response', async () => (await demo(page, 'responses')).slice(nResp).find((r) => r.response === 'claim'), 8000);
  figures.reattach = { connections_destroyed: killed, claim_after_ms: claim ? Date.now() - tDrop : null,
    missed_events: claim?.missed_events ?? null };
  require_('e. after the drop the page reconnects and claims its session (ok, same session, registered, the call kept)',
    claim?.ok && claim.session_id === sessionId && claim.registered === true && claim.call?.call_id === callId,
    JSON.stringify(claim ?? 'no claim in 8 s'));
  const after = await demo(page, 'state');
  check('e. page state: same session, registered, same call, not reconnecting', after.sessionId === sessionId &&
    after.registration === 'registered' && after.callId === callId && !after.reconnecting && after.connected, JSON.stringify(after));
  check('e. status line says reconnected', /Reconnected/.test(await page.textContent('#status')), await page.textContent('#status'));
  await sleep(1100);
  const p0 = received(await demo(page, 'stats'));
  const p1 = received(await statsAfter(page, 2000));
  figures.reattach.packets_in_2s_after_claim = p1 - p0;
  check('e. media kept flowing through the drop (> 60 packets in 2 s after the claim)', p1 - p0 > 60, `${p1 - p0}`);
  check('e. subscriber saw no disconnected for the session', !sub.events.some((e) => e.session_id === sessionId && e.event === 'disconnected'));
  check('e. gateway log: the session was kept and then claimed', readLog('gateway.log').includes(`session ${sessionId}: connection lost`) &&
    readLog('gateway.log').includes(`session ${sessionId}: claimed by a new connection`));
}

// The SDP of the last re-INVITE in a piece of baresip's SIP trace (or null).
function reinviteSdp(trace) {
  const at = [...trace.matchAll(/^INVITE sip:1002\S* SIP\/2\.0/mg)].at(-1)?.index;
  if (at === undefined) return null;
  const msg = trace.slice(at, at + 4000);
  return msg.slice(msg.indexOf('v=0'), msg.search(/\n(SIP\/2\.0|[A-Z]+ sip:)/) > 0 ? msg.search(/\n(SIP\/2\.0|[A-Z]+ sip:)/) : undefined);
}
const directionLines = (sdp) => sdp.split(/\r?\n/).filter((l) => /^a=(sendonly|recvonly|sendrecv|inactive)/.test(l)).join(' ') || 'no direction attribute';

// The decode recording of 1002 around the mute: `muteAt`, `unmuteAt`, `endAt` are seconds after
// its first RTP. Audio that never arrived is missing from the recording (expected length endAt
// minus its length); silence that arrived shows as 100 ms blocks with RMS < 0.01. The recording
// ends with the audio sent after Unmute (endAt - unmuteAt s), which locates the point where the
// sound came back; the silence is searched just before it. Also returns 1 s of signal before the
// muted part and 1 s after it.
function analyzeMute(path, { muteAt, unmuteAt, endAt }) {
  const w = readWav(path);
  const sr = w.sampleRate;
  const recorded = w.samples.length / sr;
  const missing = Math.max(0, endAt - recorded);
  const block = 0.1;
  const silentAt = (t) => {
    const a = Math.round(t * sr);
    const n = Math.round(block * sr);
    if (a < 0 || a + n > w.samples.length) return false;
    let e = 0;
    for (let i = a; i < a + n; i++) e += w.samples[i] * w.samples[i];
    return Math.sqrt(e / n) < 0.01;
  };
  const resume = Math.max(0, recorded - (endAt - unmuteAt)); // the sound is back from here on
  let silenceEnd = resume + 0.3; // a little slack: stats/timing of the unmute click
  while (silenceEnd > 0 && !silentAt(silenceEnd - block)) silenceEnd -= block;
  if (silenceEnd < resume - 0.5) silenceEnd = resume; // no silent block near the resume point
  let silenceStart = silenceEnd;
  while (silenceStart >= block && silentAt(silenceStart - block)) silenceStart -= block;
  const silence = silenceEnd - silenceStart;
  const measure = (from, to) => {
    const a = Math.max(0, Math.round(from * sr));
    const b = Math.min(w.samples.length, Math.round(to * sr));
    const r = analyzeTone(w.samples.subarray(a, Math.max(a, b)), sr, 1000);
    return { from_s: +(a / sr).toFixed(1), blocks: r.blocks, voiced: r.voiced, tonal: r.tonal, rms: +r.rms.toFixed(3) };
  };
  return {
    recording_s: +recorded.toFixed(2), expected_s: +endAt.toFixed(2), missing_s: +missing.toFixed(2),
    silence_s: +silence.toFixed(1), not_heard_s: +(missing + silence).toFixed(2),
    resume_at_s: +resume.toFixed(2), mute_at_s: +muteAt.toFixed(2), unmute_at_s: +unmuteAt.toFixed(2),
    before: measure(silenceStart - 1.2, silenceStart - 0.2),
    after: measure(silenceEnd + 0.2, silenceEnd + 1.2),
  };
}

// ---- scenario ---------------------------------------------------------------------------------
async function scenarioCallControl() {
  const sub = subscribe(EVENTS_TOKEN);
  require_('subscriber stream opens with the token', await waitFor('subscriber open', () => sub.opened || sub.error, 5000) && sub.opened,
    sub.error ?? '');
  const phone = await baresipControl(PHONE_CTRL);
  const phone2 = await baresipControl(PHONE2_CTRL);
  require_('ctrl_tcp of baresip 1002 and 1003 connected', phone.connected && phone2.connected);
  const { browser, page } = await launchBrowser();
  await page.setViewportSize({ width: 1280, height: 900 });
  let admin = null;
  try {
    admin = await openAdmin(browser);
    const sessionId = await openAndConnect(page);
    await register(page, 'pass1001');
    const reg = await waitEvent(page, (e) => e.event === 'registered' || e.event === 'registration_failed', 'registered', 10000);
    require_('1001 registered (demo page)', reg?.event === 'registered', reg ? JSON.stringify(reg) : 'no event in 10 s');
    await page.waitForSelector('#call:not([disabled])', { timeout: 5000 });
    check('idle: no banner, call controls disabled, dial pad enabled', await page.isHidden('#incoming') &&
      await page.isDisabled('#hold') && await page.isDisabled('#mute') && await page.isDisabled('#record') && await page.isEnabled('#dtmf-5'));
    // The dial pad builds the number: ⌫ four times, then 1 0 0 2.
    for (let i = 0; i < 4; i++) await page.click('#dial-backspace');
    const cleared = await page.inputValue('#number');
    for (const id of ['dtmf-1', 'dtmf-0', 'dtmf-0', 'dtmf-2']) await page.click(`#${id}`);
    const dialled = await page.inputValue('#number');
    check('idle: the dial pad builds the number (⌫ ×4 → "", keys 1 0 0 2 → "1002"), no DTMF sent',
      cleared === '' && dialled === '1002' && !(await demo(page, 'responses')).some((r) => r.response === 'dtmf'), `"${cleared}" → "${dialled}"`);
    check('idle: "Registered as" shows the extension', (await page.textContent('#registered-as')).trim() === '1001',
      await page.textContent('#registered-as'));
    await screenshot(page, 'idle-registered');

    note('a. incoming call, answered');
    await incomingAnswered(page, sub, phone2, sessionId);
    await sleep(500);
    note('b. incoming call, declined');
    await incomingDeclined(page, phone2);
    await sleep(500);
    note('c. outgoing call with every control');
    await outgoingControls(page, sub, phone, phone2, sessionId, admin);
    await sleep(300);
    note('f. reload during a call');
    await reloadDuringCall(page, sub, phone, phone2, sessionId);
  } finally {
    if (admin) await admin.close().catch(() => {});
    await saveLog(page, 'page-log.txt');
    await browser.close().catch(() => {});
    phone.close();
    phone2.close();
    sub.ws.terminate();
  }
}

await runScenario({ callcontrol: scenarioCallControl });
