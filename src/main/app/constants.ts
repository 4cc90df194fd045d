/**
 * Identity of the desktop app. The app id is used everywhere the OS
 * correlates things with the app: the Windows AppUserModelID (toasts and
 * their buttons only work when it matches the installed shortcut), the
 * freedesktop `desktop-entry` hint (the .desktop file name without suffix,
 * which must match `StartupWMClass` in the packaged entry), and the Linux
 * autostart file name. electron-builder.yml uses the same values.
 */
export const APP_ID = 'org.opensoftphone.desktop';
export const PRODUCT_NAME = 'Open Softphone';
/** The executable / WM_CLASS name electron-builder derives for Linux. */
export const LINUX_EXECUTABLE = 'open-softphone';

/**
 * The renderer is served from `app://softphone/…`: a privileged, standard,
 * secure custom scheme (see platform/app-protocol.ts for why not file://).
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'softphone';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const MAIN_PAGE_URL = `${APP_ORIGIN}/index.html`;
/** The renderer's small incoming-call view (built by the renderer). */
export const RINGING_PAGE_URL = `${APP_ORIGIN}/index.html#ringing`;

/** Links that place a call: `tel:+15550100`, `softphone:bob`, `softphone://call/bob`. */
export const CALL_LINK_SCHEMES = ['tel', 'softphone'] as const;

/** Started by the OS at login: stay in the tray. */
export const HIDDEN_FLAG = '--hidden';

/** The only external pages the app opens (in the user's browser). */
export const EXTERNAL_LINK_ALLOWLIST = ['https://opensoftphone.org', 'https://github.com/opensoftphone'] as const;

/** How often the system idle time is read for auto-away. */
export const AUTO_AWAY_POLL_MS = 15_000;
