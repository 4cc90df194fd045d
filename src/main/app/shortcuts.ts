/**
 * Global shortcuts for answering and hanging up, from the device settings
 * (`answerShortcut`, `hangupShortcut`; '' = none). Re-registered whenever
 * the settings change; a taken or invalid accelerator is reported, never
 * fatal.
 */
import type { CoreLogger } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import type { DeviceSettings } from '../../shared/contract.js';
import type { ShortcutsPort } from './ports.js';

export interface ShortcutActions {
  answer(): void;
  hangup(): void;
}

export interface ShortcutStatus {
  answer: 'registered' | 'none' | 'failed';
  hangup: 'registered' | 'none' | 'failed';
}

export class ShortcutBinder {
  private registered: string[] = [];
  private applied = '';
  private readonly log: CoreLogger;
  status: ShortcutStatus = { answer: 'none', hangup: 'none' };

  constructor(
    private readonly port: ShortcutsPort,
    private readonly actions: ShortcutActions,
    log?: CoreLogger,
  ) {
    this.log = log ?? silentLogger;
  }

  apply(settings: Pick<DeviceSettings, 'answerShortcut' | 'hangupShortcut'>): ShortcutStatus {
    const key = `${settings.answerShortcut}\n${settings.hangupShortcut}`;
    if (key === this.applied) return this.status;
    this.clear();
    this.applied = key;
    const status: ShortcutStatus = { answer: 'none', hangup: 'none' };
    const bind = (which: keyof ShortcutStatus, accelerator: string, handler: () => void) => {
      const acc = accelerator.trim();
      if (!acc) return;
      if (this.registered.includes(acc)) {
        this.log.warn('the same shortcut is set for answer and hang up; keeping it for answer', { accelerator: acc });
        status[which] = 'failed';
        return;
      }
      let ok = false;
      try {
        ok = this.port.register(acc, handler);
      } catch (err) {
        this.log.warn('invalid shortcut', { accelerator: acc, error: String(err) });
      }
      if (ok) this.registered.push(acc);
      else this.log.warn('could not register the global shortcut (taken by another app?)', { accelerator: acc });
      status[which] = ok ? 'registered' : 'failed';
    };
    bind('answer', settings.answerShortcut, () => this.actions.answer());
    bind('hangup', settings.hangupShortcut, () => this.actions.hangup());
    this.status = status;
    return status;
  }

  clear(): void {
    for (const acc of this.registered) {
      try {
        this.port.unregister(acc);
      } catch {
        // Already gone (e.g. the app is quitting).
      }
    }
    this.registered = [];
    this.applied = '';
    this.status = { answer: 'none', hangup: 'none' };
  }
}
