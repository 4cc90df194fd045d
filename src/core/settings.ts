/** Device-local settings (audio devices, start at login, shortcuts…), kept in the host's store. */
import { DEFAULT_DEVICE_SETTINGS, DeviceSettings } from '../shared/contract.js';
import { Emitter } from './emitter.js';
import type { KeyValueStore } from './ports.js';

const KEY = 'settings';

export class SettingsStore extends Emitter<{ changed: DeviceSettings }> {
  private current: DeviceSettings = { ...DEFAULT_DEVICE_SETTINGS };

  constructor(private readonly store: KeyValueStore, defaults: Partial<DeviceSettings> = {}) {
    super();
    this.current = { ...this.current, ...defaults };
  }

  /** Loads saved settings; unknown or invalid values fall back to defaults. */
  async load(): Promise<DeviceSettings> {
    const saved = DeviceSettings.partial().safeParse(await this.store.get(KEY));
    if (saved.success) this.current = { ...this.current, ...saved.data };
    return this.get();
  }

  get(): DeviceSettings {
    return { ...this.current };
  }

  async set(patch: Partial<DeviceSettings>): Promise<DeviceSettings> {
    this.current = DeviceSettings.parse({ ...this.current, ...patch });
    await this.store.set(KEY, this.current);
    this.emit('changed', this.get());
    return this.get();
  }
}
