/**
 * Hash-consing for objects held by the hundred thousand. Pods of one template decode into the same small
 * pieces over and over: the two default tolerations, the service account volume's projected sources, the
 * container's resources, conditions that changed in the same second, the node's host IPs. An informer that
 * keeps every pod swaps each such piece for one shared, frozen copy, so a pod costs what is its own.
 *
 * Only pieces whose canonical form is short are shared (the table stays small, and a piece too big to share
 * is what makes an object its own). Shared pieces are frozen: a consumer that writes into a cached object
 * fails loudly instead of changing every pod that shares it.
 */

/** The longest canonical form shared; longer ones hold long strings, mostly unique (uids, IDs), and would only fill the table. */
const MAX_KEY_LENGTH = 256;
/** Pieces remembered at most; when full, the table starts over (pieces already shared stay shared). */
const MAX_ENTRIES = 20_000;

let table = new Map<string, object>();
/**
 * A number for every shared piece: what contains it names it by that number in its own canonical form, which
 * stays short however deep the piece (equal pieces are one object, so the number says all).
 */
const ids = new WeakMap<object, number>();
let nextId = 0;

/**
 * Replaces, in place, every piece under `parent` (not `parent` itself) that equals a piece seen before with
 * the shared copy, and offers the others for sharing.
 */
export function shareParts(parent: unknown): void {
  if (typeof parent === 'object' && parent !== null) canonicalizeChildren(parent as Record<string, unknown>);
}

/** Shares the children of `o`; returns the canonical form of `o`, or undefined when it is too big to share. */
function canonicalizeChildren(o: Record<string, unknown> | unknown[]): string | undefined {
  let form: string | undefined = Array.isArray(o) ? '[' : '{';
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) {
      const child = formOf((o[i] = shared(o[i])));
      form = form !== undefined && child !== undefined ? `${form}${i > 0 ? ',' : ''}${child}` : undefined;
      if (form !== undefined && form.length > MAX_KEY_LENGTH) form = undefined;
    }
    return form === undefined ? undefined : `${form}]`;
  }
  let first = true;
  for (const k in o) {
    const child = formOf((o[k] = shared(o[k])));
    form = form !== undefined && child !== undefined ? `${form}${first ? '' : ','}${JSON.stringify(k)}:${child}` : undefined;
    if (form !== undefined && form.length > MAX_KEY_LENGTH) form = undefined;
    first = false;
  }
  return form === undefined ? undefined : `${form}}`;
}

/** The shared copy of `v` when there is one (or `v`, now shared); `v` itself when it cannot be shared. */
function shared(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || ids.has(v)) return v;
  const form = canonicalizeChildren(v as Record<string, unknown>);
  if (form === undefined) return v;
  const found = table.get(form);
  if (found) return found;
  if (table.size >= MAX_ENTRIES) table = new Map();
  Object.freeze(v);
  table.set(form, v);
  ids.set(v, nextId++);
  return v;
}

function formOf(v: unknown): string | undefined {
  if (typeof v === 'object' && v !== null) {
    const id = ids.get(v);
    return id === undefined ? undefined : `#${id}`;
  }
  if (typeof v === 'string') return v.length > MAX_KEY_LENGTH ? undefined : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}
