/**
 * String interning for objects held by the thousand: JSON.parse gives every pod its own copy of
 * "default-scheduler", "IfNotPresent", its namespace and its node's name. Caches that keep 100,000 pods swap
 * those copies for one shared string each. Only values of fields whose values repeat across objects are
 * interned (names of kinds, enums, namespaces, nodes, images, label values), so the table stays small; it is
 * bounded all the same.
 */

const MAX_ENTRIES = 100_000;
const MAX_LENGTH = 256;
const table = new Map<string, string>();

/** The shared copy of `s` (the first one seen), or `s` itself once the table is full. */
export function intern(s: string): string {
  const shared = table.get(s);
  if (shared !== undefined) return shared;
  if (table.size < MAX_ENTRIES && s.length <= MAX_LENGTH) table.set(s, s);
  return s;
}

/** Fields whose string values repeat across objects of a kind (Kubernetes' enums, references, names of things). */
const REPEATING_FIELDS = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'generateName',
  'nodeName',
  'hostIP',
  'schedulerName',
  'serviceAccountName',
  'serviceAccount',
  'restartPolicy',
  'dnsPolicy',
  'preemptionPolicy',
  'priorityClassName',
  'image',
  'imageID',
  'imagePullPolicy',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'mountPath',
  'path',
  'fieldPath',
  'key',
  'operator',
  'effect',
  'type',
  'status',
  'reason',
  'phase',
  'qosClass',
  'protocol',
]);

/** Maps whose every value repeats (label values, resource quantities). */
const REPEATING_MAPS = new Set(['labels', 'nodeSelector', 'requests', 'limits', 'capacity', 'allocatable', 'matchLabels', 'selector']);

/**
 * Replaces, in place, the repeating string values of a parsed API object with their interned copies. A
 * container or volume `name` repeats (every pod of a template has them); an object's own metadata.name does
 * not, and is left alone.
 */
export function internObject(obj: unknown): void {
  walk(obj, false);
}

function walk(value: unknown, allStrings: boolean): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'string') {
        if (allStrings) value[i] = intern(v);
      } else if (typeof v === 'object' && v !== null) walk(v, false);
    }
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const o = value as Record<string, unknown>;
  for (const k in o) {
    const v = o[k];
    if (typeof v === 'string') {
      if (allStrings || REPEATING_FIELDS.has(k)) o[k] = intern(v);
    } else if (typeof v === 'object' && v !== null) {
      // metadata.name is unique per object: its parent's walk must not intern it.
      if (k === 'metadata') walkMetadata(v as Record<string, unknown>);
      else walk(v, REPEATING_MAPS.has(k));
    }
  }
}

function walkMetadata(meta: Record<string, unknown>): void {
  for (const k in meta) {
    const v = meta[k];
    if (typeof v === 'string') {
      if (k === 'namespace' || k === 'generateName') meta[k] = intern(v);
    } else if (typeof v === 'object' && v !== null) walk(v, REPEATING_MAPS.has(k));
  }
}
