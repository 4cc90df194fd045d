import vm from 'node:vm';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { HOST_EVENT_NAMES, IPC, type SoftphoneApi } from '../../../src/shared/contract.js';
import { createRawBridge, installSoftphoneApi, type IpcRendererLike } from '../../../src/preload/api.js';

/** ipcRenderer as the preload sees it: invoke → main's handler, events ← webContents.send. */
class FakeIpcRenderer extends EventEmitter implements IpcRendererLike {
  readonly invoked: unknown[][] = [];
  reply: (channel: string, payload: unknown) => unknown = () => ({ ok: true, data: { ok: true } });
  async invoke(channel: string, ...args: unknown[]) {
    this.invoked.push([channel, ...args]);
    return this.reply(args[0] as string, args[1]);
  }
  send(name: string, payload: unknown) {
    this.emit(IPC.event, { sender: 'the IpcRendererEvent' }, name, payload);
  }
}

function setup() {
  const ipc = new FakeIpcRenderer();
  const raw = createRawBridge(ipc, IPC, HOST_EVENT_NAMES);
  const target: { softphone?: SoftphoneApi } = {};
  installSoftphoneApi(raw, [...HOST_EVENT_NAMES], target);
  return { ipc, api: target.softphone!, target };
}

describe('preload API', () => {
  it('invoke goes through the one IPC channel and unwraps the result', async () => {
    const { ipc, api } = setup();
    ipc.reply = () => ({ ok: true, data: { kind: 'desktop', deviceId: 'd1' } });
    expect(await api.invoke('host.info', {})).toEqual({ kind: 'desktop', deviceId: 'd1' });
    expect(ipc.invoked).toEqual([[IPC.invoke, 'host.info', {}]]);
  });

  it('a failed request rejects with an Error carrying the code', async () => {
    const { ipc, api } = setup();
    ipc.reply = () => ({ ok: false, error: { code: 'busy', message: 'Bob is busy', details: { callId: 'c1' } } });
    const err = await api.invoke('call.dial', { username: 'bob' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'HostError', code: 'busy', message: 'Bob is busy', details: { callId: 'c1' } });
    ipc.reply = () => undefined;
    await expect(api.invoke('session.state', {})).rejects.toMatchObject({ code: 'internal' });
  });

  it('on() delivers only the named event, without the IPC event object, and unsubscribes', () => {
    const { ipc, api } = setup();
    const got: unknown[] = [];
    const off = api.on('presence', (p) => got.push(p));
    ipc.send('presence', { userId: 'u1', presence: 'busy' });
    ipc.send('session', { phase: 'signed-out' });
    ipc.send('not-an-event', {});
    off();
    ipc.send('presence', { userId: 'u1', presence: 'away' });
    expect(got).toEqual([{ userId: 'u1', presence: 'busy' }]);
    expect(ipc.listenerCount(IPC.event)).toBe(0);
  });

  it('refuses unknown event names and exposes a frozen, non-replaceable object', () => {
    const { api, target } = setup();
    expect(() => api.on('ipc-secrets' as never, () => undefined)).toThrow(TypeError);
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on']);
    expect(() => {
      (target as Record<string, unknown>).softphone = {};
    }).toThrow(TypeError);
  });

  it('installSoftphoneApi is self-contained, as executeInMainWorld requires (it is serialised)', async () => {
    const ipc = new FakeIpcRenderer();
    ipc.reply = (channel) => (channel === 'host.info' ? { ok: true, data: 'pong' } : { ok: false, error: { code: 'gone', message: 'over' } });
    const raw = createRawBridge(ipc, IPC, HOST_EVENT_NAMES);
    // Run the function's source in a fresh realm with nothing but the arguments.
    const context = vm.createContext({ raw, names: [...HOST_EVENT_NAMES] });
    vm.runInContext(`(${installSoftphoneApi.toString()})(raw, names)`, context);
    const api = (context as { softphone: SoftphoneApi }).softphone;
    expect(await api.invoke('host.info', {})).toBe('pong');
    const err = await api.invoke('call.answer', { callId: 'c1' }).catch((e: unknown) => e);
    // An Error of the page's realm, with the code.
    expect(err instanceof (vm.runInContext('Error', context) as ErrorConstructor)).toBe(true);
    expect((err as { code: string }).code).toBe('gone');
  });
});
