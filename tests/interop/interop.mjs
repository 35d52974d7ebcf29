// interop.mjs — the interop scenarios: headless Chromium (web/index.html, speaking protocol v1 over WSS)
// against one sipp process per scenario that plays the PBX side through Kamailio. Started by
// run-interop.sh inside its loopback-only namespace, once Kamailio and the gateway are up.
//
//   node interop.mjs SCENARIO...        (names: see SCENARIOS below; none = all)
//
// Environment (set by the runner): SIPGW_IOP_WORK (work dir), SIPGW_IOP_BASE_URL
// (https://127.0.0.1:8443), SIPGW_IOP_PBX (127.0.0.1:5060), SIPGW_IOP_FAKE_MIC (WAV file).
//
// Each scenario checks three things: sipp's own verdict (its scenario fails on any unexpected SIP
// message or on a failed regexp `check_it` on an SDP body), the events the page received, and —
// where media matters — RTP on the wire both ways (rtp-sniff.py on `lo`, counting the packets
// to and from the phone's media port) and the page's getStats() inbound packetsReceived.
// Prints a table scenario → PASS/FAIL + key figures; exit 0 only if every scenario passed.
import { createRequire } from 'node:module';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync, appendFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(HERE, '..', 'e2e', 'package.json'));   // reuse tests/e2e/node_modules
const { chromium } = require('playwright-core');

const env = (k, d) => process.env[k] ?? d ?? (() => { throw new Error(`missing ${k}`); })();
const WORK = env('SIPGW_IOP_WORK');
const BASE_URL = env('SIPGW_IOP_BASE_URL');
const PBX = env('SIPGW_IOP_PBX', '127.0.0.1:5060');
const FAKE_MIC = env('SIPGW_IOP_FAKE_MIC');
const WS_URL = `${BASE_URL.replace(/^http/, 'ws')}/ws`;
const PAGE_URL = `${BASE_URL}/`;   // web/index.html, served by the gateway (--web-root tests/interop/web)
const SIPP_DIR = process.env.SIPGW_IOP_SIPP_DIR ?? join(HERE, 'sipp');   // override: try a modified scenario
const ADDR = '127.0.0.1';

// The phones: 1002 answers the browser's calls (UAS), 1003 calls the browser (UAC).
const UAS = { ext: '1002', port: 5072, mp: 6000 };
const UAC = { ext: '1003', port: 5073, mp: 6010 };
const BROWSER_EXT = '1001';

const T0 = Date.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stamp = () => `+${((Date.now() - T0) / 1000).toFixed(1)}s`;
let current = null;   // the running scenario's record
const note = (msg) => {
  const line = `[iop ${current?.name ?? '-'} ${stamp()}] ${msg}`;
  console.log(line);
  if (current) appendFileSync(join(current.dir, 'steps.log'), `${line}\n`);
};

// ---- checks -----------------------------------------------------------------------------------
class Abort extends Error {}
function check(name, ok, detail = '') {
  current.checks.push({ name, ok: Boolean(ok), detail });
  note(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail !== '' ? ` — ${detail}` : ''}`);
  return Boolean(ok);
}
function need(name, ok, detail) { if (!check(name, ok, detail)) throw new Abort(name); }
const fig = (k, v) => { current.figures[k] = v; };

async function waitFor(what, fn, ms, every = 100) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) { note(`timed out after ${ms} ms waiting for ${what}`); return null; }
    await sleep(every);
  }
}

// ---- processes --------------------------------------------------------------------------------
// run(cmd, args, {log, cwd}) → {proc, done: Promise<exit code>}; every child is remembered and
// killed at the end (the runner's PID namespace is the backstop).
const children = new Set();
function run(cmd, args, { log, cwd } = {}) {
  const out = log ? ['ignore', 'pipe', 'pipe'] : 'ignore';
  const proc = spawn(cmd, args, { cwd, stdio: out });
  children.add(proc);
  if (log) {
    writeFileSync(log, `$ ${cmd} ${args.join(' ')}\n`);
    proc.stdout.on('data', (d) => appendFileSync(log, d));
    proc.stderr.on('data', (d) => appendFileSync(log, d));
  }
  const done = new Promise((resolve) => {
    proc.on('exit', (code, signal) => { children.delete(proc); resolve(code ?? (signal ? 128 : 1)); });
    proc.on('error', () => { children.delete(proc); resolve(127); });
  });
  return { proc, done };
}
async function stopProc(p, ms = 2000) {
  if (!p || p.proc.exitCode !== null) return p ? p.done : null;
  p.proc.kill('SIGTERM');
  const code = await Promise.race([p.done, sleep(ms).then(() => null)]);
  if (code === null) { p.proc.kill('SIGKILL'); return p.done; }
  return code;
}
const withTimeout = (promise, ms) => Promise.race([promise, sleep(ms).then(() => 'timeout')]);

// sipp: common flags. -timeout bounds the whole run, -recv_timeout every <recv>; a failed call
// (unexpected message, failed check_it, timeout) makes sipp exit non-zero. Traces go to the
// scenario dir: messages (every SIP message, both ways), errors, and the final statistics.
function sippArgs(phone, xml, tag, extra = []) {
  const d = current.dir;
  return ['-sf', join(SIPP_DIR, xml), '-i', ADDR, '-p', String(phone.port), '-mi', ADDR,
    '-mp', String(phone.mp), '-key', 'rtcp_port', String(phone.mp + 1), '-m', '1', '-nostdin',
    '-timeout', '40s', '-timeout_error', '-recv_timeout', '15000', '-max_recv_loops', '1000',
    '-trace_msg', '-message_file', join(d, `sipp-${tag}-messages.log`),
    '-trace_err', '-error_file', join(d, `sipp-${tag}-errors.log`),
    '-trace_screen', '-screen_file', join(d, `sipp-${tag}-screen.log`), ...extra];
}
async function sippRegister(phone) {
  const p = run('sipp', [...sippArgs(phone, 'register.xml', 'register'), '-s', phone.ext, '-au', phone.ext,
    '-ap', `pass${phone.ext}`, '-timeout', '10s', PBX], { log: join(current.dir, 'sipp-register.log'), cwd: current.dir });
  const code = await withTimeout(p.done, 12000);
  need(`sipp registered ${phone.ext} through Kamailio`, code === 0, `exit ${code}`);
}
function sippPhone(phone, xml, extra = []) {
  note(`sipp ${xml} as ${phone.ext} on ${ADDR}:${phone.port}, RTP echo on ${phone.mp}`);
  return run('sipp', [...sippArgs(phone, xml, 'phone'), '-rtp_echo', ...extra],
    { log: join(current.dir, 'sipp-phone.log'), cwd: current.dir });
}
function sippErrors() {
  const f = join(current.dir, 'sipp-phone-errors.log');
  if (!existsSync(f)) return '';
  // sipp's first complaint ("Aborting call on unexpected message ... while expecting '200' (index 6),
  // received 'SIP/2.0 488 ...", or the regexp that failed), with control bytes made visible.
  const text = readFileSync(f, 'latin1');
  const first = text.split(/\n(?=\d{4}-\d\d-\d\d\t)/).find((b) => /^\d{4}-/.test(b)) ?? text;
  return first.replace(/^\S+\t\S+\t\S+: /, '').replace(/\r?\n/g, ' | ')
    .replace(/[^\x20-\x7e|]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).slice(0, 400);
}

// Pitfall 6: every SDP the gateway sent the PBX in this call (read back from sipp's message trace)
// has the same o= session id, and the version never goes down (RFC 3264 §8: +1 per new offer or
// answer; a retransmission repeats it).
function checkOrigin() {
  const f = join(current.dir, 'sipp-phone-messages.log');
  if (!existsSync(f)) return;
  const origins = [...readFileSync(f, 'utf8').matchAll(/^o=(\S+) (\d+) (\d+) IN IP4 (\S+)/gm)]
    .filter((m) => m[1] !== 'pbx').map((m) => ({ user: m[1], id: m[2], version: BigInt(m[3]), addr: m[4] }));
  if (origins.length === 0) return;
  const ids = new Set(origins.map((o) => o.id));
  const versions = origins.map((o) => o.version);
  const monotonic = versions.every((v, i) => i === 0 || v >= versions[i - 1]);
  const distinct = [...new Set(versions.map(String))];
  fig('o_versions', distinct.join(','));
  check('pitfall 6: one o= session id toward the PBX, version never decreasing',
    ids.size === 1 && monotonic && origins.every((o) => o.addr === ADDR), `ids ${[...ids]}, versions ${versions.join(',')}`);
}

// ---- RTP on the wire --------------------------------------------------------------------------
async function startSniffer(phone) {
  const file = join(current.dir, 'rtp.txt');
  const p = run('python3', [join(HERE, 'rtp-sniff.py'), file, String(phone.mp), String(phone.mp + 1)],
    { log: join(current.dir, 'rtp-sniff.log') });
  need('RTP sniffer capturing on lo', await waitFor('the sniffer', () => existsSync(`${file}.ready`), 5000, 50));
  return { p, file };
}
// packets: [{t, dir: 'to'|'from', sport, dport, pt (number|'rtcpN'|'-'), marker, seq, ts, ssrc, len, event?, end?, duration?}]
function readRtp(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => {
    const f = l.split(' ');
    const pkt = { t: +f[0], dir: f[1], sport: +f[2], dport: +f[3], pt: /^\d+$/.test(f[4]) ? +f[4] : f[4],
      marker: +f[5], seq: +f[6], ts: +f[7], ssrc: +f[8], len: +f[9] };
    if (f.length > 10) Object.assign(pkt, { event: +f[10], end: +f[11], volume: +f[12], duration: +f[13] });
    return pkt;
  });
}
// RTP (not RTCP, not telephone-event) on the phone's RTP port, one direction, optional window.
const audio = (pkts, phone, dir, from = 0, to = Infinity, tePt = -1) => pkts.filter((p) => typeof p.pt === 'number' &&
  p.pt !== tePt && p.event === undefined && (dir === 'to' ? p.dport : p.sport) === phone.mp && p.t >= from && p.t <= to);
const mode = (xs) => {
  const n = new Map(); for (const x of xs) n.set(x, (n.get(x) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
};

// UDP ports of the gateway's media range (--rtp-port-min/max in run-interop.sh) bound right now.
function mediaPortsBound() {
  try {
    return execFileSync('ss', ['-Hlun'], { encoding: 'utf8' }).split('\n').map((l) => l.trim().split(/\s+/)[3])
      .filter(Boolean).map((a) => +a.slice(a.lastIndexOf(':') + 1)).filter((p) => p >= 20000 && p <= 20999);
  } catch { return ['ss failed']; }
}

// ---- the page ---------------------------------------------------------------------------------
let browser = null;
let context = null;
async function openPage() {
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const consoleLog = join(current.dir, 'browser-console.log');
  page.on('console', (m) => appendFileSync(consoleLog, `${stamp()} ${m.type()}: ${m.text()}\n`));
  page.on('pageerror', (e) => appendFileSync(consoleLog, `${stamp()} PAGE ERROR: ${e.stack ?? e}\n`));
  const resp = await page.goto(PAGE_URL);
  need('client page loads from the gateway', resp?.ok() && await page.evaluate(() => Boolean(window.T)), `HTTP ${resp?.status()}`);
  await page.evaluate((u) => window.T.connect(u), WS_URL);
  return page;
}
const req = (page, name, fields = {}, ms = 10000) => page.evaluate(([n, f, t]) => window.T.request(n, f, t), [name, fields, ms]);
const events = (page) => page.evaluate(() => window.T.events);
const stats = (page) => page.evaluate(() => window.T.stats());
const ev = async (page, pred) => (await events(page)).find(pred);
const waitEv = (page, what, pred, ms) => waitFor(what, () => ev(page, pred), ms);
const named = (name, more = () => true) => (e) => e.event === name && more(e);

async function helloRegister(page) {
  const hello = await req(page, 'hello', { client_id: `interop-${current.name}` });
  need('hello answered with a session_id', hello.ok && hello.session_id, JSON.stringify(hello).slice(0, 120));
  const r = await req(page, 'register', { user: BROWSER_EXT, password: `pass${BROWSER_EXT}`, domain: ADDR, port: +PBX.split(':')[1] });
  need('register accepted', r.ok, JSON.stringify(r));
  const reg = await waitEv(page, 'registered', (e) => ['registered', 'registration_failed'].includes(e.event), 10000);
  need(`registered ${BROWSER_EXT}`, reg?.event === 'registered', JSON.stringify(reg ?? 'timeout'));
}

async function callAndAnswer(page, { expectJsepOn = 'accepted' } = {}) {
  const t = Date.now();
  const r = await page.evaluate((n) => window.T.call(n), UAS.ext);
  need('call accepted by the gateway', r.ok && r.call_id, JSON.stringify(r).slice(0, 200));
  current.callId = r.call_id;
  const acc = await waitEv(page, 'accepted or hangup', (e) => ['accepted', 'hangup'].includes(e.event), 10000);
  need('accepted', acc?.event === 'accepted', JSON.stringify(acc ?? 'timeout').slice(0, 300));
  fig('setup_ms', acc.t - t);
  fig('media_ports_in_call', mediaPortsBound().length);   // shows the leak check below can see them
  if (expectJsepOn === 'accepted') {
    need('accepted carries a JSEP answer', acc.jsep?.type === 'answer' && /m=audio/.test(acc.jsep.sdp ?? ''));
    check('answer applied by Chromium', await waitEv(page, 'answer applied', named('local:answer-applied'), 3000));
  }
  return acc;
}
async function waitInbound(page, n, ms = 8000) {
  const s = await waitFor(`> ${n} inbound packets`, async () => { const x = await stats(page); return x.inbound > n ? x : null; }, ms, 200);
  return s ?? (await stats(page));
}
// Media both ways at the end of a window: the page receives, and the phone's port sees packets
// to it and (echoed) from it.
function checkWire(label, pkts, phone, from, to, min = 30, tePt = -1) {
  const toPbx = audio(pkts, phone, 'to', from, to, tePt).length;
  const fromPbx = audio(pkts, phone, 'from', from, to, tePt).length;
  check(`${label}: RTP gateway → phone on the wire (> ${min})`, toPbx > min, `${toPbx} packets`);
  check(`${label}: RTP phone → gateway on the wire (> ${min})`, fromPbx > min, `${fromPbx} packets`);
  return { toPbx, fromPbx };
}
async function hangupAndWait(page, expectCause = 'answered') {
  const r = await req(page, 'hangup', { call_id: current.callId });
  check('hangup request ok', r.ok, JSON.stringify(r));
  const h = await waitEv(page, 'hangup event', named('hangup'), 8000);
  check(`hangup event, cause ${expectCause}`, h?.cause === expectCause, JSON.stringify(h ? { code: h.code, reason: h.reason, cause: h.cause } : 'none'));
  return h;
}
async function noEarlyHangup(page, label) {
  const h = await ev(page, named('hangup'));
  check(`no hangup ${label}`, !h, h ? JSON.stringify({ code: h.code, reason: h.reason, cause: h.cause }) : '');
}

// ---- the scenarios ----------------------------------------------------------------------------
// phone: which sipp scenario plays the PBX side. run(ctx) drives the page; ctx.pkts() reads the
// wire so far.
const SCENARIOS = {
  // 1. Asterisk-style answer.
  asterisk: { phone: 'out_asterisk.xml', async run(page, ctx) {
    const acc = await callAndAnswer(page);
    const sdp = acc.jsep.sdp;
    check('answer to the browser: PCMU, telephone-event/8000, ptime 20', /a=rtpmap:0 PCMU\/8000/.test(sdp) &&
      /telephone-event\/8000/.test(sdp) && /a=ptime:20/.test(sdp), sdp.match(/m=audio.*/)?.[0]);
    const s = await waitInbound(page, 100);
    check('page receives RTP (inbound packetsReceived > 100)', s.inbound > 100, `${s.inbound}, codec ${s.codecIn}, pair ${s.pair}`);
    check('browser sends PCMU', /PCMU/i.test(s.codecOut ?? ''), s.codecOut);
    fig('page_in', s.inbound);
    const pkts = ctx.pkts();
    const w = checkWire('in call', pkts, UAS, acc.t, Date.now());
    fig('wire_to/from', `${w.toPbx}/${w.fromPbx}`);
    const pts = [...new Set(audio(pkts, UAS, 'to').map((p) => p.pt))];
    check('only PT 0 (PCMU) audio toward the phone', pts.length === 1 && pts[0] === 0, `PTs ${pts}`);
    const rtcpOnRtp = pkts.filter((p) => String(p.pt).startsWith('rtcp') && p.dport === UAS.mp).length;
    const rtcpOnRtcp = pkts.filter((p) => String(p.pt).startsWith('rtcp') && p.dport === UAS.mp + 1).length;
    check('no RTCP sent to the phone\'s RTP port (pitfall 3: demux to a=rtcp)', rtcpOnRtp === 0, `${rtcpOnRtp} on ${UAS.mp}, ${rtcpOnRtcp} on ${UAS.mp + 1}`);
    fig('rtcp_to_a_rtcp_port', rtcpOnRtcp);
    await hangupAndWait(page);
  } },

  // 2. FreeSWITCH-style answer, ptime 30.
  freeswitch: { phone: 'out_freeswitch.xml', async run(page, ctx) {
    const acc = await callAndAnswer(page);
    const sdp = acc.jsep.sdp;
    check('answer to the browser: PCMA, telephone-event/8000, a=ptime:30', /a=rtpmap:8 PCMA\/8000/.test(sdp) &&
      /telephone-event\/8000/.test(sdp) && /a=ptime:30/.test(sdp), sdp.match(/m=audio.*/)?.[0]);
    const s = await waitInbound(page, 60);
    check('page receives RTP (inbound packetsReceived > 60)', s.inbound > 60, `${s.inbound}, codec ${s.codecIn}`);
    check('browser sends PCMA', /PCMA/i.test(s.codecOut ?? ''), s.codecOut);
    fig('page_in', s.inbound);
    const pkts = ctx.pkts();
    const w = checkWire('in call', pkts, UAS, acc.t, Date.now(), 20);
    fig('wire_to/from', `${w.toPbx}/${w.fromPbx}`);
    const toPbx = audio(pkts, UAS, 'to');
    const len = mode(toPbx.map((p) => p.len));
    const steps = toPbx.slice(1).map((p, i) => (p.ts - toPbx[i].ts) >>> 0).filter((d) => d > 0 && d < 8000);
    fig('payload_bytes_to_phone', len);
    check('pitfall 8: 30 ms packets toward the PBX (240-byte PCMA payload, timestamp step 240)',
      len === 240 && mode(steps) === 240, `payload ${len} bytes, ts step ${mode(steps)}`);
    const pts = [...new Set(toPbx.map((p) => p.pt))];
    check('only PT 8 (PCMA) audio toward the phone', pts.length === 1 && pts[0] === 8, `PTs ${pts}`);
    await hangupAndWait(page);
  } },

  // 3. 183 with SDP, then 200: early media.
  early_media: { phone: 'out_early_media.xml', async run(page, ctx) {
    const t = Date.now();
    const r = await page.evaluate((n) => window.T.call(n), UAS.ext);
    need('call accepted by the gateway', r.ok, JSON.stringify(r));
    current.callId = r.call_id;
    const prog = await waitEv(page, 'progress with jsep', named('progress', (e) => e.jsep), 10000);
    need('progress 183 with a JSEP answer', prog && prog.code === 183 && prog.jsep?.type === 'answer',
      JSON.stringify(prog ? { code: prog.code, reason: prog.reason, jsep: prog.jsep?.type } : (await events(page)).map((e) => e.event)));
    check('early answer applied by Chromium', await waitEv(page, 'answer applied', named('local:answer-applied', (e) => e.detail === 'progress'), 3000));
    const s = await waitInbound(page, 20, 2500);
    const accBefore = await ev(page, named('accepted'));
    check('early media: page receives > 20 packets before `accepted`', s.inbound > 20 && !accBefore, `${s.inbound} packets, accepted already: ${Boolean(accBefore)}`);
    fig('early_page_in', s.inbound);
    const acc = await waitEv(page, 'accepted', (e) => ['accepted', 'hangup'].includes(e.event), 8000);
    need('accepted after the 200 OK', acc?.event === 'accepted', JSON.stringify(acc ?? 'timeout').slice(0, 200));
    check('accepted has no JSEP (the early answer stands)', !acc.jsep, acc.jsep ? 'jsep present' : '');
    const pkts0 = ctx.pkts();
    const early = checkWire('before 200 OK', pkts0, UAS, prog.t, acc.t, 20);
    fig('early_wire_to/from', `${early.toPbx}/${early.fromPbx}`);
    fig('183_to_200_ms', acc.t - prog.t);
    const before = (await stats(page)).inbound;
    await sleep(1500);
    const after = await stats(page);
    check('media continues after `accepted` (page inbound grows > 40)', after.inbound - before > 40, `${before} → ${after.inbound}`);
    checkWire('after 200 OK', ctx.pkts(), UAS, acc.t + 200, Date.now(), 30);
    fig('setup_ms', acc.t - t);
    await hangupAndWait(page);
  } },

  // 4. PBX hold (sendonly) and unhold (sendrecv) by re-INVITE.
  hold: { phone: 'out_hold.xml', async run(page, ctx) {
    const acc = await callAndAnswer(page);
    await waitInbound(page, 50);
    const u1 = await waitEv(page, 'updatingcall (hold)', named('updatingcall'), 6000);
    need('updatingcall after the PBX\'s sendonly re-INVITE', u1, JSON.stringify((await events(page)).map((e) => e.event)));
    check('hold: updatingcall direction recvonly, initiator remote, reason re-INVITE',
      u1.direction === 'recvonly' && u1.initiator === 'remote' && u1.reason === 're-INVITE',
      JSON.stringify({ direction: u1.direction, initiator: u1.initiator, reason: u1.reason }));
    const u2 = await waitFor('second updatingcall (unhold)', async () => (await events(page)).filter(named('updatingcall'))[1], 6000);
    need('second updatingcall after the sendrecv re-INVITE', u2, '');
    check('unhold: updatingcall direction sendrecv, initiator remote',
      u2.direction === 'sendrecv' && u2.initiator === 'remote', JSON.stringify({ direction: u2.direction, initiator: u2.initiator, reason: u2.reason }));
    const held = audio(ctx.pkts(), UAS, 'to', u1.t + 300, u2.t - 100).length;
    check('while held (we are recvonly) the gateway sends (almost) no RTP to the PBX', held <= 5, `${held} packets in ${u2.t - u1.t - 400} ms`);
    fig('held_to_phone', held);
    const before = (await stats(page)).inbound;
    await sleep(2500);
    const after = await stats(page);
    check('after unhold: page inbound grows > 50', after.inbound - before > 50, `${before} → ${after.inbound}`);
    const w = checkWire('after unhold', ctx.pkts(), UAS, u2.t + 300, Date.now(), 50);
    fig('after_unhold_to/from', `${w.toPbx}/${w.fromPbx}`);
    await noEarlyHangup(page, 'during hold/unhold');
    await hangupAndWait(page);
  } },

  // 5. PBX re-INVITE without SDP.
  reinvite_nosdp: { phone: 'out_reinvite_nosdp.xml', async run(page, ctx) {
    const acc = await callAndAnswer(page);
    await waitInbound(page, 50);
    // The phone sends the offerless re-INVITE 2 s after its ACK; the ACK with its answer follows.
    const u = await waitEv(page, 'updatingcall (offerless re-INVITE)', named('updatingcall'), 6000);
    fig('updatingcall', u ? `${u.direction}/${u.initiator}/${u.reason}` : 'none');
    const tRe = u ? u.t : acc.t + 3000;
    await sleep(Math.max(0, tRe + 3000 - Date.now()));
    await noEarlyHangup(page, 'after the offerless re-INVITE');
    const w = checkWire('after the re-INVITE', ctx.pkts(), UAS, tRe + 500, Date.now(), 50);
    fig('after_reinvite_to/from', `${w.toPbx}/${w.fromPbx}`);
    const s = await stats(page);
    fig('page_in', s.inbound);
    await hangupAndWait(page);
  } },

  // 6. UPDATE with SDP mid-call.
  update: { phone: 'out_update.xml', async run(page, ctx) {
    const acc = await callAndAnswer(page);
    await waitInbound(page, 50);
    const u = await waitEv(page, 'updatingcall (UPDATE)', named('updatingcall'), 6000);
    fig('updatingcall', u ? `${u.direction}/${u.initiator}/${u.reason}` : 'none');
    const tUp = u ? u.t : acc.t + 3000;
    await sleep(Math.max(0, tUp + 2500 - Date.now()));
    await noEarlyHangup(page, 'after the UPDATE');
    const w = checkWire('after the UPDATE', ctx.pkts(), UAS, tUp + 300, Date.now(), 50);
    fig('after_update_to/from', `${w.toPbx}/${w.fromPbx}`);
    await hangupAndWait(page);
  } },

  // 7. The PBX hangs up.
  pbx_bye: { phone: 'out_pbx_bye.xml', async run(page, ctx) {
    const acc = await callAndAnswer(page);
    const s = await waitInbound(page, 50);
    check('media before the BYE (page inbound > 50)', s.inbound > 50, `${s.inbound}`);
    const h = await waitEv(page, 'hangup after the PBX\'s BYE', named('hangup'), 8000);
    check('hangup code 200, cause answered', h?.code === 200 && h?.cause === 'answered',
      JSON.stringify(h ? { code: h.code, reason: h.reason, cause: h.cause } : 'none'));
    fig('hangup', h ? `${h.code} ${h.reason} ${h.cause}` : 'none');
    fig('bye_after_accept_ms', h ? h.t - acc.t : null);
  } },

  // 8. Busy.
  busy: { phone: 'out_busy.xml', async run(page) {
    const r = await page.evaluate((n) => window.T.call(n), UAS.ext);
    need('call accepted by the gateway', r.ok, JSON.stringify(r));
    current.callId = r.call_id;
    const h = await waitEv(page, 'hangup after 486', (e) => ['hangup', 'accepted'].includes(e.event), 8000);
    check('hangup code 486, cause busy', h?.event === 'hangup' && h.code === 486 && h.cause === 'busy',
      JSON.stringify(h ? { event: h.event, code: h.code, reason: h.reason, cause: h.cause } : 'none'));
    fig('hangup', h ? `${h.code} ${h.reason} ${h.cause}` : 'none');
  } },

  // 9. The browser hangs up while it rings: CANCEL, 487.
  cancel: { phone: 'out_cancel.xml', async run(page) {
    const r = await page.evaluate((n) => window.T.call(n), UAS.ext);
    need('call accepted by the gateway', r.ok, JSON.stringify(r));
    current.callId = r.call_id;
    const p = await waitEv(page, 'progress 180', named('progress', (e) => e.code === 180), 8000);
    need('progress 180 Ringing', p, JSON.stringify((await events(page)).map((e) => e.event)));
    await sleep(300);
    const h = await hangupAndWait(page, 'cancelled');
    fig('hangup', h ? `${h.code} ${h.reason} ${h.cause}` : 'none');
  } },

  // 10. DTMF: RFC 4733 from the browser, INFO from the PBX, INFO from the browser.
  dtmf: { phone: 'out_dtmf.xml', async run(page, ctx) {
    const acc = await callAndAnswer(page);
    const tePt = +(acc.jsep.sdp.match(/a=rtpmap:(\d+) telephone-event\/8000/)?.[1] ?? -1);
    await waitInbound(page, 30);
    const tSend = Date.now();
    const r = await req(page, 'dtmf', { call_id: current.callId, digits: '12#', duration_ms: 100, method: 'auto' });
    check('dtmf "12#" (auto) accepted', r.ok, JSON.stringify(r));
    await sleep(1500);
    const te = ctx.pkts().filter((p) => p.dport === UAS.mp && p.t >= tSend && p.event !== undefined && p.pt === tePt);
    const digits = [];   // a new digit starts with the marker bit (or, lacking it, a new event code)
    let last = null;
    for (const p of te) { if (p.marker || p.event !== last) digits.push(p.event); last = p.event; }
    const endsPer = [1, 2, 11].map((d) => te.filter((p) => p.event === d && p.end).length);
    const finalDur = [1, 2, 11].map((d) => Math.max(0, ...te.filter((p) => p.event === d && p.end).map((p) => p.duration)));
    const audioSsrc = mode(audio(ctx.pkts(), UAS, 'to', acc.t, tSend).map((p) => p.ssrc));
    fig('rfc4733_packets', te.length);
    fig('rfc4733_end_packets_per_digit', endsPer.join('/'));
    fig('rfc4733_final_duration', finalDur.join('/'));
    check(`RFC 4733 events 1, 2, 11 (#) reach the phone with PT ${tePt}`, digits.join(',') === '1,2,11', `events in order: ${digits.join(',')}; ${te.length} packets`);
    check('each digit ends with 3 end packets', endsPer.every((n) => n === 3), endsPer.join('/'));
    check('each digit lasts 100 ms at 8000 Hz (final duration 800)', finalDur.every((d) => d === 800), finalDur.join('/'));
    check('events sent on the browser stream\'s SSRC', te.length > 0 && te.every((p) => p.ssrc === audioSsrc), `audio ${audioSsrc}`);
    // sipp echoes the events back: the gateway's RFC 4733 receive path reports them as well.
    const echoed = (await events(page)).filter(named('dtmf', (e) => e.method === 'rfc4733')).map((e) => e.digit).join('');
    fig('rfc4733_digits_echoed_back', echoed || 'none');
    check('echoed RFC 4733 events reported to the client as dtmf 1, 2, #', echoed === '12#', echoed);
    const info = await waitEv(page, 'dtmf 5 by INFO', named('dtmf', (e) => e.method === 'info'), 8000);
    check('dtmf event from the PBX\'s INFO: digit 5, method info, 160 ms', info?.digit === '5' && info?.duration_ms === 160,
      JSON.stringify(info ? { digit: info.digit, method: info.method, duration_ms: info.duration_ms } : 'none'));
    const r2 = await req(page, 'dtmf', { call_id: current.callId, digits: '4', method: 'info' });
    check('dtmf "4" (info) accepted (the phone checks Signal=4)', r2.ok, JSON.stringify(r2));
    await sleep(800);
    await hangupAndWait(page);
  } },

  // 11. Incoming call with an offer.
  incoming: { caller: 'in_call.xml', async run(page, ctx) { await incoming(page, ctx, true); } },
  // 12. Incoming call without an offer (delayed offer).
  incoming_delayed: { caller: 'in_delayed_offer.xml', async run(page, ctx) { await incoming(page, ctx, false); } },

  // 13. The client holds and resumes: the gateway re-INVITEs the PBX.
  local_hold: { phone: 'out_local_hold.xml', async run(page, ctx) {
    const acc = await callAndAnswer(page);
    await waitInbound(page, 50);
    const tHold = Date.now();
    const r1 = await req(page, 'hold', { call_id: current.callId });
    check('hold ok (the PBX answered the re-INVITE)', r1.ok, JSON.stringify(r1));
    fig('hold_response_ms', Date.now() - tHold);
    const u1 = await waitEv(page, 'updatingcall (hold)', named('updatingcall'), 5000);
    check('updatingcall: direction sendonly, initiator local, reason hold',
      u1?.direction === 'sendonly' && u1?.initiator === 'local' && u1?.reason === 'hold',
      JSON.stringify(u1 ? { direction: u1.direction, initiator: u1.initiator, reason: u1.reason } : 'none'));
    const pageHeld0 = (await stats(page)).inbound;
    await sleep(1500);
    fig('page_in_while_held', (await stats(page)).inbound - pageHeld0);
    fig('to_phone_while_held', audio(ctx.pkts(), UAS, 'to', tHold + 300, Date.now()).length);
    const tUnhold = Date.now();
    const r2 = await req(page, 'unhold', { call_id: current.callId });
    check('unhold ok', r2.ok, JSON.stringify(r2));
    const u2 = await waitFor('second updatingcall (unhold)', async () => (await events(page)).filter(named('updatingcall'))[1], 5000);
    check('updatingcall: direction sendrecv, initiator local, reason unhold',
      u2?.direction === 'sendrecv' && u2?.initiator === 'local' && u2?.reason === 'unhold',
      JSON.stringify(u2 ? { direction: u2.direction, initiator: u2.initiator, reason: u2.reason } : 'none'));
    const before = (await stats(page)).inbound;
    await sleep(2000);
    const after = await stats(page);
    check('after unhold: page inbound grows > 40', after.inbound - before > 40, `${before} → ${after.inbound}`);
    const w = checkWire('after unhold', ctx.pkts(), UAS, tUnhold + 300, Date.now(), 40);
    fig('after_unhold_to/from', `${w.toPbx}/${w.fromPbx}`);
    await noEarlyHangup(page, 'during hold/unhold');
    await hangupAndWait(page);
  } },

  // 14. RFC 2543 hold: re-INVITE with c=0.0.0.0 (no direction attribute), then resume.
  hold_c0: { phone: 'out_hold_c0.xml', async run(page, ctx) {
    await callAndAnswer(page);
    await waitInbound(page, 50);
    const u1 = await waitEv(page, 'updatingcall (c=0.0.0.0 hold)', named('updatingcall'), 6000);
    need('updatingcall after the c=0.0.0.0 re-INVITE', u1, JSON.stringify((await events(page)).map((e) => e.event)));
    check('pitfall 14: c=0.0.0.0 is a hold: updatingcall direction recvonly or inactive, initiator remote',
      ['recvonly', 'inactive'].includes(u1.direction) && u1.initiator === 'remote',
      JSON.stringify({ direction: u1.direction, initiator: u1.initiator, reason: u1.reason }));
    const u2 = await waitFor('second updatingcall (resume)', async () => (await events(page)).filter(named('updatingcall'))[1], 6000);
    need('second updatingcall after the sendrecv re-INVITE', u2, '');
    check('resume: updatingcall direction sendrecv', u2.direction === 'sendrecv', JSON.stringify({ direction: u2.direction, reason: u2.reason }));
    // Linux delivers datagrams sent to 0.0.0.0 to the local host: RTP "to 0.0.0.0:6000" would show here.
    const held = audio(ctx.pkts(), UAS, 'to', u1.t + 300, u2.t - 100).length;
    check('while held (c=0.0.0.0) the gateway sends (almost) no RTP toward the PBX', held <= 5, `${held} packets in ${u2.t - u1.t - 400} ms`);
    fig('held_to_phone', held);
    await sleep(2000);
    const w = checkWire('after resume', ctx.pkts(), UAS, u2.t + 300, Date.now(), 40);
    fig('after_resume_to/from', `${w.toPbx}/${w.fromPbx}`);
    await noEarlyHangup(page, 'during hold/resume');
    await hangupAndWait(page);
  } },

  // 15. Codec change by re-INVITE: PCMU → PCMA only (a transfer to a PCMA-only trunk). The gateway
  // answers PCMA (sipp's regexp on the 200 OK) and transcodes G.711 in place; the browser keeps PCMU.
  codec_change: { phone: 'out_codec_change.xml', async run(page, ctx) {
    const acc = await callAndAnswer(page);
    check('the browser negotiated PCMU', /^m=audio \d+ \S+ 0( |$)/m.test(acc.jsep.sdp), acc.jsep.sdp.match(/m=audio.*/)?.[0]);
    await waitInbound(page, 50);
    // The received level before the change, once Chromium's capture processing has settled on the
    // fake microphone's tone (it falls for ~3 s); the phone re-INVITEs 4 s after its ACK.
    await sleep(Math.max(0, acc.t + 2700 - Date.now()));
    const s0 = await stats(page);
    await sleep(900);
    const s1 = await stats(page);
    const tBefore = Date.now();
    // A codec-only change keeps direction and address, so there is no `updatingcall`: the change
    // shows on the wire as the first PT 8 packet toward the phone.
    const first8 = await waitFor('PCMA (PT 8) toward the phone', () => audio(ctx.pkts(), UAS, 'to', acc.t).find((p) => p.pt === 8), 8000, 100);
    need('the gateway switched the PBX leg to PCMA after the re-INVITE', first8,
      `PTs toward the phone: ${[...new Set(audio(ctx.pkts(), UAS, 'to', acc.t).map((p) => p.pt))]}`);
    const tRe = first8.t;
    await sleep(Math.max(0, tRe + 1000 - Date.now()));
    const s2 = await stats(page);
    await sleep(Math.max(0, tRe + 2500 - Date.now()));
    const s3 = await stats(page);
    await noEarlyHangup(page, 'after the codec change');
    const u = await ev(page, named('updatingcall'));
    fig('updatingcall', u ? `${u.direction}/${u.initiator}/${u.reason}` : 'none');
    const pkts = ctx.pkts();
    const before = audio(pkts, UAS, 'to', acc.t, tRe - 1);
    const ptsBefore = [...new Set(before.map((p) => p.pt))];
    const after = audio(pkts, UAS, 'to', tRe, Date.now());
    const ptsAfter = [...new Set(after.map((p) => p.pt))];
    fig('PTs_to_phone_before/after', `${ptsBefore}/${ptsAfter}`);
    check('before the change the PBX gets PCMU (PT 0) only', before.length > 20 && ptsBefore.length === 1 && ptsBefore[0] === 0,
      `${before.length} packets, PTs ${ptsBefore}`);
    check('after the change the PBX gets PCMA (PT 8) only, > 80 packets', after.length > 80 && ptsAfter.length === 1 && ptsAfter[0] === 8,
      `${after.length} packets, PTs ${ptsAfter}`);
    check('same packet size after the change (160-byte payload, in-place transcoding)',
      mode(before.map((p) => p.len)) === 160 && after.every((p) => p.len === 160), `before ${mode(before.map((p) => p.len))}, after ${[...new Set(after.map((p) => p.len))]}`);
    const fromPbx = audio(pkts, UAS, 'from', tRe + 300, Date.now());
    const ptsFrom = [...new Set(fromPbx.map((p) => p.pt))];
    check('after the change the phone\'s echoed PCMA (PT 8) reaches the gateway, > 60 packets', fromPbx.length > 60 && ptsFrom.length === 1 && ptsFrom[0] === 8,
      `${fromPbx.length} packets, PTs ${ptsFrom}`);
    fig('wire_to/from_after', `${after.length}/${fromPbx.length}`);
    check('the page keeps receiving after the change (> 60 in 1.5 s)', s3.inbound - s2.inbound > 60, `${s2.inbound} → ${s3.inbound}`);
    check('the page still decodes PCMU', /PCMU/i.test(s3.codecIn ?? ''), s3.codecIn);
    // The browser's tone comes back through μ→A, the phone's echo and A→μ: about as loud as
    // before the change (a missing or wrong conversion would be noise of another level).
    const level = (a, b) => (b.seconds > a.seconds ? (b.energy - a.energy) / (b.seconds - a.seconds) : 0);
    const lBefore = level(s0, s1);
    const lAfter = level(s2, s3);
    fig('received_level_before/after', `${lBefore.toExponential(2)}/${lAfter.toExponential(2)}`);
    check('the received audio keeps its level across the change (within 6 dB)',
      tBefore < tRe && lBefore > 0 && lAfter > lBefore / 4 && lAfter < lBefore * 4,
      `mean power ${lBefore.toExponential(2)} → ${lAfter.toExponential(2)}${tBefore < tRe ? '' : '; the change came before the reference window ended'}`);
    await hangupAndWait(page);
  } },
};

async function incoming(page, ctx, withOffer) {
  ctx.startCaller();
  const inc = await waitEv(page, 'incomingcall', named('incomingcall'), 10000);
  need('incomingcall', inc, JSON.stringify((await events(page)).map((e) => e.event)));
  current.callId = inc.call_id;
  check('incomingcall: caller 1003, caller_name Bob, callee 1001, JSEP offer',
    inc.caller === UAC.ext && inc.caller_name === 'Bob' && inc.callee === BROWSER_EXT && inc.jsep?.type === 'offer' &&
    /m=audio \d+ UDP\/TLS\/RTP\/SAVPF/.test(inc.jsep?.sdp ?? ''),
    JSON.stringify({ caller: inc.caller, caller_name: inc.caller_name, callee: inc.callee, jsep: inc.jsep?.type }));
  if (withOffer) check('offer to the browser keeps the PBX\'s codecs (PCMU, PCMA, telephone-event/8000)',
    /a=rtpmap:0 PCMU/.test(inc.jsep.sdp) && /a=rtpmap:8 PCMA/.test(inc.jsep.sdp) && /telephone-event\/8000/.test(inc.jsep.sdp),
    inc.jsep.sdp.match(/m=audio.*/)?.[0]);
  else fig('offer_m_line', inc.jsep.sdp.match(/m=audio.*/)?.[0]);
  const t = Date.now();
  const r = await page.evaluate(() => window.T.accept());
  need('accept ok', r.ok, JSON.stringify(r).slice(0, 300));
  const acc = await waitEv(page, 'accepted (ACK received)', (e) => ['accepted', 'hangup'].includes(e.event), 8000);
  need('accepted', acc?.event === 'accepted', JSON.stringify(acc ?? 'timeout').slice(0, 200));
  fig('accept_to_accepted_ms', acc.t - t);
  const s = await waitInbound(page, 80);
  check('page receives RTP (inbound > 80)', s.inbound > 80, `${s.inbound}, codec ${s.codecIn}`);
  fig('page_in', s.inbound);
  const w = checkWire('in call', ctx.pkts(), UAC, acc.t, Date.now(), 50);
  fig('wire_to/from', `${w.toPbx}/${w.fromPbx}`);
  const h = await waitEv(page, 'hangup after the caller\'s BYE', named('hangup'), 8000);
  check('hangup code 200, cause answered', h?.code === 200 && h?.cause === 'answered',
    JSON.stringify(h ? { code: h.code, reason: h.reason, cause: h.cause } : 'none'));
}

// ---- one scenario -----------------------------------------------------------------------------
async function runOne(name) {
  const def = SCENARIOS[name];
  const dir = join(WORK, name);
  mkdirSync(dir, { recursive: true });
  current = { name, dir, checks: [], figures: {}, callId: null, started: Date.now() };
  const phone = def.phone ? UAS : UAC;
  let sniff = null;
  let sipp = null;
  let page = null;
  let sippCode = null;
  try {
    sniff = await startSniffer(phone);
    if (def.phone) {
      await sippRegister(UAS);
      sipp = sippPhone(UAS, def.phone, ['-s', UAS.ext]);
      await sleep(300);
    }
    page = await openPage();
    await helloRegister(page);
    const ctx = {
      pkts: () => readRtp(sniff.file),
      startCaller: () => { sipp = sippPhone(UAC, def.caller, ['-s', BROWSER_EXT, '-au', UAC.ext, '-ap', `pass${UAC.ext}`, PBX]); },
    };
    await def.run(page, ctx);
    sippCode = await withTimeout(sipp.done, 15000);
    check('sipp: SIP exchange as scripted (every message and SDP regexp matched)', sippCode === 0,
      sippCode === 0 ? '' : `exit ${sippCode}; ${sippErrors()}`);
    checkOrigin();
  } catch (err) {
    if (!(err instanceof Abort)) check('scenario ran to the end', false, err.stack ?? String(err));
    if (sipp && sippCode === null) {
      sippCode = await withTimeout(sipp.done, 500);
      if (sippCode !== 'timeout' && sippCode !== 0) check('sipp: SIP exchange as scripted', false, `exit ${sippCode}; ${sippErrors()}`);
    }
  } finally {
    if (page) {
      try {
        writeFileSync(join(dir, 'page-frames.jsonl'), (await page.evaluate(() => window.T.frames)).map((f) => JSON.stringify(f)).join('\n') + '\n');
        // Unregister before the page goes, so the next scenario's registration of 1001 cannot
        // be removed by this session's late unregister.
        const r = await req(page, 'unregister', {}, 4000);
        if (r.ok) await waitEv(page, 'unregistered', named('unregistered'), 4000);
      } catch { /* page broken */ }
      await page.close().catch(() => {});
    }
    if (sipp) await stopProc(sipp);
    if (sniff) await stopProc(sniff.p);
    // The call is over and the session gone: its media ports (ICE and plain RTP/RTCP) are freed.
    const left = await waitFor('media ports released', () => { const b = mediaPortsBound(); return b.length === 0 || null; }, 3000, 200);
    check('no media port of 20000-20999 left bound after the scenario', left, mediaPortsBound().join(' '));
  }
  current.seconds = ((Date.now() - current.started) / 1000).toFixed(1);
  current.ok = current.checks.length > 0 && current.checks.every((c) => c.ok);
  note(`${current.ok ? 'PASSED' : 'FAILED'} in ${current.seconds} s`);
  return current;
}

// ---- main -------------------------------------------------------------------------------------
async function main() {
  const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(SCENARIOS);
  for (const w of wanted) if (!SCENARIOS[w]) { console.error(`unknown scenario ${w}; known: ${Object.keys(SCENARIOS).join(' ')}`); process.exit(2); }
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true, timeout: 20000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection',
      `--use-file-for-fake-audio-capture=${FAKE_MIC}`],
  });
  context = await browser.newContext({ ignoreHTTPSErrors: true, permissions: ['microphone'] });
  const results = [];
  for (const name of wanted) results.push(await runOne(name));
  current = null;
  await browser.close().catch(() => {});

  const rows = results.map((r) => {
    const failed = r.checks.filter((c) => !c.ok);
    const figs = Object.entries(r.figures).map(([k, v]) => `${k}=${v}`).join(' ');
    return { name: r.name, ok: r.ok, s: r.seconds, n: `${r.checks.length - failed.length}/${r.checks.length}`, figs, failed };
  });
  writeFileSync(join(WORK, 'results.json'), JSON.stringify(results.map(({ dir, ...r }) => r), null, 1));
  const w = Math.max(...rows.map((r) => r.name.length), 8);
  console.log(`\n${'scenario'.padEnd(w)}  result  checks  time    figures`);
  for (const r of rows) {
    console.log(`${r.name.padEnd(w)}  ${r.ok ? 'PASS' : 'FAIL'}    ${r.n.padEnd(6)}  ${`${r.s}s`.padEnd(6)}  ${r.figs}`);
    for (const c of r.failed) console.log(`${''.padEnd(w)}    ✗ ${c.name}${c.detail ? ` — ${String(c.detail).slice(0, 300)}` : ''}`);
  }
  const passed = rows.filter((r) => r.ok).length;
  console.log(`\ninterop: ${passed}/${rows.length} scenarios passed in ${((Date.now() - T0) / 1000).toFixed(1)} s; work dir ${WORK}`);
  return passed === rows.length ? 0 : 1;
}

const killAll = () => { for (const c of children) c.kill('SIGKILL'); };
process.on('SIGTERM', () => { killAll(); process.exit(143); });
process.on('SIGINT', () => { killAll(); process.exit(130); });
main().then((code) => { killAll(); process.exit(code); }, (err) => { console.error(err); killAll(); process.exit(1); });
