// MediaSession — one call's media: the microphone, the RTCPeerConnection, JSEP (our offer or
// answer, the gateway's answer or offer) and trickle ICE (candidates are queued until the gateway
// knows the call, then sent as they come). webrtc-adapter smooths browser differences.

import 'webrtc-adapter';
import { summarizeStats, type CallStats } from './call-stats.js';
import { MediaError } from './errors.js';
import type { IceCandidateJson, Jsep } from './protocol.js';

export const PC_CONFIG: RTCConfiguration = { iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };

export interface MediaSessionHooks {
  /** Sends one candidate (null: gathering complete) for the call. */
  trickle: (callId: string | null, candidate: IceCandidateJson | null) => void;
  /** The remote audio arrived. */
  onTrack?: (stream: MediaStream) => void;
  /** The local (microphone) stream is ready. */
  onLocalStream?: (stream: MediaStream) => void;
  /** ICE failed (or disconnected for good). */
  onIceFailed?: (state: RTCIceConnectionState) => void;
  onLog?: (text: string) => void;
}

/** What `stats()` returns (kept under its first name; the type lives in call-stats.ts). */
export type MediaStats = CallStats;

function candidateJson(c: RTCIceCandidate): IceCandidateJson {
  return { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex };
}

export class MediaSession {
  callId: string | null;
  pc: RTCPeerConnection | null = null;
  localStream: MediaStream | null = null;
  remoteApplied = false;
  closed = false;
  private canTrickle = false;
  private readonly queued: (IceCandidateJson | null)[] = [];

  constructor(private readonly hooks: MediaSessionHooks, callId: string | null = null) {
    this.callId = callId;
  }

  /** getUserMedia (MediaError `permission` on failure) + RTCPeerConnection with the microphone. */
  async open(): Promise<void> {
    if (!globalThis.navigator?.mediaDevices?.getUserMedia) {
      throw new MediaError('permission', 'getUserMedia is not available (a secure https:// page is needed)');
    }
    try {
      this.localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    } catch (err) {
      const name = (err as { name?: string }).name ?? 'Error';
      throw new MediaError('permission', `microphone unavailable: ${name}: ${(err as Error).message ?? err}`, err);
    }
    if (this.closed) {
      this.stopTracks();
      throw new MediaError('webrtc', 'the call ended during getUserMedia');
    }
    this.hooks.onLocalStream?.(this.localStream);
    let pc: RTCPeerConnection;
    try {
      pc = new RTCPeerConnection(PC_CONFIG);
    } catch (err) {
      throw new MediaError('webrtc', `RTCPeerConnection: ${(err as Error).message ?? err}`, err);
    }
    this.pc = pc;
    for (const track of this.localStream.getTracks()) pc.addTrack(track, this.localStream);
    pc.addEventListener('track', (ev: RTCTrackEvent) => {
      this.hooks.onTrack?.(ev.streams[0] ?? new MediaStream([ev.track]));
    });
    pc.addEventListener('icecandidate', (ev: RTCPeerConnectionIceEvent) => {
      const item = ev.candidate ? candidateJson(ev.candidate) : null;
      if (item && !item.candidate) return; // end-of-generation marker of one m-line
      if (this.canTrickle) this.hooks.trickle(this.callId, item);
      else this.queued.push(item);
    });
    pc.addEventListener('iceconnectionstatechange', () => {
      this.hooks.onLog?.(`ICE ${pc.iceConnectionState}`);
      if (pc.iceConnectionState === 'failed' && !this.closed) this.hooks.onIceFailed?.(pc.iceConnectionState);
    });
    pc.addEventListener('connectionstatechange', () => this.hooks.onLog?.(`peer connection ${pc.connectionState}`));
  }

  /** Outgoing call: our offer. */
  async createOffer(): Promise<Jsep> {
    const pc = this.requirePc();
    try {
      await pc.setLocalDescription(await pc.createOffer());
    } catch (err) {
      throw new MediaError('webrtc', `createOffer: ${(err as Error).message ?? err}`, err);
    }
    return { type: 'offer', sdp: pc.localDescription?.sdp ?? '' };
  }

  /** Incoming call: apply the gateway's offer, return our answer. */
  async answerOffer(offer: Jsep): Promise<Jsep> {
    const pc = this.requirePc();
    try {
      await pc.setRemoteDescription(offer);
      this.remoteApplied = true;
      await pc.setLocalDescription(await pc.createAnswer());
    } catch (err) {
      throw new MediaError('webrtc', `answering the offer: ${(err as Error).message ?? err}`, err);
    }
    return { type: 'answer', sdp: pc.localDescription?.sdp ?? '' };
  }

  /** Outgoing call: the answer of `progress` (early media) or `accepted`; applied once. */
  async applyAnswer(jsep: Jsep | undefined): Promise<boolean> {
    if (this.remoteApplied || !jsep) return false;
    const pc = this.requirePc();
    this.remoteApplied = true;
    try {
      await pc.setRemoteDescription(jsep);
    } catch (err) {
      throw new MediaError('webrtc', `setRemoteDescription: ${(err as Error).message ?? err}`, err);
    }
    return true;
  }

  /** The gateway knows the call: send what was gathered so far, then trickle as candidates come. */
  startTrickle(callId: string): void {
    this.callId = callId;
    this.canTrickle = true;
    for (const item of this.queued.splice(0)) this.hooks.trickle(callId, item);
  }

  /** Mute = the microphone track is disabled (the gateway also stops forwarding). */
  setMicEnabled(enabled: boolean): void {
    for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = enabled;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTracks();
    this.pc?.close();
  }

  /** A summary of getStats (call-stats.ts: packets, loss, jitter, RTT, audio levels, ICE pair, MOS), or null without a connection. */
  async stats(): Promise<MediaStats | null> {
    const pc = this.pc;
    if (!pc || pc.signalingState === 'closed') return null;
    return summarizeStats(await pc.getStats(), this.callId, pc.iceConnectionState);
  }

  private requirePc(): RTCPeerConnection {
    if (!this.pc) throw new MediaError('webrtc', 'no peer connection (open() first)');
    return this.pc;
  }

  private stopTracks(): void {
    this.localStream?.getTracks().forEach((t) => t.stop());
  }
}
