/**
 * The per-container spec hash the kubelet stores on each container it starts: when a running pod's spec
 * changes (in practice only `image` may change), the containers whose hash differs are restarted and the others
 * keep running. Resources are left out, as in Kubernetes, so an in-place resize does not restart.
 */
import { createHash } from 'node:crypto';
import type { Container } from 'kubernetes-types/core/v1.js';

/** Stable JSON: object keys sorted, so the same spec always gives the same hash. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function containerHash(container: Container): string {
  const { resources: _resources, resizePolicy: _resizePolicy, ...rest } = container;
  return createHash('sha256').update(canonical(rest)).digest('hex').slice(0, 8);
}
