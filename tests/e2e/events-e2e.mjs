// The `events` e2e scenario (issue 4: the event stream, complete). Run by run-call-e2e.sh inside
// its loopback-only namespace, with the gateway started with --webhook to webhook-receiver.mjs
// (which answers 500 to its 1st POST, drops the connection on the 2nd, then answers 200). No
// browser: raw `ws` clients register 1003 / 1004 through Kamailio and generate the events.
//
//  a. subscriber A sees some events, disconnects; 1004 registers / unregisters / disconnects
//     twice; A reconnects with since=<the last seq it saw>: exactly the missed events (same seq,
//     same body as a reference subscriber B that stayed connected), in order, no duplicate, then
//     the live ones.
//  c. 1003 calls 1004 three times (a static WebRTC offer; nothing is answered, so no media is
//     needed): 1004 declines with 486 (→ busy), with 480 (→ no-answer), and 1003 hangs up while it
//     rings (→ cancelled). The call records of both legs (API, else the SQLite file): both carry
//     the same SIP Call-ID (Kamailio passes the INVITE through), each is a record of its own
//     (one per call leg of a client session), found by Call-ID + session_id.
//  b. the webhook got every event of the log exactly once after dedupe by seq, in order, with the
//     same bodies; ≥ 3 attempts, the first batch retried with the same X-SipGateway-Delivery.

import { readFileSync } from 'node:fs';
import {
  API_TOKEN, EVENTS_TOKEN, apiGet, callRecord, check, figures, note, rawClient, require_, runScenario, sleep, sqliteQuery,
  subscribe, waitFor,
} from './lib/harness.mjs';

const WEBHOOK_LOG = process.env.SIPGW_E2E_WEBHOOK_LOG;
const PBX_HOST = '127.0.0.1';

// A WebRTC audio offer as Chromium writes it (ICE credentials, DTLS fingerprint, one loopback host
// candidate on a port nobody listens on). The calls are never answered, so ICE never has to work.
const OFFER = {
  type: 'offer',
  sdp: [
    'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', 'a=extmap-allow-mixed',
    'a=msid-semantic: WMS e2e', 'm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 126', 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0',
    'a=candidate:1 1 udp 2122260223 127.0.0.1 59999 typ host generation 0',
    'a=ice-ufrag:e2eU', 'a=ice-pwd:e2eIcePasswordOf24Chars!', 'a=ice-options:trickle',
    'a=fingerprint:sha-256 8C:71:B4:F5:3A:2E:9C:0B:6D:1E:44:7A:90:25:C3:AE:5F:12:88:D0:3B:67:E9:4C:A1:76:0F:D2:59:B8:13:E4',
    'a=setup:actpass', 'a=mid:0', 'a=sendrecv', 'a=msid:e2e e2e-audio', 'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2', 'a=rtcp-fb:111 transport-cc', 'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:126 telephone-event/8000', 'a=ssrc:1001 cname:e2e', '',
  ].join('\r\n'),
};

const sameBody = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const label = (e) => `${e.event}#${e.seq}`;
const increasing = (seqs) => seqs.every((q, i) => Number.isInteger(q) && (i === 0 || q > seqs[i - 1]));

async function openSub(name, query = '') {
  const s = subscribe(EVENTS_TOKEN, { query, file: `subscriber-${name}.jsonl` });
  require_(`subscriber ${name}${query ? ` (${query})` : ''} opens`, await waitFor(`subscriber ${name}`, () => s.opened || s.error, 5000) && s.opened, s.error ?? '');
  return s;
}

// hello + register USER; resolves to { c, sessionId }.
async function rawRegistered(user) {
  const c = await rawClient();
  require_(`raw ${user}: WebSocket open`, c.opened);
  const hello = await c.request('hello', { client_id: `e2e-events-${user}` });
  require_(`raw ${user}: hello ok`, hello?.ok === true, JSON.stringify(hello));
  const reg = await c.request('register', { user, password: `pass${user}`, domain: PBX_HOST, port: 5060 });
  require_(`raw ${user}: register accepted`, reg?.ok === true, JSON.stringify(reg));
  const ev = await c.next((f) => f.event === 'registered' || f.event === 'registration_failed', 10000);
  require_(`raw ${user}: registered`, ev?.event === 'registered', ev ? JSON.stringify(ev) : 'no event in 10 s');
  return { c, sessionId: hello.session_id };
}

// 1004 registers, unregisters and disconnects; resolves once subscriber `ref` saw its disconnected.
async function churn1004(ref, round) {
  const { c, sessionId } = await rawRegistered('1004');
  const un = await c.request('unregister');
  check(`round ${round}: 1004 unregister ok`, un?.ok === true, JSON.stringify(un));
  await c.next((f) => f.event === 'unregistered', 10000);
  c.ws.close();
  const seen = await waitFor(`disconnected of 1004 (round ${round})`, () => ref.events.find((e) => e.event === 'disconnected' && e.session_id === sessionId), 10000);
  check(`round ${round}: the reference subscriber saw 1004 connected … unregistered, disconnected`, seen,
    ref.events.filter((e) => e.session_id === sessionId).map(label).join(' '));
}

// ---- a. reconnect with since ---------------------------------------------------------------------
async function partA(B) {
  const A = await openSub('A');
  const c3 = await rawRegistered('1003');
  const regA = await waitFor('A sees 1003 registered', () => A.events.find((e) => e.event === 'registered' && e.session_id === c3.sessionId), 5000);
  require_('A received events (1003 connected … registered)', regA, A.events.map(label).join(' '));
  await sleep(300);
  const lastA = Math.max(...A.events.map((e) => e.seq));
  figures.A_first_connection = A.events.map(label).join(' ');
  check('every event body has an integer seq and timestamp_ms', A.events.every((e) => Number.isInteger(e.seq) && Number.isInteger(e.timestamp_ms)));
  A.ws.close();
  await waitFor('A closed', () => A.closed, 3000);

  for (const round of [1, 2]) await churn1004(B, round);
  await sleep(300);
  const missed = B.events.filter((e) => e.seq > lastA);
  figures.missed_while_A_away = missed.map(label).join(' ');
  require_('events happened while A was away (≥ 6)', missed.length >= 6, `${missed.length}`);

  const A2 = await openSub('A2', `since=${lastA}`);
  await waitFor('A2 replay', () => A2.events.length >= missed.length, 8000);
  await sleep(500); // anything extra (a duplicate) would arrive now
  const replay = A2.events.slice(0, missed.length);
  check(`A reconnected with since=${lastA}: exactly the ${missed.length} missed events, same seq and body, in order`,
    replay.length === missed.length && replay.every((e, i) => sameBody(e, missed[i])),
    `got ${A2.events.map(label).join(' ')}; expected ${missed.map(label).join(' ')}`);
  check('… and nothing else before the next live event (no duplicate, nothing at or before since)', A2.events.length === missed.length && A2.events.every((e) => e.seq > lastA),
    `${A2.events.length} events`);

  // Live events after the replay.
  const c4 = await rawRegistered('1004');
  await waitFor('A2 live 1004 registered', () => A2.events.find((e) => e.event === 'registered' && e.session_id === c4.sessionId), 5000);
  await sleep(300);
  const bAfter = B.events.filter((e) => e.seq > lastA);
  figures.A2_events = A2.events.map(label).join(' ');
  check('A2 then gets the live events: everything after since, as B saw it, seq strictly increasing, no duplicate',
    A2.events.length === bAfter.length && A2.events.every((e, i) => sameBody(e, bAfter[i])) && increasing(A2.events.map((e) => e.seq)),
    `A2 ${A2.events.length} vs B ${bAfter.length}`);
  check('B (connected throughout): seq strictly increasing', increasing(B.events.map((e) => e.seq)), B.events.map((e) => e.seq).join(','));
  A2.ws.close();
  return { c3, c4 };
}

// ---- c. unanswered calls and their records -------------------------------------------------------
async function oneCall(c3, c4, what) {
  const resp = await c3.c.request('call', { number: '1004', jsep: OFFER });
  if (!check(`${what}: 1003 → 1004 call accepted (call_id)`, resp?.ok === true && typeof resp.call_id === 'string', JSON.stringify(resp))) return null;
  const callId = resp.call_id;
  const inc = await c4.c.next((f) => f.event === 'incomingcall' && !f.__used, 10000);
  if (!check(`${what}: 1004 gets incomingcall from 1003`, inc?.caller === '1003' || inc?.caller?.includes?.('1003'), inc ? JSON.stringify({ ...inc, jsep: '…' }) : 'none in 10 s')) return { callId };
  inc.__used = true;
  if (what === 'busy') await c4.c.request('decline', { call_id: inc.call_id });             // 486 by default
  else if (what === 'no-answer') await c4.c.request('decline', { call_id: inc.call_id, code: 480 });
  else { await sleep(500); await c3.c.request('hangup', { call_id: callId }); }              // cancelled
  const hup = await c3.c.next((f) => f.event === 'hangup' && f.call_id === callId, 10000);
  const want = { busy: [486, 'busy'], 'no-answer': [480, 'no-answer'], cancelled: [null, 'cancelled'] }[what];
  check(`${what}: 1003 gets hangup cause ${want[1]}${want[0] ? ` (${want[0]})` : ''}`, hup && hup.cause === want[1] && (!want[0] || hup.code === want[0]),
    hup ? `${hup.code} ${hup.reason} ${hup.cause}` : 'none in 10 s');
  const hup4 = await c4.c.next((f) => f.event === 'hangup' && f.call_id === inc.call_id, 5000);
  figures[`call_${what}`] = { caller_leg: hup && `${hup.code} ${hup.reason} ${hup.cause}`, callee_leg: hup4 && `${hup4.code} ${hup4.reason} ${hup4.cause}`, call_id: callId, incoming_call_id: inc.call_id };
  return { callId, incomingCallId: inc.call_id, hup };
}

async function partC(c3, c4) {
  const calls = {};
  for (const what of ['busy', 'no-answer', 'cancelled']) calls[what] = await oneCall(c3, c4, what);
  await sleep(500);
  const want = { busy: 486, 'no-answer': 480, cancelled: 487 };
  for (const [what, call] of Object.entries(calls)) {
    if (!call?.callId) continue;
    const got = await waitFor(`record of ${what}`, async () => {
      const c = await callRecord(call.callId, c3.sessionId);
      return c.record?.ended_at != null ? c : null;
    }, 5000, 250) ?? await callRecord(call.callId, c3.sessionId);
    const r = got.record;
    figures[`cdr_${what}`] = r && { source: got.source, direction: r.direction, caller: r.caller, callee: r.callee, outcome: r.outcome,
      sip_code: r.sip_code, reason: r.reason, started_at: r.started_at, answered_at: r.answered_at, ended_at: r.ended_at,
      duration_ms: r.duration_ms, recording_path: r.recording_path, client_id: r.client_id, session_id: r.session_id,
      legs_of_call_id: got.legs?.length };
    check(`CDR ${what} (1003's leg): outgoing 1003 → 1004, outcome ${what}, sip_code ${want[what]}, not answered, no recording`,
      r && r.direction === 'outgoing' && r.caller === '1003' && r.callee === '1004' && r.outcome === what && r.sip_code === want[what] &&
      r.answered_at == null && (r.duration_ms ?? 0) === 0 && r.recording_path == null && r.ended_at >= r.started_at && r.client_id === 'e2e-events-1003',
      r ? JSON.stringify(figures[`cdr_${what}`]) : `no record of session ${c3.sessionId} (${got.source}, API ${got.api_status}, ${got.legs?.length ?? 0} legs)`);
  }
  // The callee's leg (1004 on the same gateway) is a call of its own: one record each, incoming.
  let incoming = null; let source = '';
  const list = await apiGet('/api/calls?client_id=e2e-events-1004&limit=50');
  if (list.status === 200) {
    incoming = JSON.parse(list.body.toString()).calls.filter((c) => c.direction === 'incoming');
    source = 'API /api/calls?client_id=e2e-events-1004';
  } else {
    incoming = sqliteQuery("SELECT * FROM calls WHERE client_id = 'e2e-events-1004' AND direction = 'incoming'");
    source = `sqlite3 (API answered ${list.status || list.error})`;
  }
  figures.cdr_incoming_legs = { source, rows: incoming.map((r) => `${r.call_id} ${r.caller}→${r.callee} ${r.outcome} ${r.sip_code}`) };
  const collide = Object.values(calls).filter((c) => c?.incomingCallId && c.incomingCallId === c.callId).length;
  figures.same_sip_call_id_on_both_legs = collide;
  check('CDR: 1004\'s three incoming legs have records of their own (direction incoming, caller 1003, outcomes rejected, rejected, cancelled)',
    incoming.length === 3 && incoming.every((r) => r.caller === '1003' && r.callee === '1004') &&
    incoming.map((r) => r.outcome).sort().join(',') === 'cancelled,rejected,rejected',
    `${incoming.length} rows via ${source}: ${figures.cdr_incoming_legs.rows.join('; ') || 'none'}` +
    (collide ? ` — both legs of ${collide} call(s) share one SIP Call-ID (one record per leg)` : ''));
}

// ---- b. the webhook ------------------------------------------------------------------------------
function webhookRequests() {
  try { return readFileSync(WEBHOOK_LOG, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)); } catch { return []; }
}

async function partB() {
  // The whole log (every event of the run), then wait for the webhook to have all of it.
  const all = await openSub('all', 'since=0');
  await waitFor('full replay settles', async () => { const n = all.events.length; await sleep(700); return n > 0 && n === all.events.length; }, 8000, 0);
  all.ws.close();
  const truth = all.events;
  const seqs = truth.map((e) => e.seq);
  figures.log_events = `${truth.length} (seq ${seqs[0]}…${seqs.at(-1)})`;
  check('since=0: the whole log, seq strictly increasing', truth.length > 0 && increasing(seqs), seqs.join(','));

  const delivered = () => {
    const seen = new Map();
    for (const r of webhookRequests()) {
      if (r.outcome !== 'http-200' || !Array.isArray(r.body)) continue;
      for (const e of r.body) if (!seen.has(e.seq)) seen.set(e.seq, e);
    }
    return seen;
  };
  await waitFor('webhook has every event', () => seqs.every((q) => delivered().has(q)), 20000, 250);
  const reqs = webhookRequests();
  figures.webhook_requests = reqs.map((r) => `#${r.n} ${r.outcome} delivery=${r.delivery} attempt=${r.attempt} seq=[${Array.isArray(r.body) ? r.body.map((e) => e.seq).join(',') : '?'}]`);
  check('webhook: ≥ 3 attempts', reqs.length >= 3, `${reqs.length}`);
  const [r1, r2, r3] = reqs;
  check('webhook: POST /hook, application/json, a JSON array of events', reqs.length > 0 && reqs.every((r) => r.method === 'POST' && r.url === '/hook' &&
    /^application\/json/.test(r.content_type ?? '') && Array.isArray(r.body)), reqs.map((r) => `${r.method} ${r.url} ${r.content_type}`).join('; '));
  check('webhook: the failed batch (500, then dropped) retried with the same X-SipGateway-Delivery and body, attempts 1, 2, 3',
    r3 && r1.delivery && r1.delivery === r2.delivery && r2.delivery === r3.delivery && sameBody(r1.body, r2.body) && sameBody(r2.body, r3.body) &&
    [r1.attempt, r2.attempt, r3.attempt].join(',') === '1,2,3' && r3.outcome === 'http-200',
    reqs.slice(0, 3).map((r) => `${r.outcome} ${r.delivery} attempt ${r.attempt}`).join(' | '));
  check('webhook: retries back off (≥ 0.5 s between attempts 1→2 and 2→3)', r3 && r2.at_ms - r1.at_ms >= 500 && r3.at_ms - r2.at_ms >= 500,
    r3 ? `${r2.at_ms - r1.at_ms} ms, ${r3.at_ms - r2.at_ms} ms` : '');
  // Every event once after dedupe, in order, same body.
  const ok200 = reqs.filter((r) => r.outcome === 'http-200' && Array.isArray(r.body)).flatMap((r) => r.body);
  const firstSeen = []; const seenSet = new Set();
  for (const e of reqs.filter((r) => Array.isArray(r.body)).flatMap((r) => r.body)) if (!seenSet.has(e.seq)) { seenSet.add(e.seq); firstSeen.push(e); }
  const got = delivered();
  const missing = truth.filter((e) => !got.has(e.seq));
  const differ = truth.filter((e) => got.has(e.seq) && !sameBody(got.get(e.seq), e));
  const extra = [...got.keys()].filter((q) => !seqs.includes(q));
  figures.webhook_delivered = `${got.size} events in ${reqs.filter((r) => r.outcome === 'http-200').length} acknowledged POSTs`;
  check('webhook: every event of the log acknowledged (2xx), same body as on the subscriber stream, none unknown',
    missing.length === 0 && differ.length === 0 && extra.length === 0,
    `missing ${missing.map(label).join(' ') || 'none'}; differing ${differ.map(label).join(' ') || 'none'}; unknown seqs ${extra.join(',') || 'none'}`);
  check('webhook: after dedupe by seq, in order (first appearances strictly increasing)', increasing(firstSeen.map((e) => e.seq)),
    firstSeen.map((e) => e.seq).join(','));
  const counts = new Map();
  for (const e of ok200) counts.set(e.seq, (counts.get(e.seq) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([q]) => q);
  check('webhook: no event acknowledged twice (duplicates only in the failed attempts)', twice.length === 0, twice.join(',') || 'none');
}

async function scenarioEvents() {
  require_('webhook log path given by the runner', WEBHOOK_LOG);
  figures.api = API_TOKEN ? 'token given' : 'no token';
  const B = await openSub('B');
  const { c3, c4 } = await partA(B);
  await partC(c3, c4);
  c3.c.ws.close();
  c4.c.ws.close();
  await waitFor('disconnects', () => B.events.filter((e) => e.event === 'disconnected').length >= 4, 8000);
  note(`reference subscriber saw ${B.events.length} events`);
  await partB();
  B.ws.close();
}

await runScenario({ events: scenarioEvents });
