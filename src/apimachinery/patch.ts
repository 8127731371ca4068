/**
 * Patch engines: JSON patch (RFC 6902, via fast-json-patch), JSON merge patch (RFC 7386) and strategic
 * merge patch. The strategic engine here merges lists by the merge keys Kubernetes declares for the common
 * built-in fields (containers by name, ports by containerPort, ...) and honours the patch directives
 * kubectl sends (`$patch`, `$setElementOrder`, `$deleteFromPrimitiveList`, `$retainKeys`); schema-driven
 * merge keys for every type replace the table when the OpenAPI schemas land.
 */
import fastJSONPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { badRequest, StatusError } from './status.js';

type JSONValue = null | boolean | number | string | JSONValue[] | { [k: string]: JSONValue };
type JSONObject = { [k: string]: JSONValue };

function isObject(v: unknown): v is JSONObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Applies an RFC 6902 patch; a failed `test` is 422 and any other error 400, as kube-apiserver answers. */
export function applyJSONPatch<T>(doc: T, patch: unknown): T {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    return fastJSONPatch.applyPatch(structuredClone(doc), patch as Operation[], true, false).newDocument;
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (e.name === 'TEST_OPERATION_FAILED') {
      const st = new StatusError({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `the server rejected our request due to an error in our request: testing value failed`,
        reason: 'Invalid',
        code: 422,
      });
      throw st;
    }
    throw badRequest(`the server rejected our request due to an error in our request: ${(e.message ?? String(err)).split('\n')[0]}`);
  }
}

/** Applies an RFC 7386 merge patch: objects merge, null deletes, everything else replaces. */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JSONObject = isObject(doc) ? { ...(doc as JSONObject) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v) as JSONValue;
  }
  return out;
}

/** Merge keys of well-known list fields of built-in types (the field name decides). */
const MERGE_KEYS: Record<string, readonly string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  ports: ['containerPort', 'port'],
  imagePullSecrets: ['name'],
  conditions: ['type'],
  ownerReferences: ['uid'],
  hostAliases: ['ip'],
  topologySpreadConstraints: ['topologyKey'],
  resourceClaims: ['name'],
};

/** Lists of primitives merged as sets rather than replaced. */
const SET_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, items: readonly JSONValue[]): string | undefined {
  const candidates = MERGE_KEYS[field];
  if (!candidates) return undefined;
  for (const key of candidates) if (items.every((i) => isObject(i) && key in i)) return key;
  return undefined;
}

/** Applies a strategic merge patch (see the module comment for what it knows about lists). */
export function applyStrategicMergePatch(doc: unknown, patch: unknown): unknown {
  if (!isObject(patch)) throw badRequest('strategic merge patch must be a JSON object');
  return mergeObject(isObject(doc) ? doc : {}, patch);
}

function mergeObject(doc: JSONObject, patch: JSONObject): JSONValue {
  const directive = patch['$patch'];
  if (directive === 'delete') return null;
  if (directive === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return stripDirectives(rest);
  }
  let out: JSONObject = { ...doc };
  const retain = patch['$retainKeys'];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/')) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    const current = out[k];
    if (Array.isArray(v)) {
      out[k] = mergeList(k, Array.isArray(current) ? current : [], v, patch);
    } else if (isObject(v)) {
      const merged = mergeObject(isObject(current) ? current : {}, v);
      if (merged === null) delete out[k];
      else out[k] = merged;
    } else {
      out[k] = v;
    }
  }
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith('$deleteFromPrimitiveList/') || !Array.isArray(v)) continue;
    const field = k.slice('$deleteFromPrimitiveList/'.length);
    const list = out[field];
    if (Array.isArray(list)) out[field] = list.filter((x) => !v.some((d) => JSON.stringify(d) === JSON.stringify(x)));
  }
  if (Array.isArray(retain)) {
    const keep = new Set(retain.filter((x): x is string => typeof x === 'string'));
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  return out;
}

function mergeList(field: string, current: JSONValue[], patch: JSONValue[], parent: JSONObject): JSONValue[] {
  if (patch.some((p) => isObject(p) && p['$patch'] === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p['$patch'] === 'replace')).map(stripDirectives);
  }
  const key = mergeKeyFor(field, patch) ?? (patch.length === 0 ? undefined : undefined);
  if (!key) {
    if (SET_LISTS.has(field)) {
      const seen = new Set(current.map((x) => JSON.stringify(x)));
      return [...current, ...patch.filter((x) => !seen.has(JSON.stringify(x)))];
    }
    return patch.map(stripDirectives);
  }
  const out = current.map((x) => x);
  for (const item of patch) {
    const obj = item as JSONObject;
    const idx = out.findIndex((x) => isObject(x) && JSON.stringify(x[key]) === JSON.stringify(obj[key]));
    if (obj['$patch'] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = mergeObject(out[idx] as JSONObject, obj) as JSONValue;
    else out.push(stripDirectives(obj));
  }
  const order = parent[`$setElementOrder/${field}`];
  if (Array.isArray(order)) {
    const rank = new Map(order.map((o, i) => [JSON.stringify(isObject(o) ? o[key] : o), i]));
    out.sort((a, b) => (rank.get(JSON.stringify((a as JSONObject)[key])) ?? Infinity) - (rank.get(JSON.stringify((b as JSONObject)[key])) ?? Infinity));
  }
  return out;
}

function stripDirectives(v: JSONValue): JSONValue {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JSONObject = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}
