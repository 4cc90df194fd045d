/** The renderer's copy of this device's settings (audio devices…), written through the host. */
import { DEFAULT_DEVICE_SETTINGS, type DeviceSettings, type SoftphoneApi } from '../../shared/contract.js';

type Listener = (s: DeviceSettings) => void;

export class SettingsCache {
  private value: DeviceSettings = { ...DEFAULT_DEVICE_SETTINGS };
  private readonly listeners = new Set<Listener>();

  constructor(private readonly api: SoftphoneApi) {}

  async load(): Promise<DeviceSettings> {
    this.publish(await this.api.invoke('settings.get', {}));
    return this.value;
  }

  get current(): DeviceSettings {
    return this.value;
  }

  async update(patch: Partial<DeviceSettings>): Promise<DeviceSettings> {
    this.publish(await this.api.invoke('settings.set', patch));
    return this.value;
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): DeviceSettings => this.value;

  private publish(s: DeviceSettings): void {
    this.value = s;
    for (const l of [...this.listeners]) l(s);
  }
}
