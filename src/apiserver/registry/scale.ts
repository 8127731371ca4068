/**
 * The `scale` subresource over `spec.replicas`, shared by every workload that has one (deployments,
 * replicasets, statefulsets, replicationcontrollers).
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { labelSelectorFromMeta, selectorFromSet } from '../../apimachinery/labels.js';
import type { ScaleAccess, StoredObject } from './strategy.js';

interface Scalable {
  spec?: { replicas?: number; selector?: LabelSelector | Record<string, string> };
  status?: { replicas?: number };
}

/**
 * `a=b,c in (d)` for a metav1.LabelSelector, or `a=b` for a plain map (replicationcontrollers, services), in
 * the canonical form of the label selector module (requirements by key, as Kubernetes prints them). A stored
 * selector that is not valid selects nothing and prints as empty.
 */
export function selectorString(selector: LabelSelector | Record<string, string> | undefined, plainMap: boolean): string {
  if (!selector) return '';
  if (plainMap) return selectorFromSet(selector as Record<string, string>).toString();
  try {
    return labelSelectorFromMeta(selector as LabelSelector).toString();
  } catch {
    return '';
  }
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
