/**
 * core/v1 ResourceQuota: its `kubectl get quota` columns (kube's printResourceQuota) — Request and Limit, each
 * `name: used/hard` over status.hard sorted by name, `limits.*` in Limit and everything else in Request.
 */
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import type { ResourceStrategy } from '../strategy.js';

/** The Request and Limit cells. */
export function quotaColumns(quota: ResourceQuota): [string, string] {
  const hard = quota.status?.hard ?? {};
  const used = quota.status?.used ?? {};
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const cell = `${name}: ${used[name] ?? '0'}/${hard[name]}`;
    (name.split('.')[0] === 'limits' && name.includes('.') ? limit : request).push(cell);
  }
  return [request.join(', '), limit.join(', ')];
}

export const resourceQuotaStrategy: ResourceStrategy = {
  table: {
    columns: [
      NAME_COLUMN,
      AGE_COLUMN,
      column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
      column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    ],
    cells: (obj, now) => [obj.metadata?.name ?? '', age(obj, now), ...quotaColumns(obj as ResourceQuota)],
  },
};
