import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LinuxAutostart, autostartEntry, quoteExecArg } from '../../../src/main/node/linux-autostart.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'autostart-'));
  dirs.push(d);
  return d;
}

describe('Linux autostart entry', () => {
  it('quotes Exec arguments as the Desktop Entry spec requires', () => {
    expect(quoteExecArg('/usr/bin/open-softphone')).toBe('/usr/bin/open-softphone');
    expect(quoteExecArg('--hidden')).toBe('--hidden');
    expect(quoteExecArg('/opt/Open Softphone/open-softphone')).toBe('"/opt/Open Softphone/open-softphone"');
    expect(quoteExecArg('/home/a$b/x')).toBe('"/home/a\\\\$b/x"');
    expect(quoteExecArg('C:\\x')).toBe('"C:\\\\\\\\x"');
    expect(quoteExecArg('100%')).toBe('100%%');
    expect(quoteExecArg('')).toBe('""');
    expect(() => quoteExecArg('a\nExec=evil')).toThrow(/line break/);
  });

  it('writes a start-hidden entry and removes it again', async () => {
    const home = tmp();
    const a = new LinuxAutostart({
      appId: 'org.opensoftphone.desktop',
      name: 'Open Softphone',
      command: ['/tmp/My Apps/Open_Softphone.AppImage', '--hidden'],
      icon: '/opt/icon.png',
      configHome: home,
    });
    expect(a.file).toBe(path.join(home, 'autostart', 'org.opensoftphone.desktop.desktop'));
    expect(await a.isEnabled()).toBe(false);
    await a.setEnabled(true);
    const text = fs.readFileSync(a.file, 'utf8');
    expect(text.split('\n')).toEqual(
      expect.arrayContaining([
        '[Desktop Entry]',
        'Type=Application',
        'Name=Open Softphone',
        'Exec="/tmp/My Apps/Open_Softphone.AppImage" --hidden',
        'Icon=/opt/icon.png',
        'X-GNOME-Autostart-enabled=true',
      ]),
    );
    expect(fs.statSync(a.file).mode & 0o777).toBe(0o644);
    expect(fs.readdirSync(path.dirname(a.file))).toEqual(['org.opensoftphone.desktop.desktop']);
    expect(await a.isEnabled()).toBe(true);
    await a.setEnabled(true); // idempotent
    await a.setEnabled(false);
    expect(fs.existsSync(a.file)).toBe(false);
    await a.setEnabled(false); // nothing to remove: fine
    expect(await a.isEnabled()).toBe(false);
  });

  it('a name cannot inject keys into the entry', () => {
    const text = autostartEntry({ appId: 'x', name: 'Evil\nExec=/bin/sh', command: ['/bin/true'] });
    expect(text.split('\n').filter((l) => l.startsWith('Exec='))).toEqual(['Exec=/bin/true']);
  });

  it('honours XDG_CONFIG_HOME', () => {
    const home = tmp();
    const saved = process.env.XDG_CONFIG_HOME;
    process.env.XDG_CONFIG_HOME = home;
    try {
      expect(new LinuxAutostart({ appId: 'a.b', name: 'n', command: ['/x'] }).file).toBe(path.join(home, 'autostart', 'a.b.desktop'));
    } finally {
      if (saved === undefined) delete process.env.XDG_CONFIG_HOME;
      else process.env.XDG_CONFIG_HOME = saved;
    }
  });
});
