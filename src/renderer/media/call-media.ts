/**
 * The media of one call on this device: microphone, one RTCPeerConnection,
 * remote audio, hold/mute, DTMF, recovery and live quality.
 *
 * Who offers: only the caller's device ever creates offers (`isOfferer`),
 * so offers can never collide (no glare handling needed). The callee's
 * device answers, and asks the caller for a new offer when it needs one
 * (`restart-request`).
 *
 * Set-up off the answer's path (time to audio):
 * - While our outgoing call rings (`prepareOffer`), the caller's device opens
 *   the microphone, creates the peer connection and its offer and gathers
 *   candidates. The server relays signaling only once the call is answered,
 *   so the offer and candidates wait here; `start` (the call is active) sends
 *   the offer at once, with the candidates gathered so far inside its SDP.
 *   A call that ends unanswered is closed by the engine: tracks stopped, peer
 *   connection closed.
 * - The callee's device opens its microphone when the user presses Answer
 *   (`prepareAnswer`, never before: privacy), while the answer travels.
 * - Neither side waits for its microphone to negotiate: an offer is answered
 *   as soon as it arrives and the track is attached when the microphone opens
 *   (replaceTrack needs no renegotiation).
 *
 * Recovery (recovery.ts): ICE restart, then a fresh peer connection, under a
 * deadline; a reloaded renderer rebuilds the session with the far end.
 */
import type { CallInfo } from '../../shared/contract.js';
import type { MediaSignal } from '../../shared/protocol/index.js';
import { routeOutput } from './audio-devices.js';
import { CallMicrophone } from './call-microphone.js';
import { browserMediaEdges, type MediaEdges, type TimerId } from './media-edges.js';
import { MediaStateMachine, phaseOf, type CallMediaState } from './media-state.js';
import { QualitySampler } from './quality.js';
import {
  OFFER_NUDGE_MS,
  RECOVERY_RETRY_MS,
  RECOVERY_TIMEOUT_MS,
  SETUP_TIMEOUT_MS,
  type CallMediaDeps,
  type Negotiation,
} from './call-media-types.js';
import { log } from '../log.js';
import { Recovery } from './recovery.js';
import { RemoteCandidates } from './remote-candidates.js';
import { SignalOutbox } from './signal-outbox.js';

export * from './call-media-types.js';


export class CallMedia {
  readonly audio: HTMLAudioElement;
  private pc: RTCPeerConnection | null = null;
  /** Bumped whenever the peer connection is replaced; late callbacks of an old one are ignored. */
  private generation = 0;
  private pcCreatedAt = 0;
  private iceServers: RTCIceServer[] = [];
  private readonly candidates = new RemoteCandidates();
  /** Signal handling and negotiations wait for the ICE servers; then run one at a time, in order. */
  private chain: Promise<void>;
  /** Steps in the chain not finished yet. */
  private queued = 0;
  private markReady!: () => void;
  private iceLoading = false;
  /** Resolves when the call is active here (or closed). */
  private markLive!: () => void;
  private readonly livePromise = new Promise<void>((resolve) => (this.markLive = resolve));
  /** Signals wait here until the call is active on this device and what was prepared has gone out. */
  private readonly outbox = new SignalOutbox((signal) => this.transmit(signal));
  private held = false;
  private remoteHeld = false;
  private statsTimer: TimerId | undefined;
  private nudgeTimer: TimerId | undefined;
  private staleOfferTimer: TimerId | undefined;
  private readonly sampler = new QualitySampler();
  /** The call's microphone and the user's mute choice (kept across a reload). */
  private readonly mic: CallMicrophone;
  /** idle → preparing → connecting → connected ⇄ reconnecting → ended (see media-state.ts). */
  private readonly machine: MediaStateMachine;
  private readonly recovery: Recovery;

  constructor(
    readonly callId: string,
    readonly isOfferer: boolean,
    private readonly deps: CallMediaDeps,
    /** The browser APIs and the clock; fakes in unit tests. */
    private readonly edges: MediaEdges = browserMediaEdges(),
  ) {
    this.chain = new Promise<void>((resolve) => (this.markReady = resolve));
    this.machine = new MediaStateMachine((state) => {
      const phase = phaseOf(state);
      if (phase) deps.onStatus({ phase });
    });
    this.recovery = new Recovery({
      clock: edges.clock,
      connectionState: () => this.pc?.connectionState,
      pcCreatedAt: () => this.pcCreatedAt,
      ended: () => this.machine.ended,
      reconnecting: () => this.machine.state === 'reconnecting',
      enterReconnecting: () => this.machine.to('reconnecting'),
      connected: () => {
        this.machine.to('connected');
        this.dropUnansweredOffer();
      },
      attempt: (fresh) => {
        if (this.isOfferer) this.serial(() => this.negotiate(fresh ? 'fresh' : 'ice-restart'));
        else void this.requestRestart(fresh);
      },
      hangup: (reason) => deps.hangup(reason),
    });
    this.mic = new CallMicrophone(edges, callId, { onStatus: (patch) => deps.onStatus(patch), onStream: () => this.applySending() });
    this.audio = edges.createAudioElement();
    this.audio.dataset.testid = 'remote-audio';
    this.audio.dataset.callId = callId;
    this.audio.autoplay = true;
    deps.container.append(this.audio);
    deps.onStatus({ muted: this.mic.muted });
  }

  /**
   * Our outgoing call rings at the far end: open the microphone, build the
   * peer connection and the offer, gather candidates. Nothing leaves this
   * device until `start`.
   */
  prepareOffer(): void {
    if (!this.isOfferer || !this.machine.to('preparing')) return;
    this.loadIceServers();
    this.openMicOnce();
    this.serial(async () => {
      // With the microphone in the offer when it opens in time; an answer does not wait for it.
      await Promise.race([this.mic.opening ?? Promise.resolve(), this.livePromise]);
      await this.negotiate('initial');
    });
  }

  /** The user answers this incoming call here: open the microphone while the answer travels. */
  prepareAnswer(): void {
    if (this.isOfferer || (this.machine.state !== 'idle' && this.machine.state !== 'preparing')) return;
    this.machine.to('preparing');
    this.loadIceServers();
    this.openMicOnce();
  }

  get isStarted(): boolean {
    return this.machine.started;
  }

  /** Where this call's media is (see media-state.ts). */
  get state(): CallMediaState {
    return this.machine.state;
  }

  private get closed(): boolean {
    return this.machine.ended;
  }

  /**
   * The call is active on this device.
   * @param resumed the call was already up when this renderer first saw it
   *   (reload): the media session must be rebuilt on both sides.
   */
  start(resumed: boolean): void {
    if (!this.machine.to('connecting')) return;
    this.markLive();
    this.recovery.armWatchdog(resumed ? RECOVERY_TIMEOUT_MS : SETUP_TIMEOUT_MS, 'The call audio could not be connected.');
    this.loadIceServers();
    this.openMicOnce();
    void routeOutput(this.audio, this.deps.outputDeviceId());
    this.statsTimer = this.edges.clock.setInterval(() => void this.sampleQuality(), 1_000);
    const goLive = () => {
      this.outbox.open(this.pc?.localDescription);
    };
    // The offer prepared while ringing is ready (nothing queued): it leaves now, in this
    // snapshot's handler, before the renderer spends its time drawing the call. Otherwise in
    // the chain, after the offer still being made and before anything sent later.
    if (this.queued === 0) goLive();
    else this.serial(async () => goLive());
    if (resumed) {
      this.recovery.start();
    } else if (this.isOfferer) {
      // Unless the offer prepared while ringing is out (it can only have failed to be made).
      this.serial(async () => {
        const pc = this.pc;
        if (!pc || (pc.signalingState === 'stable' && !pc.remoteDescription)) await this.negotiate('initial');
      });
    } else {
      this.nudgeTimer = this.edges.clock.setTimeout(() => {
        if (!this.pc && !this.closed) void this.requestRestart(true);
      }, OFFER_NUDGE_MS);
    }
  }

  /** Fetches the ICE servers once; signal handling starts when they are known. */
  private loadIceServers(): void {
    if (this.iceLoading) return;
    this.iceLoading = true;
    void this.deps
      .iceServers()
      .catch(() => [] as RTCIceServer[])
      .then((servers) => {
        this.iceServers = servers;
        this.markReady();
      });
  }

  /** Opens the call's microphone once; the track goes to the peer connection whenever it is ready. */
  private openMicOnce(): void {
    this.mic.openOnce(this.deps.inputDeviceId());
  }

  /** The call's state changed in the session (hold flags). */
  update(call: CallInfo): void {
    const changed = call.held !== this.held || call.remoteHeld !== this.remoteHeld;
    this.held = call.held;
    this.remoteHeld = call.remoteHeld;
    // On hold nothing plays here either: the held party hears silence, not a half-open line.
    this.audio.muted = this.held || this.remoteHeld;
    if (changed) void this.applySending();
  }

  /**
   * This device's signaling connection came back after a loss. Offers and
   * restart requests sent meanwhile may have gone nowhere, so a recovery in
   * progress tries again now, with a full deadline from now.
   */
  signalingRestored(): void {
    this.recovery.signalingRestored();
  }

  onSignal(signal: MediaSignal): void {
    switch (signal.type) {
      case 'offer':
        this.serial(() => this.onOffer(signal));
        break;
      case 'answer':
        this.serial(() => this.onAnswer(signal.sdp));
        break;
      case 'ice':
        this.serial(() => this.candidates.add(this.pc, signal.candidate));
        break;
      case 'restart-request':
        this.serial(() => this.onRestartRequest(signal.fresh === true));
        break;
      // hold and dtmf are reflected in the session snapshot (remoteHeld, receivedDigits).
      default:
        break;
    }
  }

  setMuted(muted: boolean): void {
    this.mic.setMuted(muted);
    this.deps.onStatus({ muted });
  }

  /** In-band (RFC 4733) for equipment that listens for tones, and through signaling so the far end shows the digits. */
  async sendDtmf(digits: string): Promise<void> {
    const dtmf = this.audioSender()?.dtmf;
    if (dtmf?.canInsertDTMF) dtmf.insertDTMF(dtmf.toneBuffer + digits, 100, 70);
    await this.deps.api.invoke('call.dtmf', { callId: this.callId, digits });
  }

  async setInput(deviceId: string): Promise<void> {
    await this.mic.open(deviceId);
  }

  async setOutput(deviceId: string): Promise<void> {
    await routeOutput(this.audio, deviceId);
  }

  close(): void {
    if (!this.machine.to('ended')) return;
    this.markReady();
    this.markLive();
    this.recovery.stop();
    this.edges.clock.clearTimeout(this.nudgeTimer);
    this.edges.clock.clearTimeout(this.staleOfferTimer);
    this.edges.clock.clearInterval(this.statsTimer);
    this.pc?.close();
    this.pc = null;
    this.mic.release();
    this.audio.pause();
    this.audio.srcObject = null;
    this.audio.remove();
  }

  // ───────────────────────────── signaling ─────────────────────────────

  /** Signals and negotiations run one at a time, in arrival order. */
  private serial(task: () => Promise<void>): void {
    this.queued++;
    this.chain = this.chain
      .then(() => (this.closed ? undefined : task()))
      .catch((err: unknown) => {
        // A step cut short by the call ending (closed peer connection) is no failure.
        if (!this.closed) log.warn(`call ${this.callId}: media step failed`, err);
      })
      .finally(() => this.queued--);
  }

  private async send(signal: MediaSignal): Promise<void> {
    // Before the call is active here the server would refuse it: `start` sends it.
    await this.outbox.send(signal);
  }

  private async transmit(signal: MediaSignal): Promise<void> {
    try {
      await this.deps.api.invoke('call.signal', { callId: this.callId, signal });
    } catch (err) {
      // Signaling may be reconnecting; recovery retries cover lost messages.
      log.warn(`call ${this.callId}: could not send ${signal.type}`, err);
    }
  }

  private async negotiate(kind: Negotiation): Promise<void> {
    if (!this.isOfferer || this.closed) return;
    if (kind !== 'ice-restart' || !this.pc) this.replacePeerConnection();
    const pc = this.pc!;
    const gen = this.generation;
    // An offer is already on its way: its answer (or the next retry) settles it.
    if (kind === 'ice-restart' && pc.signalingState !== 'stable') return;
    const offer = await pc.createOffer(kind === 'ice-restart' ? { iceRestart: true } : {});
    if (gen !== this.generation || this.closed) return;
    await pc.setLocalDescription(offer);
    await this.send({
      type: 'offer',
      sdp: offer.sdp ?? '',
      ...(kind === 'fresh' ? { fresh: true } : {}),
      ...(kind === 'ice-restart' ? { iceRestart: true } : {}),
    });
  }

  private async onOffer(signal: Extract<MediaSignal, { type: 'offer' }>): Promise<void> {
    if (this.isOfferer) return; // only the caller's device offers
    this.edges.clock.clearTimeout(this.nudgeTimer);
    this.recovery.farEndIsBack();
    if (!this.pc || signal.fresh) {
      if (!this.pc && signal.iceRestart) {
        // An ICE restart of a session this renderer no longer has (it reloaded): ask for a fresh one.
        await this.requestRestart(true);
        return;
      }
      this.replacePeerConnection();
    }
    const pc = this.pc!;
    const gen = this.generation;
    await pc.setRemoteDescription({ type: 'offer', sdp: signal.sdp });
    if (gen !== this.generation) return;
    const transceiver = pc.getTransceivers().find((t) => t.receiver.track.kind === 'audio');
    if (transceiver) {
      transceiver.direction = 'sendrecv';
      await transceiver.sender.replaceTrack(this.trackToSend());
      if (this.mic.stream) transceiver.sender.setStreams(this.mic.stream);
    }
    const answer = await pc.createAnswer();
    if (gen !== this.generation) return;
    await pc.setLocalDescription(answer);
    await this.send({ type: 'answer', sdp: answer.sdp ?? '' });
    await this.candidates.flush(this.pc);
  }

  private async onAnswer(sdp: string): Promise<void> {
    const pc = this.pc;
    if (!this.isOfferer || !pc || pc.signalingState !== 'have-local-offer') return;
    await pc.setRemoteDescription({ type: 'answer', sdp });
    await this.candidates.flush(this.pc);
  }

  private async onRestartRequest(fresh: boolean): Promise<void> {
    if (!this.isOfferer) return;
    this.recovery.farEndIsBack();
    const pc = this.pc;
    if (fresh || !pc || pc.connectionState === 'failed' || pc.connectionState === 'closed') await this.negotiate('fresh');
    else await this.negotiate('ice-restart');
  }

  private async requestRestart(fresh: boolean): Promise<void> {
    await this.send({ type: 'restart-request', ...(fresh ? { fresh: true } : {}) });
  }

  // ───────────────────────────── peer connection ─────────────────────────────

  private replacePeerConnection(): void {
    this.pc?.close();
    this.generation++;
    this.pcCreatedAt = this.edges.clock.now();
    this.candidates.reset();
    this.sampler.reset();
    const gen = this.generation;
    const pc = this.edges.createPeerConnection({ iceServers: this.iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    this.pc = pc;
    if (this.isOfferer) {
      const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv', streams: this.mic.stream ? [this.mic.stream] : [] });
      void transceiver.sender.replaceTrack(this.trackToSend());
    }
    pc.addEventListener('track', (ev) => {
      if (gen !== this.generation) return;
      this.audio.srcObject = ev.streams[0] ?? this.edges.createMediaStream([ev.track]);
      this.audio.play().catch((err: unknown) => log.warn('remote audio could not start', err));
    });
    pc.addEventListener('icecandidate', (ev) => {
      if (gen !== this.generation || this.closed) return;
      const c = ev.candidate;
      void this.send({
        type: 'ice',
        candidate: c ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex, usernameFragment: c.usernameFragment } : null,
      });
    });
    // connectionState covers ICE and DTLS: "connected" means audio can actually flow.
    pc.addEventListener('connectionstatechange', () => {
      if (gen === this.generation) this.recovery.onConnectionState(pc.connectionState);
    });
  }

  /**
   * The session healed by itself (the link came back with the same addresses)
   * while an ICE-restart offer of ours was still unanswered: its answer was lost
   * with the link, or the far end never got it. Once it is clearly not coming,
   * roll the offer back, so the session is clean and the next recovery can
   * restart ICE again (negotiate skips an ICE restart while an offer is pending).
   */
  private dropUnansweredOffer(): void {
    const pc = this.pc;
    if (!this.isOfferer || !pc?.remoteDescription || pc.signalingState !== 'have-local-offer') return;
    const gen = this.generation;
    this.edges.clock.clearTimeout(this.staleOfferTimer);
    this.staleOfferTimer = this.edges.clock.setTimeout(() => {
      this.serial(async () => {
        if (gen !== this.generation || pc.signalingState !== 'have-local-offer' || pc.connectionState !== 'connected') return;
        await pc.setLocalDescription({ type: 'rollback' });
      });
    }, RECOVERY_RETRY_MS);
  }

  // ───────────────────────────── audio ─────────────────────────────

  /** Nothing is sent while either side holds the call. */
  private trackToSend(): MediaStreamTrack | null {
    if (this.held || this.remoteHeld) return null;
    return this.mic.track;
  }

  private audioSender(): RTCRtpSender | undefined {
    return this.pc?.getTransceivers().find((t) => t.receiver.track.kind === 'audio')?.sender;
  }

  private async applySending(): Promise<void> {
    const sender = this.audioSender();
    if (!sender) return;
    await sender.replaceTrack(this.trackToSend()).catch((err: unknown) => log.warn('could not switch the sent track', err));
  }

  private async sampleQuality(): Promise<void> {
    const pc = this.pc;
    if (!pc || pc.connectionState !== 'connected') return;
    try {
      this.deps.onStatus({ quality: await this.sampler.sample(pc) });
    } catch {
      // Stats of a connection being replaced: try again next second.
    }
  }
}
