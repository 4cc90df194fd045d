/**
 * A real Linux desktop session for notification tests: its own Xvfb
 * display, its own D-Bus session bus (dbus-launch) and dunst as the
 * freedesktop notification daemon, with dunst's action menu pointed at a
 * script so a test can press a notification's button
 * (docs/dev recipes §3). Everything started here is stopped by stop().
 *
 *   const session = await startDesktopSession();
 *   … FreedesktopNotifier.connect({ busAddress: session.busAddress, … }) …
 *   await session.waitForDisplayed(1);
 *   await session.invokeAction('Answer');   // dunstctl action 0
 *   await session.stop();
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sessionBus } from 'dbus-next';

const run = promisify(execFile);
const NOTIFICATIONS = 'org.freedesktop.Notifications';
/** Notifications with this desktop-entry hint (and critical urgency) are tagged in the rendered message. */
export const DESKTOP_ENTRY_TAG = 'org.opensoftphone.desktop';

export interface DesktopSessionEnv {
  /** e.g. ':93' */
  display: string;
  busAddress: string;
  /** Environment for child processes that should join this session. */
  env: NodeJS.ProcessEnv;
  /** Runs dunstctl against this session's dunst. */
  dunstctl(...args: string[]): Promise<string>;
  displayedCount(): Promise<number>;
  /** Resolves once dunst shows exactly `n` notifications. */
  waitForDisplayed(n: number, timeoutMs?: number): Promise<void>;
  /** Presses the button labelled `label` on the newest notification (dunstctl action 0). */
  invokeAction(label: string): Promise<void>;
  /**
   * The action menu dunst offered the last time an action was invoked (what
   * the notification carried), e.g. [{ label: 'Answer', key: 'answer', … }].
   */
  lastMenu(): MenuEntry[];
  stop(): Promise<void>;
}

/** One line of dunst's action menu: `#Answer (Incoming call) [7,answer]`. */
export interface MenuEntry {
  label: string;
  /** The notification's summary. */
  summary: string;
  /** The notification id (as Notify returned it). */
  id: number;
  /** The action key the sender gave. */
  key: string;
  line: string;
}

export function parseMenu(text: string): MenuEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const m = /^#(.*) \((.*)\) \[(\d+),(.*)\]$/.exec(line);
      return m ? { label: m[1]!, summary: m[2]!, id: Number(m[3]), key: m[4]!, line } : { label: line, summary: '', id: 0, key: '', line };
    });
}

const DESKTOP_BINARIES: [bin: string, debianPackage: string][] = [
  ['Xvfb', 'xvfb'],
  ['dbus-launch', 'dbus-x11'],
  ['dunst', 'dunst'],
  ['dunstctl', 'dunst'],
];

/** Why a desktop session cannot start here (a missing binary), or null when it can. */
export function desktopSessionMissing(): string | null {
  for (const [bin, pkg] of DESKTOP_BINARIES) {
    const found = (process.env.PATH ?? '').split(path.delimiter).some((d) => fs.existsSync(path.join(d, bin)));
    if (!found) return `${bin} is not installed (Debian package ${pkg})`;
  }
  return null;
}

/**
 * For suites that skip without a desktop session: the reason to skip, or null. With
 * CI=true a missing notification daemon (or display, or bus) is an error, not a skip,
 * so a CI run never passes with the notification tests silently left out.
 */
export function desktopSessionAvailable(): string | null {
  const missing = desktopSessionMissing();
  if (missing && isCi()) {
    throw new Error(`CI=true but the notification tests cannot run: ${missing}. Fix: run \`npm run setup:test\` (as root).`);
  }
  return missing;
}

function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

function waitForExitOrKill(child: ChildProcess, timeoutMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts Xvfb on a display number it picks itself (-displayfd: no guessing, no races). */
async function startXvfb(): Promise<{ child: ChildProcess; display: string }> {
  const child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start: ${stderr}`)), 10_000);
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`:${m[1]}`);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}): ${stderr}`));
    });
  });
  return { child, display };
}

async function startBus(display: string): Promise<{ address: string; pid: number }> {
  const { stdout } = await run('dbus-launch', ['--sh-syntax'], { env: { ...process.env, DISPLAY: display } });
  const address = /DBUS_SESSION_BUS_ADDRESS='([^']+)'/.exec(stdout)?.[1];
  const pid = Number(/DBUS_SESSION_BUS_PID=(\d+)/.exec(stdout)?.[1]);
  if (!address || !pid) throw new Error(`unexpected dbus-launch output: ${stdout}`);
  return { address, pid };
}

/** Resolves when someone owns the notification service name (without activating one). */
async function waitForNotificationService(address: string, timeoutMs: number): Promise<void> {
  const bus = sessionBus({ busAddress: address });
  try {
    const obj = await bus.getProxyObject('org.freedesktop.DBus', '/org/freedesktop/DBus');
    const dbus = obj.getInterface('org.freedesktop.DBus') as unknown as {
      NameHasOwner(name: string): Promise<boolean>;
      on(signal: 'NameOwnerChanged', l: (name: string, oldOwner: string, newOwner: string) => void): void;
    };
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('dunst did not take the notification service name')), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      dbus.on('NameOwnerChanged', (name, _old, owner) => {
        if (name === NOTIFICATIONS && owner) done();
      });
      void dbus.NameHasOwner(NOTIFICATIONS).then((has) => has && done(), reject);
    });
  } finally {
    bus.disconnect();
  }
}

export async function startDesktopSession(): Promise<DesktopSessionEnv> {
  const reason = desktopSessionMissing();
  if (reason) throw new Error(`cannot start a desktop session: ${reason}; run \`npm run setup:test\``);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'softphone-desktop-'));
  const started: ChildProcess[] = [];
  let busPid = 0;
  const stop = async () => {
    for (const child of started.reverse()) await waitForExitOrKill(child);
    if (busPid) {
      try {
        process.kill(busPid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const x = await startXvfb();
    started.push(x.child);
    const bus = await startBus(x.display);
    busPid = bus.pid;

    // dunst's "dmenu" is this script: it gets the action list on stdin and
    // prints the line to invoke — the label written to pick.txt, else $DUNST_PICK.
    // It keeps a copy of the menu it was offered (menu.txt).
    const pickFile = path.join(dir, 'pick.txt');
    const pickScript = path.join(dir, 'pick.sh');
    const menuFile = path.join(dir, 'menu.txt');
    fs.writeFileSync(
      pickScript,
      `#!/bin/sh\nlabel="\${DUNST_PICK:-Answer}"\n[ -s "${pickFile}" ] && label="$(cat "${pickFile}")"\nmenu="$(cat)"\nprintf '%s\\n' "$menu" > "${menuFile}.tmp" && mv -f "${menuFile}.tmp" "${menuFile}"\nprintf '%s\\n' "$menu" | grep -m1 -- "$label"\n`,
      { mode: 0o755 },
    );
    const rc = path.join(dir, 'dunstrc');
    fs.writeFileSync(
      rc,
      [
        '[global]',
        `    dmenu = ${pickScript}`,
        '    show_indicators = yes',
        // Keep every notification on screen so counts are exact.
        '    notification_limit = 20',
        '    idle_threshold = 0',
        '[urgency_low]',
        '    timeout = 0',
        '[urgency_normal]',
        '    timeout = 0',
        '[urgency_critical]',
        '    timeout = 0',
        // Make hints visible in `dunstctl history` (its JSON has no urgency or desktop entry):
        // the rendered message says which rules matched.
        '[tag_critical]',
        '    urgency = critical',
        '    format = "[critical] <b>%s</b>\\n%b"',
        '[tag_critical_entry]',
        '    urgency = critical',
        `    desktop_entry = ${DESKTOP_ENTRY_TAG}`,
        `    format = "[critical ${DESKTOP_ENTRY_TAG}] <b>%s</b>\\n%b"`,
        '',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DISPLAY: x.display,
      DBUS_SESSION_BUS_ADDRESS: bus.address,
      XDG_CONFIG_HOME: dir,
    };
    const dunst = spawn('dunst', ['-config', rc], { env: { ...env, DUNST_PICK: 'Answer' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let dunstErr = '';
    dunst.stderr.on('data', (d: Buffer) => (dunstErr += d.toString()));
    started.push(dunst);
    await waitForNotificationService(bus.address, 10_000).catch((err: unknown) => {
      throw new Error(`${String(err)}: ${dunstErr}`);
    });

    const dunstctl = async (...args: string[]) => (await run('dunstctl', args, { env })).stdout.trim();
    const displayedCount = async () => Number(await dunstctl('count', 'displayed'));
    return {
      display: x.display,
      busAddress: bus.address,
      env,
      dunstctl,
      displayedCount,
      async waitForDisplayed(n, timeoutMs = 5_000) {
        // dunst has no "displayed" signal: ask it (a local D-Bus round trip) until it agrees.
        const deadline = Date.now() + timeoutMs;
        let last = -1;
        while (Date.now() < deadline) {
          last = await displayedCount();
          if (last === n) return;
          await new Promise((r) => setTimeout(r, 25));
        }
        throw new Error(`dunst displays ${last} notifications, expected ${n}`);
      },
      async invokeAction(label) {
        fs.writeFileSync(pickFile, label);
        await dunstctl('action', '0');
      },
      lastMenu() {
        return fs.existsSync(menuFile) ? parseMenu(fs.readFileSync(menuFile, 'utf8')) : [];
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
