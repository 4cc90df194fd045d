import type { MediaSignal } from '../../shared/protocol/index.js';
import { MAX_OUTBOX } from './call-media-types.js';

/**
 * Signals of one call on their way to the far end. Before the call is active
 * here the server would refuse them, so they wait (the offer and candidates
 * made while our call rings); `open` sends them, in order.
 */
export class SignalOutbox {
  private held: MediaSignal[] = [];
  private live = false;

  constructor(private readonly transmit: (signal: MediaSignal) => Promise<void>) {}

  get isOpen(): boolean {
    return this.live;
  }

  async send(signal: MediaSignal): Promise<void> {
    if (!this.live) {
      if (this.held.length < MAX_OUTBOX) this.held.push(signal);
      return;
    }
    await this.transmit(signal);
  }

  /**
   * The call just became active: what was prepared goes out now, in order.
   * The offer is sent as the peer connection describes it now (`local`), with
   * every candidate gathered so far, so the far end can start its checks at
   * once; candidates already in it are not sent again.
   */
  open(local: RTCSessionDescription | null | undefined): void {
    this.live = true;
    const held = this.held;
    this.held = [];
    const sdp = local?.type === 'offer' && local.sdp ? local.sdp : null;
    for (const signal of held) {
      if (signal.type === 'offer' && sdp) void this.transmit({ ...signal, sdp });
      else if (signal.type === 'ice' && signal.candidate && sdp?.includes(`a=${signal.candidate.candidate}\r\n`)) continue;
      else void this.transmit(signal);
    }
  }
}
