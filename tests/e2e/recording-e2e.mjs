// The `crash` e2e scenario (issue 4: "a test that kills the gateway with SIGKILL mid-call"). Run
// by run-call-e2e.sh inside its loopback-only namespace; not meant to be run on its own.
//
// The browser (1001, 1000 Hz fake microphone) calls baresip 1002 (440 Hz) as in `call`; after
// ~3.5 s of media the runner SIGKILLs the gateway (harnessCtl). Then:
//  - the `.wav.part` left behind is playable: RIFF/data sizes consistent and ≤ 1 s behind the
//    bytes written, sox reads and decodes it, ≥ 2 s of audio, 1000 Hz left / 440 Hz right;
//  - the runner restarts the gateway with the same --db and --recordings-dir; the call's record
//    now has outcome `interrupted` and an ended_at;
//  - the event log continues: a new subscriber with since=0 sees seqs strictly increasing across
//    the restart, every event the live subscriber saw before the kill with the same seq and body,
//    and the new gateway's events numbered after them.

import { copyFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  EVENTS_TOKEN, WORK, callRecord, check, demo, figures, harnessCtl, launchBrowser, openAndConnect, rawClient,
  register, require_, runScenario, saveLog, sleep, subscribe, waitEvent, waitFor,
} from './lib/harness.mjs';
import { analyzeRecording, checkRecordingTones, recordingEvents, soxInfo } from './lib/recording.mjs';

const MEDIA_MS = 3500; // media before the kill

const sameBody = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function scenarioCrash() {
  const sub = subscribe(EVENTS_TOKEN);
  require_('subscriber stream opens', await waitFor('subscriber open', () => sub.opened || sub.error, 5000) && sub.opened, sub.error ?? '');
  const { browser, page } = await launchBrowser();
  try {
    const sessionId = await openAndConnect(page);
    await register(page, 'pass1001');
    const reg = await waitEvent(page, (e) => e.event === 'registered' || e.event === 'registration_failed', 'registered', 10000);
    require_('registered', reg?.event === 'registered', reg ? JSON.stringify(reg) : 'no event in 10 s');
    await page.waitForSelector('#call:not([disabled])', { timeout: 5000 });
    await page.click('#call');
    const callResp = await waitFor('call response', async () => (await demo(page, 'responses'))?.find((r) => r.response === 'call'), 10000);
    require_('call request accepted (call_id)', callResp?.ok && typeof callResp.call_id === 'string', JSON.stringify(callResp ?? null));
    const callId = callResp.call_id;
    figures.call_id = callId;
    const acc = await waitEvent(page, (e) => e.event === 'accepted' || e.event === 'hangup', 'accepted', 15000);
    require_('accepted', acc?.event === 'accepted', acc ? `${acc.event} ${acc.code ?? ''}` : 'no event in 15 s');
    const tAccepted = Date.now();

    const recEv = await waitFor('recordingupdated recording', () => recordingEvents(sub, callId).find((e) => e.recording?.state === 'recording'), 5000);
    check('subscriber: recordingupdated state recording for the call', recEv, recEv ? JSON.stringify(recEv.recording) : 'none in 5 s');
    const stats = await waitFor('media flowing', async () => {
      const s = await demo(page, 'stats');
      return s?.packetsReceived > 50 && s?.packetsSent > 50 ? s : null;
    }, 8000, 200);
    require_('media flows both ways before the kill (> 50 packets each way)', stats,
      stats ? `received ${stats.packetsReceived}, sent ${stats.packetsSent}` : 'no media in 8 s');
    await sleep(Math.max(0, MEDIA_MS - (Date.now() - tAccepted)));

    const answered = sub.events.find((e) => e.event === 'answered' && (e.call_details?.call_id ?? e.call_id) === callId);
    const preKill = sub.events.slice();
    const maxSeqBefore = Math.max(...preKill.map((e) => e.seq ?? -1));
    const tKill = Date.now();
    const killed = await harnessCtl('kill-gateway');
    require_('runner: gateway killed with SIGKILL', killed?.startsWith('ok'), killed ?? 'no answer');
    figures.media_ms_before_kill = answered?.timestamp_ms ? tKill - answered.timestamp_ms : tKill - tAccepted;
    figures.max_seq_before_kill = maxSeqBefore;

    // ---- the partial recording, before anything else can touch it
    const recDir = join(WORK, 'recordings');
    let parts = [];
    try { parts = readdirSync(recDir).filter((f) => f.endsWith(`_${callId}_${sessionId}.wav.part`)); } catch { /* none */ }
    figures.recordings_dir = (() => { try { return readdirSync(recDir); } catch { return []; } })();
    require_('the killed call left <YYYYMMDD-HHMMSS>_<call_id>_<session_id>.wav.part', parts.length === 1 && /^\d{8}-\d{6}_/.test(parts[0]),
      `${recDir}: ${figures.recordings_dir.join(' ') || 'empty'}`);
    const part = join(recDir, parts[0]);
    const snapshot = join(WORK, 'crash-partial.wav'); // kept for a human, and in case a restart recovers/renames it
    copyFileSync(part, snapshot);
    const rec = analyzeRecording(snapshot);
    const h = rec.w.header;
    const bytesPerSecond = rec.w.sampleRate * (h.blockAlign ?? 4);
    const declaredSeconds = h.dataSize !== null ? h.dataSize / bytesPerSecond : null;
    const writtenSeconds = (h.fileSize - h.dataOffset) / bytesPerSecond;
    Object.assign(figures, {
      partial_file: part, partial_bytes: statSync(part).size, partial_header: h, partial_rate: rec.w.sampleRate,
      partial_declared_seconds: declaredSeconds && +declaredSeconds.toFixed(3), partial_written_seconds: +writtenSeconds.toFixed(3),
    });
    check('partial WAV: RIFF/WAVE, 2 channels, 16-bit, a declared data size inside the file',
      rec.w.channels === 2 && h.blockAlign === 4 && h.dataSize !== null && h.dataSize % 4 === 0, JSON.stringify(h));
    check('partial WAV: RIFF size = header + declared data size', h.riffSize === h.dataOffset - 8 + h.dataSize, `riff ${h.riffSize}, data at ${h.dataOffset} + ${h.dataSize}`);
    check('partial WAV: the header is at most ~1 s behind the audio written (≤ 1.1 s unaccounted)',
      declaredSeconds !== null && writtenSeconds - declaredSeconds >= 0 && writtenSeconds - declaredSeconds <= 1.1,
      `declared ${declaredSeconds?.toFixed(3)} s, written ${writtenSeconds.toFixed(3)} s`);
    check('partial WAV: ≥ 2 s of audio declared', declaredSeconds >= 2, `${declaredSeconds?.toFixed(3)} s`);
    check('partial WAV: at most ~1.5 s of the call lost (declared ≥ answered → kill − 1.5 s)',
      declaredSeconds * 1000 >= figures.media_ms_before_kill - 1500, `${(declaredSeconds * 1000).toFixed(0)} ms of ${figures.media_ms_before_kill} ms`);
    const sox = soxInfo(part);
    figures.partial_sox = sox;
    check('sox reads and decodes the .wav.part (soxi + full decode), 2 channels', sox.ok && sox.channels === 2 && sox.decoded_seconds >= 2,
      sox.ok ? `${sox.channels} ch, ${sox.rate} Hz, decoded ${sox.decoded_seconds} s` : sox.error);
    checkRecordingTones('partial', rec, { minSeconds: 1.5 });

    // ---- restart on the same files
    const started = await harnessCtl('start-gateway');
    require_('runner: gateway restarted on the same --db and --recordings-dir, /healthz 200', started?.startsWith('ok'), started ?? 'no answer');

    const got = await waitFor('interrupted record', async () => {
      const c = await callRecord(callId, sessionId);
      return c.record?.outcome === 'interrupted' ? c : null;
    }, 5000, 250) ?? await callRecord(callId, sessionId);
    const cdr = got.record;
    figures.cdr_source = `${got.source} (API GET /api/calls/<id>: ${got.api_status})`;
    figures.cdr = cdr;
    require_('call record exists after the restart (the leg of the page\'s session)', cdr,
      `via ${got.source}; legs of the Call-ID: ${got.legs?.map((l) => `session ${l.session_id} ${l.direction}`).join(', ') || 'none'}`);
    // Not asserted (the brief asks for interrupted + ended_at): what the record says about the
    // part of the call before the kill.
    figures.cdr_interrupted_duration_ms = cdr.duration_ms;
    figures.cdr_interrupted_recording_path = cdr.recording_path;
    check('CDR: outcome interrupted', cdr.outcome === 'interrupted', `${cdr.outcome}`);
    check('CDR: ended_at set, answered_at ≤ ended_at ≤ the kill (+1 s)', cdr.ended_at != null && cdr.answered_at <= cdr.ended_at && cdr.ended_at <= tKill + 1000,
      `answered_at ${cdr.answered_at}, ended_at ${cdr.ended_at}, kill at ${tKill}`);
    check('CDR: direction outgoing, caller 1001, callee 1002', cdr.direction === 'outgoing' && cdr.caller === '1001' && cdr.callee === '1002',
      `${cdr.direction} ${cdr.caller} → ${cdr.callee}`);

    // ---- the event log across the restart: a new event, then a full replay
    const raw = await rawClient();
    const hello = raw.opened ? await raw.request('hello', { client_id: 'e2e-crash-after-restart' }) : null;
    check('a client connects to the restarted gateway (hello ok)', hello?.ok === true, JSON.stringify(hello));
    const all = subscribe(EVENTS_TOKEN, { query: 'since=0', file: 'subscriber-since0.jsonl' });
    const after = await waitFor('replay includes the new connected', () => all.events.find((e) => e.event === 'connected' && e.session_id === hello?.session_id), 8000);
    raw.ws.close();
    await sleep(300);
    all.ws.terminate();
    const seqs = all.events.map((e) => e.seq);
    figures.replay_since0 = `${seqs.length} events, seq ${seqs[0]}…${seqs.at(-1)}`;
    check('since=0 after the restart: seqs strictly increasing, no duplicates', seqs.length > 0 && seqs.every((q, i) => Number.isInteger(q) && (i === 0 || q > seqs[i - 1])),
      seqs.join(','));
    const bySeq = new Map(all.events.map((e) => [e.seq, e]));
    const missing = preKill.filter((e) => !bySeq.has(e.seq));
    const differ = preKill.filter((e) => bySeq.has(e.seq) && !sameBody(bySeq.get(e.seq), e));
    check('every event seen live before the kill is in the log with the same seq and body',
      missing.length === 0 && differ.length === 0,
      `${preKill.length} live; missing ${missing.map((e) => `${e.event}#${e.seq}`).join(' ') || 'none'}; differing ${differ.map((e) => `#${e.seq}: live ${e.event} vs log ${bySeq.get(e.seq).event}`).join(' ') || 'none'}`);
    check('the restarted gateway numbers after the killed one (its connected seq > the last seq before the kill)',
      after && after.seq > maxSeqBefore, after ? `connected #${after.seq} > ${maxSeqBefore}` : 'the new connected event is not in the replay');
    const afterRestart = all.events.filter((e) => e.seq > maxSeqBefore);
    figures.events_after_restart = afterRestart.map((e) => `${e.event}#${e.seq}`).join(' ');
  } finally {
    await saveLog(page, 'page-log.txt');
    await browser.close().catch(() => {});
    sub.ws.terminate();
  }
}

await runScenario({ crash: scenarioCrash });
