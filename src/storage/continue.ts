import { StorageError } from './errors.js';

/**
 * Continue tokens, in the form Kubernetes uses: base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key>"}`,
 * where `start` is relative to the listed prefix (here: the last key already returned, so the next page starts
 * strictly after it). A token pins the whole list to one revision, so pages stay consistent while writers go on.
 */
export interface ContinueToken {
  revision: number;
  /** The absolute key of the last item returned: the next page starts strictly after it. */
  afterKey: string;
}

export function encodeContinue(prefix: string, revision: number, lastKey: string): string {
  const start = lastKey.slice(prefix.length);
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start })).toString('base64url');
}

export function decodeContinue(prefix: string, token: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw StorageError.invalid('continue key is not valid: illegal base64 data or JSON');
  }
  const { v, rv, start } = (parsed ?? {}) as { v?: unknown; rv?: unknown; start?: unknown };
  if (v !== 'meta.k8s.io/v1') throw StorageError.invalid('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof rv !== 'number' || !Number.isSafeInteger(rv) || rv <= 0) throw StorageError.invalid('continue key is not valid: incorrect encoded start resourceVersion');
  if (typeof start !== 'string' || start.length === 0 || start.split('/').includes('..')) {
    throw StorageError.invalid('continue key is not valid: start key is not valid');
  }
  return { revision: rv, afterKey: prefix + start };
}

/** The smallest key greater than every key with this prefix (the exclusive end of a prefix range). */
export function prefixEnd(prefix: string): string {
  if (prefix.length === 0) return '\u{10FFFF}';
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
