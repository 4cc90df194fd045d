/**
 * Single-node live state, in this process's memory.
 *
 * Stored calls and devices are frozen and handed out by reference: every transition
 * builds a new object (CallService.mutate), so nothing needs copying. Copying every
 * read and write with structuredClone cost ~5 % of the server's CPU per call
 * (`npm run bench`, call setup).
 */
import type { AgentRecord } from '../agents/agent-machine.js';
import {
  LINE_INSERT_GRACE_MS,
  partiesOf,
  type DeviceRegistry,
  type LiveAgentStore,
  type LiveCall,
  type LiveCallStore,
  type LiveQueueLines,
  type LiveState,
  type OnlineDevice,
  type PresenceCache,
} from './types.js';

/** Freezes the call and the parts a transition replaces (arrays, lost devices, user summaries). */
function frozen(call: LiveCall): LiveCall {
  Object.freeze(call.caller);
  Object.freeze(call.callee);
  Object.freeze(call.ringingDeviceIds);
  Object.freeze(call.declinedDeviceIds);
  Object.freeze(call.lostDevices);
  return Object.freeze(call);
}

class MemoryCallStore implements LiveCallStore {
  private readonly calls = new Map<string, LiveCall>();
  private readonly byUser = new Map<string, Set<string>>();
  private readonly deadlines = new Map<string, NodeJS.Timeout>();
  private readonly expiries = new Map<string, NodeJS.Timeout>();
  private handler: (callId: string) => void = () => {};

  async insert(call: LiveCall): Promise<boolean> {
    if (this.calls.has(call.callId)) return false;
    // A copy: the caller keeps its own (unfrozen) object.
    this.calls.set(
      call.callId,
      frozen({
        ...call,
        caller: { ...call.caller },
        callee: { ...call.callee },
        ringingDeviceIds: [...call.ringingDeviceIds],
        declinedDeviceIds: [...call.declinedDeviceIds],
        lostDevices: { ...call.lostDevices },
      }),
    );
    this.index(call);
    return true;
  }

  async get(callId: string): Promise<LiveCall | undefined> {
    return this.calls.get(callId);
  }

  async compareAndSet(next: LiveCall, expectedVersion: number): Promise<boolean> {
    const current = this.calls.get(next.callId);
    if (!current || current.version !== expectedVersion) return false;
    // `next` becomes the stored version itself: CallService builds it for this write only.
    this.calls.set(next.callId, frozen(next));
    // A queue call's parties change (the agents it rings, the agent who answers).
    this.unindex(current);
    if (next.state !== 'ended') this.index(next);
    return true;
  }

  async activeForUser(userId: string): Promise<LiveCall[]> {
    const ids = this.byUser.get(userId);
    if (!ids) return [];
    const out: LiveCall[] = [];
    for (const id of ids) {
      const c = this.calls.get(id);
      if (c && c.state !== 'ended') out.push(c);
    }
    return out;
  }

  async setDeadline(callId: string, at: number): Promise<void> {
    clearTimeout(this.deadlines.get(callId));
    const t = setTimeout(() => {
      this.deadlines.delete(callId);
      this.handler(callId);
    }, Math.max(0, at - Date.now()));
    this.deadlines.set(callId, t);
  }

  async clearDeadline(callId: string): Promise<void> {
    clearTimeout(this.deadlines.get(callId));
    this.deadlines.delete(callId);
  }

  onDeadline(handler: (callId: string) => void): void {
    this.handler = handler;
  }

  async expire(callId: string, ms: number): Promise<void> {
    clearTimeout(this.expiries.get(callId));
    const t = setTimeout(() => {
      this.expiries.delete(callId);
      const c = this.calls.get(callId);
      if (c) this.unindex(c);
      this.calls.delete(callId);
    }, ms);
    t.unref();
    this.expiries.set(callId, t);
  }

  private index(call: LiveCall): void {
    for (const userId of partiesOf(call)) {
      let set = this.byUser.get(userId);
      if (!set) this.byUser.set(userId, (set = new Set()));
      set.add(call.callId);
    }
  }

  private unindex(call: LiveCall): void {
    for (const userId of partiesOf(call)) {
      const set = this.byUser.get(userId);
      set?.delete(call.callId);
      if (set?.size === 0) this.byUser.delete(userId);
    }
  }

  close(): void {
    for (const t of this.deadlines.values()) clearTimeout(t);
    for (const t of this.expiries.values()) clearTimeout(t);
    this.deadlines.clear();
    this.expiries.clear();
  }
}

class MemoryDeviceRegistry implements DeviceRegistry {
  private readonly byUser = new Map<string, Map<string, OnlineDevice>>();

  async connect(device: OnlineDevice): Promise<OnlineDevice | undefined> {
    let devices = this.byUser.get(device.userId);
    if (!devices) this.byUser.set(device.userId, (devices = new Map<string, OnlineDevice>()));
    const previous = devices.get(device.deviceId);
    devices.set(device.deviceId, Object.freeze({ ...device }));
    return previous && previous.socketId !== device.socketId ? previous : undefined;
  }

  async disconnect(userId: string, deviceId: string, socketId: string): Promise<boolean> {
    const devices = this.byUser.get(userId);
    const current = devices?.get(deviceId);
    if (!devices || !current || current.socketId !== socketId) return false;
    devices.delete(deviceId);
    if (devices.size === 0) this.byUser.delete(userId);
    return true;
  }

  async list(userId: string): Promise<OnlineDevice[]> {
    const devices = this.byUser.get(userId);
    return devices ? [...devices.values()] : [];
  }

  async get(userId: string, deviceId: string): Promise<OnlineDevice | undefined> {
    return this.byUser.get(userId)?.get(deviceId);
  }
}

class MemoryPresenceCache implements PresenceCache {
  private readonly last = new Map<string, string>();
  async swap(userId: string, presence: string): Promise<string | undefined> {
    const prev = this.last.get(userId);
    this.last.set(userId, presence);
    return prev;
  }
}

class MemoryAgentStore implements LiveAgentStore {
  private readonly agents = new Map<string, AgentRecord>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private handler: (userId: string) => void = () => {};

  async get(userId: string): Promise<AgentRecord | undefined> {
    return this.agents.get(userId);
  }

  async compareAndSet(next: AgentRecord, expectedVersion: number | null): Promise<boolean> {
    const current = this.agents.get(next.userId);
    if (expectedVersion === null ? current !== undefined : current?.version !== expectedVersion) return false;
    this.agents.set(next.userId, Object.freeze(next));
    return true;
  }

  async list(): Promise<AgentRecord[]> {
    return [...this.agents.values()];
  }

  async setDeadline(userId: string, at: number): Promise<void> {
    clearTimeout(this.timers.get(userId));
    const t = setTimeout(() => {
      this.timers.delete(userId);
      this.handler(userId);
    }, Math.max(0, at - Date.now()));
    this.timers.set(userId, t);
  }

  async clearDeadline(userId: string): Promise<void> {
    clearTimeout(this.timers.get(userId));
    this.timers.delete(userId);
  }

  onDeadline(handler: (userId: string) => void): void {
    this.handler = handler;
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

class MemoryQueueLines implements LiveQueueLines {
  /** queueId → callId → queuedAt. */
  private readonly lines = new Map<string, Map<string, number>>();
  private readonly last = new Map<string, string>();
  constructor(private readonly store: MemoryCallStore) {}

  async add(queueId: string, callId: string, queuedAt: number): Promise<void> {
    let line = this.lines.get(queueId);
    if (!line) this.lines.set(queueId, (line = new Map<string, number>()));
    line.set(callId, queuedAt);
  }

  async remove(queueId: string, callId: string): Promise<void> {
    const line = this.lines.get(queueId);
    line?.delete(callId);
    if (line?.size === 0) this.lines.delete(queueId);
  }

  async calls(queueId: string): Promise<LiveCall[]> {
    const out: LiveCall[] = [];
    for (const [id, queuedAt] of this.lines.get(queueId) ?? []) {
      const c = await this.store.get(id);
      if (c && c.state !== 'ended') out.push(c);
      // A missing call may be one being inserted right now (its id goes in first).
      else if (c || Date.now() - queuedAt > LINE_INSERT_GRACE_MS) await this.remove(queueId, id);
    }
    return out;
  }

  async lastOffered(queueId: string): Promise<string | null> {
    return this.last.get(queueId) ?? null;
  }

  async setLastOffered(queueId: string, userId: string): Promise<void> {
    this.last.set(queueId, userId);
  }
}

export class MemoryLiveState implements LiveState {
  readonly calls = new MemoryCallStore();
  readonly lines = new MemoryQueueLines(this.calls);
  readonly agents = new MemoryAgentStore();
  readonly devices = new MemoryDeviceRegistry();
  readonly presence = new MemoryPresenceCache();
  async close(): Promise<void> {
    this.calls.close();
    this.agents.close();
  }
}
