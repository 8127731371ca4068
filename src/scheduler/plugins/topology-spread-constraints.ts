/**
 * Building PodTopologySpread's constraints: the pod's own (with matchLabelKeys folded into the selector), or
 * the cluster default constraints with a selector derived from the Services, ReplicaSets and StatefulSets
 * that select the pod (kube's DefaultSelector).
 */
import type { LabelSelector, LabelSelectorRequirement } from 'kubernetes-types/meta/v1.js';
import type { Node, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import type { ClusterListers } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { compileLabelSelector, compileSetSelector, findUntoleratedTaint, type LabelMatcher, type RequiredNodeAffinity } from '../selectors.js';

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

/** A compiled constraint (kube's topologySpreadConstraint). */
export interface Constraint {
  /** What the constraint counts (namespace and selector), for memoized per-node counts. */
  key: string;
  /** The per-node memo key of its counts ("" when not memoizable). */
  memoKey: string;
  maxSkew: number;
  topologyKey: string;
  selector: LabelMatcher;
  minDomains: number;
  nodeAffinityPolicy: 'Honor' | 'Ignore';
  nodeTaintsPolicy: 'Honor' | 'Ignore';
}

/** A default constraint as PodTopologySpreadArgs.defaultConstraints states it (no selector). */
export type DefaultConstraint = Pick<TopologySpreadConstraint, 'maxSkew' | 'topologyKey' | 'whenUnsatisfiable'>;

/** kube's system defaults: spread over zones (skew 3) and hosts (skew 5), both only preferred. */
export const SYSTEM_DEFAULT_CONSTRAINTS: DefaultConstraint[] = [
  { topologyKey: LABEL_ZONE, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

/** The pod's constraints of one kind (DoNotSchedule for filtering, ScheduleAnyway for scoring). */
export function podConstraints(pod: PodInfo, when: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const out: Constraint[] = [];
  for (const c of pod.pod.spec?.topologySpreadConstraints ?? []) {
    if (c.whenUnsatisfiable !== when) continue;
    let sel: LabelSelector | undefined = c.labelSelector;
    // matchLabelKeys: the pod's own values for those keys narrow the selector to its revision/group.
    const keys = (c.matchLabelKeys ?? []).filter((k) => pod.labels?.[k] !== undefined);
    if (keys.length > 0 && sel) {
      const extra: LabelSelectorRequirement[] = keys.map((k) => ({ key: k, operator: 'In', values: [pod.labels![k]!] }));
      sel = { ...sel, matchExpressions: [...(sel.matchExpressions ?? []), ...extra] };
    }
    out.push({
      key: JSON.stringify([pod.namespace, sel ?? null]),
      memoKey: `pts\0${JSON.stringify([pod.namespace, sel ?? null])}`,
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector: compileLabelSelector(sel),
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy === 'Ignore' ? 'Ignore' : 'Honor',
      nodeTaintsPolicy: c.nodeTaintsPolicy === 'Honor' ? 'Honor' : 'Ignore',
    });
  }
  return out;
}

/**
 * The selector of the workloads and Services that select the pod, and a key naming it (for cached counts);
 * undefined when none does.
 */
export function defaultSelector(pod: PodInfo, listers: ClusterListers): { matcher: LabelMatcher; key: string } | undefined {
  const set: Record<string, string> = {};
  const ns = pod.namespace;
  for (const svc of listers.services?.(ns) ?? []) {
    const sel = svc.spec?.selector;
    if (!sel || Object.keys(sel).length === 0) continue;
    if (Object.entries(sel).every(([k, v]) => pod.labels?.[k] === v)) Object.assign(set, sel);
  }
  const matchers: LabelMatcher[] = [];
  const parts: unknown[] = [Object.entries(set).sort()];
  if (Object.keys(set).length > 0) matchers.push(compileSetSelector(set));
  const owner = pod.pod.metadata?.ownerReferences?.find((o) => o.controller);
  if (owner && owner.apiVersion === 'apps/v1') {
    const list = owner.kind === 'ReplicaSet' ? listers.replicaSets?.(ns) : owner.kind === 'StatefulSet' ? listers.statefulSets?.(ns) : undefined;
    const w = list?.find((o) => o.metadata?.name === owner.name);
    const sel = w?.spec?.selector;
    if (sel && ((sel.matchExpressions?.length ?? 0) > 0 || Object.keys(sel.matchLabels ?? {}).length > 0)) {
      matchers.push(compileLabelSelector(sel));
      parts.push(sel);
    }
  }
  if (matchers.length === 0) return undefined;
  const key = JSON.stringify([pod.namespace, 'default', parts]);
  if (matchers.length === 1) return { matcher: matchers[0]!, key };
  return { matcher: (l) => matchers.every((m) => m(l)), key };
}

/** The default constraints of one kind for a pod without its own, or none when no workload selects it. */
export function defaultConstraints(pod: PodInfo, defaults: readonly DefaultConstraint[], listers: ClusterListers, when: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const wanted = defaults.filter((d) => d.whenUnsatisfiable === when);
  if (wanted.length === 0) return [];
  const sel = defaultSelector(pod, listers);
  if (!sel) return [];
  return wanted.map((d) => ({ key: sel.key, memoKey: `pts\0${sel.key}`, maxSkew: d.maxSkew, topologyKey: d.topologyKey, selector: sel.matcher, minDomains: 1, nodeAffinityPolicy: 'Honor', nodeTaintsPolicy: 'Ignore' }));
}

/** Whether the node has every constraint's topology key. */
export function nodeHasAllKeys(node: Node, constraints: readonly Constraint[]): boolean {
  const labels = node.metadata?.labels;
  if (!labels) return constraints.length === 0;
  for (const c of constraints) if (labels[c.topologyKey] === undefined) return false;
  return true;
}

const isDoNotSchedule = (t: { effect?: string }): boolean => t.effect === 'NoSchedule' || t.effect === 'NoExecute';

/** Whether a node counts toward a constraint's domains under its nodeAffinityPolicy/nodeTaintsPolicy. */
export function matchesInclusionPolicies(c: Constraint, pod: PodInfo, node: Node, required: RequiredNodeAffinity): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !required.match(node)) return false;
  if (c.nodeTaintsPolicy === 'Honor' && findUntoleratedTaint(node.spec?.taints, pod.pod.spec?.tolerations, isDoNotSchedule)) return false;
  return true;
}

/** countMatching for a node's pods, memoized on the node until it changes. */
export function countOnNode(ni: NodeInfo, c: Constraint, namespace: string): number {
  if (ni.pods.length === 0) return 0;
  if (!c.memoKey) return countMatching(ni.pods, c.selector, namespace);
  return ni.memoize(c.memoKey, (n) => countMatching(n.pods, c.selector, namespace));
}

/** Pods in the namespace, not terminating, that the selector matches (kube's countPodsMatchSelector). */
export function countMatching(pods: readonly PodInfo[], selector: LabelMatcher, namespace: string): number {
  let n = 0;
  for (const p of pods) {
    if (p.namespace !== namespace || p.pod.metadata?.deletionTimestamp) continue;
    if (selector(p.labels)) n++;
  }
  return n;
}
