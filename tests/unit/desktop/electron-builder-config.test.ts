import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { APP_ID, PRODUCT_NAME } from '../../../src/main/app/constants.js';

const config = parse(fs.readFileSync('electron-builder.yml', 'utf8'));

describe('electron-builder.yml', () => {
  it('identifies the app consistently with the code', () => {
    expect(config.appId).toBe(APP_ID);
    expect(config.productName).toBe(PRODUCT_NAME);
    // Electron's WM_CLASS / app_id and the .desktop name come from desktopName: it must match the notification hint.
    expect(config.extraMetadata.desktopName).toBe(`${APP_ID}.desktop`);
    expect(config.extraMetadata.main).toBe(JSON.parse(fs.readFileSync('package.json', 'utf8')).main);
  });

  it('sets the Electron fuses', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('Linux: AppImage and deb; desktop entry handles tel:/softphone: and matches the notification desktop-entry', () => {
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.linux.syncDesktopName).toBe(true);
    const entry = config.linux.desktop.entry;
    expect(entry.MimeType).toBe('x-scheme-handler/tel;x-scheme-handler/softphone;');
    expect(entry.StartupWMClass).toBe(APP_ID);
    expect(config.linux.category).toMatch(/Telephony/);
    expect(config.protocols.flatMap((p: { schemes: string[] }) => p.schemes).sort()).toEqual(['softphone', 'tel']);
  });

  it('macOS: dmg, hardened runtime, microphone usage string and entitlement', () => {
    expect(config.mac.target).toContain('dmg');
    expect(config.mac.hardenedRuntime).toBe(true);
    expect(config.mac.extendInfo.NSMicrophoneUsageDescription).toMatch(/microphone/);
    const plist = fs.readFileSync(config.mac.entitlements, 'utf8');
    expect(plist).toMatch(/<key>com\.apple\.security\.device\.audio-input<\/key>\s*<true\/>/);
    expect(plist).not.toMatch(/com\.apple\.security\.device\.camera/);
  });

  it('Windows: nsis with shortcuts (the AppUserModelID toasts need)', () => {
    expect(config.win.target).toContain('nsis');
    expect(config.nsis.createStartMenuShortcut).toBe(true);
  });

  it('ships the unpacked assets the notification daemon reads and no source maps', () => {
    expect(config.asarUnpack).toContain('assets/**');
    expect(config.files).toContain('!**/*.map');
    for (const f of ['icon.png', 'tray/tray-available-light.png']) expect(fs.existsSync(`assets/${f}`)).toBe(true);
  });

  it("is valid against electron-builder's own configuration schema", () => {
    // ajv comes with electron-builder's dependency tree; the schema ships with app-builder-lib.
    const require = createRequire(import.meta.url);
    const Ajv = require('ajv') as new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } };
    const schema = JSON.parse(fs.readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8'));
    const validate = new Ajv({ strict: false }).compile(schema);
    const ok = validate(config);
    expect(validate.errors ?? null).toBeNull();
    expect(ok).toBe(true);
  }, 30_000); // compiling the large schema takes seconds on a busy machine
});
