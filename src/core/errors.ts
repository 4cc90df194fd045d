import { ProtocolError, type ErrorBody } from '../shared/protocol/index.js';

/** Any thrown value as the protocol's error body (code + message). */
export function errorBody(err: unknown): ErrorBody {
  if (err instanceof ProtocolError) return err.toBody();
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}
