// Checks of the gateway's call recordings (issue 4), shared by the `call` and `crash` scenarios:
// the `recordingupdated` events of one call on the subscriber stream, the stereo WAV (left = the
// browser, right = the remote party) and its tones, the call record (CDR).

import { execFileSync, spawnSync } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { analyzeTone, readWav } from './audio.mjs';
import { check, figures } from './harness.mjs';

export const BROWSER_HZ = 1000; // the browser's fake microphone (left channel)
export const PHONE_HZ = 440;    // baresip's microphone (right channel)

const callIdOf = (e) => e.call_id ?? e.call_details?.call_id;

/** The `recordingupdated` events of callId seen by a subscriber, in arrival order. */
export const recordingEvents = (sub, callId) =>
  sub.events.filter((e) => e.event === 'recordingupdated' && callIdOf(e) === callId);

/** The recording's path as the gateway wrote it; a relative one is relative to the gateway's
 *  working directory, which node shares (both started by the runner). */
export const recordingPath = (p) => (p && !isAbsolute(p) ? resolve(process.cwd(), p) : p);

/** Checks that sub saw `recordingupdated` for callId: first state `recording`, then (if
 *  `completed`) a last one `completed`, all with one recording_id. Returns the events. */
export function checkRecordingEvents(label, sub, callId, { completed = true } = {}) {
  const evs = recordingEvents(sub, callId);
  const states = evs.map((e) => e.recording?.state);
  figures[`${label}_recordingupdated_states`] = states.join(',');
  check(`${label}: subscriber got recordingupdated state recording first`, states[0] === 'recording', states.join(',') || 'none');
  if (completed) {
    check(`${label}: … and state completed last`, states.at(-1) === 'completed', states.join(','));
  }
  const ids = [...new Set(evs.map((e) => e.recording?.recording_id))];
  check(`${label}: every recordingupdated of the call has the same recording_id`, evs.length > 0 && ids.length === 1 && ids[0] != null,
    JSON.stringify(ids));
  check(`${label}: recordingupdated bodies carry seq and timestamp_ms`, evs.length > 0 && evs.every((e) => Number.isInteger(e.seq) && Number.isInteger(e.timestamp_ms)));
  return evs;
}

/** Per-channel tone analysis of a WAV: { w, left: {1000, 440}, right: {1000, 440} }. */
export function analyzeRecording(path) {
  const w = readWav(path);
  const an = (ch) => ch && ({
    [BROWSER_HZ]: analyzeTone(ch, w.sampleRate, BROWSER_HZ),
    [PHONE_HZ]: analyzeTone(ch, w.sampleRate, PHONE_HZ),
  });
  return { w, left: an(w.channelData[0]), right: an(w.channelData[1]) };
}

const fmt = (a, f) => `${a[f].tonal}/${a[f].voiced} voiced 50 ms blocks at ${f} Hz`;

/** The tone checks: ≥ minSeconds of voiced audio per channel, ≥ 80 % of it at the right
 *  frequency, and the other party's tone in ≤ 10 % of it (the channels are not swapped or mixed). */
export function checkRecordingTones(label, rec, { minSeconds = 2 } = {}) {
  const minBlocks = Math.round(minSeconds * 20);
  const { left, right } = rec;
  figures[`${label}_left`] = left && { voiced_blocks: left[BROWSER_HZ].voiced, tonal_1000: left[BROWSER_HZ].tonal, tonal_440: left[PHONE_HZ].tonal, rms: +left[BROWSER_HZ].rms.toFixed(3) };
  figures[`${label}_right`] = right && { voiced_blocks: right[PHONE_HZ].voiced, tonal_440: right[PHONE_HZ].tonal, tonal_1000: right[BROWSER_HZ].tonal, rms: +right[PHONE_HZ].rms.toFixed(3) };
  check(`${label}: left channel = the browser: ${BROWSER_HZ} Hz in ≥ 80 % of ≥ ${minSeconds} s voiced`,
    left && left[BROWSER_HZ].voiced >= minBlocks && left[BROWSER_HZ].tonal >= 0.8 * left[BROWSER_HZ].voiced,
    left ? fmt(left, BROWSER_HZ) : 'no left channel');
  check(`${label}: right channel = the phone: ${PHONE_HZ} Hz in ≥ 80 % of ≥ ${minSeconds} s voiced`,
    right && right[PHONE_HZ].voiced >= minBlocks && right[PHONE_HZ].tonal >= 0.8 * right[PHONE_HZ].voiced,
    right ? fmt(right, PHONE_HZ) : 'no right channel');
  check(`${label}: channels not swapped or mixed (${PHONE_HZ} Hz in ≤ 10 % of left, ${BROWSER_HZ} Hz in ≤ 10 % of right)`,
    left && right && left[PHONE_HZ].tonal <= 0.1 * Math.max(1, left[PHONE_HZ].voiced) && right[BROWSER_HZ].tonal <= 0.1 * Math.max(1, right[BROWSER_HZ].voiced),
    left && right ? `left ${fmt(left, PHONE_HZ)}; right ${fmt(right, BROWSER_HZ)}` : '');
}

/** sox's view of a WAV: `sox --i` (soxi; it detects WAV from the content, so a `.wav.part` is
 *  read too) and a full decode (`sox -t wav FILE -n stat`: every sample is readable). */
export function soxInfo(path) {
  try {
    const out = execFileSync('sox', ['--i', path], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
    const get = (k) => out.match(new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim();
    const st = spawnSync('sox', ['-t', 'wav', path, '-n', 'stat'], { encoding: 'utf8', timeout: 10000 });
    const stat = `${st.stdout}${st.stderr}`; // sox prints stat on stderr
    if (st.status !== 0) return { ok: false, error: `sox -n stat exit ${st.status}: ${stat.trim()}` };
    return {
      ok: true, channels: Number(get('Channels')), rate: Number(get('Sample Rate')), duration: get('Duration'),
      encoding: get('Sample Encoding'), decoded_seconds: Number(stat.match(/Length \(seconds\):\s*([\d.]+)/)?.[1]),
    };
  } catch (err) {
    return { ok: false, error: (err.stderr?.toString() || err.message).trim() };
  }
}

/** Seconds of a soxi duration "hh:mm:ss.ss = N samples ~ …". */
export const soxSeconds = (d) => {
  const m = d?.match(/^(\d+):(\d+):([\d.]+)/);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : NaN;
};
