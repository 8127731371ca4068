/**
 * The shared informer (client-go's SharedIndexInformer with its Reflector): one list + watch of a resource
 * feeding an indexed store and any number of event handlers. It lists (in pages), then watches from the
 * list's resourceVersion with bookmarks; a watch that ends is resumed from the last resourceVersion seen, and
 * a 410 Gone (history compacted away) re-lists, turning the difference into add/update/delete events. Handlers
 * may ask for a periodic resync (every object again as an update), which is what makes controllers that missed
 * something catch up.
 */
import type { Logger } from 'pino';
import { componentLogger } from '../util/log.js';
import type { ResourceClient } from './client.js';
import { APIError, isGone } from './errors.js';
import { internObject } from '../util/intern.js';
import { shareParts } from '../util/share.js';
import { Indexer, metaNamespaceKey, type IndexFunc } from './indexer.js';
import { Lister } from './lister.js';
import type { KubeObject } from './types.js';
import type { Watch } from './watch.js';

export interface ResourceEventHandler<T extends KubeObject = KubeObject> {
  /** A new object; `isInInitialList` when it came with the first list. */
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** A changed object (or the same object again on a resync). */
  onUpdate?(oldObj: T, newObj: T): void;
  /** A deleted object; `finalStateUnknown` when the delete was only inferred from a re-list (obj is the last state seen). */
  onDelete?(obj: T, finalStateUnknown: boolean): void;
}

export interface InformerOptions<T extends KubeObject = KubeObject> {
  labelSelector?: string;
  fieldSelector?: string;
  indexers?: Record<string, IndexFunc<T>>;
  logger?: Logger;
  /** Page size of the lists (default 500). */
  pageSize?: number;
  /**
   * Applied to every object before it is stored and handed to handlers (client-go's SetTransform). The default
   * drops metadata.managedFields, which no controller reads and which would take much of the cache's memory,
   * as kube's components do, and shares the copies of strings that repeat across objects (src/util/intern.ts);
   * pass `(o) => o` to keep everything as decoded.
   */
  transform?: (obj: T) => T;
}

/** The default transform: an object without its managedFields, its repeating strings interned. */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields) {
    // A copy without the field rather than `delete`, which would turn every cached metadata into a slow,
    // several times larger dictionary object.
    const { managedFields: _, ...metadata } = obj.metadata;
    (obj as { metadata: KubeObject['metadata'] }).metadata = metadata;
  }
  internObject(obj);
  return obj;
}

/**
 * The default transform for pods, which a cluster holds by the hundred thousand: as stripManagedFields, and
 * the pieces of spec and status that repeat across pods shared, frozen (src/util/share.ts). The pod, its
 * metadata, spec and status stay its own.
 */
export function compactPod<T extends KubeObject>(obj: T): T {
  stripManagedFields(obj);
  const pod = obj as { spec?: unknown; status?: unknown };
  shareParts(pod.spec);
  shareParts(pod.status);
  return obj;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 30_000;

interface Registration<T extends KubeObject> {
  handler: ResourceEventHandler<T>;
  timer?: NodeJS.Timeout;
}

export class SharedInformer<T extends KubeObject = KubeObject> {
  readonly indexer: Indexer<T>;
  private readonly handlers = new Set<Registration<T>>();
  private readonly log: Logger;
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private lastRV = '';
  private started = false;
  private stopped = false;
  private watch: Watch<T> | undefined;
  private sleepTimer: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  constructor(
    private readonly client: ResourceClient<T>,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.indexer = new Indexer<T>(opts.indexers ?? {});
    const { group, version, resource } = client.ref;
    this.log = (opts.logger ?? componentLogger('informer')).child({ resource: group ? `${resource}.${version}.${group}` : `${resource}.${version}` });
  }

  /**
   * Registers a handler; once the informer has synced it first gets every object as an add. With
   * `resyncPeriodMs` it also gets every object as an update that often. Answers a function that removes it.
   */
  addEventHandler(handler: ResourceEventHandler<T>, resyncPeriodMs = 0): () => void {
    const reg: Registration<T> = { handler };
    this.handlers.add(reg);
    if (this.synced) for (const o of this.indexer.list()) this.call(() => handler.onAdd?.(o, true));
    if (resyncPeriodMs > 0) {
      reg.timer = setInterval(() => {
        if (!this.synced) return;
        for (const o of this.indexer.list()) this.call(() => handler.onUpdate?.(o, o));
      }, resyncPeriodMs);
      reg.timer.unref();
    }
    return () => {
      if (reg.timer) clearInterval(reg.timer);
      this.handlers.delete(reg);
    };
  }

  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.indexer.addIndexers(indexers);
  }

  lister(): Lister<T> {
    return new Lister(this.indexer);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list is in the store. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** The resourceVersion the store reflects. */
  get lastSyncResourceVersion(): string {
    return this.lastRV;
  }

  /** Starts listing and watching (once). */
  run(): void {
    if (this.started) return;
    this.started = true;
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
    if (this.sleepTimer) {
      clearTimeout(this.sleepTimer.timer);
      this.sleepTimer.wake();
    }
    for (const reg of this.handlers) if (reg.timer) clearInterval(reg.timer);
  }

  private async loop(): Promise<void> {
    let needList = true;
    let backoff = MIN_BACKOFF_MS;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.listAndReplace();
          needList = false;
        }
        await this.watchOnce();
        backoff = MIN_BACKOFF_MS;
      } catch (err) {
        if (this.stopped) break;
        if (isGone(err)) {
          this.log.info({ resourceVersion: this.lastRV }, 'watch history is gone; re-listing');
          needList = true;
          continue;
        }
        this.log.warn({ err: err instanceof Error ? err.message : String(err), backoffMs: backoff }, needList ? 'list failed' : 'watch failed');
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private async listAndReplace(): Promise<void> {
    const list = await this.client.listAll({
      ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
      ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
      pageSize: this.opts.pageSize ?? 500,
    });
    if (this.stopped) return;
    const initial = !this.synced;
    const before = new Map(this.indexer.keys().map((k) => [k, this.indexer.get(k)!]));
    const transform = this.opts.transform ?? stripManagedFields;
    list.items = list.items.map(transform);
    this.indexer.replace(list.items);
    for (const obj of list.items) {
      const key = metaNamespaceKey(obj);
      const old = before.get(key);
      before.delete(key);
      if (!old) this.dispatch((h) => h.onAdd?.(obj, initial));
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.dispatch((h) => h.onUpdate?.(old, obj));
    }
    for (const old of before.values()) this.dispatch((h) => h.onDelete?.(old, true));
    this.lastRV = list.metadata.resourceVersion ?? '';
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private async watchOnce(): Promise<void> {
    const watch = await this.client.watch({
      resourceVersion: this.lastRV,
      allowWatchBookmarks: true,
      // Spread re-watches out, as client-go does (5-10 minutes).
      timeoutSeconds: Math.floor(300 + Math.random() * 300),
      ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
      ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
    });
    this.watch = watch;
    if (this.stopped) watch.stop();
    try {
      for await (const ev of watch) {
        if (ev.type === 'ERROR') throw new APIError({ ...ev.object, code: ev.object.code ?? 500 });
        const obj = ev.type === 'BOOKMARK' ? ev.object : (this.opts.transform ?? stripManagedFields)(ev.object);
        const rv = obj.metadata?.resourceVersion;
        if (ev.type === 'BOOKMARK') {
          if (rv) this.lastRV = rv;
          continue;
        }
        if (ev.type === 'DELETED') {
          this.indexer.delete(metaNamespaceKey(obj));
          this.dispatch((h) => h.onDelete?.(obj, false));
        } else {
          const old = this.indexer.upsert(obj);
          if (old) this.dispatch((h) => h.onUpdate?.(old, obj));
          else this.dispatch((h) => h.onAdd?.(obj, false));
        }
        if (rv) this.lastRV = rv;
      }
    } finally {
      this.watch = undefined;
    }
  }

  private dispatch(fn: (h: ResourceEventHandler<T>) => void): void {
    for (const reg of this.handlers) this.call(() => fn(reg.handler));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, 'event handler failed');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleepTimer = undefined;
        resolve();
      }, ms);
      timer.unref();
      this.sleepTimer = { timer, wake: resolve };
    });
  }
}
