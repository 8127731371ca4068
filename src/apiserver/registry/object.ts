/**
 * Encoding of API objects to and from storage and the watch cache. Storage holds JSON without
 * `metadata.resourceVersion` (the revision is the version); every read puts it back.
 */
import type { CachedObject } from '../../storage/cacher/cacher.js';
import type { KeyValue } from '../../storage/interface.js';
import type { Resource, StoredObject } from './strategy.js';
import { intern } from '../../util/intern.js';

/** `/registry/<group|core>/<resource>/` — where every object of a resource lives in storage. */
export function resourcePrefix(group: string, resource: string): string {
  return `/registry/${group || 'core'}/${resource}/`;
}

/** The storage key of one object. */
export function objectKey(prefix: string, namespace: string | undefined, name: string): string {
  return namespace ? `${prefix}${namespace}/${name}` : `${prefix}${name}`;
}

/** The bytes stored for an object: its JSON without the resourceVersion. */
export function encodeForStorage(obj: StoredObject): Buffer {
  dropEmptyMetadata(obj);
  const rv = obj.metadata.resourceVersion;
  if (rv === undefined) return Buffer.from(JSON.stringify(obj));
  delete obj.metadata.resourceVersion;
  try {
    return Buffer.from(JSON.stringify(obj));
  } finally {
    obj.metadata.resourceVersion = rv;
  }
}

/** Empty metadata maps and lists are omitted, as Kubernetes' encoding omits them (`omitempty`). */
function dropEmptyMetadata(obj: StoredObject): void {
  const meta = obj.metadata;
  for (const field of ['labels', 'annotations'] as const) {
    const v = meta[field];
    if (v && Object.keys(v).length === 0) delete meta[field];
  }
  for (const field of ['finalizers', 'ownerReferences', 'managedFields'] as const) {
    const v = meta[field];
    if (Array.isArray(v) && v.length === 0) delete meta[field];
  }
}

/** A stored key-value as an object, resourceVersion set from its revision. */
export function decodeFromStorage(kv: Pick<KeyValue, 'value' | 'modRevision'>): StoredObject {
  const obj = JSON.parse(kv.value.toString('utf8')) as StoredObject;
  obj.metadata ??= {};
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}

/** Field selector values every object has. */
export function metadataFields(obj: StoredObject, namespaced: boolean): Record<string, string> {
  const fields: Record<string, string> = { 'metadata.name': obj.metadata.name ?? '' };
  if (namespaced) fields['metadata.namespace'] = obj.metadata.namespace ?? '';
  return fields;
}

/** Builds the watch-cache form of a stored object of `resource` (the storage version's resource). */
export function cacheDecoder(resource: Resource): (kv: KeyValue) => CachedObject {
  const { info, strategy } = resource;
  return (kv) => {
    const obj = decodeFromStorage(kv);
    const fields = metadataFields(obj, info.namespaced);
    if (strategy.fieldValues) Object.assign(fields, strategy.fieldValues(obj));
    // The cache keeps these for every object: share the copies of values that repeat (all but the name).
    for (const f in fields) if (f !== 'metadata.name') fields[f] = intern(fields[f]!);
    const labels = obj.metadata.labels ?? {};
    for (const l in labels) labels[l] = intern(labels[l]!);
    return {
      key: kv.key,
      namespace: intern(obj.metadata.namespace ?? ''),
      name: obj.metadata.name ?? '',
      revision: kv.modRevision,
      json: JSON.stringify(obj),
      labels,
      fields,
    };
  };
}
