// Call actions behind the buttons: place a call, answer or decline a ringing one, hang up, hold,
// mute, DTMF; and the per-call stats timer. Each call's media is a Call (call.js).

import { Call } from './call.js';
import {
  errText, redraw, request, seen, state, who,
} from './state.js';
import { log, renderStats, setStatus, showDigits, sinceLoadMs, ui } from './ui.js';

const STATS_MS = 1000;
const DECLINE_CODE = 603; // Decline: the person said no (486 Busy Here is the gateway's default)

function newCall(direction, peer, extra = {}) {
  const call = new Call(direction, {
    peer,
    callId: extra.callId,
    trickle: (callId, item) => {
      if (item === null) request('trickle', { call_id: callId, completed: true });
      else request('trickle', { call_id: callId, candidate: item });
    },
    onTrack: (stream) => {
      ui.remoteAudio.srcObject = stream;
      ui.remoteAudio.play().catch((err) => log('!', `audio playback: ${err.message}`, 'error'));
    },
    onLog: (text, isError) => {
      log('·', text, isError ? 'error' : '');
      if (isError) setStatus('Media failed (ICE)', 'error');
    },
  });
  call.peerName = extra.peerName ?? null;
  call.statsTimer = null;
  state.call = call;
  state.dtmfSent = '';
  state.dtmfReceived = '';
  showDigits('', '');
  seen.lastStats = null;
  return call;
}

/** `replay` handles the events that overtook the `call` response (app.js's onEvent). */
export async function startCall(number, replay) {
  if (state.call) return;
  const call = newCall('outgoing', number);
  redraw();
  setStatus(`Calling ${number}…`, 'busy');
  try {
    await call.open();
    const offer = await call.createOffer();
    const res = await request('call', { number, jsep: offer });
    if (state.call !== call) { // hung up while the call request was on its way
      if (res.ok) request('hangup', { call_id: res.call_id });
      return;
    }
    if (!res.ok) {
      setStatus(`Call refused: ${errText(res)}`, 'error');
      endCall('call refused');
      return;
    }
    call.startTrickle(res.call_id);
    startStats(call);
    for (const msg of call.pendingEvents.splice(0)) replay(msg);
  } catch (err) {
    log('!', `call setup failed: ${err}`, 'error');
    setStatus(`Call setup failed: ${err.message}`, 'error');
    endCall('setup failed');
  }
  redraw();
}

export async function answer() {
  const inc = state.incoming;
  if (!inc || inc.busy || state.call) return;
  inc.busy = true;
  const call = newCall('incoming', inc.caller, { callId: inc.callId, peerName: inc.callerName });
  call.state = 'answering';
  redraw();
  setStatus(`Answering ${who(inc.caller, inc.callerName)}…`, 'busy');
  try {
    await call.open();
    const jsep = await call.answerOffer(inc.offer);
    const res = await request('accept', { call_id: inc.callId, jsep });
    if (state.incoming === inc) state.incoming = null;
    if (state.call !== call) return; // the caller gave up meanwhile
    if (!res.ok) {
      setStatus(`Answer refused: ${errText(res)}`, 'error');
      endCall('accept refused');
      return;
    }
    call.startTrickle(inc.callId);
    startStats(call);
  } catch (err) {
    log('!', `answer failed: ${err}`, 'error');
    setStatus(`Answer failed: ${err.message}`, 'error');
    if (state.incoming === inc) state.incoming = null;
    endCall('answer failed');
    request('decline', { call_id: inc.callId, code: 488, reason: 'Not Acceptable Here' });
  }
  redraw();
}

export async function decline() {
  const inc = state.incoming;
  if (!inc || inc.busy) return;
  inc.busy = true; // no second click
  redraw();
  const res = await request('decline', { call_id: inc.callId, code: DECLINE_CODE });
  if (state.incoming === inc) state.incoming = null;
  if (!res.ok) setStatus(`Decline refused: ${errText(res)}`, 'error');
  else setStatus(`Declined the call from ${who(inc.caller, inc.callerName)}`, 'idle');
  redraw();
}

export async function hangup() {
  const call = state.call;
  if (!call) return;
  if (!call.callId) { endCall('local hangup'); return; }
  const res = await request('hangup', { call_id: call.callId });
  // The `hangup` event ends the call; if the gateway refused (e.g. call already gone), end it here.
  if (!res.ok && state.call === call) endCall('local hangup');
}

export async function toggleHold() {
  const call = state.call;
  if (!call?.callId) return;
  const want = !call.held;
  call.busy = true;
  redraw();
  const res = await request(want ? 'hold' : 'unhold', { call_id: call.callId });
  call.busy = false;
  if (res.ok) call.held = want;
  else setStatus(`${want ? 'Hold' : 'Unhold'} failed: ${errText(res)} (the call continues as it was)`, 'error');
  redraw();
}

export async function toggleMute() {
  const call = state.call;
  if (!call?.callId) return;
  const want = !call.muted;
  call.setMicEnabled(!want); // at once, locally; the gateway also stops forwarding
  call.busy = true;
  redraw();
  const res = await request(want ? 'mute' : 'unmute', { call_id: call.callId });
  call.busy = false;
  if (res.ok) call.muted = want;
  else {
    call.setMicEnabled(!call.muted);
    setStatus(`${want ? 'Mute' : 'Unmute'} failed: ${errText(res)}`, 'error');
  }
  redraw();
}

export async function sendDigit(digit) {
  const call = state.call;
  if (!call?.callId) return;
  state.dtmfSent += digit;
  showDigits(state.dtmfSent, state.dtmfReceived);
  const res = await request('dtmf', { call_id: call.callId, digits: digit });
  if (!res.ok) setStatus(`DTMF ${digit} failed: ${errText(res)}`, 'error');
}

function startStats(call) {
  clearInterval(call.statsTimer);
  call.statsTimer = setInterval(() => collectStats(call), STATS_MS);
}

async function collectStats(call) {
  const s = await call.stats().catch(() => null);
  if (!s) return;
  seen.lastStats = { ...s, at_ms: sinceLoadMs() };
  renderStats(seen.lastStats);
}

export function endCall(why) {
  const call = state.call;
  if (!call) return;
  state.call = null;
  clearInterval(call.statsTimer);
  collectStats(call).finally(() => call.close());
  ui.remoteAudio.srcObject = null;
  log('·', `call ended (${why})`);
  redraw();
}

/** Applies the JSEP answer of `progress` (early media) or `accepted`, once. */
export async function applyAnswer(call, jsep, what) {
  try {
    if (await call.applyAnswer(jsep)) log('·', `remote ${what} applied`);
  } catch (err) {
    log('!', `setRemoteDescription failed: ${err}`, 'error');
    setStatus(`Bad answer from gateway: ${err.message}`, 'error');
  }
}
