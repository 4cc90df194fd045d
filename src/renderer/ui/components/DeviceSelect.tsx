/** A labelled audio-device picker ("System default" + the devices present now). */
import { useEffect, useId, useState } from 'react';
import { listAudioDevices, type AudioDevices } from '../../media/audio-devices.js';

const EMPTY: AudioDevices = { inputs: [], outputs: [] };

/** The current device lists, refreshed when devices are plugged in or out. */
export function useAudioDevices(): AudioDevices {
  const [devices, setDevices] = useState<AudioDevices>(EMPTY);
  useEffect(() => {
    let live = true;
    const refresh = () => void listAudioDevices().then((d) => live && setDevices(d));
    refresh();
    navigator.mediaDevices?.addEventListener('devicechange', refresh);
    return () => {
      live = false;
      navigator.mediaDevices?.removeEventListener('devicechange', refresh);
    };
  }, []);
  return devices;
}

export function DeviceSelect({
  label,
  kind,
  value,
  onChange,
  devices,
}: {
  label: string;
  kind: 'input' | 'output';
  value: string;
  onChange: (deviceId: string) => void;
  devices: AudioDevices;
}) {
  const id = useId();
  const list = kind === 'input' ? devices.inputs : devices.outputs;
  // A saved device that is unplugged still shows, marked, so the choice is not silently lost.
  const missing = value !== '' && !list.some((d) => d.deviceId === value);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">System default</option>
        {list.map((d) => (
          <option key={d.deviceId} value={d.deviceId}>
            {d.label}
          </option>
        ))}
        {missing && <option value={value}>Unavailable device (using default)</option>}
      </select>
    </div>
  );
}
