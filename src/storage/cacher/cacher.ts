/**
 * The watch cache: one storage watch over the whole registry feeds an in-memory copy of every resource, so
 * lists, gets and thousands of watchers are served from memory while storage sees one reader. Because the one
 * watch sees every write in revision order, the cache knows exactly how fresh it is, and a read that must be
 * consistent waits until the cache has caught up with storage's current revision.
 */
import type { Logger } from 'pino';
import { isStorageError, StorageError } from '../errors.js';
import type { KeyValue, Store, Watcher } from '../interface.js';
import { ResourceCache, type CachedObject, type CacheEvent } from './resource-cache.js';

export * from './resource-cache.js';

/** Turns a stored key-value into the cached form; knows the resource's encoding and selectable fields. */
export type CacheDecoder = (kv: KeyValue) => CachedObject;

/** One cached resource: its key prefix (`/registry/core/pods/`) and how to decode its values. */
export interface CachedResource {
  prefix: string;
  decode: CacheDecoder;
}

export interface CacherOptions {
  /** The common prefix of every cached key (`/registry/`). */
  root: string;
  resources: readonly CachedResource[];
  /** The most events kept per resource (default 50,000). */
  eventCapacity?: number;
  /** How long events are kept for resuming watches (default 75 s, as kube's watch cache; beyond 100 per resource). */
  eventRetentionMs?: number;
  logger: Logger;
  /** Sees every applied event (for metrics). */
  onEvent?: (event: CacheEvent) => void;
}

interface Waiter {
  revision: number;
  resolve: () => void;
}

export class Cacher {
  private readonly caches = new Map<string, { cache: ResourceCache; decode: CacheDecoder }>();
  private readonly prefixLength: Map<string, number>;
  private rev = 0;
  private watcher: Watcher | undefined;
  private stopped = false;
  private waiters: Waiter[] = [];
  private readonly log: Logger;
  private running: Promise<void> | undefined;
  private revisionInFlight: Promise<number> | undefined;
  private revisionNext: Promise<number> | undefined;
  private trimTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly opts: CacherOptions,
  ) {
    this.log = opts.logger;
    this.prefixLength = new Map();
    for (const r of opts.resources) {
      this.caches.set(r.prefix, {
        cache: new ResourceCache(r.prefix, { eventCapacity: opts.eventCapacity ?? 50_000, eventRetentionMs: opts.eventRetentionMs ?? 75_000 }, 0),
        decode: r.decode,
      });
    }
  }

  /**
   * Resolves when the cache holds every write storage had acknowledged when this was called (a consistent
   * read). Concurrent callers share one revision request to storage: a caller joins the next request that
   * starts after it arrived, so under load (etcd) it costs a round trip per batch, not per read.
   */
  async waitUntilConsistent(timeoutMs?: number): Promise<void> {
    await this.waitUntilFresh(await this.storeRevision(), timeoutMs);
  }

  private storeRevision(): Promise<number> {
    if (!this.revisionInFlight) {
      this.revisionInFlight = this.store.currentRevision().finally(() => (this.revisionInFlight = undefined));
      return this.revisionInFlight;
    }
    // A request already on its way may have been answered before this caller's writes: wait for the next one.
    this.revisionNext ??= this.revisionInFlight
      .catch(() => undefined)
      .then(() => {
        this.revisionNext = undefined;
        return this.storeRevision();
      });
    return this.revisionNext;
  }

  /** The revision the cache reflects: every write up to it has been applied. */
  get revision(): number {
    return this.rev;
  }

  resource(prefix: string): ResourceCache {
    const entry = this.caches.get(prefix);
    if (!entry) throw new Error(`no watch cache for ${prefix}`);
    return entry.cache;
  }

  /** Lists storage once and starts following it; resolves when the cache holds the listed state. */
  async start(): Promise<void> {
    const revision = await this.load();
    this.running = this.follow(revision);
    // Writes trim their resource's window; this shrinks the windows of resources that went quiet.
    this.trimTimer = setInterval(() => {
      const now = Date.now();
      for (const { cache } of this.caches.values()) cache.trim(now);
    }, 5000).unref();
  }

  /**
   * Resolves when the cache has applied every write up to `revision`; rejects after `timeoutMs` (the caller
   * answers as kube-apiserver does when a resourceVersion is ahead of its cache).
   */
  waitUntilFresh(revision: number, timeoutMs = 3000): Promise<void> {
    if (this.rev >= revision) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { revision, resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new StorageError('TooSlow', `Too large resource version: ${revision}, current: ${this.rev}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Stops following storage and ends every watch. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.trimTimer);
    this.watcher?.stop();
    for (const { cache } of this.caches.values()) cache.terminateWatchers();
    await this.running?.catch(() => undefined);
  }

  private async load(): Promise<number> {
    const listed = await this.store.list(this.opts.root);
    const byResource = new Map<string, CachedObject[]>();
    for (const kv of listed.items) {
      const entry = this.route(kv.key);
      if (!entry) continue;
      const objects = byResource.get(entry.cache.prefix) ?? [];
      objects.push(this.decodeSafely(entry.decode, kv) ?? placeholder(kv));
      byResource.set(entry.cache.prefix, objects);
    }
    for (const { cache } of this.caches.values()) cache.reset(byResource.get(cache.prefix) ?? [], listed.revision);
    this.setRevision(listed.revision);
    return listed.revision;
  }

  /** Applies storage events forever; on a lost watch, relists and goes on (watchers are told to re-watch). */
  private async follow(from: number): Promise<void> {
    let revision = from;
    while (!this.stopped) {
      try {
        this.watcher = this.store.watch(this.opts.root, { fromRevision: revision, recursive: true });
        for await (const ev of this.watcher) {
          const entry = this.route(ev.key);
          if (entry) {
            const object = this.decodeSafely(entry.decode, {
              key: ev.key,
              value: ev.value,
              createRevision: 0,
              modRevision: ev.revision,
            });
            if (object) {
              const prev = entry.cache.get(ev.key);
              const event: CacheEvent = prev ? { type: ev.type, revision: ev.revision, object, prev } : { type: ev.type, revision: ev.revision, object };
              entry.cache.apply(event);
              this.opts.onEvent?.(event);
            }
          }
          revision = ev.revision;
          this.setRevision(ev.revision);
        }
        if (this.stopped) return;
      } catch (err) {
        if (this.stopped) return;
        this.log.warn({ err, revision }, 'watch cache lost its storage watch; relisting');
        if (!isStorageError(err, 'Expired') && !isStorageError(err, 'TooSlow')) await sleep(500);
        try {
          revision = await this.load();
        } catch (loadErr) {
          this.log.error({ err: loadErr }, 'watch cache relist failed; retrying');
          await sleep(1000);
        }
      }
    }
  }

  private setRevision(revision: number): void {
    if (revision <= this.rev) return;
    this.rev = revision;
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.revision <= revision);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.revision > revision);
    for (const w of ready) w.resolve();
  }

  private route(key: string): { cache: ResourceCache; decode: CacheDecoder } | undefined {
    // Keys are <root><group>/<resource>/...: the resource prefix ends at the second slash after the root.
    const root = this.opts.root.length;
    const first = key.indexOf('/', root);
    if (first < 0) return undefined;
    const second = key.indexOf('/', first + 1);
    if (second < 0) return undefined;
    return this.caches.get(key.slice(0, second + 1));
  }

  private decodeSafely(decode: CacheDecoder, kv: KeyValue): CachedObject | undefined {
    try {
      return decode(kv);
    } catch (err) {
      this.log.error({ err, key: kv.key }, 'stored object cannot be decoded; serving it as stored');
      return placeholder(kv);
    }
  }
}

/** A stored value the decoder rejects is still served (as its bytes), never dropped from lists silently. */
function placeholder(kv: KeyValue): CachedObject {
  const parts = kv.key.split('/');
  return {
    key: kv.key,
    namespace: parts.length > 5 ? parts[parts.length - 2]! : '',
    name: parts[parts.length - 1]!,
    revision: kv.modRevision,
    json: kv.value.toString('utf8'),
    labels: {},
    fields: {},
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
