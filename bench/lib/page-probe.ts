/**
 * Timing probe for the softphone's pages (part 4, time to ring / time to audio).
 *
 * Installed into the renderer's page (an init script before any page script,
 * or evaluated into a loaded page: everything it wraps is looked up when a
 * call starts), it records, per call, the first moment of each milestone as
 * an epoch in ms with sub-ms resolution (`performance.timeOrigin +
 * performance.now()`), the clock Node's `performance.timeOrigin +
 * performance.now()` shares on this machine:
 *
 *   click:<button>      a button was clicked (capture phase, before React handles it)
 *   ws:<event>-in/-out  a socket.io frame of a call event arrived / left on the page's
 *                       WebSocket (web softphone only: its core runs in the page;
 *                       needs the init-script install, the socket is made at start)
 *   ringDom / ringFrame the incoming-call dialog appeared in the DOM / the first animation
 *                       frame that presents it (the user sees it ringing)
 *   hostActive, hostAnswer   the host's session snapshot with the call active / the far
 *                       end's answer reached the page (desktop window only: window.softphone)
 *   activeDom           the call view shows the call active
 *   gumStart / gumEnd   getUserMedia asked / microphone open
 *   pc, offerSet, offerIn, answerSet, answerIn, track, iceConnected, connected
 *                       RTCPeerConnection created, offer applied locally / remotely,
 *                       answer applied locally / remotely, remote track, ICE connected,
 *                       ICE + DTLS connected
 *   stream              the remote-audio element got a stream and the analyser listens
 *   audio               first analyser frame where the far end's tone stands well above
 *                       the noise floor (decoded audio, before the output device); 'sound'
 *                       is the first frame with anything above -100 dBFS, to bound the detector's lag
 *
 * The tone detector is an AnalyserNode (512-point FFT, 10.7 ms at 48 kHz, no
 * smoothing) on the remote-audio element's stream, polled every 5 ms while
 * armed: onset is detected a few ms after the first decoded tone samples.
 *
 * Plain JavaScript in a string on purpose: a function serialised from a
 * TypeScript loader can carry helper calls (`__name`) the page does not have.
 */

/** Marks of one call in one page (epoch ms), plus the detector's levels. */
export type ProbeMarks = Record<string, number>;

/** The detector's thresholds: the tone's bin above this level and this far above the median bin. */
export const TONE_MIN_DB = -60;
export const TONE_MARGIN_DB = 30;
/** Anything decoded at all (any bin above this): how soon after the first sound the tone is recognised. */
export const SOUND_MIN_DB = -100;

export const PAGE_PROBE = `(() => {
  if (window.__bench) return;
  const now = () => performance.timeOrigin + performance.now();
  let rec = Object.create(null);
  let waiters = [];
  let toneHz = 0;
  const mark = (key, t) => {
    if (rec[key] !== undefined) return;
    rec[key] = t === undefined ? now() : t;
    waiters = waiters.filter((w) => {
      if (rec[w.key] === undefined) return true;
      clearTimeout(w.timer);
      w.resolve(rec[w.key]);
      return false;
    });
  };

  // Clicks, before the app's handlers run.
  window.addEventListener('click', (ev) => {
    const b = ev.target instanceof Element ? ev.target.closest('button') : null;
    if (b) mark('click:' + (b.getAttribute('aria-label') || b.textContent || '').trim());
  }, true);

  // socket.io frames of call events on the page's own socket (the web softphone's core).
  const NativeWS = window.WebSocket;
  const EVENT_RE = /^\\d+\\["(call:[a-z-]+)"/;
  const frameEvent = (data) => (typeof data === 'string' ? EVENT_RE.exec(data)?.[1] : undefined);
  class ProbeWebSocket extends NativeWS {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => {
        const e = frameEvent(ev.data);
        if (e) mark('ws:' + e + '-in');
      });
    }
    send(data) {
      const e = frameEvent(data);
      if (e) mark('ws:' + e + '-out');
      return super.send(data);
    }
  }
  window.WebSocket = ProbeWebSocket;

  // The incoming-call dialog and the call state, as the user sees them.
  let ringing = false;
  let active = false;
  const onDom = () => {
    const r = !!document.querySelector('[role="dialog"][aria-label="Incoming call"]');
    if (r && !ringing) {
      mark('ringDom');
      requestAnimationFrame(() => mark('ringFrame'));
    }
    ringing = r;
    const a = !!document.querySelector('[data-call-state="active"]');
    if (a && !active) mark('activeDom');
    active = a;
  };
  new MutationObserver(onDom).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-call-state'] });

  // What the host pushes to the page (desktop window: window.softphone, the preload's API):
  // separates the host → page hop from the renderer's own work.
  if (window.softphone && window.softphone.on) {
    window.softphone.on('session', (s) => {
      if (s && Array.isArray(s.calls) && s.calls.some((c) => c.local === 'active')) mark('hostActive');
    });
    window.softphone.on('call.signal', (m) => {
      if (m && m.signal && m.signal.type === 'answer') mark('hostAnswer');
    });
  }

  // Microphone and peer connection milestones.
  const md = navigator.mediaDevices;
  if (md && md.getUserMedia) {
    const gum = md.getUserMedia.bind(md);
    md.getUserMedia = async (c) => {
      mark('gumStart');
      const s = await gum(c);
      mark('gumEnd');
      return s;
    };
  }
  const NativePC = window.RTCPeerConnection;
  class ProbePeerConnection extends NativePC {
    constructor(...args) {
      super(...args);
      mark('pc');
      this.addEventListener('track', () => mark('track'));
      this.addEventListener('iceconnectionstatechange', () => {
        if (this.iceConnectionState === 'connected' || this.iceConnectionState === 'completed') mark('iceConnected');
      });
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected') mark('connected');
      });
    }
    setLocalDescription(d) {
      if (d && d.type) mark(d.type + 'Set');
      return super.setLocalDescription(d);
    }
    setRemoteDescription(d) {
      if (d && d.type) mark(d.type + 'In');
      return super.setRemoteDescription(d);
    }
  }
  window.RTCPeerConnection = ProbePeerConnection;

  // Tone detector on the remote-audio element's stream.
  let actx, analyser, bins, source, sourceStream, timer;
  const level = (i) => (Number.isFinite(bins[i]) ? bins[i] : -200);
  const poll = () => {
    const el = document.querySelector('[data-testid="remote-audio"]');
    const s = el && el.srcObject;
    if (s && s !== sourceStream && s.getAudioTracks().length > 0) {
      if (source) source.disconnect();
      sourceStream = s;
      source = actx.createMediaStreamSource(s);
      source.connect(analyser);
      mark('stream');
    }
    if (!source || s !== sourceStream) return;
    analyser.getFloatFrequencyData(bins);
    const hzPerBin = actx.sampleRate / analyser.fftSize;
    const k = Math.round(toneHz / hzPerBin);
    const tone = Math.max(level(k - 1), level(k), level(k + 1));
    const others = [];
    for (let i = Math.round(100 / hzPerBin); i < Math.min(bins.length, Math.round(8000 / hzPerBin)); i++) {
      if (Math.abs(i - k) > 3) others.push(level(i));
    }
    if (rec.sound === undefined && Math.max(tone, ...others) > ${SOUND_MIN_DB}) mark('sound');
    others.sort((a, b) => a - b);
    const floor = others[others.length >> 1];
    if (tone > ${TONE_MIN_DB} && tone - floor > ${TONE_MARGIN_DB}) {
      mark('audio');
      rec.audioDb = tone;
      rec.floorDb = floor;
      clearInterval(timer);
    }
  };

  Object.defineProperty(window, '__bench', {
    value: {
      /** Starts a call's record; listens for the far end's tone at hz. */
      arm(hz) {
        rec = Object.create(null);
        toneHz = hz;
        ringing = !!document.querySelector('[role="dialog"][aria-label="Incoming call"]');
        active = !!document.querySelector('[data-call-state="active"]');
        if (!actx) {
          actx = new AudioContext();
          analyser = actx.createAnalyser();
          analyser.fftSize = 512;
          analyser.smoothingTimeConstant = 0;
          bins = new Float32Array(analyser.frequencyBinCount);
        }
        clearInterval(timer);
        timer = setInterval(poll, 5);
        return actx.state === 'running' ? actx.state : actx.resume().then(() => actx.state);
      },
      disarm() {
        clearInterval(timer);
        if (source) source.disconnect();
        source = undefined;
        sourceStream = undefined;
      },
      marks: () => ({ ...rec }),
      now,
      wait(key, timeoutMs) {
        if (rec[key] !== undefined) return Promise.resolve(rec[key]);
        return new Promise((resolve, reject) => {
          const w = { key, resolve, timer: 0 };
          w.timer = setTimeout(() => {
            waiters = waiters.filter((x) => x !== w);
            reject(new Error('no ' + key + ' within ' + timeoutMs + ' ms; marks ' + JSON.stringify(rec)));
          }, timeoutMs);
          waiters.push(w);
        });
      },
    },
  });
})();`;

/** The probe's API in the page (for typed `page.evaluate` calls). */
export interface PageProbeApi {
  arm(hz: number): Promise<string> | string;
  disarm(): void;
  marks(): ProbeMarks;
  now(): number;
  wait(key: string, timeoutMs: number): Promise<number>;
}
