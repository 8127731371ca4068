/**
 * Typed storage errors. The apiserver maps each code to one HTTP status in one place:
 * NotFound 404, AlreadyExists 409, Conflict 409, Expired 410, TooSlow 410 (a watch the client re-opens),
 * Invalid 400, Unavailable 503, Internal 500.
 */
export type StorageErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Expired'
  | 'TooSlow'
  | 'Invalid'
  | 'Unavailable'
  | 'Internal';

export class StorageError extends Error {
  override readonly name = 'StorageError';

  constructor(
    readonly code: StorageErrorCode,
    message: string,
    /** The key concerned, when there is one. */
    readonly key?: string,
    /** For Expired: the oldest revision still available. */
    readonly compactedRevision?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  static notFound(key: string): StorageError {
    return new StorageError('NotFound', `key not found: ${key}`, key);
  }

  static alreadyExists(key: string): StorageError {
    return new StorageError('AlreadyExists', `key exists: ${key}`, key);
  }

  static conflict(key: string, detail: string): StorageError {
    return new StorageError('Conflict', `precondition failed for ${key}: ${detail}`, key);
  }

  static expired(revision: number, compacted: number): StorageError {
    return new StorageError(
      'Expired',
      `the requested revision ${revision} has been compacted (oldest available: ${compacted})`,
      undefined,
      compacted,
    );
  }

  static invalid(message: string): StorageError {
    return new StorageError('Invalid', message);
  }

  static unavailable(message: string, cause?: unknown): StorageError {
    return new StorageError('Unavailable', message, undefined, undefined, { cause });
  }

  static internal(message: string, cause?: unknown): StorageError {
    return new StorageError('Internal', message, undefined, undefined, { cause });
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}

export const isNotFound = (err: unknown): boolean => isStorageError(err, 'NotFound');
export const isAlreadyExists = (err: unknown): boolean => isStorageError(err, 'AlreadyExists');
export const isConflict = (err: unknown): boolean => isStorageError(err, 'Conflict');
export const isExpired = (err: unknown): boolean => isStorageError(err, 'Expired');
