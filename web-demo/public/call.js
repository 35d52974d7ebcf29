// One call's media: the microphone, the RTCPeerConnection, our ICE candidates (trickled with the
// call_id once the gateway knows the call) and getStats. Signalling decisions stay in app.js.

const PC_CONFIG = { iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };

function candidateToJSON(c) {
  return { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex };
}

export class Call {
  /**
   * @param {'outgoing'|'incoming'} direction
   * @param {object} opts  { peer, callId (known for incoming calls), trickle(callId, item),
   *                        onTrack(MediaStream), onLog(text, isError) }
   */
  constructor(direction, opts) {
    this.direction = direction;
    this.peer = opts.peer;               // number (outgoing) or caller (incoming)
    this.callId = opts.callId ?? null;   // outgoing: set from the `call` response
    this.state = 'starting';             // starting | calling | progress | early | accepted
    this.held = false;
    this.muted = false;
    this.mediaDirection = 'sendrecv';    // from `updatingcall`
    this.remoteApplied = false;          // the JSEP answer (or offer) has been applied
    this.pendingEvents = [];             // events that overtook the `call` response
    this.canTrickle = false;             // true once the gateway accepted `call` / `accept`
    this.pendingCandidates = [];
    this.pc = null;
    this.localStream = null;
    this.closed = false;
    this.opts = opts;
  }

  /** getUserMedia + RTCPeerConnection with the microphone track. */
  async open() {
    this.localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    if (this.closed) { this.#stopTracks(); throw new Error('call ended during getUserMedia'); }
    const pc = new RTCPeerConnection(PC_CONFIG);
    this.pc = pc;
    for (const track of this.localStream.getTracks()) pc.addTrack(track, this.localStream);
    pc.addEventListener('track', (ev) => this.opts.onTrack?.(ev.streams[0] ?? new MediaStream([ev.track])));
    pc.addEventListener('icecandidate', (ev) => {
      const item = ev.candidate ? candidateToJSON(ev.candidate) : null;
      if (item && !item.candidate) return; // end-of-generation marker of one m-line
      if (this.canTrickle) this.opts.trickle(this.callId, item);
      else this.pendingCandidates.push(item);
    });
    pc.addEventListener('iceconnectionstatechange', () => {
      this.opts.onLog?.(`ICE ${pc.iceConnectionState}`, pc.iceConnectionState === 'failed');
    });
    pc.addEventListener('connectionstatechange', () => this.opts.onLog?.(`peer connection ${pc.connectionState}`, false));
  }

  /** Outgoing: our offer. */
  async createOffer() {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return { type: 'offer', sdp: this.pc.localDescription.sdp };
  }

  /** Incoming: apply the gateway's offer and return our answer. */
  async answerOffer(offer) {
    await this.pc.setRemoteDescription(offer);
    this.remoteApplied = true;
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return { type: 'answer', sdp: this.pc.localDescription.sdp };
  }

  /** Outgoing: the answer from `progress` (early media) or `accepted`; applied once. */
  async applyAnswer(jsep) {
    if (this.remoteApplied || !jsep) return false;
    this.remoteApplied = true;
    await this.pc.setRemoteDescription(jsep);
    return true;
  }

  /** The gateway knows the call now: send what was gathered so far, then trickle as we go. */
  startTrickle(callId) {
    this.callId = callId;
    this.canTrickle = true;
    for (const item of this.pendingCandidates.splice(0)) this.opts.trickle(callId, item);
  }

  /** Mute = the local track is disabled (the gateway also stops forwarding, see `mute`). */
  setMicEnabled(enabled) {
    for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = enabled;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.#stopTracks();
    this.pc?.close();
  }

  #stopTracks() {
    this.localStream?.getTracks().forEach((t) => t.stop());
  }

  /** A summary of getStats (inbound/outbound RTP, selected ICE pair, DTLS), or null. */
  async stats() {
    const pc = this.pc;
    if (!pc || pc.signalingState === 'closed') return null;
    const report = await pc.getStats();
    const s = { call_id: this.callId };
    let pairId = null;
    report.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        Object.assign(s, {
          packetsReceived: r.packetsReceived ?? 0, bytesReceived: r.bytesReceived ?? 0,
          packetsLost: r.packetsLost ?? 0, jitter: r.jitter ?? 0, audioLevel: r.audioLevel ?? 0,
          totalAudioEnergy: r.totalAudioEnergy ?? 0,
        });
      } else if (r.type === 'outbound-rtp' && r.kind === 'audio') {
        Object.assign(s, { packetsSent: r.packetsSent ?? 0, bytesSent: r.bytesSent ?? 0 });
      } else if (r.type === 'transport') {
        pairId = r.selectedCandidatePairId ?? pairId;
        s.dtlsState = r.dtlsState;
      }
    });
    if (pairId && report.get(pairId)) {
      const pair = report.get(pairId);
      const local = report.get(pair.localCandidateId);
      const remote = report.get(pair.remoteCandidateId);
      s.selectedPair = `${local?.address}:${local?.port} ⇄ ${remote?.address}:${remote?.port}`;
    }
    s.iceConnectionState = pc.iceConnectionState;
    return s;
  }
}
