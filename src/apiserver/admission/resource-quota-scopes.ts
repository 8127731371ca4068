/**
 * ResourceQuota scopes: a quota with `scopes` or a `scopeSelector` counts only the pods they select —
 * Terminating / NotTerminating (activeDeadlineSeconds set or not), BestEffort / NotBestEffort (QoS class),
 * PriorityClass (by class name, with In / NotIn / Exists / DoesNotExist) and CrossNamespacePodAffinity — and
 * nothing that is not a pod.
 */
import type { GroupResource } from '../../apimachinery/status.js';
import { isFields, items, type Fields } from '../registry/defaults/fields.js';
import type { StoredObject } from '../registry/strategy.js';

/** What scopes look at in a pod, kept beside its usage so a recount need not parse it again. */
export interface PodFacts {
  terminating: boolean;
  bestEffort: boolean;
  priorityClass: string;
  crossNamespaceAffinity: boolean;
}

export function podFacts(pod: StoredObject): PodFacts {
  const spec = isFields(pod.spec) ? pod.spec : {};
  const containers = [...items(spec, 'containers'), ...items(spec, 'initContainers')];
  const setsCompute = (c: Fields): boolean =>
    ['requests', 'limits'].some((field) => {
      const list = (c.resources as Fields | undefined)?.[field];
      return isFields(list) && (list.cpu !== undefined || list.memory !== undefined);
    });
  const affinity = isFields(spec.affinity) ? spec.affinity : {};
  const terms = ['podAffinity', 'podAntiAffinity'].flatMap((kind) => {
    const a = isFields(affinity[kind]) ? (affinity[kind] as Fields) : {};
    return [
      ...items(a, 'requiredDuringSchedulingIgnoredDuringExecution'),
      ...items(a, 'preferredDuringSchedulingIgnoredDuringExecution').map((w) => (isFields(w.podAffinityTerm) ? w.podAffinityTerm : {})),
    ];
  });
  return {
    terminating: typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0,
    bestEffort: !containers.some(setsCompute),
    priorityClass: typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '',
    crossNamespaceAffinity: terms.some((t) => (Array.isArray(t.namespaces) && t.namespaces.length > 0) || t.namespaceSelector !== undefined),
  };
}

type Predicate = (facts: PodFacts) => boolean;

const SCOPES: Record<string, Predicate> = {
  Terminating: (f) => f.terminating,
  NotTerminating: (f) => !f.terminating,
  BestEffort: (f) => f.bestEffort,
  NotBestEffort: (f) => !f.bestEffort,
  PriorityClass: (f) => f.priorityClass !== '',
  CrossNamespacePodAffinity: (f) => f.crossNamespaceAffinity,
};

/** Which objects a quota counts: everything (no scopes), or the pods its scopes select. */
export interface QuotaScope {
  matches(gr: GroupResource, facts: PodFacts | undefined): boolean;
}

export const EVERYTHING: QuotaScope = { matches: () => true };

export function quotaScope(quota: StoredObject): QuotaScope {
  const spec = isFields(quota.spec) ? quota.spec : {};
  const predicates: Predicate[] = [];
  for (const name of Array.isArray(spec.scopes) ? spec.scopes : []) {
    const p = SCOPES[String(name)];
    predicates.push(p ?? (() => false));
  }
  const selector = isFields(spec.scopeSelector) ? spec.scopeSelector : {};
  for (const expr of items(selector, 'matchExpressions')) {
    const name = String(expr.scopeName ?? '');
    const values = Array.isArray(expr.values) ? expr.values.map(String) : [];
    const scope = SCOPES[name] ?? (() => false);
    switch (expr.operator) {
      case 'In':
        predicates.push(name === 'PriorityClass' ? (f) => values.includes(f.priorityClass) : scope);
        break;
      case 'NotIn':
        predicates.push(name === 'PriorityClass' ? (f) => !values.includes(f.priorityClass) : (f) => !scope(f));
        break;
      case 'DoesNotExist':
        predicates.push((f) => !scope(f));
        break;
      default:
        predicates.push(scope);
    }
  }
  if (predicates.length === 0) return EVERYTHING;
  return { matches: (gr, facts) => gr.group === '' && gr.resource === 'pods' && facts !== undefined && predicates.every((p) => p(facts)) };
}
