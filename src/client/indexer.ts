/**
 * The informer's store (client-go's cache.Indexer): objects by `namespace/name` key, plus named indexes that
 * map an index value to the keys of the objects that produce it (by namespace, by owner UID, or custom).
 */
import type { KubeObject } from './types.js';

/** The values an object is filed under in one index (none: not in it). */
export type IndexFunc<T> = (obj: T) => string[];

/** `namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function metaNamespaceKey(obj: KubeObject): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}

/** The parts of a `namespace/name` key; namespace is '' for cluster-scoped keys. */
export function splitMetaNamespaceKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export const NAMESPACE_INDEX = 'namespace';
export const OWNER_UID_INDEX = 'ownerUID';

export const namespaceIndexFunc: IndexFunc<KubeObject> = (obj) => (obj.metadata.namespace ? [obj.metadata.namespace] : []);
export const ownerUIDIndexFunc: IndexFunc<KubeObject> = (obj) => (obj.metadata.ownerReferences ?? []).map((r) => r.uid);

export class Indexer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name -> index value -> keys. */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.indexers.set(NAMESPACE_INDEX, namespaceIndexFunc as IndexFunc<T>);
    this.addIndexers(indexers);
  }

  /**
   * Adds indexes (existing objects are filed under them at once). Controllers sharing an informer may ask for
   * the same index: the same function under the same name is already there; another one is an error.
   */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexers.get(name) === fn) continue;
      if (this.indexers.has(name)) throw new Error(`indexer ${name} already exists`);
      this.indexers.set(name, fn);
      this.indices.set(name, new Map());
      for (const [key, obj] of this.items) this.file(name, fn, key, obj);
    }
    if (!this.indices.has(NAMESPACE_INDEX)) {
      this.indices.set(NAMESPACE_INDEX, new Map());
      for (const [key, obj] of this.items) this.file(NAMESPACE_INDEX, namespaceIndexFunc as IndexFunc<T>, key, obj);
    }
  }

  /** Adds or replaces the object under its key; answers the object it replaced. */
  upsert(obj: T): T | undefined {
    const key = metaNamespaceKey(obj);
    const old = this.items.get(key);
    if (old) this.unfileAll(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) this.file(name, fn, key, obj);
    return old;
  }

  /** Removes the object with this key; answers it. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unfileAll(key, old);
    this.items.delete(key);
    return old;
  }

  /** Replaces everything (a re-list). */
  replace(objs: readonly T[]): void {
    this.items.clear();
    for (const idx of this.indices.values()) idx.clear();
    for (const o of objs) this.upsert(o);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  /** The objects filed under `value` in index `indexName`. */
  byIndex(indexName: string, value: string): T[] {
    const idx = this.indices.get(indexName);
    if (!idx) throw new Error(`index ${indexName} does not exist`);
    return [...(idx.get(value) ?? [])].map((k) => this.items.get(k)!);
  }

  /** The keys filed under `value` in index `indexName`. */
  indexKeys(indexName: string, value: string): string[] {
    const idx = this.indices.get(indexName);
    if (!idx) throw new Error(`index ${indexName} does not exist`);
    return [...(idx.get(value) ?? [])];
  }

  private file(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    let idx = this.indices.get(name);
    if (!idx) {
      idx = new Map();
      this.indices.set(name, idx);
    }
    for (const value of new Set(fn(obj))) {
      let keys = idx.get(value);
      if (!keys) idx.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  private unfileAll(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name);
      if (!idx) continue;
      for (const value of new Set(fn(obj))) {
        const keys = idx.get(value);
        keys?.delete(key);
        if (keys?.size === 0) idx.delete(value);
      }
    }
  }
}
