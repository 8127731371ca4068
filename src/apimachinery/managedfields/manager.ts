/**
 * Field ownership (metadata.managedFields) as kube-apiserver keeps it for server-side apply: every write
 * records which fields its field manager set. An update takes the fields it changed from everyone else; an
 * apply owns exactly the fields of its configuration, conflicts with other managers that own a field it
 * changes (409 unless forced, which takes the field over), and removes the fields it stopped applying that no
 * one else owns.
 */
import type { ManagedFieldsEntry, StatusCause } from 'kubernetes-types/meta/v1.js';
import { fieldOf, type Schema } from '../../api/openapi/schema.js';
import { failure, type StatusError } from '../status.js';
import { FieldSet, fieldElement, pathString, type Path } from './fieldpath.js';
import { collectFields, mergeApplied, removeAt, sameValue, valueAt } from './typed.js';
import { rfc3339 } from '../time.js';

type Entry = { -readonly [K in keyof ManagedFieldsEntry]: ManagedFieldsEntry[K] };
type JSONObject = Record<string, unknown>;

/** Fields the server sets or that name the object: never owned by a manager (with apiVersion and kind). */
const IGNORED_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink']);

/** What a write is: who makes it, through which API version and subresource. */
export interface FieldManagerRequest {
  manager: string;
  apiVersion: string;
  /** `status` for the status subresource: only status is tracked there, and status is not tracked elsewhere. */
  subresource?: string;
  /** Whether the resource has a status subresource (its main endpoint then does not own status). */
  statusSplit: boolean;
  now?: Date;
}

/**
 * The fields a write through `req` may own: status alone on the status subresource, everything but status on
 * the main resource of a kind with a status subresource. Walks only those parts, so a status write does not
 * pay for the spec.
 */
function trackedFields(obj: unknown, schema: Schema | undefined, req: FieldManagerRequest): FieldSet {
  const set = new FieldSet();
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return set;
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (req.subresource === 'status' ? k !== 'status' : req.statusSplit && k === 'status') continue;
    const fieldSchema = schema ? (fieldOf(schema, k) ?? undefined) : undefined;
    const path = [fieldElement(k)];
    if (k === 'metadata' && typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [mk, mv] of Object.entries(v)) {
        if (!IGNORED_METADATA.has(mk)) collectFields(mv, fieldSchema ? (fieldOf(fieldSchema, mk) ?? undefined) : undefined, [...path, fieldElement(mk)], set);
      }
    } else {
      collectFields(v, fieldSchema, path, set);
    }
  }
  return set;
}

function entriesOf(obj: JSONObject): Entry[] {
  const mf = (obj.metadata as { managedFields?: unknown } | undefined)?.managedFields;
  return Array.isArray(mf) ? (structuredClone(mf) as Entry[]) : [];
}

function setEntries(obj: JSONObject, entries: Entry[]): void {
  const meta = ((obj.metadata as JSONObject | undefined) ?? (obj.metadata = {})) as JSONObject;
  if (entries.length === 0) delete meta.managedFields;
  else meta.managedFields = entries;
}

/**
 * The fields of `set` (fields of `b`) that `b` adds or changes from `a`. A node with fields under it (a map, a
 * keyed item) counts only when it is new: a change inside it is its fields' change.
 */
function changedFields(set: FieldSet, a: unknown, b: unknown): FieldSet {
  const nodes = set.prefixes();
  return set.filter((p) => (nodes.has(p) ? valueAt(a, p) === undefined : !sameValue(valueAt(a, p), valueAt(b, p))));
}

function sameOwner(e: Entry, operation: string, req: FieldManagerRequest): boolean {
  return e.manager === req.manager && e.operation === operation && (e.subresource ?? '') === (req.subresource ?? '');
}

/** Writes `set` as the entry of this manager and operation (dropped when empty), and drops emptied entries. */
function record(entries: Entry[], operation: 'Apply' | 'Update', set: FieldSet, req: FieldManagerRequest): Entry[] {
  const out = entries.filter((e) => !sameOwner(e, operation, req) && !isEmpty(e));
  if (set.size > 0) {
    out.push({
      manager: req.manager,
      operation,
      apiVersion: req.apiVersion,
      time: rfc3339((req.now ?? new Date()).getTime()),
      fieldsType: 'FieldsV1',
      fieldsV1: set.toFieldsV1(),
      ...(req.subresource ? { subresource: req.subresource } : {}),
    });
  }
  return out;
}

/**
 * Records an update (create, PUT, non-apply PATCH) of `obj` from `old` (undefined on create) in `obj`'s
 * managedFields: the manager gains the fields it set or changed, which no one else owns any longer; fields it
 * removed are no one's. A client that sends managedFields of its own (kubectl edit sends them back) is
 * taken at its word, as kube does; an empty list resets ownership.
 */
export function updateManagedFields(obj: JSONObject, old: JSONObject | undefined, schema: Schema | undefined, req: FieldManagerRequest): void {
  const sent = (obj.metadata as { managedFields?: unknown } | undefined)?.managedFields;
  const entries = Array.isArray(sent) ? entriesOf(obj) : old ? entriesOf(old) : [];
  const now = trackedFields(obj, schema, req);
  const before = old ? trackedFields(old, schema, req) : new FieldSet();
  const changed = old ? changedFields(now, old, obj) : now;
  const removed = before.minus(now);
  const taken = changed.union(removed);
  const next = entries.map((e) => {
    if (sameOwner(e, 'Update', req)) return e;
    const set = FieldSet.fromFieldsV1(e.fieldsV1).minus(taken);
    return { ...e, fieldsV1: set.toFieldsV1() };
  });
  const mine = next.find((e) => sameOwner(e, 'Update', req));
  const mineBefore = mine ? FieldSet.fromFieldsV1(mine.fieldsV1) : new FieldSet();
  const owned = mineBefore.minus(removed).union(changed);
  // An entry's time says when its manager last changed something; a write that changed nothing keeps it.
  const touched = owned.size !== mineBefore.size || owned.minus(mineBefore).size > 0;
  setEntries(obj, touched ? record(next, 'Update', owned, req) : next.filter((e) => !isEmpty(e)));
}

function isEmpty(e: Entry): boolean {
  return Object.keys((e.fieldsV1 as object | undefined) ?? {}).length === 0;
}

/** A 409 naming each manager that owns a field the apply would change, worded as kube-apiserver words it. */
function conflictError(conflicts: { manager: Entry; path: Path }[]): StatusError {
  const who = (e: Entry): string => {
    let s = JSON.stringify(e.manager);
    if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
    if (e.operation === 'Update') s += e.time ? ` using ${e.apiVersion} at ${e.time}` : ` using ${e.apiVersion}`;
    return s;
  };
  const causes: StatusCause[] = conflicts.map((c) => ({ type: 'FieldManagerConflict', message: `conflict with ${who(c.manager)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${who(conflicts[0]!.manager)}: ${pathString(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, { entry: Entry; paths: Path[] }>();
    for (const c of conflicts) {
      const key = JSON.stringify([c.manager.manager, c.manager.operation, c.manager.subresource ?? '']);
      const group = byManager.get(key) ?? { entry: c.manager, paths: [] };
      group.paths.push(c.path);
      byManager.set(key, group);
    }
    const lines: string[] = [];
    for (const key of [...byManager.keys()].sort()) {
      const { entry, paths } = byManager.get(key)!;
      lines.push(`conflicts with ${who(entry)}:`, ...paths.map((p) => `- ${pathString(p)}`));
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return failure(409, 'Conflict', message, { causes });
}

/**
 * Server-side apply of `config` onto `live` (undefined when the apply creates the object). Returns the
 * merged object with its managedFields; throws the 409 when another manager owns a field whose value the
 * apply changes, unless `force`, which transfers those fields to this manager.
 */
export function applyConfiguration(
  live: JSONObject | undefined,
  config: JSONObject,
  schema: Schema | undefined,
  req: FieldManagerRequest,
  force: boolean,
): JSONObject {
  const entries = live ? entriesOf(live) : [];
  const applied = trackedFields(config, schema, req);
  const merged = mergeApplied(live ?? {}, config, schema) as JSONObject;
  const modified = live ? changedFields(applied, live, merged) : new FieldSet();
  const conflicts: { manager: Entry; path: Path }[] = [];
  const next: Entry[] = [];
  for (const e of entries) {
    if (sameOwner(e, 'Apply', req)) {
      next.push(e);
      continue;
    }
    const owned = FieldSet.fromFieldsV1(e.fieldsV1);
    const clash = owned.intersect(modified);
    if (clash.size === 0) next.push(e);
    else if (force) next.push({ ...e, fieldsV1: owned.minus(clash).toFieldsV1() });
    else for (const path of clash.paths()) conflicts.push({ manager: e, path });
  }
  if (conflicts.length > 0) throw conflictError(conflicts);
  // Fields this manager applied before and no longer does go, unless someone else still owns them.
  const previous = entries.find((e) => sameOwner(e, 'Apply', req));
  if (previous && live) {
    const others = next.filter((e) => !sameOwner(e, 'Apply', req)).reduce((acc, e) => acc.union(FieldSet.fromFieldsV1(e.fieldsV1)), new FieldSet());
    // Kept: what someone else owns, and nodes with owned fields still under them.
    const kept = others.union(others.prefixes()).union(applied.prefixes());
    const dropped = FieldSet.fromFieldsV1(previous.fieldsV1).minus(applied).minus(kept);
    // A dropped item goes whole: removing its key fields first would leave it unfindable.
    const outermost = dropped.filter((p) => !p.some((_, i) => i > 0 && dropped.has(p.slice(0, i))));
    for (const p of outermost.paths()) removeAt(merged, p);
  }
  setEntries(merged, record(next, 'Apply', applied, req));
  return merged;
}
