/** Thin Electron adapters for the power, login-item, shortcut and shell ports. */
import { app, globalShortcut, powerMonitor, powerSaveBlocker } from 'electron';
import { HIDDEN_FLAG } from '../app/constants.js';
import type { LoginItemPort, PowerEvent, PowerPort, ShellPort, ShortcutsPort } from '../app/ports.js';

export const electronPower: PowerPort = {
  on(event: PowerEvent, listener: () => void) {
    powerMonitor.on(event as 'resume', listener);
    return () => void powerMonitor.off(event as 'resume', listener);
  },
  preventAppSuspension() {
    const id = powerSaveBlocker.start('prevent-app-suspension');
    return () => {
      if (powerSaveBlocker.isStarted(id)) powerSaveBlocker.stop(id);
    };
  },
};

/** macOS and Windows login items (Linux: node/linux-autostart.ts). */
export const electronLoginItem: LoginItemPort = {
  async setEnabled(enabled) {
    // `args` is honoured on Windows; macOS reports `wasOpenedAtLogin` instead.
    app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_FLAG] });
  },
  async isEnabled() {
    return app.getLoginItemSettings({ args: [HIDDEN_FLAG] }).openAtLogin;
  },
};

export const electronShortcuts: ShortcutsPort = {
  register(accelerator, handler) {
    return globalShortcut.register(accelerator, handler);
  },
  unregister(accelerator) {
    globalShortcut.unregister(accelerator);
  },
};

export function electronShell(quit: () => void): ShellPort {
  return {
    setBadgeCount(count) {
      // macOS dock and Unity-style Linux launchers; false (ignored) elsewhere.
      app.setBadgeCount(count);
    },
    quit,
  };
}
