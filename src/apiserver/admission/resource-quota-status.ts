/**
 * A ResourceQuota's status from its hard limits and what its namespace uses: `hard` is spec.hard in canonical
 * form and `used` has an entry for every hard name (zero when nothing counts). One function for both writers of
 * the status — the apiserver's QuotaRecalculator and the controller manager's resourcequota controller — so
 * they never disagree about what a quota's status is.
 */
import type { GroupResource } from '../../apimachinery/status.js';
import { addInto, formatQuantity, formatResourceList, ZERO, type Quantity } from './quantity-usage.js';
import type { QuotaScope } from './resource-quota-scopes.js';
import { resourcesFor, type Counted, type Usage } from './resource-quota-usage.js';

export interface QuotaStatus {
  hard: Record<string, string>;
  used: Record<string, string>;
}

/** The status a quota with these hard limits has at this usage. */
export function quotaStatus(hard: ReadonlyMap<string, Quantity>, used: ReadonlyMap<string, Quantity>): QuotaStatus {
  const status: QuotaStatus = { hard: formatResourceList(hard), used: {} };
  for (const k of Object.keys(status.hard)) status.used[k] = formatQuantity(used.get(k) ?? ZERO);
  return status;
}

/** Whether a quota's current status (as stored) already says `status`. */
export function sameQuotaStatus(current: unknown, status: QuotaStatus): boolean {
  return JSON.stringify(current ?? {}) === JSON.stringify(status);
}

/**
 * What a namespace uses of the resource names `names`, counting what `scope` selects of the objects
 * `countedIn(gr)` yields for each resource those names need.
 */
export function usageOfObjects(names: Iterable<string>, scope: QuotaScope, countedIn: (gr: GroupResource) => Iterable<Counted>): Usage {
  const total: Usage = new Map();
  for (const gr of resourcesFor(names)) {
    for (const counted of countedIn(gr)) if (scope.matches(gr, counted.pod)) addInto(total, counted.usage);
  }
  return total;
}
