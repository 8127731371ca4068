/**
 * The storage contract every k8ts component ultimately stands on, in the shape of Kubernetes'
 * `storage.Interface`: a revisioned key-value store where every write gets the next cluster-wide revision,
 * reads can be made at a revision, and watchers receive every change in order.
 *
 * Keys look like `/registry/pods/default/web-1`; values are opaque bytes (the apiserver stores JSON).
 * The revision of a write is what the API calls `resourceVersion`.
 */

/** One stored key at one revision. */
export interface KeyValue {
  key: string;
  value: Buffer;
  /** Revision at which the key was (last) created. */
  createRevision: number;
  /** Revision of the last write to the key. */
  modRevision: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, as a watcher sees it. */
export interface WatchEvent {
  type: WatchEventType;
  key: string;
  /** The revision of this change. */
  revision: number;
  /** The value after the change; for DELETED, the last value the key had. */
  value: Buffer;
  /** The value before the change; absent for ADDED. */
  prevValue?: Buffer;
}

/**
 * Conditions a write must meet against the current stored value, checked atomically with the write.
 * A failed precondition is a `Conflict`.
 */
export interface Preconditions {
  /** The key's modRevision must be exactly this (optimistic concurrency, `metadata.resourceVersion`). */
  modRevision?: number;
  /**
   * A check on the current value (the apiserver checks `metadata.uid` here). Throw a StorageError to refuse;
   * it is re-run whenever the write is retried against a newer value.
   */
  check?: (current: KeyValue) => void;
}

export interface ListOptions {
  /** Read at this revision; 0 or absent = the latest. A compacted revision is `Expired`. */
  revision?: number;
  /** At most this many items; 0 or absent = all. */
  limit?: number;
  /** A token from a previous list's `continue`: resumes that list at its revision. */
  continue?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at (the list's resourceVersion). */
  revision: number;
  /** Set when more items remain: pass it back as `continue`. */
  continue?: string;
  /** How many items remain after this page, when `continue` is set. */
  remainingItemCount?: number;
}

export interface WatchOptions {
  /**
   * Deliver every event with a revision strictly greater than this. Absent = from now on.
   * A revision older than the compaction point fails with `Expired`.
   */
  fromRevision?: number;
  /** Treat `key` as a prefix and watch everything under it (default: when the key ends in `/`). */
  recursive?: boolean;
}

/**
 * A stream of watch events in revision order. It ends when stopped; it fails with a StorageError when
 * the store cannot keep it whole (Expired, or TooSlow when the consumer fell too far behind): a watch
 * never skips an event silently. Every event received before a failure is correct; re-watch from the
 * last received revision to go on.
 */
export interface Watcher extends AsyncIterable<WatchEvent> {
  stop(): void;
}

/**
 * Computes the new value from the current one for `guaranteedUpdate`. Receives undefined when the key
 * does not exist (only with `ignoreNotFound`). May be called more than once when writers race.
 */
export type UpdateFunc = (current: KeyValue | undefined) => Buffer | Promise<Buffer>;

export interface GuaranteedUpdateOptions {
  preconditions?: Preconditions;
  /** Call `tryUpdate` with undefined (and create the key) instead of failing NotFound. */
  ignoreNotFound?: boolean;
}

/** The revisioned store. Every backend (SQLite, etcd) implements it and passes the one conformance suite. */
export interface Store {
  /** Creates `key`; fails `AlreadyExists` if it exists. Resolves to the stored key (with its revision). */
  create(key: string, value: Buffer): Promise<KeyValue>;
  /** The latest value of `key`, or `NotFound`. */
  get(key: string): Promise<KeyValue>;
  /** Keys under `prefix`, in key order, consistent at one revision. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /**
   * Reads the current value, computes the next one with `tryUpdate` and writes it if nothing changed in
   * between, retrying otherwise (optimistic concurrency). Preconditions that fail are `Conflict`.
   */
  guaranteedUpdate(key: string, tryUpdate: UpdateFunc, opts?: GuaranteedUpdateOptions): Promise<KeyValue>;
  /** Deletes `key` if the preconditions hold; resolves to the last value it had (with the delete's revision). */
  delete(key: string, preconditions?: Preconditions): Promise<KeyValue>;
  /** How many keys exist under `prefix`. */
  count(prefix: string): Promise<number>;
  /** Every change under `key` (a prefix when recursive) after `fromRevision`, in revision order. */
  watch(key: string, opts?: WatchOptions): Watcher;
  /** The store's current revision (for bookmarks and "latest" reads). */
  currentRevision(): Promise<number>;
  /** Drops history at and before `revision` (the latest value of each key is kept). */
  compact(revision: number): Promise<void>;
  /** The revision history has been compacted to (watches and reads before it are `Expired`). */
  compactedRevision(): Promise<number>;
  close(): Promise<void>;
}
