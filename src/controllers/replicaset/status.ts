/**
 * ReplicaSet (and ReplicationController) status as kube's replica_set_utils computes it: counts of the pods
 * it controls and the ReplicaFailure condition a failed create or delete sets.
 */
import type { ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import { isPodAvailable, isPodReady, type PodObject } from './pods.js';
import { rfc3339 } from '../../apimachinery/time.js';

export const REPLICA_FAILURE = 'ReplicaFailure';

/** The status `pods` (the active pods the controller claims) give, with `manageError` from this sync. */
export function calculateStatus(
  current: ReplicaSetStatus | undefined,
  generation: number | undefined,
  templateLabels: Record<string, string>,
  minReadySeconds: number,
  pods: readonly PodObject[],
  manageError: { diff: number; message: string } | undefined,
  now = Date.now(),
): ReplicaSetStatus {
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    const labels = pod.metadata.labels ?? {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, now)) available++;
    }
  }
  let conditions = [...(current?.conditions ?? [])];
  const failure = conditions.find((c) => c.type === REPLICA_FAILURE);
  if (manageError && !failure) {
    const cond: ReplicaSetCondition = {
      type: REPLICA_FAILURE,
      status: 'True',
      lastTransitionTime: rfc3339(now),
      reason: manageError.diff < 0 ? 'FailedCreate' : 'FailedDelete',
      message: manageError.message,
    };
    conditions.push(cond);
  } else if (!manageError && failure) {
    conditions = conditions.filter((c) => c.type !== REPLICA_FAILURE);
  }
  const status: ReplicaSetStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    ...(generation !== undefined ? { observedGeneration: generation } : current?.observedGeneration !== undefined ? { observedGeneration: current.observedGeneration } : {}),
    ...(conditions.length > 0 ? { conditions } : {}),
  };
  return status;
}

/** Whether two statuses differ in anything the controller writes. */
export function statusChanged(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  const x: ReplicaSetStatus = a ?? ({} as ReplicaSetStatus);
  return (
    (x.replicas ?? 0) !== (b.replicas ?? 0) ||
    (x.fullyLabeledReplicas ?? 0) !== (b.fullyLabeledReplicas ?? 0) ||
    (x.readyReplicas ?? 0) !== (b.readyReplicas ?? 0) ||
    (x.availableReplicas ?? 0) !== (b.availableReplicas ?? 0) ||
    x.observedGeneration !== b.observedGeneration ||
    JSON.stringify(x.conditions ?? []) !== JSON.stringify(b.conditions ?? [])
  );
}
