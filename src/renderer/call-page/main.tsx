/**
 * Entry of the click-to-call page (`call.html`, served at /call/<queue>): the queue id is
 * the last segment of the path.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { GuestLine } from '../host/guest-host.js';
import { CallPage } from './CallPage.js';
import { HoldAudio } from './hold-audio.js';

// Opened as a popup from another site: that site keeps no handle on this page.
window.opener = null;

const root = document.getElementById('root')!;
const mediaContainer = document.getElementById('media') ?? document.body;
const queueId = decodeURIComponent(location.pathname.split('/').filter(Boolean).at(-1) ?? '');
const line = new GuestLine(queueId);
const hold = new HoldAudio(mediaContainer);

createRoot(root).render(
  <StrictMode>
    <CallPage line={line} hold={hold} mediaContainer={mediaContainer} />
  </StrictMode>,
);
