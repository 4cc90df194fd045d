/** The tray icon and its menu, rendered from a TrayModel (app/tray-model.ts). */
import path from 'node:path';
import { Menu, Tray, nativeImage, nativeTheme, type MenuItemConstructorOptions } from 'electron';
import type { TrayAction, TrayMenuItem, TrayModel, TrayPort } from '../app/ports.js';
import { trayIconFile } from '../app/tray-model.js';

function toTemplate(items: TrayMenuItem[], act: (a: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((i): MenuItemConstructorOptions => {
    switch (i.kind) {
      case 'label':
        return { label: i.label, enabled: false };
      case 'separator':
        return { type: 'separator' };
      case 'action':
        return { label: i.label, enabled: i.enabled, click: () => act(i.action) };
      case 'radio':
        return { label: i.label, type: 'radio', checked: i.checked, enabled: i.enabled, click: () => act(i.action) };
      case 'submenu':
        return { label: i.label, enabled: i.enabled, submenu: toTemplate(i.items, act) };
    }
  });
}

export class ElectronTray implements TrayPort {
  private readonly tray: Tray;
  private handler: (a: TrayAction) => void = () => undefined;
  private model: TrayModel | null = null;

  constructor(private readonly iconDir: string) {
    this.tray = new Tray(this.image({ icon: 'offline', missed: false }));
    // macOS opens the menu on click; elsewhere a click opens the window.
    if (process.platform !== 'darwin') this.tray.on('click', () => this.handler({ type: 'open' }));
    nativeTheme.on('updated', () => {
      if (this.model) this.tray.setImage(this.image(this.model));
    });
  }

  private image(m: Pick<TrayModel, 'icon' | 'missed'>) {
    const dark =
      process.platform === 'win32' ? nativeTheme.shouldUseDarkColorsForSystemIntegratedUI : nativeTheme.shouldUseDarkColors;
    const img = nativeImage.createFromPath(path.join(this.iconDir, trayIconFile(m, process.platform, dark)));
    if (process.platform === 'darwin') img.setTemplateImage(true);
    return img;
  }

  onAction(handler: (action: TrayAction) => void): void {
    this.handler = handler;
  }

  render(model: TrayModel): void {
    this.model = model;
    this.tray.setImage(this.image(model));
    this.tray.setToolTip(model.tooltip);
    this.tray.setContextMenu(Menu.buildFromTemplate(toTemplate(model.menu, (a) => this.handler(a))));
  }

  destroy(): void {
    this.tray.destroy();
  }
}
