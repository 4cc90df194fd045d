/** The session state of a device that is signed out (the server address and last error are kept). */
import type { SessionState } from '../shared/contract.js';
import type { AccountSettings } from '../shared/protocol/index.js';

const INITIAL_ACCOUNT: AccountSettings = { callWaiting: false };

/** The session fields of a signed-out device. */
export const SIGNED_OUT = {
  phase: 'signed-out',
  user: null,
  connection: 'offline',
  status: 'available',
  presence: 'offline',
  account: INITIAL_ACCOUNT,
  calls: [],
  missedCount: 0,
  history: [],
  agent: null,
  agentReasons: [],
} as const satisfies Omit<SessionState, 'serverUrl' | 'error'>;

