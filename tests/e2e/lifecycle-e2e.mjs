// The `lifecycle` e2e scenario (run by run-call-e2e.sh inside its loopback-only namespace, with
// the gateway started with --ping-timeout 4 and baresip with its SIP trace on). Proves, against
// the real peers, that a WebSocket close or a ping timeout ends the client's session: its calls
// are hung up, its extension is unregistered, and nothing is left behind.
//
//   1. Browser vanishes mid-call: the demo page registers 1001 and calls 1002 (baresip,
//      auto-answer); once media flows the page is closed without a Hang up click (and without
//      its beforeunload handler). Expected: BYE to the phone, subscriber `hangup` (with the
//      call's call_details), `unregistered`, `disconnected` in that order, REGISTER Expires 0 in
//      Kamailio, and a fresh raw client 1003 calling 1001 gets `hangup` 404.
//   2. Silent client: a raw `ws` client registers 1004, then never answers a ping and sends
//      nothing. Expected: `unregistered`, `disconnected` within 10 s; 1003 calling 1004 → 404.
//   Finally: every media session the gateway started is closed and no UDP port of its RTP range
//   (20000-20999) is still bound.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EVENTS_TOKEN, WORK, check, demo, figures, launchBrowser, note, openAndConnect, rawClient, register,
  require_, runScenario, saveLog, subscribe, waitEvent, waitFor,
} from './lib/harness.mjs';

const PBX_HOST = '127.0.0.1';
const RTP_MIN = 20000;
const RTP_MAX = 20999;

const readLog = (name) => { try { return readFileSync(join(WORK, name), 'utf8'); } catch { return ''; } };
const logSince = (name, offset) => readLog(name).slice(offset);

// The subscriber events of one session, each with the ms since `since` at which it arrived.
function sessionEvents(sub, sessionId, since) {
  return sub.events.map((e, i) => ({ ...e, afterMs: sub.arrivals[i] - since }))
    .filter((e) => e.session_id === sessionId);
}
// Checks that `names` all occur in `events` (in that order) and returns their arrival times.
function checkSequence(label, events, names) {
  const idx = names.map((n) => events.findIndex((e) => e.event === n));
  check(`${label}: subscriber ${names.join(' < ')}`,
    idx.every((i) => i >= 0) && idx.every((i, k) => k === 0 || i > idx[k - 1]),
    `indices ${idx.join(' < ')} in ${events.map((e) => e.event).join(',') || 'nothing'}`);
  return Object.fromEntries(names.map((n, k) => [n, idx[k] >= 0 ? events[idx[k]].afterMs : null]));
}

// UDP sockets bound in the gateway's RTP range (ss from iproute2, inside the namespace).
function boundRtpPorts() {
  const out = execFileSync('ss', ['-Hanu'], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim().split(/\s+/)[3] ?? '').map((a) => Number(a.split(':').at(-1)))
    .filter((p) => p >= RTP_MIN && p <= RTP_MAX);
}

// A real browser offer (audio, ICE credentials, fingerprint, candidates) for the raw client's calls.
async function browserOffer(context) {
  const page = await context.newPage();
  try {
    return await page.evaluate(async () => {
      const pc = new RTCPeerConnection({ iceServers: [] });
      pc.addTransceiver('audio', { direction: 'sendrecv' });
      await pc.setLocalDescription(await pc.createOffer());
      const t = Date.now();
      while (pc.iceGatheringState !== 'complete' && Date.now() - t < 3000) await new Promise((r) => setTimeout(r, 50));
      const { type, sdp } = pc.localDescription;
      pc.close();
      return { type, sdp };
    });
  } finally {
    await page.close().catch(() => {});
  }
}

// A raw client: hello + register USER (password passUSER); resolves to { c, sessionId, registeredAt }.
async function rawRegistered(user, wsOptions = {}) {
  const c = await rawClient(wsOptions);
  require_(`raw client ${user}: WebSocket open`, c.opened);
  const hello = await c.request('hello', { client_id: `e2e-lifecycle-${user}` });
  require_(`raw client ${user}: hello ok`, hello?.ok === true, JSON.stringify(hello));
  const reg = await c.request('register', { user, password: `pass${user}`, domain: PBX_HOST, port: 5060 });
  require_(`raw client ${user}: register accepted`, reg?.ok === true, JSON.stringify(reg));
  const ev = await c.next((f) => f.event === 'registered' || f.event === 'registration_failed', 10000);
  require_(`raw client ${user}: registered`, ev?.event === 'registered', ev ? JSON.stringify(ev) : 'no event in 10 s');
  return { c, sessionId: hello.session_id, registeredAt: Date.now() };
}

// The raw client calls NUMBER and must get hangup 404 (Kamailio: lookup("location") failed).
async function expectNotRegistered(caller, number, offer) {
  const kamOffset = readLog('kamailio.log').length;
  const resp = await caller.c.request('call', { number, jsep: offer });
  if (!check(`1003 → ${number}: call request accepted`, resp?.ok === true && typeof resp.call_id === 'string', JSON.stringify(resp))) return;
  const ev = await caller.c.next((f) => f.call_id === resp.call_id && (f.event === 'hangup' || f.event === 'accepted'), 10000);
  check(`1003 → ${number}: hangup 404 (${number} is no longer registered in Kamailio)`,
    ev?.event === 'hangup' && ev.code === 404, ev ? `${ev.event} ${ev.code ?? ''} ${ev.reason ?? ''}` : 'no event in 10 s');
  figures[`call_to_${number}_after`] = ev && `${ev.code} ${ev.reason}`;
  await waitFor('Kamailio NOT FOUND', () => logSince('kamailio.log', kamOffset).includes(`NOT FOUND sip:${number}@`), 2000);
  check(`Kamailio: lookup("location") found no ${number}`, logSince('kamailio.log', kamOffset).includes(`NOT FOUND sip:${number}@`));
}

// ---- part 1: the browser vanishes mid-call ------------------------------------------------------
async function browserVanishes(sub) {
  const { browser, context, page } = await launchBrowser();
  try {
    const sessionId = await openAndConnect(page);
    const clientId = await page.inputValue('#client-id');
    await register(page, 'pass1001');
    const reg = await waitEvent(page, (e) => e.event === 'registered' || e.event === 'registration_failed', 'registered', 10000);
    require_('1001 registered (demo page)', reg?.event === 'registered', reg ? JSON.stringify(reg) : 'no event in 10 s');
    await page.waitForSelector('#call:not([disabled])', { timeout: 5000 });

    await page.click('#call');
    const callResp = await waitFor('call response', async () => (await demo(page, 'responses'))?.find((r) => r.response === 'call'), 10000);
    require_('call to 1002 accepted by the gateway (call_id)', callResp?.ok && typeof callResp.call_id === 'string',
      callResp ? JSON.stringify(callResp) : 'no response in 10 s');
    const callId = callResp.call_id;
    figures.call_id = callId;
    const acc = await waitEvent(page, (e) => e.event === 'accepted' || e.event === 'hangup', 'accepted', 15000);
    require_('1002 answered (accepted)', acc?.event === 'accepted' && acc.call_id === callId,
      acc ? `${acc.event} ${acc.code ?? ''} ${acc.reason ?? ''}`.trim() : 'no event in 15 s');
    const flowing = await waitFor('media flowing', async () => {
      const s = await demo(page, 'stats');
      return s?.packetsReceived > 50 ? s : null;
    }, 15000, 200);
    require_('media flows: inbound packetsReceived > 50', flowing, flowing ? `${flowing.packetsReceived}` : 'not within 15 s');
    figures.packets_received_before_close = flowing.packetsReceived;
    const mediaStarted = (readLog('gateway.log').match(/media\[\d+\]: started/g) ?? []).length;
    require_('gateway started the call\'s media session', mediaStarted >= 1, `${mediaStarted} started`);
    const portsDuringCall = boundRtpPorts(); // so that "none bound" at the end means something
    figures.rtp_ports_bound_during_call = portsDuringCall;
    require_(`the call binds UDP ports in ${RTP_MIN}-${RTP_MAX} (seen with ss)`, portsDuringCall.length > 0, portsDuringCall.join(' '));

    const offsets = Object.fromEntries(['baresip.log', 'kamailio.log', 'gateway.log'].map((f) => [f, readLog(f).length]));
    await saveLog(page, 'page-log.txt');
    const tClose = Date.now();
    await page.close({ runBeforeUnload: false }); // abrupt: no Hang up, no beforeunload close(1000)
    note('demo page closed mid-call');

    await waitFor('subscriber disconnected (1001)', () => sub.events.some((e) => e.session_id === sessionId && e.event === 'disconnected'), 8000);
    const mine = sessionEvents(sub, sessionId, tClose);
    const after = checkSequence('page closed', mine.filter((e) => e.afterMs >= 0), ['hangup', 'unregistered', 'disconnected']);
    figures.page_close_to_ms = after;
    check('page closed: hangup, unregistered, disconnected within 5 s of the close',
      Object.values(after).every((ms) => ms !== null && ms <= 5000), JSON.stringify(after));
    const hup = mine.find((e) => e.event === 'hangup');
    const d = hup?.call_details;
    check('page closed: subscriber hangup has the call\'s call_details (call_id, callee 1002, caller 1001) and client_id',
      d && d.call_id === callId && d.callee === '1002' && d.caller === '1001' && hup.client_id === clientId,
      JSON.stringify(hup ?? null));
    figures.hangup_after_close = hup && `${hup.code} ${hup.reason}`;

    // The phone: baresip's SIP trace shows the BYE of this call; Kamailio relayed it from the
    // gateway and relayed baresip's 200 OK back.
    const byeSeen = () => {
      const log = logSince('baresip.log', offsets['baresip.log']);
      const at = log.search(/\bBYE sip:1002\S* SIP\/2\.0/);
      return at >= 0 && log.slice(at, at + 2000).includes(callId) && /Call with sip:1001@\S+ terminated/.test(log);
    };
    await waitFor('baresip BYE', byeSeen, 3000, 100);
    check('baresip received a BYE for the call (SIP trace) and terminated it', byeSeen(),
      byeSeen() ? '' : `baresip.log since close: ${JSON.stringify(logSince('baresip.log', offsets['baresip.log']).slice(0, 300))}`);
    const kam = logSince('kamailio.log', offsets['kamailio.log']);
    check('Kamailio: BYE from the gateway (src :5080) in the call\'s dialog, 200 OK from baresip (:5070)',
      new RegExp(`\\{\\d+ ${callId}\\} .*REQ BYE sip:1002\\S* .*src=127\\.0\\.0\\.1:5080`).test(kam) &&
      new RegExp(`\\{\\d+ ${callId}\\} .*RPL 200 \\S+ for BYE src=127\\.0\\.0\\.1:5070`).test(kam));
    check('Kamailio: 1001\'s binding removed (REGISTER with expires=0 from the gateway)',
      new RegExp(`REGISTERED sip:1001@\\S+ contact=<sip:gw${sessionId}@[^>]*>.*expires=0`).test(kam));
    const gw = logSince('gateway.log', offsets['gateway.log']);
    figures.gateway_after_close = gw.split('\n').filter((l) => /session \d+:|media\[\d+\]: closed|websocket/.test(l))
      .map((l) => l.slice(24, 160));
    check('gateway: the session ended and the call\'s media session closed',
      new RegExp(`session ${sessionId}: ended`).test(gw) && /media\[\d+\]: closed/.test(gw));
    return { context, browser };
  } catch (err) {
    await browser.close().catch(() => {});
    throw err;
  }
}

// ---- part 2: a client that stops answering pings ------------------------------------------------
async function silentClient(sub) {
  // autoPong: false — the `ws` client reads the gateway's pings but never answers them.
  const s = await rawRegistered('1004', { autoPong: false });
  let pings = 0;
  let closedAt = null;
  s.c.ws.on('ping', () => { pings++; });
  s.c.ws.on('close', (code) => { closedAt ??= { ms: Date.now() - s.registeredAt, code }; });
  note('1004 registered; from now on it sends nothing and answers no ping');
  await waitFor('subscriber disconnected (1004)', () => sub.events.some((e) => e.session_id === s.sessionId && e.event === 'disconnected'), 12000, 100);
  const mine = sessionEvents(sub, s.sessionId, s.registeredAt);
  const after = checkSequence('silent client', mine, ['registered', 'unregistered', 'disconnected']);
  delete after.registered;
  figures.silence_to_ms = after;
  check('silent client: unregistered and disconnected within 10 s of going silent (ping timeout 4 s)',
    after.unregistered !== null && after.disconnected !== null && after.disconnected <= 10000, JSON.stringify(after));
  await waitFor('client side close', () => closedAt, 3000);
  figures.silent_client = { pings_received: pings, socket_closed: closedAt };
  check('silent client: the gateway pinged it before giving up', pings >= 1, `${pings} ping(s)`);
  check('silent client: the gateway closed its WebSocket', closedAt !== null, JSON.stringify(closedAt));
  return s.sessionId;
}

// ---- scenario ---------------------------------------------------------------------------------
async function scenarioLifecycle() {
  const sub = subscribe(EVENTS_TOKEN);
  require_('subscriber stream opens with the token', await waitFor('subscriber open', () => sub.opened || sub.error, 5000) && sub.opened,
    sub.error ?? '');
  let browser = null;
  let caller = null;
  try {
    const b = await browserVanishes(sub);
    browser = b.browser;
    const offer = await browserOffer(b.context);
    require_('a browser SDP offer for the raw client', /^m=audio /m.test(offer?.sdp ?? ''));

    caller = await rawRegistered('1003');
    await expectNotRegistered(caller, '1001', offer);

    const silentSession = await silentClient(sub);
    check('Kamailio: 1004\'s binding removed (REGISTER with expires=0 from the gateway)',
      new RegExp(`REGISTERED sip:1004@\\S+ contact=<sip:gw${silentSession}@[^>]*>.*expires=0`).test(readLog('kamailio.log')));
    check('gateway: the silent session ended', readLog('gateway.log').includes(`session ${silentSession}: ended`));
    await expectNotRegistered(caller, '1004', offer);

    // Nothing leaks: every media session the gateway started is closed, no RTP port stays bound.
    const gw = readLog('gateway.log');
    const started = (gw.match(/media\[\d+\]: started/g) ?? []).length;
    const closed = (gw.match(/media\[\d+\]: closed/g) ?? []).length;
    const ports = await waitFor('RTP ports released', () => (boundRtpPorts().length === 0 ? [] : null), 3000, 200) ?? boundRtpPorts();
    figures.media_sessions = { started, closed, rtp_ports_still_bound: ports };
    check('no leak: every media session the gateway started was closed', started >= 1 && closed === started, `${closed}/${started} closed`);
    check(`no leak: no UDP port in ${RTP_MIN}-${RTP_MAX} is still bound`, ports.length === 0, ports.join(' '));
  } finally {
    caller?.c.ws.close();
    await browser?.close().catch(() => {});
    sub.ws.terminate();
  }
}

await runScenario({ lifecycle: scenarioLifecycle });
