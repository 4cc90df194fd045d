/** The application menu (macOS menu bar; the Alt menu on Windows/Linux). */
import { Menu, type MenuItemConstructorOptions } from 'electron';
import { PRODUCT_NAME } from '../app/constants.js';
import type { AppView } from '../app/ports.js';

export interface MenuHandlers {
  openView: (view: AppView) => void;
  hideWindow: () => void;
  quit: () => void;
  openDocs: () => void;
  devTools: boolean;
}

export function installAppMenu(h: MenuHandlers): void {
  const mac = process.platform === 'darwin';
  const settings: MenuItemConstructorOptions = {
    label: 'Settings…',
    accelerator: 'CommandOrControl+,',
    click: () => h.openView('settings'),
  };
  const quit: MenuItemConstructorOptions = { label: `Quit ${PRODUCT_NAME}`, accelerator: 'CommandOrControl+Q', click: h.quit };
  const template: MenuItemConstructorOptions[] = [
    ...(mac
      ? [
          {
            label: PRODUCT_NAME,
            submenu: [
              { role: 'about' },
              { type: 'separator' },
              settings,
              { type: 'separator' },
              { role: 'services' },
              { type: 'separator' },
              { role: 'hide' },
              { role: 'hideOthers' },
              { role: 'unhide' },
              { type: 'separator' },
              quit,
            ],
          } satisfies MenuItemConstructorOptions,
        ]
      : []),
    {
      label: 'File',
      submenu: [
        ...(mac ? [] : [settings]),
        { label: 'Call history', accelerator: 'CommandOrControl+Y', click: () => h.openView('history') },
        { type: 'separator' },
        // Closing keeps the app in the tray, reachable for calls.
        { label: 'Close window', accelerator: 'CommandOrControl+W', click: h.hideWindow },
        ...(mac ? [] : [{ type: 'separator' } as const, quit]),
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        ...(h.devTools ? [{ role: 'reload' } as const, { role: 'toggleDevTools' } as const, { type: 'separator' } as const] : []),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
      ],
    },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: 'Documentation', click: h.openDocs }] },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
