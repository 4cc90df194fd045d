/**
 * What the desktop logic needs from the operating system, as narrow ports.
 * src/main/platform implements them with Electron (a few lines each),
 * src/main/node with plain Node (D-Bus notifications, the Linux autostart
 * file, network changes), and tests with fakes. Nothing here imports
 * Electron, so every decision the desktop app takes runs in plain Node.
 */
import type { AgentStatus, SetStatus } from '../../shared/protocol/index.js';

export type AppView = 'main' | 'call' | 'settings' | 'history';

/** The main window. */
export interface MainWindowPort {
  /** Shows, restores and focuses it. */
  show(): void;
  hide(): void;
  isVisible(): boolean;
  isFocused(): boolean;
}

/** The small always-on-top incoming-call window; its content follows the session state. */
export interface RingingWindowPort {
  /** Shows it without taking focus. */
  show(): void;
  hide(): void;
  isVisible(): boolean;
}

// ───────────────────────────── tray ─────────────────────────────

/** What the tray icon shows: connection first, then presence. */
export type TrayIconState = 'available' | 'busy' | 'dnd' | 'away' | 'reconnecting' | 'offline';

export type TrayAction =
  | { type: 'open'; view?: AppView }
  | { type: 'status'; status: SetStatus }
  /** Agents: ask for a state (kept as the next status while busy); null cancels the next status. */
  | { type: 'agent'; status: AgentStatus | null }
  | { type: 'call-back'; userId: string; label: string }
  | { type: 'quit' };

export type TrayMenuItem =
  | { kind: 'label'; label: string }
  | { kind: 'action'; label: string; action: TrayAction; enabled: boolean }
  | { kind: 'radio'; label: string; action: TrayAction; checked: boolean; enabled: boolean }
  | { kind: 'submenu'; label: string; items: TrayMenuItem[]; enabled: boolean }
  | { kind: 'separator' };

export interface TrayModel {
  icon: TrayIconState;
  /** Draws the missed-call dot over the icon. */
  missed: boolean;
  tooltip: string;
  menu: TrayMenuItem[];
}

export interface TrayPort {
  render(model: TrayModel): void;
  /** Menu clicks and (Windows/Linux) a click on the icon, which sends `{ type: 'open' }`. */
  onAction(handler: (action: TrayAction) => void): void;
}

// ───────────────────────────── notifications ─────────────────────────────

export interface NoticeAction {
  /** Stable key reported back (e.g. 'answer'); never shown. */
  key: string;
  label: string;
}

export interface Notice {
  /** Notices with the same tag replace each other (a growing "3 missed calls"). */
  tag: string;
  kind: 'incoming-call' | 'missed-calls';
  title: string;
  body: string;
  actions: NoticeAction[];
  urgency: 'low' | 'normal' | 'critical';
  /** Stays on screen until closed by the app or the user (a ringing call). */
  persistent: boolean;
}

export interface NoticeHandlers {
  onAction?(key: string): void;
  /** The body was clicked. */
  onClick?(): void;
  /** Dismissed by the user, expired, or closed by the app. */
  onClosed?(reason: 'expired' | 'dismissed' | 'closed' | 'unknown'): void;
}

export interface NotificationHandle {
  close(): Promise<void>;
}

export interface NotifierPort {
  show(notice: Notice, handlers: NoticeHandlers): Promise<NotificationHandle>;
}

// ───────────────────────────── power & network ─────────────────────────────

export type PowerEvent = 'suspend' | 'resume' | 'lock-screen' | 'unlock-screen';

export interface PowerPort {
  on(event: PowerEvent, listener: () => void): () => void;
  /** Keeps the OS from suspending the app (not the display); returns the release function. */
  preventAppSuspension(): () => void;
}

/**
 * Is the user at the machine (desktop auto-away for agents)? Lock and unlock of the user's
 * session (powerMonitor lock events on macOS/Windows, logind's LockedHint on Linux) and the
 * system-wide idle time.
 */
export interface ScreenLockPort {
  onLockChange(listener: (locked: boolean) => void): () => void;
  /** Seconds since the last keyboard or mouse input, system-wide. */
  idleSeconds(): number;
  /** Releases OS resources (a D-Bus connection). */
  dispose?(): void;
}

export interface NetworkPort {
  /** Called when connectivity changes (`true` = some network is up). */
  onChange(listener: (online: boolean) => void): () => void;
}

// ───────────────────────────── login item, shortcuts, shell ─────────────────────────────

export interface LoginItemPort {
  /** Starts the app at login (hidden in the tray), or stops doing so. */
  setEnabled(enabled: boolean): Promise<void>;
  isEnabled(): Promise<boolean>;
}

export interface ShortcutsPort {
  /** Registers a global shortcut; false when the accelerator is invalid or taken. */
  register(accelerator: string, handler: () => void): boolean;
  unregister(accelerator: string): void;
}

export interface ShellPort {
  /** Dock / launcher badge (macOS, Unity launchers); a no-op where unsupported. */
  setBadgeCount(count: number): void;
  /** Quits the app for real (the tray's Quit). */
  quit(): void;
}

/** Encrypts secrets at rest (Electron's safeStorage: Keychain, DPAPI, libsecret/kwallet). */
export interface SecretCipher {
  /** False when only an obfuscating fallback would be used (e.g. Linux without a keyring). */
  isAvailable(): boolean;
  encrypt(plain: string): string;
  decrypt(cipherText: string): string;
}
