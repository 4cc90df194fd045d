/**
 * Preload of every app window (sandboxed, context-isolated; bundled to
 * CommonJS by scripts/build.mjs). Exposes exactly one thing to the page:
 * `window.softphone`, the typed SoftphoneApi. ipcRenderer itself, and the
 * IPC event objects, never reach the page.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { HOST_EVENT_NAME_LIST as HOST_EVENT_NAMES, IPC } from '../shared/ipc-channels.js';
import { createRawBridge, installSoftphoneApi } from './api.js';

const raw = createRawBridge(ipcRenderer, IPC, HOST_EVENT_NAMES);

// Build the API object in the main world so rejected requests are real
// Errors there, with `code` intact (see api.ts).
contextBridge.executeInMainWorld({ func: installSoftphoneApi, args: [raw, [...HOST_EVENT_NAMES]] });
