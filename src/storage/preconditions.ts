import { StorageError } from './errors.js';
import type { KeyValue, Preconditions } from './interface.js';

/** Checks write preconditions against the current value; a failure is a typed Conflict (or the check's own error). */
export function checkPreconditions(key: string, current: KeyValue, preconditions: Preconditions): void {
  if (preconditions.modRevision !== undefined && preconditions.modRevision !== current.modRevision) {
    throw StorageError.conflict(key, `modRevision ${preconditions.modRevision} does not match the current ${current.modRevision}`);
  }
  preconditions.check?.(current);
}
