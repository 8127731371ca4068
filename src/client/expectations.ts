/**
 * Expectations (kube's ControllerExpectations): what a controller has asked for and not yet seen in its
 * informers. A controller that just created 5 pods must not create them again because its cache does not show
 * them yet; it records "5 adds expected" for its key and skips acting on the key until the informer has
 * delivered the 5 adds (or the record is older than a TTL, so a lost event cannot wedge the controller).
 *
 * UIDTrackingControllerExpectations adds what deletes need: the keys of the pods being deleted, so a delete
 * observed twice (the update that sets deletionTimestamp, then the delete) is counted once.
 */

/** How long expectations are trusted before the controller acts again anyway (kube: 5 minutes). */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

/** The creates and deletes one controller key still waits for. */
export interface ControlleeExpectations {
  add: number;
  del: number;
  /** When they were set (ms since the epoch). */
  timestamp: number;
}

export class ControllerExpectations {
  protected readonly store = new Map<string, ControlleeExpectations>();

  constructor(
    private readonly timeoutMs = EXPECTATIONS_TIMEOUT_MS,
    protected readonly now: () => number = Date.now,
  ) {}

  /** The expectations recorded for `key`, if any. */
  getExpectations(key: string): Readonly<ControlleeExpectations> | undefined {
    return this.store.get(key);
  }

  /**
   * Whether the controller may act on `key`: nothing is recorded (a new controller or one whose record was
   * deleted), everything expected has been observed, or the record has expired.
   */
  satisfiedExpectations(key: string): boolean {
    const exp = this.store.get(key);
    if (!exp) return true;
    if (exp.add <= 0 && exp.del <= 0) return true;
    return this.now() - exp.timestamp > this.timeoutMs;
  }

  /** Records `add` creates and `del` deletes expected for `key`, replacing any previous record. */
  setExpectations(key: string, add: number, del: number): void {
    this.store.set(key, { add, del, timestamp: this.now() });
  }

  expectCreations(key: string, adds: number): void {
    this.setExpectations(key, adds, 0);
  }

  expectDeletions(key: string, dels: number): void {
    this.setExpectations(key, 0, dels);
  }

  /** Adds to what is expected (keeps the record's timestamp). */
  raiseExpectations(key: string, add: number, del: number): void {
    const exp = this.store.get(key);
    if (!exp) return;
    exp.add += add;
    exp.del += del;
  }

  /** Takes off what was observed (or will never come: a create that failed). */
  lowerExpectations(key: string, add: number, del: number): void {
    const exp = this.store.get(key);
    if (!exp) return;
    exp.add -= add;
    exp.del -= del;
  }

  /** An informer delivered a create for `key` (or a create failed and will never be seen). */
  creationObserved(key: string): void {
    this.lowerExpectations(key, 1, 0);
  }

  /** An informer delivered a delete for `key` (or a delete failed). */
  deletionObserved(key: string): void {
    this.lowerExpectations(key, 0, 1);
  }

  /** Forgets `key` (its controller object is gone). */
  deleteExpectations(key: string): void {
    this.store.delete(key);
  }
}

/**
 * Expectations that remember which objects are being deleted, so each delete is observed once however many
 * events announce it (kube's UIDTrackingControllerExpectations; keys here are the pods' namespace/name keys).
 */
export class UIDTrackingControllerExpectations extends ControllerExpectations {
  private readonly deleting = new Map<string, Set<string>>();

  /** Expects the deletion of exactly these objects for `key`. */
  expectDeletionsOf(key: string, deletedKeys: readonly string[]): void {
    const set = new Set(deletedKeys);
    this.deleting.set(key, set);
    this.expectDeletions(key, set.size);
  }

  /** One of the objects being deleted for `key` is seen deleted (or its delete failed); counted once. */
  deletionObservedOf(key: string, deletedKey: string): void {
    const set = this.deleting.get(key);
    if (!set?.delete(deletedKey)) return;
    this.deletionObserved(key);
  }

  /** The objects still expected to be deleted for `key`. */
  getUIDs(key: string): ReadonlySet<string> {
    return this.deleting.get(key) ?? new Set();
  }

  override deleteExpectations(key: string): void {
    super.deleteExpectations(key);
    this.deleting.delete(key);
  }
}
