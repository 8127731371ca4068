/**
 * Objects seen through their schema as structured-merge-diff sees them: the set of fields an object sets,
 * the value at a path, removing a path, and merging an applied configuration into a live object. Lists
 * follow the schema's list semantics (keyed `map` lists, `set`s of scalars, `atomic` lists that are one
 * value); structs and maps are granular unless marked atomic. Parts without a schema are deduced: objects
 * granular, lists atomic.
 */
import { elementOf, fieldOf, listSemantics, resolve, type Schema } from '../../api/openapi/schema.js';
import { fieldElement, FieldSet, keyElement, valueElement, type Path, type PathElement } from './fieldpath.js';

type JSONObject = Record<string, unknown>;

const isObject = (v: unknown): v is JSONObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Key fields with server defaults: an item that omits them is keyed by the default (a port's protocol). */
const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

function itemKey(item: unknown, keys: readonly string[]): PathElement | undefined {
  if (!isObject(item)) return undefined;
  const fields: JSONObject = {};
  for (const k of keys) {
    const v = item[k] ?? KEY_DEFAULTS[k];
    if (v === undefined) return undefined;
    fields[k] = v;
  }
  return keyElement(fields);
}

/** Whether an object schema is a map (labels, data) rather than a struct: maps own themselves (`.`). */
function isGranularMap(schema: Schema | undefined): boolean {
  const s = resolve(schema);
  return !s || (!s.properties && s.additionalProperties !== undefined && s.additionalProperties !== false);
}

function isAtomicObject(schema: Schema | undefined): boolean {
  const s = resolve(schema);
  return s?.['x-kubernetes-map-type'] === 'atomic' || (s !== undefined && s.type === 'object' && !s.properties && s.additionalProperties === undefined);
}

/** Every field `value` sets, as paths. */
export function fieldSetOf(value: unknown, schema: Schema | undefined): FieldSet {
  const set = new FieldSet();
  collect(value, schema, [], set);
  return set;
}

/** Adds every field `value` (found at `path`, typed by `schema`) sets to `set`. */
export function collectFields(value: unknown, schema: Schema | undefined, path: PathElement[], set: FieldSet): void {
  collect(value, schema, path, set);
}

function collect(value: unknown, schema: Schema | undefined, path: PathElement[], set: FieldSet): void {
  if (Array.isArray(value)) {
    const list = schema ? listSemantics(schema) : { type: 'atomic' as const, keys: [] };
    if (list.type === 'set') {
      for (const v of value) set.add([...path, valueElement(v)]);
      return;
    }
    if (list.type === 'map') {
      const items = elementOf(schema);
      for (const item of value) {
        const key = itemKey(item, list.keys);
        if (!key) continue;
        const p = [...path, key];
        set.add(p);
        collectObject(item as JSONObject, items, p, set);
      }
      return;
    }
    if (path.length > 0) set.add(path);
    return;
  }
  if (isObject(value)) {
    if (path.length > 0 && (Object.keys(value).length === 0 || isAtomicObject(schema))) {
      set.add(path);
      return;
    }
    if (path.length > 0 && isGranularMap(schema)) set.add(path);
    collectObject(value, schema, path, set);
    return;
  }
  if (path.length > 0) set.add(path);
}

function collectObject(obj: JSONObject, schema: Schema | undefined, path: PathElement[], set: FieldSet): void {
  for (const [k, v] of Object.entries(obj)) collect(v, schema ? fieldOf(schema, k) ?? undefined : undefined, [...path, fieldElement(k)], set);
}

/** The value at `path`, or undefined. */
export function valueAt(root: unknown, path: Path): unknown {
  let cur: unknown = root;
  for (const e of path) {
    if (cur === undefined) return undefined;
    cur = step(cur, e);
  }
  return cur;
}

function step(cur: unknown, e: PathElement): unknown {
  if (e.startsWith('f:')) return isObject(cur) ? cur[e.slice(2)] : undefined;
  if (!Array.isArray(cur)) return undefined;
  if (e.startsWith('v:')) {
    const want = e.slice(2);
    return cur.find((v) => JSON.stringify(v) === want);
  }
  const key = JSON.parse(e.slice(2)) as JSONObject;
  return cur.find((item) => isObject(item) && Object.entries(key).every(([k, v]) => JSON.stringify(item[k] ?? KEY_DEFAULTS[k]) === JSON.stringify(v)));
}

/** Removes what `path` names (a field, a keyed item, a set member) from `root` in place. */
export function removeAt(root: unknown, path: Path): void {
  if (path.length === 0) return;
  const parent = valueAt(root, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (last.startsWith('f:')) {
    if (isObject(parent)) delete parent[last.slice(2)];
    return;
  }
  if (!Array.isArray(parent)) return;
  const target = step(parent, last);
  const idx = parent.indexOf(target);
  if (idx >= 0) parent.splice(idx, 1);
}

/** Whether two values are the same (JSON equality; object key order ignored). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && sameValue(a[k], b[k]));
  }
  return false;
}

/**
 * Merges an applied configuration into the live object: structs and maps field by field, keyed lists item by
 * item (new items appended), sets as unions; scalars, atomic lists and atomic structs are replaced.
 */
export function mergeApplied(live: unknown, config: unknown, schema: Schema | undefined): unknown {
  if (Array.isArray(config)) {
    const list = schema ? listSemantics(schema) : { type: 'atomic' as const, keys: [] };
    if (!Array.isArray(live) || list.type === 'atomic') return structuredClone(config);
    if (list.type === 'set') {
      const out = [...live];
      for (const v of config) if (!out.some((x) => sameValue(x, v))) out.push(structuredClone(v));
      return out;
    }
    const items = elementOf(schema);
    const out = [...live];
    for (const item of config) {
      const key = itemKey(item, list.keys);
      const idx = key === undefined ? -1 : out.findIndex((x) => itemKey(x, list.keys) === key);
      if (idx >= 0) out[idx] = mergeApplied(out[idx], item, items);
      else out.push(structuredClone(item));
    }
    return out;
  }
  if (isObject(config)) {
    if (!isObject(live) || isAtomicObject(schema)) return structuredClone(config);
    const out: JSONObject = { ...live };
    for (const [k, v] of Object.entries(config)) out[k] = mergeApplied(live[k], v, schema ? fieldOf(schema, k) : undefined);
    return out;
  }
  return config;
}
