/**
 * The ObjectReader admission plugins use, over the apiserver's registries and their watch caches. A resource
 * kept out of the watch cache (events) reads as empty here: admission decides synchronously, from memory.
 */
import type { GroupResource } from '../../apimachinery/status.js';
import type { CachedObject, CacheEvent } from '../../storage/cacher/cacher.js';
import type { GenericRegistry } from '../registry/generic.js';
import type { StoredObject } from '../registry/strategy.js';
import type { ObjectChange, ObjectReader } from './admission.js';

export class CacheObjectReader implements ObjectReader {
  /**
   * `registry` finds the registry that stores a group/resource; `all` lists every registry (for onChange).
   * Both are functions because the apiserver builds its registries after the plugins.
   */
  constructor(
    private readonly registry: (gr: GroupResource) => GenericRegistry | undefined,
    private readonly all: () => Iterable<GenericRegistry>,
  ) {}

  /** All cached resources share one watch cache: any of them tells its freshness. */
  private anyCached(): GenericRegistry | undefined {
    for (const r of this.all()) if (r.cached) return r;
    return undefined;
  }

  async fresh(): Promise<void> {
    await this.anyCached()?.waitFresh();
  }

  get revision(): number {
    return this.anyCached()?.cacheRevision ?? 0;
  }

  listCached(gr: GroupResource, namespace?: string): CachedObject[] {
    const r = this.registry(gr);
    return r?.cache?.list(r.listPrefix(namespace)) ?? [];
  }

  list(gr: GroupResource, namespace?: string): StoredObject[] {
    return this.listCached(gr, namespace).map((o) => JSON.parse(o.json) as StoredObject);
  }

  get(gr: GroupResource, namespace: string | undefined, name: string): StoredObject | undefined {
    const r = this.registry(gr);
    const o = r?.cache?.get(r.key(namespace, name));
    return o ? (JSON.parse(o.json) as StoredObject) : undefined;
  }

  onChange(listener: (change: ObjectChange) => void): () => void {
    let stopped = false;
    const detach: Array<() => void> = [];
    const attach = (r: GenericRegistry): void => {
      const cache = r.cache;
      if (stopped || !cache) return;
      detach.push(
        cache.addWatcher({
          event: (ev: CacheEvent) => {
            listener({ gr: r.gr, namespace: ev.object.namespace, key: ev.object.key, type: ev.type });
            return true;
          },
          // The cache rebuilt from storage (or is shutting down): follow the new one.
          terminate: () => void setImmediate(() => attach(r)),
        }),
      );
    };
    for (const r of this.all()) attach(r);
    return () => {
      stopped = true;
      for (const d of detach) d();
    };
  }
}
