/** Live call quality from WebRTC statistics: round-trip time, jitter and packet loss. */

export interface CallQuality {
  /** Round-trip time of the selected candidate pair, ms. */
  rttMs: number | null;
  /** Interarrival jitter of the audio we receive, ms. */
  jitterMs: number | null;
  /** Share of audio packets lost over the last interval, percent. */
  lossPct: number | null;
}

interface Counters {
  lost: number;
  received: number;
}

type StatsEntry = Record<string, unknown> & { type: string; id: string };

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Samples one peer connection; keeps the counters needed for per-interval loss. */
export class QualitySampler {
  private previous: Counters | null = null;

  async sample(pc: RTCPeerConnection): Promise<CallQuality> {
    const report = await pc.getStats();
    const entries: StatsEntry[] = [];
    report.forEach((s: StatsEntry) => entries.push(s));
    const byId = new Map(entries.map((e) => [e.id, e]));

    let pair: StatsEntry | undefined;
    const transport = entries.find((e) => e.type === 'transport');
    if (typeof transport?.selectedCandidatePairId === 'string') pair = byId.get(transport.selectedCandidatePairId);
    pair ??= entries.find((e) => e.type === 'candidate-pair' && e.nominated === true && e.state === 'succeeded');
    let rtt = num(pair?.currentRoundTripTime);
    if (rtt === null) {
      const remote = entries.find((e) => e.type === 'remote-inbound-rtp' && e.kind === 'audio');
      rtt = num(remote?.roundTripTime);
    }

    const inbound = entries.find((e) => e.type === 'inbound-rtp' && e.kind === 'audio');
    const jitter = num(inbound?.jitter);
    let lossPct: number | null = null;
    const lost = num(inbound?.packetsLost);
    const received = num(inbound?.packetsReceived);
    if (lost !== null && received !== null) {
      const prev = this.previous ?? { lost: 0, received: 0 };
      const dl = Math.max(0, lost - prev.lost);
      const dr = Math.max(0, received - prev.received);
      lossPct = dl + dr > 0 ? (100 * dl) / (dl + dr) : 0;
      this.previous = { lost, received };
    }
    return {
      rttMs: rtt === null ? null : rtt * 1000,
      jitterMs: jitter === null ? null : jitter * 1000,
      lossPct,
    };
  }

  /** A new peer connection restarts its counters. */
  reset(): void {
    this.previous = null;
  }
}
