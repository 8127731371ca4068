/**
 * API errors as values: every failed request becomes an APIError carrying the server's Status (code, reason,
 * details), so callers branch on `reason`, as client-go's apierrors does.
 */
import type { Status } from './types.js';

export class APIError extends Error {
  override readonly name = 'APIError';

  constructor(readonly status: Status & { code: number }) {
    super(status.message ?? `the server answered ${status.code}`);
  }

  get code(): number {
    return this.status.code;
  }

  get reason(): string {
    return this.status.reason ?? '';
  }

  /** Whether one of the details' causes has this reason (e.g. `NamespaceTerminating`). */
  hasCause(reason: string): boolean {
    return (this.status.details?.causes ?? []).some((c) => c.reason === reason);
  }
}

/** A Status from an answer body, or one made from the HTTP status when the body is not a Status. */
export function statusFromBody(code: number, body: string): Status & { code: number } {
  try {
    const parsed = JSON.parse(body) as Status;
    if (parsed && parsed.kind === 'Status') return { ...parsed, code: parsed.code ?? code };
  } catch {
    // Not JSON: fall through.
  }
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason: reasonForCode(code), message: body.trim() || `the server answered ${code}` };
}

function reasonForCode(code: number): string {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 409: return 'Conflict';
    case 410: return 'Gone';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 504: return 'Timeout';
    default: return code >= 500 ? 'InternalError' : 'Unknown';
  }
}

const isAPIError = (err: unknown): err is APIError => err instanceof APIError;

export const isNotFound = (err: unknown): boolean => isAPIError(err) && err.code === 404 && err.reason === 'NotFound';
export const isAlreadyExists = (err: unknown): boolean => isAPIError(err) && err.reason === 'AlreadyExists';
export const isConflict = (err: unknown): boolean => isAPIError(err) && err.code === 409 && err.reason === 'Conflict';
export const isForbidden = (err: unknown): boolean => isAPIError(err) && err.code === 403;
export const isInvalid = (err: unknown): boolean => isAPIError(err) && err.code === 422;
/** 410: the resourceVersion asked for is compacted away (re-list). */
export const isGone = (err: unknown): boolean => isAPIError(err) && err.code === 410;
/** The namespace is being terminated: creating there is refused until it is gone. */
export const isNamespaceTerminating = (err: unknown): boolean => isAPIError(err) && err.code === 403 && err.hasCause('NamespaceTerminating');
