/**
 * The charges admission has granted against quotas in this apiserver whose objects storage and the watch
 * cache do not show yet. Quota usage is "what the cache shows + what is in flight": counting only the cache
 * would let two concurrent creates both see room for one (overshoot), and a recount that ignored in-flight
 * charges would hand their room out again.
 */
import type { GroupResource } from '../../apimachinery/status.js';
import type { ObjectMeta } from '../registry/strategy.js';
import type { ObjectReader } from './admission.js';
import { addInto, parseResourceList, type Quantity } from './quantity-usage.js';
import { EVERYTHING, type QuotaScope } from './resource-quota-scopes.js';
import { resourcesFor, type Counted, type Usage, type UsageMemo } from './resource-quota-usage.js';

/** A charge whose write never showed up (it failed after admission) is dropped after this long. */
export const CHARGE_TIMEOUT_MS = 10_000;

export interface Charge {
  namespace: string;
  gr: GroupResource;
  /** What was charged (the object's usage, or an update's difference) and, for pods, what scopes look at. */
  counted: Counted;
  /** Whether the write the charge was made for is now visible in the cache (or can no longer happen). */
  landed(reader: ObjectReader): boolean;
  expires: number;
}

/**
 * A charge for a create. The object's metadata is the one the registry fills in (name, uid, and the
 * resourceVersion once stored), so the charge has landed once the cache holds an object of that name and uid
 * — the cache can apply the write before the request that made it sees its answer — or once the cache has
 * passed the write's revision (the object may be gone again by then).
 */
export function createCharge(gr: GroupResource, namespace: string, counted: Counted, meta: ObjectMeta, timeoutMs = CHARGE_TIMEOUT_MS): Charge {
  const before = meta.resourceVersion;
  return {
    namespace,
    gr,
    counted,
    expires: Date.now() + timeoutMs,
    landed(reader) {
      const rv = meta.resourceVersion;
      if (rv !== undefined && rv !== before && /^\d+$/.test(rv) && reader.revision >= Number(rv)) return true;
      if (!meta.uid || !meta.name) return false;
      return reader.get(gr, namespace, meta.name)?.metadata.uid === meta.uid;
    },
  };
}

/** A charge for an update of the object at `key`, written over `oldRevision`: landed once the cache moved on. */
export function updateCharge(
  gr: GroupResource,
  namespace: string,
  counted: Counted,
  current: () => number | undefined,
  oldRevision: number,
  timeoutMs = CHARGE_TIMEOUT_MS,
): Charge {
  return {
    namespace,
    gr,
    counted,
    expires: Date.now() + timeoutMs,
    landed: () => current() !== oldRevision,
  };
}

export class QuotaLedger {
  private readonly charges = new Map<string, Set<Charge>>();

  add(charge: Charge): void {
    let set = this.charges.get(charge.namespace);
    if (!set) this.charges.set(charge.namespace, (set = new Set()));
    set.add(charge);
  }

  /** The in-flight usage of a namespace (what `scope` counts of it), dropping charges that landed or expired. */
  pending(namespace: string, reader: ObjectReader, scope: QuotaScope = EVERYTHING): Map<string, Quantity> {
    const total: Usage = new Map();
    const set = this.charges.get(namespace);
    if (!set) return total;
    const now = Date.now();
    for (const c of set) {
      if (c.expires <= now || c.landed(reader)) set.delete(c);
      else if (scope.matches(c.gr, c.counted.pod)) addInto(total, c.counted.usage);
    }
    if (set.size === 0) this.charges.delete(namespace);
    return total;
  }

  /** The earliest expiry in a namespace (when a recount must run to drop it), if any. */
  nextExpiry(namespace: string): number | undefined {
    let next: number | undefined;
    for (const c of this.charges.get(namespace) ?? []) if (next === undefined || c.expires < next) next = c.expires;
    return next;
  }
}

/** A quota's hard limits, parsed. */
export function hardOf(quota: Record<string, unknown>): Map<string, Quantity> {
  const spec = quota.spec as { hard?: unknown } | undefined;
  return parseResourceList(spec?.hard);
}

/**
 * A namespace's usage of the resources `names` (of what `scope` counts), from one synchronous look at the
 * cache plus the charges still in flight.
 */
export function currentUsage(
  reader: ObjectReader,
  ledger: QuotaLedger,
  memo: UsageMemo,
  namespace: string,
  names: Iterable<string>,
  scope: QuotaScope = EVERYTHING,
): Usage {
  const total: Usage = new Map();
  for (const gr of resourcesFor(names)) {
    for (const o of reader.listCached(gr, namespace)) {
      const counted = memo.counted(gr, o);
      if (scope.matches(gr, counted.pod)) addInto(total, counted.usage);
    }
  }
  addInto(total, ledger.pending(namespace, reader, scope));
  return total;
}
