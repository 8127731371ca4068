/**
 * Where a DaemonSet's pods belong (kube's daemon/util and NodeShouldRunDaemonPod): a node runs the daemon pod
 * when it matches the template's nodeName, nodeSelector and required node affinity, and the pod (with the
 * tolerations every daemon pod gets) tolerates its NoSchedule and NoExecute taints; a pod already there keeps
 * running unless a NoExecute taint is not tolerated. The pod for a node is pinned to it by a required node
 * affinity on `metadata.name` (matchFields), so the scheduler binds it, not the controller.
 */
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Affinity, Node, Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../client/types.js';
import { findUntoleratedTaint, RequiredNodeAffinity } from '../../scheduler/selectors.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../history/history.js';
import { newControllerRef, podFromTemplate, type PodObject } from '../replicaset/pods.js';

export type DaemonSetObject = DaemonSet & KubeObject;
export type NodeObject = Node & KubeObject;

export const DAEMONSET_OWNER = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;

/** extensions.DaemonSetTemplateGenerationKey: the DaemonSet generation a pod was made at (still set by kube). */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

/** The tolerations kube adds to every daemon pod (AddOrUpdateDaemonPodTolerations). */
export function daemonPodTolerations(spec: PodSpec | undefined): Toleration[] {
  const tolerations: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  // A host-network pod does not need the pod network, so it may run before the node's network is ready.
  if (spec?.hostNetwork) tolerations.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return tolerations;
}

/** The pod spec's tolerations with the daemon ones added (one with the same key and effect is replaced, as kube does). */
export function withDaemonTolerations(spec: PodSpec | undefined): Toleration[] {
  const out = [...(spec?.tolerations ?? [])];
  for (const t of daemonPodTolerations(spec)) {
    const i = out.findIndex((o) => o.key === t.key && o.effect === t.effect);
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
}

/** Whether a node should run the daemon pod, and whether a daemon pod already on it should keep running. */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const spec = ds.spec?.template?.spec;
  const name = node.metadata?.name ?? '';
  if (spec?.nodeName && spec.nodeName !== name) return { shouldRun: false, shouldContinueRunning: false };
  const pod: Pod = { spec: { ...(spec ?? { containers: [] }), tolerations: withDaemonTolerations(spec) } };
  if (!new RequiredNodeAffinity(pod).match(node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints;
  const tolerations = pod.spec!.tolerations;
  if (findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) {
    // A pod already there only has to go when it does not tolerate a NoExecute taint.
    return { shouldRun: false, shouldContinueRunning: !findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute') };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** The node a daemon pod is for: its nodeName once bound, else its `metadata.name` node affinity (kube's GetTargetNodeName). */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

/**
 * `affinity` with its required node affinity replaced by one term selecting exactly `nodeName` by
 * `metadata.name` (kube's ReplaceDaemonSetPodNodeNameNodeAffinity); preferred terms and pod (anti-)affinity stay.
 */
export function pinToNode(affinity: Affinity | undefined, nodeName: string): Affinity {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] };
  const out: Affinity = structuredClone(affinity ?? {});
  out.nodeAffinity = { ...(out.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: required };
  return out;
}

/** Whether a pod runs the DaemonSet's current template (kube's IsPodUpdated: the revision hash or the template generation). */
export function isPodUpdated(pod: PodObject, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  return (hash !== '' && labels[CONTROLLER_REVISION_HASH_LABEL] === hash) || (generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === String(generation));
}

/** The daemon pod for `nodeName` (kube's CreatePodTemplate + the node affinity): generateName `<ds>-`. */
export function newDaemonPod(ds: DaemonSetObject, nodeName: string, hash: string): PodObject {
  const pod = podFromTemplate(ds.spec?.template, ds, newControllerRef(ds, DAEMONSET_OWNER.apiVersion, DAEMONSET_OWNER.kind));
  pod.metadata.labels = {
    ...(pod.metadata.labels ?? {}),
    [CONTROLLER_REVISION_HASH_LABEL]: hash,
    [TEMPLATE_GENERATION_LABEL]: String(ds.metadata.generation ?? 1),
  };
  const spec = pod.spec!;
  spec.tolerations = withDaemonTolerations(spec);
  spec.affinity = pinToNode(spec.affinity, nodeName);
  return pod;
}

/** An int-or-percent of `total`, percentages rounded up (intstr.GetScaledValueFromIntOrPercent with roundUp). */
export function scaledValue(v: number | string | undefined, total: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (m) return Math.ceil((Number(m[1]) * total) / 100);
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}
