/**
 * The one IPC entry point: `ipcMain.handle(IPC.invoke)` for requests from
 * our own pages in our own windows, and `IPC.event` messages out to them.
 */
import { ipcMain, type WebContents } from 'electron';
import type { CoreLogger } from '../../core/ports.js';
import type { HostBridge } from '../../core/host-bridge.js';
import { IPC } from '../../shared/contract.js';
import { isAppUrl, isTrustedSender } from '../app/web-security.js';

export function registerIpc(bridge: HostBridge, ours: () => WebContents[], log: CoreLogger): () => void {
  ipcMain.handle(IPC.invoke, async (event, channel: unknown, payload: unknown) => {
    const frame = event.senderFrame;
    const trusted = isTrustedSender(
      { frameUrl: frame?.url, isMainFrame: !!frame && frame.parent === null, webContentsId: event.sender.id },
      new Set(ours().map((wc) => wc.id)),
    );
    if (!trusted) {
      log.warn('refused an IPC request from an unknown sender', { url: frame?.url?.slice(0, 120) });
      return { ok: false, error: { code: 'forbidden', message: 'This page may not use the softphone.' } };
    }
    return bridge.invoke(channel, payload);
  });
  const off = bridge.subscribe((name, payload) => {
    for (const wc of ours()) {
      if (!wc.isDestroyed() && isAppUrl(wc.getURL())) wc.send(IPC.event, name, payload);
    }
  });
  return () => {
    off();
    ipcMain.removeHandler(IPC.invoke);
  };
}
