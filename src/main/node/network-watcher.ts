/**
 * Network changes for the main process, without a renderer.
 *
 * Electron's main process has no online/offline event (`net.isOnline()` is
 * a query; the renderer's `online` event would tie connectivity to a
 * window that may be reloading). What matters to a softphone is not just
 * online/offline but "the network changed": after switching Wi-Fi or
 * docking, the old TCP connection is dead although we are still online.
 * So we watch the set of non-internal interface addresses
 * (`os.networkInterfaces()`: one getifaddrs call, no packets sent) every
 * few seconds and report every change. The core then reconnects, or checks
 * its link with one quick heartbeat — cheap when nothing is wrong. The
 * core's own heartbeat still catches everything this cannot see.
 */
import os from 'node:os';
import type { NetworkPort } from '../app/ports.js';

export type InterfacesSource = () => NodeJS.Dict<os.NetworkInterfaceInfo[]>;

/** A stable fingerprint of the usable addresses; '' = no network. */
export function addressFingerprint(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): string {
  const out: string[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const i of infos ?? []) {
      if (i.internal) continue;
      // Link-local IPv6 (fe80::) exists on every interface that is merely up.
      if (i.family === 'IPv6' && /^fe80:/i.test(i.address)) continue;
      out.push(`${name}/${i.address}`);
    }
  }
  return out.sort().join(',');
}

export interface NetworkWatcherOptions {
  intervalMs?: number;
  interfaces?: InterfacesSource;
}

export class NetworkWatcher implements NetworkPort {
  private readonly listeners = new Set<(online: boolean) => void>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private last: string;
  private readonly source: InterfacesSource;
  private readonly intervalMs: number;

  constructor(opts: NetworkWatcherOptions = {}) {
    this.source = opts.interfaces ?? os.networkInterfaces;
    this.intervalMs = opts.intervalMs ?? 5_000;
    this.last = this.read();
  }

  get online(): boolean {
    return this.last !== '';
  }

  onChange(listener: (online: boolean) => void): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      this.timer = setInterval(() => this.check(), this.intervalMs);
      // Never keep the process alive just to watch the network.
      this.timer.unref?.();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Compares now (also called by the timer); returns whether something changed. */
  check(): boolean {
    const now = this.read();
    if (now === this.last) return false;
    this.last = now;
    for (const l of [...this.listeners]) l(now !== '');
    return true;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private read(): string {
    try {
      return addressFingerprint(this.source());
    } catch {
      return this.last ?? '';
    }
  }
}
