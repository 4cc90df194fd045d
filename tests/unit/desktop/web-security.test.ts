import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  allowPermissionCheck,
  allowPermissionRequest,
  appResponseHeaders,
  isAllowedExternalUrl,
  isAllowedNavigation,
  isAppUrl,
  isTrustedSender,
} from '../../../src/main/app/web-security.js';

const ours = new Set([7, 9]);

describe('IPC sender validation', () => {
  it('accepts our windows showing our pages (any route)', () => {
    expect(isTrustedSender({ frameUrl: 'app://softphone/index.html', isMainFrame: true, webContentsId: 7 }, ours)).toBe(true);
    expect(isTrustedSender({ frameUrl: 'app://softphone/index.html#ringing', isMainFrame: true, webContentsId: 9 }, ours)).toBe(true);
  });

  it.each([
    ['a webContents that is not ours', { frameUrl: 'app://softphone/index.html', isMainFrame: true, webContentsId: 8 }],
    ['our window after navigating away', { frameUrl: 'https://evil.example/', isMainFrame: true, webContentsId: 7 }],
    ['a sub-frame', { frameUrl: 'app://softphone/index.html', isMainFrame: false, webContentsId: 7 }],
    ['a frame that is gone', { frameUrl: undefined, isMainFrame: true, webContentsId: 7 }],
    ['file://', { frameUrl: 'file:///work/main/dist/renderer/index.html', isMainFrame: true, webContentsId: 7 }],
    ['another host on our scheme', { frameUrl: 'app://evil/index.html', isMainFrame: true, webContentsId: 7 }],
    ['credentials in the URL', { frameUrl: 'app://x@softphone/index.html', isMainFrame: true, webContentsId: 7 }],
    ['a port', { frameUrl: 'app://softphone:80/index.html', isMainFrame: true, webContentsId: 7 }],
    ['look-alike host', { frameUrl: 'app://softphone.evil/index.html', isMainFrame: true, webContentsId: 7 }],
    ['devtools', { frameUrl: 'devtools://devtools/bundled/inspector.html', isMainFrame: true, webContentsId: 7 }],
  ])('refuses %s', (_what, sender) => {
    expect(isTrustedSender(sender, ours)).toBe(false);
  });
});

describe('permissions', () => {
  it('grants the microphone to our main frame only, never the camera', () => {
    const url = 'app://softphone/index.html';
    expect(allowPermissionRequest('media', { requestingUrl: url, isMainFrame: true, mediaTypes: ['audio'] })).toBe(true);
    expect(allowPermissionRequest('media', { requestingUrl: url, isMainFrame: true, mediaTypes: ['audio', 'video'] })).toBe(false);
    expect(allowPermissionRequest('media', { requestingUrl: url, isMainFrame: true, mediaTypes: [] })).toBe(false);
    expect(allowPermissionRequest('media', { requestingUrl: url, isMainFrame: false, mediaTypes: ['audio'] })).toBe(false);
    expect(allowPermissionRequest('media', { requestingUrl: 'https://evil.example/', isMainFrame: true, mediaTypes: ['audio'] })).toBe(false);
    expect(allowPermissionRequest('speaker-selection', { requestingUrl: url, isMainFrame: true })).toBe(true);
    for (const p of ['notifications', 'geolocation', 'openExternal', 'display-capture', 'clipboard-read', 'hid', 'usb']) {
      expect(allowPermissionRequest(p, { requestingUrl: url, isMainFrame: true })).toBe(false);
    }
  });

  it('answers permission checks the same way, by origin', () => {
    expect(allowPermissionCheck('media', 'app://softphone', 'audio')).toBe(true);
    expect(allowPermissionCheck('media', 'app://softphone', 'video')).toBe(false);
    expect(allowPermissionCheck('media', 'http://localhost:4000', 'audio')).toBe(false);
    expect(allowPermissionCheck('speaker-selection', 'app://softphone')).toBe(true);
    expect(allowPermissionCheck('notifications', 'app://softphone')).toBe(false);
    expect(allowPermissionCheck('media', '', 'audio')).toBe(false);
  });
});

describe('links and navigation', () => {
  it('opens only https documentation links externally', () => {
    expect(isAllowedExternalUrl('https://opensoftphone.org/docs/start')).toBe(true);
    expect(isAllowedExternalUrl('https://github.com/opensoftphone/softphone/issues')).toBe(true);
    expect(isAllowedExternalUrl('http://opensoftphone.org/')).toBe(false);
    expect(isAllowedExternalUrl('https://opensoftphone.org.evil.example/')).toBe(false);
    expect(isAllowedExternalUrl('https://github.com/opensoftphone-evil/x')).toBe(false);
    expect(isAllowedExternalUrl('https://user:pw@opensoftphone.org/')).toBe(false);
    expect(isAllowedExternalUrl('file:///etc/passwd')).toBe(false);
    expect(isAllowedExternalUrl('smb://server/share')).toBe(false);
    expect(isAllowedExternalUrl('not a url')).toBe(false);
  });

  it('keeps windows on our own pages', () => {
    expect(isAllowedNavigation('app://softphone/index.html#history')).toBe(true);
    expect(isAllowedNavigation('https://opensoftphone.org/')).toBe(false);
    expect(isAppUrl('app://softphone')).toBe(true);
  });
});

describe('Content-Security-Policy', () => {
  it('allows only our own scripts and no framing, objects or form posts', () => {
    const directives = Object.fromEntries(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(directives['base-uri']).toEqual(["'none'"]);
    expect(directives['media-src']).toContain('mediastream:');
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval/);
    expect(appResponseHeaders('text/html')).toMatchObject({
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'content-type': 'text/html',
    });
  });
});
