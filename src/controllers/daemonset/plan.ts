/**
 * What one DaemonSet sync does, as a pure function of nodes and pods (kube's manage, rollingUpdate and
 * updateDaemonSetStatus): a pod on each node that should run one and none elsewhere, one pod per node (two
 * while surging), finished pods replaced; then, once nothing is to be made or removed, the rolling update:
 * without surge, old pods deleted while at most maxUnavailable nodes are without an available pod; with surge,
 * a new pod started next to the old one on up to maxSurge nodes and the old one deleted once the new is
 * available. The status counts nodes as kube does, so `kubectl rollout status ds` reads it.
 */
import type { DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import { isPodAvailable, isPodReady, type PodObject } from '../replicaset/pods.js';
import { isPodUpdated, nodeShouldRunDaemonPod, scaledValue, targetNodeName, type DaemonSetObject, type NodeObject } from './placement.js';

export interface DaemonSetPlan {
  /** Nodes that get a new daemon pod. */
  createOn: string[];
  delete: PodObject[];
}

const byCreation = (a: PodObject, b: PodObject): number =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
const isFinished = (p: PodObject): boolean => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';

/** The daemon pods by the node they are for (kube's getNodesToDaemonPods); pods for no node are left out. */
export function podsByNode(pods: readonly PodObject[], includeDeletedTerminal: boolean): Map<string, PodObject[]> {
  const out = new Map<string, PodObject[]>();
  for (const pod of pods) {
    if (!includeDeletedTerminal && (pod.metadata.deletionTimestamp || isFinished(pod))) continue;
    const node = targetNodeName(pod);
    if (node === undefined) continue;
    let list = out.get(node);
    if (!list) out.set(node, (list = []));
    list.push(pod);
  }
  for (const list of out.values()) list.sort(byCreation);
  return out;
}

/** Whether the update strategy lets a new pod start before the old one is gone. */
export function allowsSurge(ds: DaemonSetObject): boolean {
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  return ds.spec?.updateStrategy?.type !== 'OnDelete' && scaledValue(ru?.maxSurge, 1, 0) > 0;
}

/** Creates and deletes that put one daemon pod on each eligible node (kube's manage / podsShouldBeOnNode). */
function manage(ds: DaemonSetObject, nodes: readonly NodeObject[], pods: readonly PodObject[], hash: string): DaemonSetPlan {
  const plan: DaemonSetPlan = { createOn: [], delete: [] };
  const byNode = podsByNode(pods, true);
  const surge = allowsSurge(ds);
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const daemonPods = byNode.get(name);
    if (shouldRun && !daemonPods) {
      plan.createOn.push(name);
    } else if (shouldContinueRunning && daemonPods) {
      const running: PodObject[] = [];
      for (const pod of daemonPods) {
        if (pod.metadata.deletionTimestamp) continue;
        // A finished daemon pod is replaced: delete it and a later sync makes a new one.
        if (isFinished(pod)) plan.delete.push(pod);
        else running.push(pod);
      }
      if (!surge) {
        // More than one: keep the oldest.
        plan.delete.push(...running.slice(1));
      } else {
        // While surging a node holds at most the oldest old pod and the oldest new one.
        let oldest: PodObject | undefined;
        let oldestNew: PodObject | undefined;
        for (const pod of running) {
          if (isPodUpdated(pod, hash, ds.metadata.generation)) {
            if (oldestNew) plan.delete.push(pod);
            else oldestNew = pod;
          } else if (oldest) plan.delete.push(pod);
          else oldest = pod;
        }
      }
    } else if (!shouldContinueRunning && daemonPods) {
      for (const pod of daemonPods) if (!pod.metadata.deletionTimestamp) plan.delete.push(pod);
    }
  }
  // Pods meant for a node that no longer exists and never bound: nothing would ever run them. (Bound pods on
  // a deleted node are the pod garbage collector's, as in kube.)
  const known = new Set(nodes.map((n) => n.metadata.name ?? ''));
  for (const [node, list] of byNode) {
    if (known.has(node)) continue;
    for (const pod of list) if (!pod.spec?.nodeName && !pod.metadata.deletionTimestamp) plan.delete.push(pod);
  }
  return plan;
}

/** maxSurge and maxUnavailable as node counts (kube's updatedDesiredNodeCounts); both 0 means one unavailable. */
export function rollingUpdateBudget(ds: DaemonSetObject, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  const maxSurge = scaledValue(ru?.maxSurge, desired, 0);
  let maxUnavailable = scaledValue(ru?.maxUnavailable, desired, 1);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** The node's one new and one old pod; `ok` false when there are more of either (manage cleans up first). */
function updatedPodsOnNode(ds: DaemonSetObject, pods: readonly PodObject[], hash: string): { newPod?: PodObject; oldPod?: PodObject; ok: boolean } {
  let newPod: PodObject | undefined;
  let oldPod: PodObject | undefined;
  for (const pod of pods) {
    if (isPodUpdated(pod, hash, ds.metadata.generation)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { newPod, oldPod, ok: true };
}

/** The rolling update's creates and deletes (kube's rollingUpdate). */
function rollingUpdate(ds: DaemonSetObject, nodes: readonly NodeObject[], pods: readonly PodObject[], hash: string, now: number): DaemonSetPlan {
  const byNode = podsByNode(pods, false);
  let desired = 0;
  for (const node of nodes) {
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
    desired++;
    if (!byNode.has(node.metadata.name ?? '')) byNode.set(node.metadata.name ?? '', []);
  }
  const { maxSurge, maxUnavailable } = rollingUpdateBudget(ds, desired);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (p: PodObject): boolean => isPodAvailable(p, minReady, now);
  const names = [...byNode.keys()].sort();
  if (maxSurge === 0) {
    let unavailable = 0;
    const replaceNow: PodObject[] = [];
    const candidates: PodObject[] = [];
    for (const name of names) {
      const { newPod, oldPod, ok } = updatedPodsOnNode(ds, byNode.get(name)!, hash);
      if (!ok || (!newPod && !oldPod) || (newPod && oldPod)) unavailable++;
      else if (newPod) {
        if (!available(newPod)) unavailable++;
      } else if (!available(oldPod!)) {
        // An old pod that is not available anyway may go at once.
        replaceNow.push(oldPod!);
        unavailable++;
      } else candidates.push(oldPod!);
    }
    const budget = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    return { createOn: [], delete: [...replaceNow, ...candidates.slice(0, budget)] };
  }
  let surging = 0;
  const createNow: string[] = [];
  const candidates: string[] = [];
  const del: PodObject[] = [];
  for (const name of names) {
    const { newPod, oldPod, ok } = updatedPodsOnNode(ds, byNode.get(name)!, hash);
    if (!ok) {
      surging++;
      continue;
    }
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) createNow.push(name);
      else candidates.push(name);
    } else if (!available(newPod)) surging++;
    else del.push(oldPod);
  }
  const budget = Math.min(Math.max(0, maxSurge - surging), candidates.length);
  return { createOn: [...createNow, ...candidates.slice(0, budget)], delete: del };
}

/** One sync's actions: placement first; the rolling update once placement has nothing to do. */
export function planDaemonSet(ds: DaemonSetObject, nodes: readonly NodeObject[], pods: readonly PodObject[], hash: string, now = Date.now()): DaemonSetPlan {
  const plan = manage(ds, nodes, pods, hash);
  if (plan.createOn.length > 0 || plan.delete.length > 0) return plan;
  if (ds.spec?.updateStrategy?.type === 'OnDelete') return plan;
  return rollingUpdate(ds, nodes, pods, hash, now);
}

/** The status for these nodes and pods (kube's updateDaemonSetStatus). */
export function daemonSetStatus(ds: DaemonSetObject, nodes: readonly NodeObject[], pods: readonly PodObject[], hash: string, now = Date.now()): DaemonSetStatus {
  const byNode = podsByNode(pods, false);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  let desired = 0, current = 0, ready = 0, available = 0, updated = 0, misscheduled = 0;
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const daemonPods = byNode.get(node.metadata.name ?? '') ?? [];
    if (!shouldRun) {
      if (daemonPods.length > 0) misscheduled++;
      continue;
    }
    desired++;
    const pod = daemonPods[0];
    if (!pod) continue;
    current++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
    if (isPodUpdated(pod, hash, ds.metadata.generation)) updated++;
  }
  return {
    observedGeneration: ds.metadata.generation ?? 0,
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    numberAvailable: available,
    updatedNumberScheduled: updated,
    ...(desired - available > 0 ? { numberUnavailable: desired - available } : {}),
  };
}
