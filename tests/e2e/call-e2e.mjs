// The browser side of the e2e harness (run by run-call-e2e.sh inside its loopback-only
// namespace; not meant to be run on its own). Drives headless Chromium through the demo page as
// a person would (clicks and form fields), records the subscriber event stream with a `ws`
// client, and checks what reached each end. Prints one line per check and a figures summary;
// exits 0 only if every check passed. Scenarios: call | errors | browser-env (the lifecycle
// scenario is in lifecycle-e2e.mjs); environment and shared helpers: lib/harness.mjs.

import { statSync } from 'node:fs';
import { analyzeTone, readWav, toneProbeSource } from './lib/audio.mjs';
import { finishedRecording } from './lib/baresip.mjs';
import {
  BASE_URL, EVENTS_TOKEN, PHONE_REC, apiGet, callRecord, check, demo, figures, launchBrowser, openAndConnect, rawClient,
  register, require_, runScenario, saveLog, sleep, subscribe, waitEvent, waitFor,
} from './lib/harness.mjs';
import {
  analyzeRecording, checkRecordingEvents, checkRecordingTones, recordingEvents, recordingPath, soxInfo, soxSeconds,
} from './lib/recording.mjs';

const CALL_SECONDS = 5;

// ---- scenario: call ---------------------------------------------------------------------------
async function scenarioCall() {
  const sub = subscribe(EVENTS_TOKEN);
  require_('subscriber stream opens with the token', await waitFor('subscriber open', () => sub.opened || sub.error, 5000) && sub.opened,
    sub.error ?? '');
  const { browser, page } = await launchBrowser();
  try {
    const sessionId = await openAndConnect(page);
    const clientId = await page.inputValue('#client-id');

    await register(page, 'pass1001');
    const reg = await waitEvent(page, (e) => e.event === 'registered' || e.event === 'registration_failed', 'registered', 10000);
    require_('registered', reg?.event === 'registered', reg ? JSON.stringify(reg) : 'no event in 10 s');
    await page.waitForSelector('#call:not([disabled])', { timeout: 5000 });

    await page.click('#call');
    const callResp = await waitFor('call response', async () => (await demo(page, 'responses'))?.find((r) => r.response === 'call'), 10000);
    require_('call request accepted (call_id)', callResp?.ok && typeof callResp.call_id === 'string',
      callResp ? JSON.stringify(callResp) : 'no response in 10 s');
    const callId = callResp.call_id;
    figures.call_id = callId;

    const acc = await waitEvent(page, (e) => e.event === 'accepted' || e.event === 'hangup', 'accepted', 15000);
    require_('accepted (the phone answered, with a JSEP answer)', acc?.event === 'accepted' && acc.jsep?.type === 'answer' && acc.call_id === callId,
      acc ? `${acc.event} ${acc.code ?? ''} ${acc.reason ?? ''}`.trim() : 'no event in 15 s');
    const tAccepted = Date.now();

    // Media: wait for the remote track, then listen to it for the rest of the call.
    const haveStream = await page.waitForFunction(() => document.querySelector('#remote-audio').srcObject !== null, null, { timeout: 5000 })
      .then(() => true, () => false);
    check('remote audio stream attached to <audio>', haveStream);
    if (haveStream) await page.evaluate(`(${toneProbeSource})(${JSON.stringify({ selector: '#remote-audio', freqs: [440, 1000], minRms: 0.01, minRatio: 0.5 })})`);
    const ice = await waitFor('ICE connected', async () => {
      const s = await demo(page, 'stats');
      return s && ['connected', 'completed'].includes(s.iceConnectionState) ? s : null;
    }, 10000, 200);
    check('ICE connected over loopback', ice && /^127\.0\.0\.1:/.test(ice.selectedPair ?? ''), ice ? ice.selectedPair : 'no connected ICE in 10 s');
    figures.ice_connected_after_answer_ms = ice ? Date.now() - tAccepted : null;

    await sleep(Math.max(0, CALL_SECONDS * 1000 - (Date.now() - tAccepted)));
    await sleep(1100); // one more stats tick
    const stats = await demo(page, 'stats');
    const shownReceived = Number(await page.textContent('#stat-packets-received'));
    const probe = haveStream ? await page.evaluate(() => window.__toneProbe.result()) : null;
    Object.assign(figures, {
      packets_received: stats?.packetsReceived, packets_sent: stats?.packetsSent, packets_lost: stats?.packetsLost,
      jitter_ms: stats ? +(stats.jitter * 1000).toFixed(1) : null, audio_level: stats?.audioLevel, dtls: stats?.dtlsState,
      browser_probe: probe && { blocks: probe.blocks, voiced: probe.voiced, tonal_440: probe.tonal[440], tonal_1000: probe.tonal[1000], mean_rms: +probe.meanRms.toFixed(3) },
    });
    check('inbound-rtp packetsReceived > 100', stats?.packetsReceived > 100, `${stats?.packetsReceived}`);
    check('outbound-rtp packetsSent > 100', stats?.packetsSent > 100, `${stats?.packetsSent}`);
    check('the page shows the received packet count', shownReceived > 100, `#stat-packets-received = ${shownReceived}`);
    check('browser hears the phone: 440 Hz in most voiced blocks of the remote stream',
      probe && probe.voiced >= 10 && probe.tonal[440] >= 0.6 * probe.voiced,
      probe ? `${probe.tonal[440]}/${probe.voiced} voiced blocks tonal at 440 Hz (of ${probe.blocks}; mean RMS ${probe.meanRms.toFixed(3)})` : 'no probe');

    await page.click('#hangup');
    const hup = await waitEvent(page, (e) => e.event === 'hangup', 'hangup', 8000);
    check('hangup event after clicking Hang up', hup && hup.call_id === callId, hup ? `${hup.code} ${hup.reason}` : 'no hangup event in 8 s');
    check('Call button enabled again', await page.isEnabled('#call'));

    // The far phone: what baresip decoded from the gateway's RTP must be the browser's 1000 Hz.
    const rec = await waitFor('phone recording', () => finishedRecording(PHONE_REC, '-dec.wav'), 6000, 200);
    if (check('phone recorded the call (baresip sndfile)', rec, rec ?? `no finished *-dec.wav in ${PHONE_REC}`)) {
      const w = readWav(rec);
      const a = analyzeTone(w.samples, w.sampleRate, 1000);
      figures.phone_received = { seconds: +a.seconds.toFixed(2), voiced_blocks: a.voiced, tonal_1000: a.tonal, rms: +a.rms.toFixed(3) };
      check('phone hears the browser: 1000 Hz in ≥ 2 s of what baresip received',
        a.voiced >= 40 && a.tonal >= 0.8 * a.voiced, `${a.tonal}/${a.voiced} voiced 50 ms blocks at 1000 Hz, ${a.seconds.toFixed(1)} s, RMS ${a.rms.toFixed(3)}`);
    }

    // Subscriber stream: connected, registered, calling, answered, hangup for this session.
    const wanted = ['connected', 'registered', 'calling', 'answered', 'hangup'];
    await waitFor('subscriber hangup', () => sub.events.some((e) => e.session_id === sessionId && e.event === 'hangup'), 5000);
    const mine = sub.events.filter((e) => e.session_id === sessionId);
    figures.subscriber_events = mine.map((e) => e.event).join(',');
    for (const name of wanted) {
      const e = mine.find((x) => x.event === name);
      check(`subscriber: ${name}`, e && e.client_id === clientId, e ? `client_id ${e.client_id}` : `not seen (got ${figures.subscriber_events || 'nothing'})`);
    }
    const order = wanted.map((n) => mine.findIndex((e) => e.event === n));
    check('subscriber: events in order connected < registered < calling < answered < hangup',
      order.every((i) => i >= 0) && order.every((i, k) => k === 0 || i > order[k - 1]), order.join(' < '));
    for (const name of ['calling', 'answered', 'hangup']) {
      const d = mine.find((x) => x.event === name)?.call_details;
      check(`subscriber: ${name} call_details (callee 1002, caller 1001, call_id of the call response)`,
        d && d.callee === '1002' && d.caller === '1001' && d.call_id === callId, JSON.stringify(d ?? null));
    }
    const subHangup = mine.find((x) => x.event === 'hangup');
    check('subscriber: hangup carries code and reason', subHangup && Number.isInteger(subHangup.code) && typeof subHangup.reason === 'string',
      subHangup ? `${subHangup.code} ${subHangup.reason}` : '');

    // ---- issue 4: the recording and the call record of this call
    const subAnswered = mine.find((x) => x.event === 'answered');
    check('subscriber events carry seq and timestamp_ms (strictly increasing seq)',
      mine.length > 0 && mine.every((e) => Number.isInteger(e.seq) && Number.isInteger(e.timestamp_ms)) &&
      sub.events.every((e, i) => i === 0 || e.seq > sub.events[i - 1].seq), mine.map((e) => `${e.event}#${e.seq}`).join(' '));
    // The call's answer → hangup time by the gateway's own clock (the events' timestamp_ms).
    const callMs = subAnswered?.timestamp_ms && subHangup?.timestamp_ms ? subHangup.timestamp_ms - subAnswered.timestamp_ms : null;
    figures.call_answer_to_hangup_ms = callMs;
    await checkCallRecording(sub, callId, callMs, sessionId);
  } finally {
    await saveLog(page, 'page-log.txt');
    await browser.close().catch(() => {});
    sub.ws.terminate();
  }
}

// After the call of scenarioCall: `recordingupdated` recording → completed on the subscriber
// stream, the WAV it names (stereo, playable, the call's length, 1000 Hz left / 440 Hz right), and
// the call record (API, else the SQLite file).
async function checkCallRecording(sub, callId, callMs, sessionId) {
  const done = await waitFor('recordingupdated completed', () => recordingEvents(sub, callId).find((e) => e.recording?.state === 'completed'), 10000);
  checkRecordingEvents('call', sub, callId);
  require_('recordingupdated state completed after hangup (within 10 s)', done,
    `got ${recordingEvents(sub, callId).map((e) => e.recording?.state).join(',') || 'no recordingupdated'}`);
  const r = done.recording;
  figures.recording_event = r;
  const path = recordingPath(r.path);
  let size = null;
  try { size = statSync(path).size; } catch { /* checked below */ }
  require_('the completed recording exists at its path, named <YYYYMMDD-HHMMSS>_<call_id>_<session_id>.wav',
    size !== null && path.endsWith(`_${callId}_${sessionId}.wav`) && /\/\d{8}-\d{6}_[^/]+\.wav$/.test(path), `${path} (${size ?? 'missing'} bytes)`);
  check('no .wav.part left behind for the call', (() => { try { statSync(`${path}.part`); return false; } catch { return true; } })());
  check('recordingupdated completed: bytes = the file size', r.bytes === size, `event ${r.bytes}, file ${size}`);

  const sox = soxInfo(path);
  figures.recording_sox = sox;
  check('sox reads the WAV (soxi + a full decode): 2 channels, 16-bit PCM', sox.ok && sox.channels === 2 && /16-bit Signed Integer PCM/.test(sox.encoding ?? ''),
    sox.ok ? `${sox.channels} ch, ${sox.rate} Hz, ${sox.encoding}, ${sox.duration}` : sox.error);
  const rec = analyzeRecording(path);
  const seconds = rec.w.channelData[0].length / rec.w.sampleRate;
  figures.recording_seconds = +seconds.toFixed(3);
  figures.recording_header = rec.w.header;
  check('WAV header: data size as declared = the samples in the file (finalised)',
    rec.w.header.dataSize !== null && rec.w.header.dataOffset + rec.w.header.dataSize === rec.w.header.fileSize &&
    rec.w.header.riffSize === rec.w.header.fileSize - 8, JSON.stringify(rec.w.header));
  check('lib/audio.mjs reads 2 channels', rec.w.channels === 2, `${rec.w.channels} channels at ${rec.w.sampleRate} Hz`);
  check('WAV duration = the call\'s answer → hangup time ± 0.5 s', callMs !== null && Math.abs(seconds * 1000 - callMs) <= 500,
    `${seconds.toFixed(3)} s vs ${callMs} ms (answered → hangup timestamp_ms)`);
  check('sox decodes the same duration', sox.ok && Math.abs(sox.decoded_seconds - seconds) < 0.01 && Math.abs(soxSeconds(sox.duration) - seconds) < 0.02,
    sox.ok ? `${sox.decoded_seconds} s` : '');
  check('recordingupdated completed: duration_ms = the WAV\'s duration ± 50 ms', Math.abs(r.duration_ms - seconds * 1000) <= 50,
    `event ${r.duration_ms} ms, WAV ${(seconds * 1000).toFixed(0)} ms`);
  checkRecordingTones('recording', rec, { minSeconds: 3 });

  // The call record.
  const got = await waitFor('call record ended', async () => {
    const c = await callRecord(callId, sessionId);
    return c.record?.ended_at != null && c.record?.recording_path ? c : null;
  }, 5000, 250) ?? await callRecord(callId, sessionId);
  const cdr = got.record;
  figures.cdr_source = `${got.source} (API GET /api/calls/<id>: ${got.api_status})`;
  figures.cdr = cdr;
  require_('call record (CDR) exists for the call (the leg of the page\'s session)', cdr,
    `via ${got.source}; legs of the Call-ID: ${got.legs?.map((l) => `session ${l.session_id} ${l.direction}`).join(', ') || 'none'}`);
  check('CDR: direction outgoing, caller 1001, callee 1002', cdr.direction === 'outgoing' && cdr.caller === '1001' && cdr.callee === '1002',
    `${cdr.direction} ${cdr.caller} → ${cdr.callee}`);
  check('CDR: outcome answered with a SIP code', cdr.outcome === 'answered' && Number.isInteger(cdr.sip_code), `${cdr.outcome} ${cdr.sip_code} ${cdr.reason}`);
  check('CDR: started_at ≤ answered_at ≤ ended_at', cdr.started_at <= cdr.answered_at && cdr.answered_at <= cdr.ended_at,
    `${cdr.started_at} ${cdr.answered_at} ${cdr.ended_at}`);
  check('CDR: duration_ms ≈ the WAV\'s duration (± 500 ms)', Math.abs(cdr.duration_ms - seconds * 1000) <= 500,
    `CDR ${cdr.duration_ms} ms, WAV ${(seconds * 1000).toFixed(0)} ms`);
  check('CDR: recording_path = the file, recording_bytes = its size', recordingPath(cdr.recording_path) === path && cdr.recording_bytes === size,
    `${cdr.recording_path}, ${cdr.recording_bytes} bytes`);
  check('CDR: recording_duration_ms = the WAV\'s duration ± 50 ms', Math.abs(cdr.recording_duration_ms - seconds * 1000) <= 50, `${cdr.recording_duration_ms}`);
  check('CDR: packets_sent and packets_received > 100', cdr.packets_sent > 100 && cdr.packets_received > 100,
    `sent ${cdr.packets_sent}, received ${cdr.packets_received}, lost ${cdr.packets_lost}, jitter ${cdr.jitter_ms} ms`);
  // Media quality (RFC 3550): on loopback nothing is lost; jitter is measured on both streams the
  // gateway receives (browser, baresip) and reported by the browser's RTCP (every ~5 s, first
  // after ~2.5 s: a 6 s call has at least one report).
  const small = (ms) => typeof ms === 'number' && ms >= 0 && ms < 30;
  check('CDR: packets_lost 0, measured on both received streams (browser_ / remote_packets_lost 0)',
    cdr.packets_lost === 0 && cdr.browser_packets_lost === 0 && cdr.remote_packets_lost === 0,
    `lost ${cdr.packets_lost} (browser ${cdr.browser_packets_lost}, remote ${cdr.remote_packets_lost})`);
  check('CDR: jitter_ms, browser_jitter_ms, remote_jitter_ms measured and < 30 ms',
    small(cdr.jitter_ms) && small(cdr.browser_jitter_ms) && small(cdr.remote_jitter_ms)
      && cdr.jitter_ms === Math.max(cdr.browser_jitter_ms, cdr.remote_jitter_ms),
    `jitter ${cdr.jitter_ms} ms (browser ${cdr.browser_jitter_ms}, remote ${cdr.remote_jitter_ms})`);
  check('CDR: the browser\'s RTCP reports read: browser_rtcp_lost 0, browser_rtcp_jitter_ms < 30 ms',
    cdr.browser_rtcp_lost === 0 && small(cdr.browser_rtcp_jitter_ms),
    `browser RTCP: lost ${cdr.browser_rtcp_lost}, jitter ${cdr.browser_rtcp_jitter_ms} ms; `
      + `remote RTCP: lost ${cdr.remote_rtcp_lost}, jitter ${cdr.remote_rtcp_jitter_ms} ms`);
  if (got.source === 'api') {
    const dl = await apiGet(`/api/calls/${encodeURIComponent(callId)}/recording?session_id=${sessionId}`);
    check('API: GET /api/calls/<id>/recording?session_id=<the page\'s session> returns the file', dl.status === 200 && dl.body.length === size,
      `HTTP ${dl.status}, ${dl.body?.length} bytes`);
    const anon = await apiGet(`/api/calls/${encodeURIComponent(callId)}`, { token: 'wrong' });
    check('API: a wrong bearer token → 401', anon.status === 401, `HTTP ${anon.status}`);
  }
}

// ---- scenario: errors -------------------------------------------------------------------------
async function scenarioErrors() {
  // Wrong subscriber token → 401 before the upgrade.
  const bad = subscribe('wrong-token');
  await waitFor('bad subscriber refused', () => bad.error || bad.opened, 5000);
  check('subscriber with a wrong token is refused with HTTP 401', bad.error === 'HTTP 401', bad.opened ? 'it was accepted' : bad.error ?? 'no answer');
  bad.ws.terminate();

  const sub = subscribe(EVENTS_TOKEN);
  await waitFor('subscriber open', () => sub.opened || sub.error, 5000);
  const { browser, page } = await launchBrowser();
  try {
    const sessionId = await openAndConnect(page);

    await register(page, 'not-the-password');
    const failed = await waitEvent(page, (e) => e.event === 'registered' || e.event === 'registration_failed', 'registration_failed', 10000);
    check('wrong password → registration_failed with the PBX code (401 or 403)',
      failed?.event === 'registration_failed' && [401, 403].includes(failed.code), failed ? JSON.stringify(failed) : 'no event in 10 s');
    figures.wrong_password = failed && `${failed.code} ${failed.reason}`;
    check('status line shows the failure', /fail/i.test(await page.textContent('#status')), await page.textContent('#status'));

    await register(page, 'pass1001');
    const reg = await waitEvent(page, (e) => e.event === 'registered', 'registered', 10000);
    require_('correct password afterwards → registered', reg, reg ? '' : 'no registered event in 10 s');
    await page.waitForSelector('#call:not([disabled])', { timeout: 5000 });

    await page.fill('#number', '1005');
    await page.click('#call');
    const hup = await waitEvent(page, (e) => e.event === 'hangup' || e.event === 'accepted', 'hangup 404', 15000);
    check('call to unregistered 1005 → hangup with 404', hup?.event === 'hangup' && hup.code === 404, hup ? JSON.stringify(hup) : 'no event in 15 s');
    figures.call_unregistered = hup && `${hup.code} ${hup.reason}`;
    check('Call button enabled again after the failed call', await page.waitForSelector('#call:not([disabled])', { timeout: 3000 }).then(() => true, () => false));
    const subHup = await waitFor('subscriber hangup', () => sub.events.find((e) => e.session_id === sessionId && e.event === 'hangup'), 5000);
    check('subscriber: hangup 404 for the failed call', subHup && subHup.code === 404 && subHup.call_details?.callee === '1005',
      subHup ? JSON.stringify(subHup) : 'not seen');
  } finally {
    await saveLog(page, 'page-log.txt');
    await browser.close().catch(() => {});
    sub.ws.terminate();
  }

  // Malformed frames on a raw connection: error 400, transaction null, connection still usable.
  const c = await rawClient();
  require_('raw WebSocket client connects to /ws', c.opened);
  c.ws.send(JSON.stringify({ request: 'hello', transaction: 'h1', client_id: 'e2e-raw' }));
  const hello = await c.next((f) => f.transaction === 'h1');
  check('raw client: hello ok', hello?.ok === true, JSON.stringify(hello));
  c.ws.send('{"request": "keepalive", "transaction": ');
  const err = await c.next((f) => f.response === 'error');
  check('malformed JSON → response "error", transaction null, ok false, code 400',
    err && err.transaction === null && err.ok === false && err.error?.code === 400, JSON.stringify(err));
  figures.malformed = err && `${err.error?.code} ${err.error?.reason}`;
  c.ws.send('[1, 2, 3]');
  const err2 = await c.next((f) => f.response === 'error' && f !== err);
  check('JSON that is not an object → error 400', err2?.error?.code === 400, JSON.stringify(err2));
  c.ws.send(JSON.stringify({ request: 'keepalive', transaction: 'k1' }));
  const ka = await c.next((f) => f.transaction === 'k1');
  check('connection still answers a keepalive afterwards', ka?.response === 'keepalive' && ka.ok === true, JSON.stringify(ka));
  c.ws.close();
}

// ---- scenario: browser-env (no gateway) -------------------------------------------------------
async function scenarioBrowserEnv() {
  const { browser, page } = await launchBrowser();
  try {
    const resp = await page.goto(`${BASE_URL}/`, { waitUntil: 'load' });
    check('demo page loads over HTTPS (self-signed, ignoreHTTPSErrors)', resp?.ok(), `HTTP ${resp?.status()}`);
    const ready = await page.waitForFunction(() => window.sipgwDemo !== undefined, null, { timeout: 5000 }).then(() => true, () => false);
    check('demo app.js runs (window.sipgwDemo present)', ready);
    const ids = ['connect', 'user', 'password', 'domain', 'port', 'register', 'number', 'call', 'hangup', 'log', 'status', 'remote-audio',
      'incoming', 'answer', 'decline', 'hold', 'mute', 'call-info', 'missed-calls', 'dtmf-sent', 'dtmf-received',
      ...[...'0123456789'].map((d) => `dtmf-${d}`), 'dtmf-star', 'dtmf-hash'];
    const missing = await page.evaluate((list) => list.filter((id) => !document.getElementById(id)), ids);
    check('demo page has the stable element ids', missing.length === 0, missing.length ? `missing ${missing.join(', ')}` : ids.join(' '));
    check('Connect enabled, Call disabled before connecting', await page.isEnabled('#connect') && await page.isDisabled('#call'));

    // Two PeerConnections in the page: the fake microphone (1000 Hz file) → loopback ICE → <audio>.
    const r = await page.evaluate(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const a = new RTCPeerConnection({ iceServers: [] });
      const b = new RTCPeerConnection({ iceServers: [] });
      const cands = [];
      a.onicecandidate = (e) => { if (e.candidate) { cands.push(e.candidate.candidate); b.addIceCandidate(e.candidate); } };
      b.onicecandidate = (e) => { if (e.candidate) a.addIceCandidate(e.candidate); };
      const el = document.createElement('audio');
      el.id = 'env-audio'; el.autoplay = true; document.body.append(el);
      b.ontrack = (e) => { el.srcObject = e.streams[0]; };
      stream.getTracks().forEach((t) => a.addTrack(t, stream));
      await a.setLocalDescription(await a.createOffer());
      await b.setRemoteDescription(a.localDescription);
      await b.setLocalDescription(await b.createAnswer());
      await a.setRemoteDescription(b.localDescription);
      const t = Date.now();
      while (b.iceConnectionState !== 'connected' && b.iceConnectionState !== 'completed' && Date.now() - t < 10000) {
        await new Promise((res) => setTimeout(res, 100));
      }
      window.__env = { a, b };
      return { cands, state: b.iceConnectionState, ms: Date.now() - t };
    });
    figures.candidates = r.cands;
    check('Chromium gathers loopback host candidates only', r.cands.length > 0 && r.cands.every((c) => / 127\.0\.0\.1 | ::1 /.test(c)), r.cands.join(' | '));
    check('loopback ICE connects', ['connected', 'completed'].includes(r.state), `${r.state} after ${r.ms} ms`);
    await page.waitForFunction(() => document.querySelector('#env-audio').srcObject !== null, null, { timeout: 5000 });
    await page.evaluate(`(${toneProbeSource})(${JSON.stringify({ selector: '#env-audio', freqs: [440, 1000], minRms: 0.01, minRatio: 0.5 })})`);
    await sleep(3000);
    const probe = await page.evaluate(() => window.__toneProbe.result());
    const rtp = await page.evaluate(async () => {
      let rx = 0;
      (await window.__env.b.getStats()).forEach((s) => { if (s.type === 'inbound-rtp') rx = s.packetsReceived; });
      return rx;
    });
    figures.loopback = { packets_received: rtp, probe };
    check('packets flow over the loopback PeerConnection', rtp > 50, `${rtp} packets`);
    check('the fake microphone file (1000 Hz) is heard through WebAudio',
      probe.voiced >= 10 && probe.tonal[1000] >= 0.6 * probe.voiced && probe.tonal[440] === 0,
      `${probe.tonal[1000]}/${probe.voiced} voiced blocks at 1000 Hz (440 Hz: ${probe.tonal[440]}), mean RMS ${probe.meanRms.toFixed(3)}`);
  } finally {
    await browser.close().catch(() => {});
  }
}

// ---- main -------------------------------------------------------------------------------------
await runScenario({ call: scenarioCall, errors: scenarioErrors, 'browser-env': scenarioBrowserEnv });
