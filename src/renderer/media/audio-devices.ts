/**
 * Audio devices: microphone constraints, device lists, and output routing.
 */

/**
 * Voice processing (echo cancellation, noise suppression, automatic gain) is
 * on for real users. `?rawAudio=1` turns it off: tests feed pure tones that
 * the processing would mangle, and some users want an unprocessed signal
 * (headsets with their own processing, music).
 */
export function voiceProcessingEnabled(search: string = location.search): boolean {
  const raw = new URLSearchParams(search).get('rawAudio');
  return !(raw === '1' || raw === 'true');
}

export function microphoneConstraints(deviceId: string, processing = voiceProcessingEnabled()): MediaStreamConstraints {
  const audio: MediaTrackConstraints = {
    echoCancellation: processing,
    noiseSuppression: processing,
    autoGainControl: processing,
    channelCount: 1,
  };
  if (deviceId) audio.deviceId = { exact: deviceId };
  return { audio, video: false };
}

/**
 * Opens the chosen microphone; when that device is gone, falls back to the
 * system default rather than failing the call.
 */
export async function openMicrophone(
  deviceId: string,
  getUserMedia: (c: MediaStreamConstraints) => Promise<MediaStream> = (c) => navigator.mediaDevices.getUserMedia(c),
  processing = voiceProcessingEnabled(),
): Promise<MediaStream> {
  try {
    return await getUserMedia(microphoneConstraints(deviceId, processing));
  } catch (err) {
    if (deviceId && err instanceof Error && (err.name === 'OverconstrainedError' || err.name === 'NotFoundError')) {
      return getUserMedia(microphoneConstraints('', processing));
    }
    throw err;
  }
}

export interface AudioDevice {
  deviceId: string;
  label: string;
}

export interface AudioDevices {
  inputs: AudioDevice[];
  outputs: AudioDevice[];
}

/** Lists real devices (the browser's "default"/"communications" aliases are shown as "System default"). */
export async function listAudioDevices(): Promise<AudioDevices> {
  const all = await navigator.mediaDevices?.enumerateDevices().catch(() => [] as MediaDeviceInfo[]) ?? [];
  const pick = (kind: MediaDeviceKind, fallback: string): AudioDevice[] =>
    all
      .filter((d) => d.kind === kind && d.deviceId && d.deviceId !== 'default' && d.deviceId !== 'communications')
      .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${fallback} ${i + 1}` }));
  return { inputs: pick('audioinput', 'Microphone'), outputs: pick('audiooutput', 'Speaker') };
}

/** Routes an element to an output device; unknown or vanished devices fall back to the default. */
export async function routeOutput(el: HTMLMediaElement, deviceId: string): Promise<void> {
  if (typeof el.setSinkId !== 'function') return;
  try {
    if (el.sinkId !== deviceId) await el.setSinkId(deviceId);
  } catch {
    if (el.sinkId !== '') await el.setSinkId('').catch(() => undefined);
  }
}

/** Whether a device id (non-default) is currently present. */
export async function outputPresent(deviceId: string): Promise<boolean> {
  if (!deviceId) return true;
  const { outputs } = await listAudioDevices();
  return outputs.some((d) => d.deviceId === deviceId);
}
