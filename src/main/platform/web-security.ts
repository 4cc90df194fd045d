/**
 * Wires the pure security decisions (app/web-security.ts) into Electron:
 * permission request + check handlers, navigation and new-window denial,
 * and external links through an allow-list.
 */
import { app, shell, type Session, type WebContents } from 'electron';
import { allowPermissionCheck, allowPermissionRequest, isAllowedExternalUrl, isAllowedNavigation } from '../app/web-security.js';

export function hardenSession(ses: Session): void {
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => {
    callback(
      allowPermissionRequest(permission, {
        requestingUrl: details.requestingUrl,
        isMainFrame: details.isMainFrame,
        mediaTypes: 'mediaTypes' in details ? details.mediaTypes : undefined,
      }),
    );
  });
  ses.setPermissionCheckHandler((_wc, permission, requestingOrigin, details) =>
    allowPermissionCheck(permission, requestingOrigin, 'mediaType' in details ? details.mediaType : undefined),
  );
}

export function openExternalIfAllowed(url: string): boolean {
  if (!isAllowedExternalUrl(url)) return false;
  void shell.openExternal(url);
  return true;
}

/** Every webContents the app creates: no navigation away, no new windows, no webviews. */
export function hardenAllWebContents(): void {
  app.on('web-contents-created', (_e, contents: WebContents) => {
    contents.on('will-navigate', (e, url) => {
      if (!isAllowedNavigation(url)) {
        e.preventDefault();
        openExternalIfAllowed(url);
      }
    });
    contents.on('will-redirect', (e, url) => {
      if (!isAllowedNavigation(url)) e.preventDefault();
    });
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      openExternalIfAllowed(url);
      return { action: 'deny' };
    });
  });
}
