/**
 * Patch engines: JSON patch (RFC 6902, via fast-json-patch), JSON merge patch (RFC 7386) and strategic
 * merge patch, which merges by the patch strategies and merge keys of the types' schemas.
 */
import fastJSONPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { elementOf, fieldOf, listSemantics, type Schema } from '../api/openapi/schema.js';
import { badRequest, failure } from './status.js';

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
      throw failure(422, 'Invalid', 'the server rejected our request due to an error in our request: testing value failed');
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

/**
 * Applies a strategic merge patch as Kubernetes does, guided by the type's schema: lists merge by their merge
 * key (containers by name, ports by containerPort, ...) or as sets of scalars where the schema's patch
 * strategy says `merge`, and are replaced otherwise; the directives `$patch: replace|delete|merge`,
 * `$retainKeys`, `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>` are honoured. Parts of a
 * document without a schema merge as a JSON merge patch would (objects merge, lists replace).
 */
export function applyStrategicMergePatch(doc: unknown, patch: unknown, schema?: Schema): unknown {
  if (!isObject(patch)) throw badRequest('strategic merge patch must be a JSON object');
  const merged = mergeObject(isObject(doc) ? doc : {}, patch, schema);
  return merged === null ? {} : merged;
}

function mergeObject(doc: JSONObject, patch: JSONObject, schema: Schema | undefined): JSONValue {
  const directive = patch['$patch'];
  if (directive === 'delete') return null;
  if (directive === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (directive !== undefined && directive !== 'merge') throw badRequest(`Unknown patch type: ${String(directive)} in map: ${goMap(patch)}`);
  let out: JSONObject = { ...doc };
  const retain = patch['$retainKeys'];
  if (retain !== undefined) {
    // The keys of a union (a volume's source, a deployment's strategy) that the patch keeps; the rest clear.
    if (!Array.isArray(retain) || retain.some((k) => typeof k !== 'string')) throw badRequest('$retainKeys must be a list of strings');
    const keep = new Set(retain as string[]);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    const field = fieldOf(schema, k);
    const current = out[k];
    if (Array.isArray(v)) {
      out[k] = mergeList(Array.isArray(current) ? current : [], v, field, patch[`$setElementOrder/${k}`]);
    } else if (isObject(v)) {
      const merged = mergeObject(isObject(current) ? current : {}, v, field);
      if (merged === null) delete out[k];
      else out[k] = merged;
    } else {
      out[k] = v;
    }
  }
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith('$deleteFromPrimitiveList/')) continue;
    if (!Array.isArray(v)) throw badRequest(`invalid value for ${k}: must be a list`);
    const name = k.slice('$deleteFromPrimitiveList/'.length);
    const list = out[name];
    if (Array.isArray(list)) out[name] = list.filter((x) => !v.some((d) => sameValue(d, x)));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith('$setElementOrder/')) continue;
    const name = k.slice('$setElementOrder/'.length);
    // Lists the patch itself carries were ordered while merging; this orders lists it only reorders.
    if (Object.hasOwn(patch, name) || !Array.isArray(v) || !Array.isArray(out[name])) continue;
    out[name] = orderList(out[name] as JSONValue[], v, mergeKeyOf(fieldOf(schema, name)));
  }
  return out;
}

function mergeKeyOf(list: Schema | undefined): string | undefined {
  const semantics = listSemantics(list);
  return semantics.type === 'map' ? semantics.keys[0] : undefined;
}

function mergeList(current: JSONValue[], patch: JSONValue[], schema: Schema | undefined, order: JSONValue | undefined): JSONValue[] {
  const strategies = (schema?.['x-kubernetes-patch-strategy'] ?? '').split(',');
  if (!strategies.includes('merge')) return patch.map(stripDirectives);
  if (patch.some((p) => isObject(p) && p['$patch'] === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p['$patch'] === 'replace')).map(stripDirectives);
  }
  const key = schema?.['x-kubernetes-patch-merge-key'];
  let out: JSONValue[];
  if (!key) {
    // A set of scalars (finalizers, a node's podCIDRs): the patch's values join the current ones.
    out = [...current];
    for (const x of patch) if (!out.some((c) => sameValue(c, x))) out.push(x);
  } else {
    const items = elementOf(schema);
    out = [...current];
    for (const item of patch) {
      if (!isObject(item)) throw badRequest(`unable to find api field in struct for the list item ${JSON.stringify(item)}`);
      if (item['$patch'] === 'delete') {
        const idx = out.findIndex((x) => isObject(x) && item[key] !== undefined && sameValue(x[key], item[key]));
        if (idx >= 0) out.splice(idx, 1);
        continue;
      }
      if (!(key in item)) throw badRequest(`map: ${goMap(item)} does not contain declared merge key: ${key}`);
      const idx = out.findIndex((x) => isObject(x) && sameValue(x[key], item[key]));
      if (idx >= 0) {
        const merged = mergeObject(out[idx] as JSONObject, item, items);
        if (merged === null) out.splice(idx, 1);
        else out[idx] = merged;
      } else {
        out.push(stripDirectives(item));
      }
    }
  }
  return Array.isArray(order) ? orderList(out, order, key) : out;
}

/**
 * Orders a merged list as `$setElementOrder` says; items it does not name (added by someone else on the
 * server) keep their place after the item they followed.
 */
function orderList(list: JSONValue[], order: JSONValue[], key: string | undefined): JSONValue[] {
  const id = (v: JSONValue): string => JSON.stringify(key && isObject(v) ? v[key] : v);
  const rank = new Map(order.map((o, i) => [id(o), i]));
  const ordered = list.filter((x) => rank.has(id(x))).sort((a, b) => rank.get(id(a))! - rank.get(id(b))!);
  const out: JSONValue[] = [];
  let next = 0;
  for (const x of list) {
    if (rank.has(id(x))) out.push(ordered[next++]!);
    else out.push(x);
  }
  return out;
}

function sameValue(a: JSONValue | undefined, b: JSONValue | undefined): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** A value the way Go's %v prints a map, for kube's patch error messages. */
function goMap(v: JSONObject): string {
  return `map[${Object.keys(v).sort().map((k) => `${k}:${typeof v[k] === 'object' ? JSON.stringify(v[k]) : String(v[k])}`).join(' ')}]`;
}

function stripDirectives(v: JSONValue): JSONValue {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JSONObject = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}
