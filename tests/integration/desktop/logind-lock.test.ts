/**
 * The Linux auto-away lock source (src/main/node/logind-lock.ts) against a stand-in logind:
 * a private dbus-daemon with org.freedesktop.login1 exported by dbus-next (Manager's
 * GetSession/GetSessionByPID, a Session with LockedHint). The adapter finds the session,
 * reads the hint, and reports each change of it once.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dbus from 'dbus-next';
import { watchLogindLock, type LogindLockWatch } from '../../../src/main/node/logind-lock.js';

const { Interface, ACCESS_READ } = dbus.interface;
const SESSION_PATH = '/org/freedesktop/login1/session/_37';

class FakeSession extends Interface {
  LockedHint = false;
}
FakeSession.configureMembers({ properties: { LockedHint: { signature: 'b', access: ACCESS_READ } } });

class FakeManager extends Interface {
  asked: string[] = [];
  GetSession(id: string): string {
    this.asked.push(`session ${id}`);
    return SESSION_PATH;
  }
  GetSessionByPID(pid: number): string {
    this.asked.push(`pid ${pid}`);
    return SESSION_PATH;
  }
}
FakeManager.configureMembers({
  methods: { GetSession: { inSignature: 's', outSignature: 'o' }, GetSessionByPID: { inSignature: 'u', outSignature: 'o' } },
});

const available = spawnSync('dbus-daemon', ['--version']).status === 0;
if (!available && process.env.CI === 'true') throw new Error('dbus-daemon is required (Debian package dbus)');

describe.skipIf(!available)('logind LockedHint over D-Bus', () => {
  let daemon: ChildProcess;
  let address: string;
  let service: dbus.MessageBus;
  const session = new FakeSession('org.freedesktop.login1.Session');
  const manager = new FakeManager('org.freedesktop.login1.Manager');

  beforeAll(async () => {
    daemon = spawn('dbus-daemon', ['--session', '--nofork', '--print-address'], { stdio: ['ignore', 'pipe', 'ignore'] });
    address = await new Promise<string>((resolve, reject) => {
      createInterface({ input: daemon.stdout! }).once('line', (l) => resolve(l.trim()));
      daemon.once('exit', (code) => reject(new Error(`dbus-daemon exited ${code}`)));
    });
    service = dbus.sessionBus({ busAddress: address });
    service.export('/org/freedesktop/login1', manager);
    service.export(SESSION_PATH, session);
    await service.requestName('org.freedesktop.login1', 0);
  });

  afterAll(() => {
    service?.disconnect();
    daemon?.kill();
  });

  function setLocked(locked: boolean): void {
    session.LockedHint = locked;
    Interface.emitPropertiesChanged(session, { LockedHint: locked }, []);
  }

  it('finds the session, reads the hint and reports each change once', async () => {
    const changes: boolean[] = [];
    let changed: () => void = () => undefined;
    const next = () => new Promise<void>((r) => (changed = r));
    const watch: LogindLockWatch = await watchLogindLock({
      bus: dbus.sessionBus({ busAddress: address }),
      sessionId: '37',
      onChange: (locked) => {
        changes.push(locked);
        changed();
      },
    });
    try {
      expect(manager.asked).toEqual(['session 37']);
      expect(watch.locked).toBe(false);
      let p = next();
      setLocked(true);
      await p;
      expect(changes).toEqual([true]);
      p = next();
      setLocked(false);
      await p;
      expect(changes).toEqual([true, false]);
      expect(watch.locked).toBe(false);
    } finally {
      watch.close();
    }
  });

  it('without a session id, asks by process id; a hint already set is read at start', async () => {
    setLocked(true);
    const watch = await watchLogindLock({ bus: dbus.sessionBus({ busAddress: address }), pid: 4242, onChange: () => undefined });
    try {
      expect(manager.asked.at(-1)).toBe('pid 4242');
      expect(watch.locked).toBe(true);
    } finally {
      watch.close();
      setLocked(false);
    }
  });

  it('no logind on the bus: rejects (the app falls back to the idle time)', async () => {
    const other = spawn('dbus-daemon', ['--session', '--nofork', '--print-address'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const empty = await new Promise<string>((resolve) => createInterface({ input: other.stdout }).once('line', (l) => resolve(l.trim())));
      await expect(watchLogindLock({ bus: dbus.sessionBus({ busAddress: empty }), sessionId: '1', onChange: () => undefined })).rejects.toThrow();
    } finally {
      other.kill();
    }
  });
});
