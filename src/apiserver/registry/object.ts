/**
 * Encoding of API objects to and from storage and the watch cache. Storage holds JSON without
 * `metadata.resourceVersion` (the revision is the version); every read puts it back.
 */
import type { CachedObject } from '../../storage/cacher/cacher.js';
import type { KeyValue } from '../../storage/interface.js';
import type { Resource, StoredObject } from './strategy.js';
import { intern } from '../../util/intern.js';
import { JSONPacker } from './packed-json.js';

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

/**
 * Builds the watch-cache form of a stored object of `resource` (the storage version's resource). `packed` is
 * for objects that will be kept (the watch cache's); what one request reads from storage is used once.
 */
export function cacheDecoder(resource: Resource, { packed = true }: { packed?: boolean } = {}): (kv: KeyValue) => CachedObject {
  const { info, strategy } = resource;
  const packer = packed ? new JSONPacker() : undefined;
  return (kv) => {
    const obj = JSON.parse(kv.value.toString('utf8')) as StoredObject;
    // Storage never holds a resourceVersion; a value that does is served through a fresh encoding below.
    const spliceable = obj.metadata?.resourceVersion === undefined;
    obj.metadata ??= {};
    obj.metadata.resourceVersion = String(kv.modRevision);
    const fields = metadataFields(obj, info.namespaced);
    if (strategy.fieldValues) Object.assign(fields, strategy.fieldValues(obj));
    // The cache keeps these for every object: share the copies of values that repeat (all but the name).
    for (const f in fields) if (f !== 'metadata.name') fields[f] = intern(fields[f]!);
    const labels = obj.metadata.labels ?? {};
    for (const l in labels) labels[l] = intern(labels[l]!);
    const json = (spliceable && withResourceVersion(kv.value, kv.modRevision)) || Buffer.from(JSON.stringify(obj));
    const attrs = { key: kv.key, namespace: intern(obj.metadata.namespace ?? ''), name: obj.metadata.name ?? '', revision: kv.modRevision, labels, fields };
    return packer ? packer.pack(attrs, json) : { ...attrs, json: json.toString('utf8') };
  };
}

/**
 * The JSON clients get for a stored value: the stored bytes with the resourceVersion put first in the
 * metadata. Re-encoding the parsed object instead would cost a JSON.stringify per write. Undefined when the
 * value has no top-level metadata object to put it in.
 */
export function withResourceVersion(value: Buffer, revision: number): Buffer | undefined {
  const at = metadataStart(value);
  if (at < 0) return undefined;
  const rv = Buffer.from(`"resourceVersion":"${revision}"${value[at] === CLOSE_BRACE ? '' : ','}`);
  return Buffer.concat([value.subarray(0, at), rv, value.subarray(at)]);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const METADATA = Buffer.from('"metadata"');

/**
 * Where the members of the top-level `metadata` object start (just after its `{`), in compact JSON; -1 when
 * there is none. Objects begin with apiVersion, kind and metadata, so the scan ends within the first bytes.
 */
function metadataStart(json: Buffer): number {
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === QUOTE) {
      const start = i;
      for (i++; i < json.length && json[i] !== QUOTE; i++) if (json[i] === BACKSLASH) i++;
      if (depth === 1 && json[i + 1] === COLON && json[i + 2] === OPEN_BRACE && i + 1 - start === METADATA.length && json.compare(METADATA, 0, METADATA.length, start, i + 1) === 0) {
        return i + 3;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return -1;
}
