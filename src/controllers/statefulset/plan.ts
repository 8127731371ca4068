/**
 * What one StatefulSet sync does (kube's stateful_set_control, as a pure function of the cached state): create
 * missing ordinals, replace failed pods, delete condemned ordinals highest first, and roll pods to the update
 * revision from the highest ordinal down to the partition, within maxUnavailable. OrderedReady stops at the
 * first pod that is missing, terminating or not yet Running and Ready; Parallel does all at once. The status
 * is counted the way kube counts it, so `kubectl rollout status` reads it.
 */
import type { StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import { isPodAvailable, isPodReady, type PodObject } from '../replicaset/pods.js';
import { ordinalOf, ordinalRange, podRevision, type StatefulSetObject } from './identity.js';

/** One sync's actions; `wait` is true when OrderedReady stopped at a pod not yet healthy. */
export interface StatefulSetPlan {
  /** Ordinals to create, each from the named revision. */
  create: Array<{ ordinal: number; revision: string }>;
  /** Pods to delete (failed, condemned or outdated). */
  delete: PodObject[];
  wait: boolean;
}

export const isTerminating = (pod: PodObject): boolean => !!pod.metadata.deletionTimestamp;
const isFailed = (pod: PodObject): boolean => pod.status?.phase === 'Failed';
const isSucceeded = (pod: PodObject): boolean => pod.status?.phase === 'Succeeded';
export const isRunningAndReady = (pod: PodObject): boolean => pod.status?.phase === 'Running' && isPodReady(pod);
export const isRunningAndAvailable = (pod: PodObject, minReadySeconds: number, now: number): boolean =>
  pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, now);
/** Healthy for ordering: running, ready (and available after minReadySeconds) and not terminating. */
const isHealthy = (pod: PodObject, minReadySeconds: number, now: number): boolean => isRunningAndAvailable(pod, minReadySeconds, now) && !isTerminating(pod);

/** Pods of the set split into the wanted ordinals and the condemned ones (highest first). */
export function splitPods(set: StatefulSetObject, pods: readonly PodObject[]): { replicas: Map<number, PodObject>; condemned: PodObject[] } {
  const { start, end } = ordinalRange(set);
  const replicas = new Map<number, PodObject>();
  const condemned: Array<[number, PodObject]> = [];
  for (const pod of pods) {
    const ord = ordinalOf(set.metadata.name ?? '', pod.metadata.name);
    if (ord === undefined) continue;
    if (ord >= start && ord < end) replicas.set(ord, pod);
    else condemned.push([ord, pod]);
  }
  condemned.sort((a, b) => b[0] - a[0]);
  return { replicas, condemned: condemned.map(([, p]) => p) };
}

/** maxUnavailable as a number of pods: a percentage of the replicas rounded down, at least 1 (kube's getStatefulSetMaxUnavailable). */
export function maxUnavailableOf(set: StatefulSetObject): number {
  const v = set.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
  const replicas = set.spec?.replicas ?? 1;
  const n = typeof v === 'string' && v.endsWith('%') ? Math.floor((Number(v.slice(0, -1)) * replicas) / 100) : Number(v);
  return Math.max(1, Number.isFinite(n) ? n : 1);
}

/** The actions of one sync, given the set's pods (from the cache) and its current and update revisions. */
export function planStatefulSet(set: StatefulSetObject, pods: readonly PodObject[], currentRevision: string, updateRevision: string, now = Date.now()): StatefulSetPlan {
  const plan: StatefulSetPlan = { create: [], delete: [], wait: false };
  const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
  const minReady = set.spec?.minReadySeconds ?? 0;
  const { start, end } = ordinalRange(set);
  const { replicas, condemned } = splitPods(set, pods);
  const rolling = set.spec?.updateStrategy?.type !== 'OnDelete';
  const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  const stop = (): StatefulSetPlan => ({ ...plan, wait: true });

  // A recreated pod below the partition keeps the current revision; every other one gets the update revision.
  const revisionFor = (ord: number): string => (rolling && ord - start < partition ? currentRevision : updateRevision);

  let firstUnhealthy: PodObject | undefined;
  for (let ord = start; ord < end; ord++) {
    const pod = replicas.get(ord);
    if (pod && !isTerminating(pod) && (isFailed(pod) || isSucceeded(pod))) {
      // A finished pod is deleted and made again under the same name on a later sync.
      plan.delete.push(pod);
      if (monotonic) return stop();
      continue;
    }
    if (!pod) {
      plan.create.push({ ordinal: ord, revision: revisionFor(ord) });
      if (monotonic) return stop();
      continue;
    }
    if (!isHealthy(pod, minReady, now)) firstUnhealthy ??= pod;
    if (isTerminating(pod)) {
      if (monotonic) return stop();
      continue;
    }
    if (monotonic && !isHealthy(pod, minReady, now)) return stop();
  }
  for (const pod of condemned) if (!firstUnhealthy && !isHealthy(pod, minReady, now)) firstUnhealthy = pod;

  // Scale down: the highest ordinal first; OrderedReady one at a time and only while the rest are healthy.
  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return stop();
      continue;
    }
    if (monotonic && firstUnhealthy && pod !== firstUnhealthy) return stop();
    plan.delete.push(pod);
    if (monotonic) return stop();
  }
  if (plan.create.length > 0 || plan.delete.length > 0 || !rolling) return plan;

  // RollingUpdate: outdated pods from the highest ordinal down to the partition, never more than
  // maxUnavailable pods unavailable at once (an unhealthy outdated pod may always be replaced).
  const maxUnavailable = maxUnavailableOf(set);
  let unavailable = 0;
  for (let ord = start; ord < end; ord++) {
    const pod = replicas.get(ord);
    if (!pod || !isHealthy(pod, minReady, now)) unavailable++;
  }
  for (let ord = end - 1; ord >= start + partition; ord--) {
    const pod = replicas.get(ord);
    if (!pod || isTerminating(pod) || podRevision(pod) === updateRevision) continue;
    if (isHealthy(pod, minReady, now)) {
      if (unavailable >= maxUnavailable) break;
      unavailable++;
    }
    plan.delete.push(pod);
  }
  return plan;
}

/**
 * The status for these pods (kube's computeReplicaStatus and completeRollingUpdate): once every pod is at the
 * update revision and ready, the update revision becomes the current one.
 */
export function statefulSetStatus(
  set: StatefulSetObject,
  pods: readonly PodObject[],
  revisions: { current: string; update: string; collisionCount: number },
  now = Date.now(),
): StatefulSetStatus {
  const minReady = set.spec?.minReadySeconds ?? 0;
  const status: StatefulSetStatus = {
    observedGeneration: set.metadata.generation ?? 0,
    replicas: 0,
    readyReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    availableReplicas: 0,
    currentRevision: revisions.current,
    updateRevision: revisions.update,
    collisionCount: revisions.collisionCount,
  };
  for (const pod of pods) {
    if (ordinalOf(set.metadata.name ?? '', pod.metadata.name) === undefined) continue;
    status.replicas!++;
    if (isRunningAndReady(pod)) {
      status.readyReplicas!++;
      if (isRunningAndAvailable(pod, minReady, now)) status.availableReplicas!++;
    }
    if (isTerminating(pod)) continue;
    const rev = podRevision(pod);
    if (rev === revisions.current) status.currentReplicas!++;
    if (rev === revisions.update) status.updatedReplicas!++;
  }
  if (
    set.spec?.updateStrategy?.type !== 'OnDelete' &&
    status.updatedReplicas === status.replicas &&
    status.readyReplicas === status.replicas &&
    status.replicas === (set.spec?.replicas ?? 1)
  ) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
  return status;
}
