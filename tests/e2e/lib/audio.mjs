// Audio helpers for the e2e tests: read a PCM WAV file and measure how much of its energy sits
// at one frequency (Goertzel). The same Goertzel code runs in the browser page (see
// `toneProbeSource`), so both directions of a call are judged the same way.

import { readFileSync } from 'node:fs';

/** Reads a RIFF/WAVE file with 16-bit PCM samples; returns { sampleRate, channels, samples,
 *  channelData, header } with samples as a Float32Array of the first channel in [-1, 1],
 *  channelData one Float32Array per channel, and header what the file declares: { riffSize,
 *  dataOffset, dataSize (as declared; null if 0/unset/past the end), fileSize, blockAlign }. A
 *  declared data size that fits the file is honoured (bytes after it are not read). */
export function readWav(path) {
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${path}: not a RIFF/WAVE file`);
  }
  let off = 12;
  let fmt = null;
  let data = null;
  const header = { riffSize: buf.readUInt32LE(4), dataOffset: null, dataSize: null, fileSize: buf.length, blockAlign: null };
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    let size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'data') {
      header.dataOffset = body;
      header.dataSize = size === 0 || size === 0xffffffff || body + size > buf.length ? null : size;
    }
    if (id === 'data' && (size === 0 || size === 0xffffffff || body + size > buf.length)) {
      size = buf.length - body; // header not finalised (recorder still writing or killed)
    }
    if (id === 'fmt ') {
      fmt = {
        format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14),
      };
      header.blockAlign = buf.readUInt16LE(body + 12);
    } else if (id === 'data') {
      data = buf.subarray(body, body + size);
      break;
    }
    off = body + size + (size & 1);
  }
  if (!fmt || !data) throw new Error(`${path}: no fmt or data chunk`);
  if ((fmt.format !== 1 && fmt.format !== 0xfffe) || fmt.bits !== 16) {
    throw new Error(`${path}: only 16-bit PCM is supported (format ${fmt.format}, ${fmt.bits} bits)`);
  }
  const frame = 2 * fmt.channels;
  const n = Math.floor(data.length / frame);
  const channelData = Array.from({ length: fmt.channels }, () => new Float32Array(n));
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < fmt.channels; c++) channelData[c][i] = data.readInt16LE(i * frame + 2 * c) / 32768;
  }
  return { sampleRate: fmt.sampleRate, channels: fmt.channels, samples: channelData[0], channelData, header };
}

/** Fraction (0..1) of a block's energy at `freq` (Goertzel, Hann window). A clean sine at
 *  `freq` gives ≈ 1, silence or other content ≈ 0. */
export function toneRatio(block, sampleRate, freq) {
  const n = block.length;
  const w = 2 * Math.PI * freq / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0; let s2 = 0; let energy = 0;
  for (let i = 0; i < n; i++) {
    const x = block[i] * (0.5 - 0.5 * Math.cos(2 * Math.PI * i / (n - 1)));
    energy += x * x;
    const s0 = x + coeff * s1 - s2;
    s2 = s1; s1 = s0;
  }
  if (energy <= 0) return 0;
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2; // |X(f)|^2
  // For a Hann-windowed sine of amplitude A: |X(f)|^2 ≈ A²n²/16 and the windowed energy
  // ≈ 3A²n/16, so 3|X(f)|^2 / (n · energy) ≈ 1 (and ≈ 0 when the energy is elsewhere).
  return Math.min(1, (3 * power) / (n * energy));
}

/** Splits samples into 50 ms blocks and reports, for `freq`: how many blocks are "voiced" (RMS
 *  above `minRms`), how many of those carry the tone (ratio ≥ `minRatio`), and the RMS. */
export function analyzeTone(samples, sampleRate, freq, { minRms = 0.01, minRatio = 0.5 } = {}) {
  const blockLen = Math.round(sampleRate * 0.05);
  let blocks = 0; let voiced = 0; let tonal = 0; let sumSq = 0;
  for (let off = 0; off + blockLen <= samples.length; off += blockLen) {
    const block = samples.subarray(off, off + blockLen);
    let e = 0;
    for (const x of block) e += x * x;
    sumSq += e;
    blocks++;
    if (Math.sqrt(e / blockLen) < minRms) continue;
    voiced++;
    if (toneRatio(block, sampleRate, freq) >= minRatio) tonal++;
  }
  return {
    seconds: samples.length / sampleRate, blocks, voiced, tonal,
    rms: samples.length ? Math.sqrt(sumSq / samples.length) : 0,
  };
}

/** Source of a function to inject into the page: starts sampling the remote <audio> element's
 *  stream with WebAudio and returns a handle; `window.__toneProbe.result()` gives the analysis.
 *  Kept as a string so it has no dependency on this module inside the page. */
export const toneProbeSource = String.raw`
(({ selector, freqs, minRms, minRatio }) => {
  const el = document.querySelector(selector);
  if (!el || !el.srcObject) throw new Error('no remote stream on ' + selector);
  const ctx = new AudioContext();
  const src = ctx.createMediaStreamSource(el.srcObject);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 2048;
  src.connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  const stats = { blocks: 0, voiced: 0, tonal: Object.fromEntries(freqs.map((f) => [f, 0])), sumRms: 0, maxRms: 0 };
  const ratio = (block, sr, freq) => {
    const n = block.length, w = 2 * Math.PI * freq / sr, c = 2 * Math.cos(w);
    let s1 = 0, s2 = 0, e = 0;
    for (let i = 0; i < n; i++) {
      const x = block[i] * (0.5 - 0.5 * Math.cos(2 * Math.PI * i / (n - 1)));
      e += x * x; const s0 = x + c * s1 - s2; s2 = s1; s1 = s0;
    }
    if (e <= 0) return 0;
    return Math.min(1, (3 * (s1 * s1 + s2 * s2 - c * s1 * s2)) / (n * e));
  };
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(buf);
    let e = 0; for (const x of buf) e += x * x;
    const rms = Math.sqrt(e / buf.length);
    stats.blocks++; stats.sumRms += rms; stats.maxRms = Math.max(stats.maxRms, rms);
    if (rms < minRms) return;
    stats.voiced++;
    for (const f of freqs) if (ratio(buf, ctx.sampleRate, f) >= minRatio) stats.tonal[f]++;
  }, 100);
  ctx.resume();
  window.__toneProbe = {
    result: () => ({ ...stats, tonal: { ...stats.tonal }, meanRms: stats.blocks ? stats.sumRms / stats.blocks : 0,
                     sampleRate: ctx.sampleRate, contextState: ctx.state }),
    stop: () => { clearInterval(timer); ctx.close(); },
  };
  return true;
})`;
