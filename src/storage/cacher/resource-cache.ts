/**
 * The in-memory state of one resource (all pods, all deployments, ...) kept by the Cacher: the current
 * objects in key order and a window of recent events, so lists and watches are served from memory.
 */

/** One object as the cache keeps it: serialized once, with the attributes selectors match against. */
export interface CachedObject {
  key: string;
  namespace: string;
  name: string;
  /** modRevision of the object = its resourceVersion. */
  revision: number;
  /** The object as JSON, resourceVersion included: written to clients as is. */
  json: string;
  labels: Readonly<Record<string, string>>;
  /** Values for field selectors (`metadata.name`, `spec.nodeName`, ...). */
  fields: Readonly<Record<string, string>>;
}

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: CacheEventType;
  revision: number;
  /** The object after the change; for DELETED, its last state (with the delete's revision). */
  object: CachedObject;
  /** The object before the change (MODIFIED and DELETED). */
  prev?: CachedObject;
}

/** Where the event window no longer reaches: events after `oldest` are all still kept. */
export class TooOldError extends Error {
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(`too old resource version: ${requested} (${oldest})`);
  }
}

/** A live consumer of one resource's events. */
export interface CacheWatcherSink {
  /** Called in revision order; return false to be detached (the consumer gave up or fell too far behind). */
  event(event: CacheEvent): boolean;
  /** The cache lost its storage watch and rebuilt: the consumer must re-watch (and may need to relist). */
  terminate(): void;
}

export interface ResourceCacheOptions {
  /** How many recent events to keep at most for watches that resume from an older resourceVersion. */
  eventCapacity: number;
  /**
   * Events older than this are dropped (beyond the newest MIN_KEPT_EVENTS), as kube's watch cache keeps about
   * 75 s of history: a window of versions long gone would otherwise hold every version of every busy object.
   * Undefined keeps `eventCapacity` events whatever their age.
   */
  eventRetentionMs?: number;
}

/** Events kept whatever their age, as kube's watch cache never shrinks below 100. */
const MIN_KEPT_EVENTS = 100;

export class ResourceCache {
  private readonly objects = new Map<string, CachedObject>();
  /** Keys in order; rebuilt lazily after inserts and removals so bursts of writes do not pay per write. */
  private sorted: string[] = [];
  private sortedValid = true;
  private events: CacheEvent[] = [];
  /** When each event in `events` was applied (ms), for the retention. */
  private eventTimes: number[] = [];
  private eventsHead = 0;
  /** Events after this revision are all in the window. */
  private oldestRevision: number;
  private readonly watchers = new Set<CacheWatcherSink>();

  constructor(
    readonly prefix: string,
    private readonly opts: ResourceCacheOptions,
    startRevision: number,
  ) {
    this.oldestRevision = startRevision;
  }

  get size(): number {
    return this.objects.size;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Fills the cache from a storage list (at start and after a lost storage watch). */
  reset(objects: Iterable<CachedObject>, revision: number): void {
    this.objects.clear();
    for (const o of objects) this.objects.set(o.key, o);
    this.sortedValid = false;
    this.events = [];
    this.eventTimes = [];
    this.eventsHead = 0;
    this.oldestRevision = revision;
    const watchers = [...this.watchers];
    this.watchers.clear();
    for (const w of watchers) w.terminate();
  }

  get(key: string): CachedObject | undefined {
    return this.objects.get(key);
  }

  /** Objects under `prefix` (the resource, or one namespace of it) in key order. */
  list(prefix: string = this.prefix): CachedObject[] {
    const keys = this.sortedKeys();
    const out: CachedObject[] = [];
    let i = prefix === this.prefix ? 0 : lowerBound(keys, prefix);
    for (; i < keys.length; i++) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) break;
      out.push(this.objects.get(key)!);
    }
    return out;
  }

  /** Applies one storage change and fans it out to watchers. */
  apply(event: CacheEvent): void {
    const { object } = event;
    if (event.type === 'DELETED') {
      if (this.objects.delete(object.key)) this.sortedValid = false;
    } else {
      if (!this.objects.has(object.key)) this.sortedValid = false;
      this.objects.set(object.key, object);
    }
    this.events.push(event);
    this.eventTimes.push(Date.now());
    this.trim();
    for (const w of this.watchers) {
      if (!w.event(event)) this.watchers.delete(w);
    }
  }

  /** Drops the events beyond the capacity, and those older than the retention (the cacher calls it when idle too). */
  trim(now = Date.now()): void {
    const retention = this.opts.eventRetentionMs;
    while (this.events.length - this.eventsHead > 0) {
      const kept = this.events.length - this.eventsHead;
      const tooMany = kept > this.opts.eventCapacity;
      const tooOld = retention !== undefined && kept > MIN_KEPT_EVENTS && now - this.eventTimes[this.eventsHead]! > retention;
      if (!tooMany && !tooOld) break;
      this.oldestRevision = this.events[this.eventsHead]!.revision;
      this.eventsHead++;
    }
    // Drop the consumed head now and then, so the arrays do not grow without bound.
    if (this.eventsHead > 1024 && this.eventsHead * 2 > this.events.length) {
      this.events = this.events.slice(this.eventsHead);
      this.eventTimes = this.eventTimes.slice(this.eventsHead);
      this.eventsHead = 0;
    }
  }

  /**
   * Every kept event after `revision`, for a watch resuming there. Throws TooOldError when the window no
   * longer reaches back that far.
   */
  eventsSince(revision: number): CacheEvent[] {
    if (revision < this.oldestRevision) throw new TooOldError(revision, this.oldestRevision + 1);
    let lo = this.eventsHead;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return this.events.slice(lo);
  }

  /** Attaches a live watcher; it receives every event applied from now on. */
  addWatcher(sink: CacheWatcherSink): () => void {
    this.watchers.add(sink);
    return () => this.watchers.delete(sink);
  }

  /** Ends every watch (server shutdown). */
  terminateWatchers(): void {
    const watchers = [...this.watchers];
    this.watchers.clear();
    for (const w of watchers) w.terminate();
  }

  private sortedKeys(): string[] {
    if (!this.sortedValid) {
      this.sorted = [...this.objects.keys()].sort();
      this.sortedValid = true;
    }
    return this.sorted;
  }
}

/** Index of the first key >= `target`. */
function lowerBound(keys: readonly string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
