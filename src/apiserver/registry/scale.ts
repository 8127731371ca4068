/**
 * The `scale` subresource over `spec.replicas`, shared by every workload that has one (deployments,
 * replicasets, statefulsets, replicationcontrollers).
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { ScaleAccess, StoredObject } from './strategy.js';

interface Scalable {
  spec?: { replicas?: number; selector?: LabelSelector | Record<string, string> };
  status?: { replicas?: number };
}

/** `a=b,c in (d)` for a metav1.LabelSelector, or `a=b` for a plain map (replicationcontrollers). */
export function selectorString(selector: LabelSelector | Record<string, string> | undefined, plainMap: boolean): string {
  if (!selector) return '';
  if (plainMap) return Object.entries(selector as Record<string, string>).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',');
  const sel = selector as LabelSelector;
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${[...(e.values ?? [])].sort().join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${[...(e.values ?? [])].sort().join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.sort().join(',');
}

/** Scale access for a workload whose pods are chosen by `spec.selector`. */
export function replicasScale(opts: { plainMapSelector?: boolean } = {}): ScaleAccess {
  const spec = (obj: StoredObject): NonNullable<Scalable['spec']> => ((obj as Scalable).spec ??= {});
  return {
    specReplicas: (obj) => spec(obj).replicas ?? 1,
    setSpecReplicas: (obj, replicas) => {
      spec(obj).replicas = replicas;
    },
    statusReplicas: (obj) => (obj as Scalable).status?.replicas ?? 0,
    selector: (obj) => selectorString(spec(obj).selector, opts.plainMapSelector ?? false),
  };
}
