/**
 * An in-memory ObjectReader for admission unit tests (a fake of the watch cache, not of the plugins under
 * test), and a helper building admission attributes for a built-in resource.
 */
import { BUILTIN_RESOURCES } from '../../src/api/resources.js';
import type { GroupResource } from '../../src/apimachinery/status.js';
import type { AdmissionAttributes, ObjectChange, ObjectReader } from '../../src/apiserver/admission/admission.js';
import type { StoredObject } from '../../src/apiserver/registry/strategy.js';
import type { CachedObject } from '../../src/storage/cacher/cacher.js';

export class FakeReader implements ObjectReader {
  revision = 0;
  private readonly objects = new Map<string, CachedObject & { gr: GroupResource }>();
  private readonly listeners = new Set<(c: ObjectChange) => void>();

  private key(gr: GroupResource, namespace: string | undefined, name: string): string {
    return `/${gr.group}/${gr.resource}/${namespace ?? ''}/${name}`;
  }

  /** Stores (or replaces) an object, as a write reaching the cache would. */
  put(gr: GroupResource, obj: StoredObject): StoredObject {
    const copy = structuredClone(obj);
    copy.metadata.resourceVersion = String(++this.revision);
    const key = this.key(gr, copy.metadata.namespace, copy.metadata.name ?? '');
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.objects.set(key, {
      gr,
      key,
      namespace: copy.metadata.namespace ?? '',
      name: copy.metadata.name ?? '',
      revision: this.revision,
      json: JSON.stringify(copy),
      labels: {},
      fields: {},
    });
    for (const l of this.listeners) l({ gr, namespace: copy.metadata.namespace ?? '', key, type });
    return copy;
  }

  remove(gr: GroupResource, namespace: string | undefined, name: string): void {
    const key = this.key(gr, namespace, name);
    this.objects.delete(key);
    this.revision++;
    for (const l of this.listeners) l({ gr, namespace: namespace ?? '', key, type: 'DELETED' });
  }

  async fresh(): Promise<void> {}

  listCached(gr: GroupResource, namespace?: string): CachedObject[] {
    return [...this.objects.values()]
      .filter((o) => o.gr.group === gr.group && o.gr.resource === gr.resource && (namespace === undefined || o.namespace === namespace))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  list(gr: GroupResource, namespace?: string): StoredObject[] {
    return this.listCached(gr, namespace).map((o) => JSON.parse(o.json) as StoredObject);
  }

  get(gr: GroupResource, namespace: string | undefined, name: string): StoredObject | undefined {
    const o = this.objects.get(this.key(gr, namespace, name));
    return o ? (JSON.parse(o.json) as StoredObject) : undefined;
  }

  onChange(listener: (c: ObjectChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Attributes of a request on a built-in resource (`pods`, `persistentvolumeclaims`, `scheduling.k8s.io/priorityclasses`). */
export function attrs(
  resource: string,
  object: StoredObject | undefined,
  opts: { operation?: AdmissionAttributes['operation']; namespace?: string; dryRun?: boolean; subresource?: string } = {},
): AdmissionAttributes {
  const [group, plural] = resource.includes('/') ? (resource.split('/') as [string, string]) : ['', resource];
  const info = BUILTIN_RESOURCES.find((r) => r.group === group && r.resource === plural && !r.storage);
  if (!info) throw new Error(`no resource ${resource}`);
  const namespace = info.namespaced ? (opts.namespace ?? object?.metadata.namespace ?? 'ns') : '';
  if (object && info.namespaced) object.metadata.namespace ??= namespace;
  return {
    operation: opts.operation ?? 'CREATE',
    resource: info,
    subresource: opts.subresource ?? '',
    namespace,
    name: object?.metadata.name ?? '',
    ...(object ? { object } : {}),
    user: { name: 'admin', groups: ['system:masters'] },
    dryRun: opts.dryRun ?? false,
  };
}

export const PODS = { group: '', resource: 'pods' };
export const LIMIT_RANGES = { group: '', resource: 'limitranges' };
export const RESOURCE_QUOTAS = { group: '', resource: 'resourcequotas' };
export const SERVICE_ACCOUNTS = { group: '', resource: 'serviceaccounts' };
export const PRIORITY_CLASSES = { group: 'scheduling.k8s.io', resource: 'priorityclasses' };
export const STORAGE_CLASSES = { group: 'storage.k8s.io', resource: 'storageclasses' };

/** A pod with one container per `resources` entry. */
export function pod(name: string, ...resources: object[]): StoredObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns' },
    spec: { containers: (resources.length ? resources : [undefined]).map((r, i) => ({ name: `c${i}`, image: 'busybox', ...(r ? { resources: r } : {}) })) },
  };
}
