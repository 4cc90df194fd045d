/**
 * Start at login on Linux: an XDG autostart entry
 * (`$XDG_CONFIG_HOME/autostart/<app id>.desktop`, default ~/.config), which
 * every freedesktop session (GNOME, KDE, Xfce, …) runs at login. Electron's
 * `app.setLoginItemSettings` does nothing on Linux.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LoginItemPort } from '../app/ports.js';

export interface LinuxAutostartOptions {
  appId: string;
  name: string;
  /** Program and arguments, e.g. [AppImage path, '--hidden'] or [electron, app dir, '--hidden']. */
  command: readonly string[];
  icon?: string;
  comment?: string;
  /** Defaults to $XDG_CONFIG_HOME or ~/.config. */
  configHome?: string;
}

/**
 * Quotes one Exec argument per the Desktop Entry spec: reserved characters
 * force double quotes, inside which `"`, `` ` ``, `$` and `\` are
 * backslash-escaped; then the string-value escape doubles every backslash,
 * and a literal `%` is written `%%` (field codes).
 */
export function quoteExecArg(arg: string): string {
  if (/[\n\r]/.test(arg)) throw new Error('a command-line argument cannot contain a line break');
  let out = arg;
  if (arg === '' || /[\s"'\\><~|&;$*?#()`]/.test(arg)) out = `"${arg.replace(/["`$\\]/g, (c) => `\\${c}`)}"`;
  return out.replace(/\\/g, '\\\\').replace(/%/g, '%%');
}

function singleLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/\\/g, '\\\\');
}

export function autostartEntry(o: LinuxAutostartOptions): string {
  if (o.command.length === 0) throw new Error('the autostart command is empty');
  const lines = [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    `Name=${singleLine(o.name)}`,
    ...(o.comment ? [`Comment=${singleLine(o.comment)}`] : []),
    `Exec=${o.command.map(quoteExecArg).join(' ')}`,
    ...(o.icon ? [`Icon=${singleLine(o.icon)}`] : []),
    'Terminal=false',
    'StartupNotify=false',
    'X-GNOME-Autostart-enabled=true',
    // Ask for a delay so the tray (StatusNotifier host) is up before we add an icon.
    'X-GNOME-Autostart-Delay=2',
  ];
  return `${lines.join('\n')}\n`;
}

export class LinuxAutostart implements LoginItemPort {
  constructor(private readonly opts: LinuxAutostartOptions) {}

  get file(): string {
    const home = this.opts.configHome || process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
    return path.join(home, 'autostart', `${this.opts.appId}.desktop`);
  }

  async setEnabled(enabled: boolean): Promise<void> {
    const file = this.file;
    if (!enabled) {
      await fs.rm(file, { force: true });
      return;
    }
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Write then rename: a session starting at this moment never reads half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, autostartEntry(this.opts), { mode: 0o644 });
    await fs.rename(tmp, file);
  }

  async isEnabled(): Promise<boolean> {
    try {
      const text = await fs.readFile(this.file, 'utf8');
      return !/^Hidden\s*=\s*true\s*$/m.test(text) && !/^X-GNOME-Autostart-enabled\s*=\s*false\s*$/m.test(text);
    } catch {
      return false;
    }
  }
}
