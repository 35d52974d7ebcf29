// Shared by the e2e scenario scripts (call-e2e.mjs, lifecycle-e2e.mjs): the runner's environment,
// checks and figures, bounded waits, the subscriber stream, a raw protocol client, and the demo
// page driven through headless Chromium. Run inside run-call-e2e.sh's loopback-only namespace.
//
// Environment (set by the runner): SIPGW_E2E_SCENARIO, SIPGW_E2E_WORK, SIPGW_E2E_BASE_URL,
// SIPGW_E2E_EVENTS_TOKEN, SIPGW_E2E_API_TOKEN, SIPGW_E2E_FAKE_MIC, SIPGW_E2E_PHONE_REC,
// SIPGW_E2E_PBX.

import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`missing environment variable ${name}`);
  return v;
};
export const SCENARIO = env('SIPGW_E2E_SCENARIO');
export const WORK = env('SIPGW_E2E_WORK');
export const BASE_URL = env('SIPGW_E2E_BASE_URL');
export const EVENTS_TOKEN = env('SIPGW_E2E_EVENTS_TOKEN', '');
export const FAKE_MIC = env('SIPGW_E2E_FAKE_MIC');
export const PHONE_REC = env('SIPGW_E2E_PHONE_REC', '');
export const PBX = env('SIPGW_E2E_PBX', '127.0.0.1:5060');
export const API_TOKEN = env('SIPGW_E2E_API_TOKEN', '');
export const WS_URL = BASE_URL.replace(/^http/, 'ws');

const t0 = Date.now();
export const elapsed = () => ((Date.now() - t0) / 1000).toFixed(1);
export const note = (msg) => console.log(`[node +${elapsed()}s] ${msg}`);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- checks -----------------------------------------------------------------------------------
export const checks = [];
export const figures = {};
export function check(name, ok, detail = '') {
  checks.push({ name, ok: Boolean(ok), detail });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? ` — ${detail}` : ''}`);
  return Boolean(ok);
}
export class Abort extends Error {}
export function require_(name, ok, detail) { // a check the rest of the scenario depends on
  if (!check(name, ok, detail)) throw new Abort(name);
}

export async function waitFor(what, fn, timeoutMs, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) {
      note(`timed out after ${timeoutMs} ms waiting for ${what}`);
      return null;
    }
    await sleep(intervalMs);
  }
}

// ---- subscriber stream ------------------------------------------------------------------------
// sub.events: the parsed frames; sub.arrivals[i]: Date.now() when sub.events[i] arrived.
// `query` is appended to the URL (e.g. 'since=12'); frames are logged to WORK/<file>.
export function subscribe(token, { query = '', file = 'subscriber.jsonl' } = {}) {
  const sub = { events: [], arrivals: [], ws: null, error: null, opened: false, closed: false };
  const ws = new WebSocket(`${WS_URL}/events?token=${encodeURIComponent(token)}${query ? `&${query}` : ''}`, { rejectUnauthorized: false });
  sub.ws = ws;
  ws.on('open', () => { sub.opened = true; });
  ws.on('close', () => { sub.closed = true; });
  ws.on('message', (data) => {
    const text = data.toString();
    appendFileSync(join(WORK, file), `${text}\n`);
    sub.arrivals.push(Date.now());
    try { sub.events.push(JSON.parse(text)); } catch { sub.events.push({ unparsable: text }); }
  });
  ws.on('unexpected-response', (_req, res) => { sub.error = `HTTP ${res.statusCode}`; ws.terminate(); });
  ws.on('error', (err) => { sub.error ??= err.message; });
  return sub;
}

// ---- the runner's control channel ---------------------------------------------------------------
// harnessCtl('kill-gateway' | 'start-gateway'): asks run-call-e2e.sh (which polls WORK/ctl/ while
// node runs) to act on the processes it owns; resolves to its one-line answer ("ok …" or
// "fail …"), or null after timeoutMs.
export async function harnessCtl(command, timeoutMs = 25000) {
  const req = join(WORK, 'ctl', `${command}.req`);
  const done = join(WORK, 'ctl', `${command}.done`);
  rmSync(done, { force: true });
  writeFileSync(req, `${Date.now()}\n`);
  const answer = await waitFor(`runner: ${command}`, () => (existsSync(done) ? readFileSync(done, 'utf8').trim() || null : null), timeoutMs, 100);
  note(`runner ${command}: ${answer ?? 'no answer'}`);
  return answer;
}

// ---- the call history: API, else the SQLite file ------------------------------------------------
// GET BASE_URL + path with the API's bearer token; resolves to { status, headers, body (Buffer) }
// or { status: 0, error }.
export function apiGet(path, { method = 'GET', token = API_TOKEN } = {}) {
  return new Promise((resolve) => {
    const req = httpsRequest(`${BASE_URL}${path}`, {
      method, rejectUnauthorized: false, timeout: 5000, headers: token ? { Authorization: `Bearer ${token}` } : {},
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, error: err.message }));
    req.end();
  });
}

// Rows (call legs) of the `calls` table for one call_id, oldest first, read with the sqlite3 CLI (the gateway keeps the file
// open in WAL mode; readers do not block it).
export function sqliteCalls(callId, db = join(WORK, 'gateway.db')) {
  const out = execFileSync('sqlite3', ['-json', '-readonly', db, `SELECT * FROM calls WHERE call_id = '${callId.replace(/'/g, "''")}' ORDER BY id`],
    { encoding: 'utf8', timeout: 5000 });
  return out.trim() ? JSON.parse(out) : [];
}
export function sqliteQuery(sql, db = join(WORK, 'gateway.db')) {
  const out = execFileSync('sqlite3', ['-json', '-readonly', db, sql], { encoding: 'utf8', timeout: 5000 });
  return out.trim() ? JSON.parse(out) : [];
}

// The call record of callId in session sessionId: a record is one call leg of a client session,
// and both legs of a call between two clients of the gateway share the SIP Call-ID. Through
// GET /api/calls/<call_id> ({ call_id, legs }) when the API answers it (200), else from the
// SQLite file. Resolves to { source, record (that session's leg, null if none), legs (every leg
// of the Call-ID), api_status }.
export async function callRecord(callId, sessionId) {
  const pick = (legs) => legs.find((l) => Number(l.session_id) === Number(sessionId)) ?? null;
  const r = await apiGet(`/api/calls/${encodeURIComponent(callId)}`);
  if (r.status === 200) {
    try {
      const legs = JSON.parse(r.body.toString()).legs ?? [];
      return { source: 'api', record: pick(legs), legs, api_status: 200 };
    } catch { /* fall through */ }
  }
  let rows = [];
  try { rows = sqliteCalls(callId); } catch (err) { note(`sqlite3 failed: ${err.message}`); }
  return { source: 'sqlite3', record: pick(rows), legs: rows, api_status: r.status || r.error };
}

// ---- a raw protocol client (for what the page cannot send, e.g. malformed JSON) ---------------
// wsOptions go to the `ws` constructor (e.g. { autoPong: false } for a client that never pongs).
// c.request(name, fields) sends a request with a fresh transaction and resolves to its response
// (or null after 5 s).
export async function rawClient(wsOptions = {}) {
  const ws = new WebSocket(`${WS_URL}/ws`, { rejectUnauthorized: false, ...wsOptions });
  const frames = [];
  ws.on('message', (d) => { try { frames.push(JSON.parse(d.toString())); } catch { frames.push({ unparsable: d.toString() }); } });
  ws.on('error', () => {});
  const opened = await new Promise((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('error', () => resolve(false));
    setTimeout(() => resolve(false), 5000);
  });
  const next = (pred, ms = 5000) => waitFor('a frame', () => frames.find(pred), ms, 50);
  let txn = 0;
  const request = (name, fields = {}) => {
    const transaction = `raw-${++txn}`;
    ws.send(JSON.stringify({ request: name, transaction, ...fields }));
    return next((f) => f.transaction === transaction);
  };
  return { ws, frames, opened, next, request };
}

// ---- browser ----------------------------------------------------------------------------------
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    timeout: 20000,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection',
      `--use-file-for-fake-audio-capture=${FAKE_MIC}`,
    ],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, permissions: ['microphone'] });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const consoleLog = join(WORK, 'browser-console.log');
  writeFileSync(consoleLog, '');
  page.on('console', (m) => appendFileSync(consoleLog, `[${elapsed()}s] ${m.type()}: ${m.text()}\n`));
  page.on('pageerror', (e) => appendFileSync(consoleLog, `[${elapsed()}s] PAGE ERROR: ${e.stack ?? e}\n`));
  return { browser, context, page };
}

export const demo = (page, what) => page.evaluate((w) => window.sipgwDemo?.[w] ?? null, what);
export const pageEvents = (page) => demo(page, 'events').then((e) => e ?? []);
export async function waitEvent(page, pred, what, ms) {
  return waitFor(what, async () => (await pageEvents(page)).find(pred), ms, 100);
}
export async function saveLog(page, name) {
  try {
    const lines = await page.$$eval('#log li', (lis) => lis.map((li) => li.textContent));
    writeFileSync(join(WORK, name), `${lines.join('\n')}\n`);
  } catch { /* page gone */ }
}

export async function openAndConnect(page) {
  const resp = await page.goto(`${BASE_URL}/`, { waitUntil: 'load' });
  require_('demo page loads over HTTPS', resp?.ok(), `HTTP ${resp?.status()}`);
  await page.waitForFunction(() => window.sipgwDemo !== undefined, null, { timeout: 5000 });
  const prefill = await page.evaluate(() => ({
    user: document.querySelector('#user').value, password: document.querySelector('#password').value,
    domain: document.querySelector('#domain').value, port: document.querySelector('#port').value,
    number: document.querySelector('#number').value,
  }));
  check('register form prefilled (1001 / pass1001 / page host / 5060, dial 1002)',
    prefill.user === '1001' && prefill.password === 'pass1001' && prefill.domain === new URL(BASE_URL).hostname &&
    prefill.port === '5060' && prefill.number === '1002', JSON.stringify({ ...prefill, password: '…' }));
  await page.click('#connect');
  await page.waitForSelector('#register:not([disabled])', { timeout: 10000 }).catch(() => null);
  const st = await demo(page, 'state');
  require_('connected: hello answered with a session_id', st?.sessionId != null, `session_id ${st?.sessionId}`);
  return st.sessionId;
}

export async function register(page, password) {
  await page.fill('#password', password);
  await page.click('#register');
}

// ---- main -------------------------------------------------------------------------------------
// Runs scenarios[SCENARIO], prints the figures and a summary, and exits 0 only if every check
// passed.
export async function runScenario(scenarios) {
  let crashed = null;
  try {
    if (!scenarios[SCENARIO]) throw new Error(`unknown scenario ${SCENARIO}`);
    note(`scenario ${SCENARIO} against ${BASE_URL}`);
    await scenarios[SCENARIO]();
  } catch (err) {
    if (!(err instanceof Abort)) {
      crashed = err;
      check('scenario ran to the end', false, err.stack ?? String(err));
    } else {
      note(`stopped after a failed prerequisite: ${err.message}`);
    }
  }
  const failed = checks.filter((c) => !c.ok);
  console.log('\n==== figures ====');
  for (const [k, v] of Object.entries(figures)) console.log(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  console.log(`==== ${SCENARIO}: ${checks.length - failed.length}/${checks.length} checks passed in ${elapsed()} s ====`);
  for (const c of failed) console.log(`  failed: ${c.name}`);
  process.exit(failed.length === 0 && checks.length > 0 && !crashed ? 0 : 1);
}
