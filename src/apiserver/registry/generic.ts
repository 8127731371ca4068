/**
 * The generic registry (Kubernetes' genericregistry.Store): create, get, list, update, delete and
 * deletecollection for any resource, with the metadata rules every object follows (uid, creationTimestamp,
 * generation, finalizers and deletionTimestamp, resourceVersion preconditions) and the resource's strategy
 * hooks. Reads come from the watch cache; writes go to storage.
 */
import type { DeleteOptions, StatusCause } from 'kubernetes-types/meta/v1.js';
import type { FieldSelector } from '../../apimachinery/fields.js';
import type { LabelSelector } from '../../apimachinery/labels.js';
import { generateName, validateObjectMeta } from '../../apimachinery/names.js';
import {
  badRequest,
  conflict,
  expired,
  fromStorageError,
  invalid,
  notFound,
  OBJECT_MODIFIED,
  StatusError,
  timeout,
  type GroupResource,
} from '../../apimachinery/status.js';
import { TooOldError, type CachedObject, type Cacher, type CacheEvent, type CacheWatcherSink, type ResourceCache } from '../../storage/cacher/cacher.js';
import { decodeContinue, encodeContinue } from '../../storage/continue.js';
import { isStorageError, StorageError } from '../../storage/errors.js';
import type { KeyValue, Store } from '../../storage/interface.js';
import { cacheDecoder, decodeFromStorage, encodeForStorage, objectKey, resourcePrefix } from './object.js';
import { deletionFinalizers } from './deletion-policy.js';
import { carryOver, now, prepareNewMeta } from './metadata.js';
import { hasStatusSubresource, type Reservation, type Resource, type StoredObject } from './strategy.js';

export interface ListOptions {
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  revision: number;
  items: CachedObject[];
  continue?: string;
  remainingItemCount?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  /**
   * `status` writes only status; anything else writes everything but status (for resources with one). Other
   * subresources (a namespace's `finalize`) are told to the strategy's prepareForUpdate, which keeps what they may not change.
   * `binding` (a pod's) writes spec and status at once.
   */
  subresource?: 'status' | 'finalize' | 'binding';
  /** Set by `delete` alone: the write marks the object for deletion (clients cannot set deletionTimestamp). */
  deleting?: boolean;
  /**
   * Records who set which fields (metadata.managedFields) once the object is defaulted, as kube's field
   * manager sees the decoded, defaulted object; `old` is undefined on create.
   */
  trackManagedFields?: (obj: StoredObject, old: StoredObject | undefined) => void;
}

/** Computes the new object from the current one (for patch and subresource writes). */
export type UpdateObjectFunc = (current: StoredObject) => StoredObject | Promise<StoredObject>;

/** Thrown inside a storage update to abandon it without writing (dry run). */
class DryRunResult {
  constructor(readonly object: StoredObject) {}
}

/**
 * Where a watch's events come from: what it starts with (the initial state as ADDED events, or the history
 * after the revision it resumes at), then the live feed, joined without a gap.
 */
export interface WatchSource {
  backlog: CacheEvent[];
  /** Set when the history no longer reaches back to the revision asked for (the watch gets a 410). */
  tooOld?: TooOldError;
  /** Starts the live feed into `sink`; returns what stops it. */
  attach(sink: CacheWatcherSink): () => void;
}

/** How many keys a storage list reads at a time when it filters (an unlimited list of a big uncached resource). */
const STORAGE_LIST_PAGE = 1000;

/** Matches objects against list/watch selectors. */
export function matchesSelectors(o: CachedObject, labels?: LabelSelector, fields?: FieldSelector): boolean {
  if (labels && !labels.empty() && !labels.matches(o.labels)) return false;
  if (fields && !fields.empty() && !fields.matches(o.fields)) return false;
  return true;
}

export class GenericRegistry {
  readonly prefix: string;
  readonly gr: GroupResource;
  private readonly decode: (kv: KeyValue) => CachedObject;
  private readonly withStatus: boolean;

  constructor(
    readonly resource: Resource,
    private readonly store: Store,
    private readonly cacher: Cacher,
    /**
     * False for a resource kept out of the watch cache (events, as kube-apiserver's default watch cache sizes
     * say): its reads and watches go to storage, so the apiserver does not hold every one of them in memory.
     */
    readonly cached = true,
  ) {
    this.prefix = resourcePrefix(resource.info.group, resource.info.resource);
    this.gr = { group: resource.info.group, resource: resource.info.resource };
    // Objects this registry reads from storage itself serve one request (the watch cache keeps its own).
    this.decode = cacheDecoder(resource, { packed: false });
    this.withStatus = hasStatusSubresource(resource.info);
  }

  /** The revision the watch cache has reached. */
  get cacheRevision(): number {
    return this.cacher.revision;
  }

  /** The resource's watch cache; undefined when it is not cached. */
  get cache(): ResourceCache | undefined {
    return this.cached ? this.cacher.resource(this.prefix) : undefined;
  }

  key(namespace: string | undefined, name: string): string {
    return objectKey(this.prefix, this.resource.info.namespaced ? namespace : undefined, name);
  }

  /** The key prefix of a list: the whole resource, or one namespace of it. */
  listPrefix(namespace: string | undefined): string {
    return namespace && this.resource.info.namespaced ? `${this.prefix}${namespace}/` : this.prefix;
  }

  /** Waits until the cache reflects every write storage has acknowledged (a consistent read). */
  async waitFresh(): Promise<void> {
    if (!this.cached) return;
    try {
      await this.cacher.waitUntilConsistent();
    } catch (err) {
      if (isStorageError(err, 'TooSlow')) throw timeout(err.message);
      throw this.translate(err, '');
    }
  }

  async waitForRevision(revision: number): Promise<void> {
    if (!this.cached) return;
    try {
      await this.cacher.waitUntilFresh(revision);
    } catch {
      throw timeout(`Too large resource version: ${revision}, current: ${this.cacher.revision}`);
    }
  }

  /** The current object, from the cache after a consistent wait (from storage when uncached). */
  async get(namespace: string | undefined, name: string): Promise<CachedObject> {
    const found = await this.find(namespace, name);
    if (!found) throw notFound(this.gr, name);
    return found;
  }

  /** Like `get`, but undefined when the object does not exist. */
  async find(namespace: string | undefined, name: string): Promise<CachedObject | undefined> {
    const cache = this.cache;
    if (cache) {
      await this.waitFresh();
      return cache.get(this.key(namespace, name));
    }
    try {
      return this.decode(await this.store.get(this.key(namespace, name)));
    } catch (err) {
      if (isStorageError(err, 'NotFound')) return undefined;
      throw this.translate(err, name);
    }
  }

  /** The current object, decoded, straight from storage (for read-modify-write). */
  async getObject(namespace: string | undefined, name: string): Promise<StoredObject> {
    try {
      return decodeFromStorage(await this.store.get(this.key(namespace, name)));
    } catch (err) {
      throw this.translate(err, name);
    }
  }

  async list(opts: ListOptions): Promise<ListResult> {
    const prefix = this.listPrefix(opts.namespace);
    const rv = opts.resourceVersion ?? '';
    const match = opts.resourceVersionMatch ?? '';
    if (match && !['Exact', 'NotOlderThan'].includes(match)) {
      throw invalid('ListOptions', 'meta.k8s.io', '', [
        { reason: 'FieldValueNotSupported', field: 'resourceVersionMatch', message: `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"` },
      ]);
    }
    if (match && rv === '') {
      throw invalid('ListOptions', 'meta.k8s.io', '', [
        { reason: 'FieldValueForbidden', field: 'resourceVersionMatch', message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided' },
      ]);
    }
    if (opts.continue) {
      if (rv !== '') {
        throw invalid('ListOptions', 'meta.k8s.io', '', [
          { reason: 'FieldValueForbidden', field: 'resourceVersion', message: 'Forbidden: specifying resource version is not allowed when using continue' },
        ]);
      }
      return this.listFromStorage(prefix, opts, { continue: opts.continue });
    }
    const revision = rv === '' ? undefined : parseResourceVersion(rv);
    if (!this.cached) return this.listFromStorage(prefix, opts, match === 'Exact' && revision ? { revision } : {});
    if (match === 'Exact' && revision !== undefined && revision !== this.cacher.revision) {
      return this.listFromStorage(prefix, opts, { revision });
    }
    if (revision === undefined) await this.waitFresh();
    else if (revision > 0) await this.waitForRevision(revision);
    return this.listFromCache(prefix, opts);
  }

  private listFromCache(prefix: string, opts: ListOptions): ListResult {
    const revision = this.cacher.revision;
    const all = this.cache!.list(prefix);
    const selecting = !(opts.labelSelector?.empty() ?? true) || !(opts.fieldSelector?.empty() ?? true);
    const items = selecting ? all.filter((o) => matchesSelectors(o, opts.labelSelector, opts.fieldSelector)) : all;
    const limit = opts.limit ?? 0;
    if (limit <= 0 || items.length <= limit) return { revision, items };
    const page = items.slice(0, limit);
    const result: ListResult = { revision, items: page, continue: encodeContinue(prefix, revision, page[page.length - 1]!.key) };
    if (!selecting) result.remainingItemCount = items.length - limit;
    return result;
  }

  private async listFromStorage(prefix: string, opts: ListOptions, start: { continue?: string; revision?: number }): Promise<ListResult> {
    const limit = opts.limit ?? 0;
    // An unlimited list is read in pages all the same, so only what matches is held at once.
    const pageSize = limit > 0 ? limit : STORAGE_LIST_PAGE;
    const items: CachedObject[] = [];
    let token = start.continue;
    let revision = start.revision;
    try {
      for (;;) {
        const page = await this.store.list(prefix, token ? { continue: token, limit: pageSize } : { revision, limit: pageSize });
        revision = page.revision;
        for (const kv of page.items) {
          const o = this.decode(kv);
          if (matchesSelectors(o, opts.labelSelector, opts.fieldSelector)) items.push(o);
        }
        token = page.continue;
        if (!token || (limit > 0 && items.length >= limit)) {
          const result: ListResult = { revision, items: limit > 0 ? items.slice(0, limit) : items };
          if (limit > 0 && items.length > limit) {
            result.continue = encodeContinue(prefix, revision, items[limit - 1]!.key);
          } else if (token) {
            result.continue = token;
            if (page.remainingItemCount !== undefined && !opts.labelSelector && !opts.fieldSelector) result.remainingItemCount = page.remainingItemCount;
          }
          return result;
        }
      }
    } catch (err) {
      if (isStorageError(err, 'Expired') && start.continue) throw await this.expiredContinue(prefix, start.continue);
      if (isStorageError(err, 'Invalid')) throw badRequest(err.message);
      throw this.translate(err, '');
    }
  }

  /**
   * The events of a watch under `prefix`: with `initial`, the current objects then every change; otherwise
   * every change after `revision` (or from now). From the watch cache, the snapshot and the live feed join
   * synchronously (call `attach` before awaiting anything); from storage, the feed starts at the listed revision.
   */
  watchSource(prefix: string, from: { initial: boolean; revision?: number }, matches: (o: CachedObject) => boolean): WatchSource | Promise<WatchSource> {
    const cache = this.cache;
    if (!cache) return this.storageWatchSource(prefix, from, matches);
    let backlog: CacheEvent[] = [];
    let tooOld: TooOldError | undefined;
    if (from.initial) {
      backlog = cache.list(prefix).filter(matches).map((object) => ({ type: 'ADDED' as const, revision: object.revision, object }));
    } else if (from.revision !== undefined && from.revision > 0) {
      try {
        backlog = cache.eventsSince(from.revision);
      } catch (err) {
        if (!(err instanceof TooOldError)) throw err;
        tooOld = err;
      }
    }
    return { backlog, ...(tooOld ? { tooOld } : {}), attach: (sink) => cache.addWatcher(sink) };
  }

  private async storageWatchSource(prefix: string, from: { initial: boolean; revision?: number }, matches: (o: CachedObject) => boolean): Promise<WatchSource> {
    let backlog: CacheEvent[] = [];
    let revision: number;
    if (from.initial) {
      const listed = await this.listFromStorage(prefix, {}, {});
      backlog = listed.items.filter(matches).map((object) => ({ type: 'ADDED' as const, revision: object.revision, object }));
      revision = listed.revision;
    } else if (from.revision !== undefined && from.revision > 0) {
      const compacted = await this.store.compactedRevision();
      if (from.revision < compacted) return { backlog, tooOld: new TooOldError(from.revision, compacted + 1), attach: () => () => undefined };
      revision = from.revision;
    } else {
      revision = await this.store.currentRevision();
    }
    const watcher = this.store.watch(prefix, { fromRevision: revision, recursive: true });
    const decode = this.decode;
    return {
      backlog,
      attach: (sink) => {
        void (async () => {
          try {
            for await (const ev of watcher) {
              const object = decode({ key: ev.key, value: ev.value, createRevision: 0, modRevision: ev.revision });
              const event: CacheEvent = { type: ev.type, revision: ev.revision, object };
              // The state before only decides whether the object left the selection; its own revision is not needed.
              if (ev.prevValue && ev.type !== 'ADDED') event.prev = decode({ key: ev.key, value: ev.prevValue, createRevision: 0, modRevision: ev.revision });
              if (!sink.event(event)) break;
            }
          } catch {
            // A storage watch that cannot go on (compacted, too slow) ends the client's watch; it re-watches.
          }
          watcher.stop();
          sink.terminate();
        })();
        return () => watcher.stop();
      },
    };
  }

  /** The 410 for a continue token past compaction, carrying a token that continues at the latest revision. */
  private async expiredContinue(prefix: string, token: string): Promise<StatusError> {
    const { afterKey } = decodeContinue(prefix, token);
    const fresh = encodeContinue(prefix, await this.store.currentRevision(), afterKey);
    const err = expired(
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
    );
    err.status.metadata = { continue: fresh };
    return err;
  }

  /** Creates `obj` (already converted to the storage version and checked against the URL). */
  async create(obj: StoredObject, opts: WriteOptions = {}): Promise<StoredObject> {
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
    prepareNewMeta(meta, { namespaced: this.resource.info.namespaced, generation: this.withStatus });
    if (this.withStatus && !this.resource.strategy.keepsStatusOnCreate) delete obj.status;
    this.resource.strategy.defaults?.(obj);
    opts.trackManagedFields?.(obj, undefined);
    this.resource.strategy.prepareForCreate?.(obj);
    this.validate(obj, this.resource.strategy.validate?.(obj) ?? []);
    const reservation = await this.resource.strategy.reserveForCreate?.(obj);
    if (opts.dryRun) {
      // A dry run shows what would be allocated, and keeps none of it.
      await reservation?.revert();
      return obj;
    }
    try {
      const kv = await this.store.create(this.key(meta.namespace, meta.name!), encodeForStorage(obj));
      meta.resourceVersion = String(kv.modRevision);
    } catch (err) {
      await reservation?.revert();
      throw this.translate(err, meta.name!);
    }
    await reservation?.commit();
    return obj;
  }

  /**
   * Replaces the object with `next` (PUT) or with what `next` computes from the current one (PATCH, scale),
   * keeping what clients may not change. Returns the stored result.
   */
  async update(
    namespace: string | undefined,
    name: string,
    next: StoredObject | UpdateObjectFunc,
    opts: WriteOptions = {},
  ): Promise<StoredObject> {
    const key = this.key(namespace, name);
    const { strategy } = this.resource;
    let created = false;
    // What the attempt being written reserved; a retried attempt first gives back the one before it.
    let reservation: Reservation | undefined;
    const tryUpdate = async (current: KeyValue | undefined): Promise<Buffer> => {
      if (!current) {
        if (typeof next === 'function' || !strategy.allowCreateOnUpdate) throw StorageError.notFound(key);
        created = true;
        const obj = structuredClone(next);
        delete obj.metadata.resourceVersion;
        await this.create(obj, { dryRun: true, ...(opts.trackManagedFields ? { trackManagedFields: opts.trackManagedFields } : {}) });
        if (opts.dryRun) throw new DryRunResult(obj);
        return encodeForStorage(obj);
      }
      created = false;
      const old = decodeFromStorage(current);
      const obj = typeof next === 'function' ? await next(structuredClone(old)) : structuredClone(next);
      obj.metadata ??= {};
      const rv = obj.metadata.resourceVersion;
      if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) {
        throw conflict(this.gr, name, OBJECT_MODIFIED);
      }
      if ((rv === undefined || rv === '') && typeof next !== 'function' && strategy.allowUnconditionalUpdate === false) {
        throw invalid(this.kind(obj), this.gr.group, name, [
          { reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' },
        ]);
      }
      if (obj.metadata.uid && obj.metadata.uid !== old.metadata.uid) {
        throw conflict(this.gr, name, `Precondition failed: UID in precondition: ${obj.metadata.uid}, UID in object meta: ${old.metadata.uid}`);
      }
      carryOver(obj, old, { ...opts, subresource: opts.subresource === 'status' || opts.subresource === 'binding' ? opts.subresource : undefined, statusSplit: this.withStatus });
      strategy.defaults?.(obj);
      opts.trackManagedFields?.(obj, old);
      if (opts.subresource !== 'status') strategy.prepareForUpdate?.(obj, old, opts);
      this.validate(obj, strategy.validateUpdate?.(obj, old) ?? []);
      await reservation?.revert();
      reservation = undefined;
      if (strategy.reserveForUpdate) reservation = await strategy.reserveForUpdate(obj, old);
      if (opts.dryRun) throw new DryRunResult(obj);
      return encodeForStorage(obj);
    };
    let kv: KeyValue;
    try {
      kv = await this.store.guaranteedUpdate(key, tryUpdate, { ignoreNotFound: strategy.allowCreateOnUpdate ?? false });
    } catch (err) {
      await reservation?.revert();
      if (err instanceof DryRunResult) return err.object;
      throw this.translate(err, name);
    }
    await reservation?.commit();
    const stored = decodeFromStorage(kv);
    if (
      !created &&
      stored.metadata.deletionTimestamp &&
      !stored.metadata.finalizers?.length &&
      !stored.metadata.deletionGracePeriodSeconds &&
      !strategy.finalizing?.(stored)
    ) {
      // The last finalizer is gone from an object marked for deletion: it goes now.
      return this.deleteNow(key, name, kv.modRevision);
    }
    return stored;
  }

  /**
   * Deletes an object: at once, or by marking it (deletionTimestamp) while finalizers remain or a grace
   * period runs. Returns the deleted or marked object; `deleted` says which.
   */
  async delete(
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
    dryRun = false,
    attempt = 0,
    /** The object as last seen (deletecollection's list); a stale one only costs a retry. */
    seen?: StoredObject,
  ): Promise<{ object: StoredObject; deleted: boolean }> {
    const key = this.key(namespace, name);
    const current = seen ?? (await this.getObject(namespace, name));
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw conflict(this.gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(this.gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
    }
    const grace = this.resource.strategy.gracePeriodSeconds?.(current, options.gracePeriodSeconds ?? undefined) ?? 0;
    const finalizers = deletionFinalizers(current.metadata.finalizers ?? [], options, this.resource.strategy.defaultGarbageCollectionPolicy);
    // The kind's own finalization (a namespace's spec.finalizers) may refuse or hold the delete too.
    this.resource.strategy.checkDelete?.(current);
    if (finalizers.length === 0 && grace === 0 && !this.resource.strategy.finalizing?.(current)) {
      if (dryRun) return { object: current, deleted: true };
      try {
        return { object: await this.deleteNow(key, name, Number(current.metadata.resourceVersion)), deleted: true };
      } catch (err) {
        // Changed since it was read: without a caller's resourceVersion precondition, decide again on the new state.
        if (err instanceof StatusError && err.code === 409 && !pre?.resourceVersion && attempt < 10) {
          return this.delete(namespace, name, options, dryRun, attempt + 1);
        }
        throw err;
      }
    }
    // Graceful: mark it, and let finalizers' owners (or the kubelet) finish the job.
    const marked = await this.update(
      namespace,
      name,
      (obj) => {
        const meta = obj.metadata;
        if (!meta.deletionTimestamp) {
          meta.deletionTimestamp = now(grace);
          meta.deletionGracePeriodSeconds = grace;
        } else if (meta.deletionGracePeriodSeconds !== undefined && grace < meta.deletionGracePeriodSeconds) {
          meta.deletionGracePeriodSeconds = grace;
        }
        meta.finalizers = finalizers;
        return obj;
      },
      { dryRun, deleting: true },
    );
    return { object: marked, deleted: false };
  }

  /** Deletes everything a list with these options would return; answers with what was deleted. */
  async deleteCollection(listOpts: ListOptions, options: DeleteOptions = {}, dryRun = false): Promise<{ revision: number; items: StoredObject[] }> {
    const listed = await this.list({ ...listOpts, limit: 0, continue: undefined });
    const items: StoredObject[] = [];
    const queue = [...listed.items];
    const worker = async (): Promise<void> => {
      for (let o = queue.shift(); o; o = queue.shift()) {
        try {
          // The listed copy saves a storage read per object; if it is stale the delete's precondition fails and
          // the delete reads the object again.
          const { object } = await this.delete(o.namespace || undefined, o.name, options, dryRun, 0, JSON.parse(o.json) as StoredObject);
          items.push(object);
        } catch (err) {
          // Someone else deleted it first: the collection is still gone, which is what was asked.
          if (!(err instanceof StatusError && err.code === 404)) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(64, queue.length) }, worker));
    return { revision: this.cacher.revision, items };
  }

  /** Deletes the object if it is still at `modRevision` (a concurrent change is a Conflict, as in Kubernetes). */
  private async deleteNow(key: string, name: string, modRevision: number): Promise<StoredObject> {
    try {
      const kv = await this.store.delete(key, { modRevision });
      const deleted = decodeFromStorage(kv);
      await this.resource.strategy.afterDelete?.(deleted);
      return deleted;
    } catch (err) {
      throw this.translate(err, name);
    }
  }

  private validate(obj: StoredObject, extra: StatusCause[]): void {
    const causes: StatusCause[] = [
      ...validateObjectMeta(obj.metadata, {
        namespaced: this.resource.info.namespaced,
        ...(this.resource.strategy.validateName ? { nameValidator: this.resource.strategy.validateName } : {}),
      }),
      ...extra,
    ];
    if (causes.length > 0) throw invalid(this.kind(obj), this.gr.group, obj.metadata.name ?? obj.metadata.generateName ?? '', causes);
  }

  private kind(obj: StoredObject): string {
    return obj.kind ?? this.resource.info.kind;
  }

  private translate(err: unknown, name: string): unknown {
    if (err instanceof StorageError) return fromStorageError(err, this.gr, name);
    return err;
  }
}

/** Parses a resourceVersion query value; anything but a non-negative integer is a 400, as in Kubernetes. */
export function parseResourceVersion(rv: string): number {
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}
