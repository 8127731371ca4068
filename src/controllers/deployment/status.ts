/**
 * Deployment status and conditions as kube's deployment controller writes them (sync.go and progress.go):
 * replica counts summed over the ReplicaSets, Available by minimum availability, Progressing with the
 * reasons `kubectl rollout status` reads, and the progress deadline.
 */
import type { DeploymentCondition, DeploymentStatus } from 'kubernetes-types/apps/v1.js';
import { getCondition, stableJSON, maxUnavailable, newCondition, setCondition, type DeploymentObject, type ReplicaSetObject } from './util.js';

export const AVAILABLE = 'Available';
export const PROGRESSING = 'Progressing';
export const REPLICA_FAILURE = 'ReplicaFailure';
export const NEW_RS_AVAILABLE_REASON = 'NewReplicaSetAvailable';
export const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';
export const PAUSED_REASON = 'DeploymentPaused';
export const RESUMED_REASON = 'DeploymentResumed';

/** The counts and the Available (and ReplicaFailure) conditions (kube's calculateStatus). */
export function calculateStatus(d: DeploymentObject, allRSs: readonly ReplicaSetObject[], newRS: ReplicaSetObject | undefined, now = Date.now()): DeploymentStatus {
  const desired = d.spec?.replicas ?? 1;
  const available = allRSs.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: allRSs.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: allRSs.reduce((n, rs) => n + (rs.status?.readyReplicas ?? 0), 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, desired - available),
    ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
  };
  let conditions = [...(d.status?.conditions ?? [])];
  if (available >= desired - maxUnavailable(d)) {
    conditions = setCondition(conditions, newCondition(AVAILABLE, 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now));
  } else {
    conditions = setCondition(conditions, newCondition(AVAILABLE, 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now));
  }
  // A failed create in the new ReplicaSet shows on the Deployment too.
  const failure = newRS?.status?.conditions?.find((c) => c.type === REPLICA_FAILURE && c.status === 'True');
  if (failure) conditions = setCondition(conditions, newCondition(REPLICA_FAILURE, 'True', failure.reason ?? 'FailedCreate', failure.message ?? '', now));
  else conditions = conditions.filter((c) => c.type !== REPLICA_FAILURE);
  status.conditions = conditions;
  return status;
}

/** All replicas updated and available, no old ones left (kube's DeploymentComplete). */
export function deploymentComplete(d: DeploymentObject, s: DeploymentStatus): boolean {
  const desired = d.spec?.replicas ?? 1;
  return (s.updatedReplicas ?? 0) === desired && (s.replicas ?? 0) === desired && (s.availableReplicas ?? 0) === desired && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** Whether the rollout moved since the last status (kube's DeploymentProgressing). */
function deploymentProgressing(d: DeploymentObject, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** Whether the rollout has made no progress for progressDeadlineSeconds (kube's DeploymentTimedOut). */
export function deploymentTimedOut(d: DeploymentObject, s: DeploymentStatus, now = Date.now()): boolean {
  const deadline = d.spec?.progressDeadlineSeconds;
  if (deadline === undefined || deadline >= 2147483647) return false;
  const cond = s.conditions?.find((c) => c.type === PROGRESSING);
  if (!cond || cond.reason === NEW_RS_AVAILABLE_REASON) return false;
  if (cond.reason === TIMED_OUT_REASON) return true;
  const from = Date.parse(cond.lastUpdateTime ?? cond.lastTransitionTime ?? '');
  return !Number.isNaN(from) && from + deadline * 1000 < now;
}

/**
 * The full status with Progressing decided (kube's syncRolloutStatus), and when to look again for the
 * deadline (ms), if the rollout is still under way.
 */
export function rolloutStatus(d: DeploymentObject, allRSs: readonly ReplicaSetObject[], newRS: ReplicaSetObject | undefined, now = Date.now()): { status: DeploymentStatus; recheckMs?: number } {
  const status = calculateStatus(d, allRSs, newRS, now);
  const deadline = d.spec?.progressDeadlineSeconds;
  if (deadline === undefined || deadline >= 2147483647 || d.spec?.paused) return { status };
  const current = getCondition(d, PROGRESSING);
  let conditions: DeploymentCondition[] = status.conditions ?? [];
  let recheckMs: number | undefined;
  const rsName = newRS?.metadata.name ?? '';
  const isComplete = deploymentComplete(d, status) && !!newRS;
  if (isComplete) {
    conditions = setCondition(conditions, newCondition(PROGRESSING, 'True', NEW_RS_AVAILABLE_REASON, `ReplicaSet "${rsName}" has successfully progressed.`, now));
  } else if (deploymentProgressing(d, status)) {
    const cond = newCondition(PROGRESSING, 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, now);
    // Progress moves the deadline: a fresh lastUpdateTime even when nothing else changes.
    if (current?.status === 'True' && current.lastTransitionTime) cond.lastTransitionTime = current.lastTransitionTime;
    conditions = [...conditions.filter((c) => c.type !== PROGRESSING), cond];
    recheckMs = deadline * 1000 + 1000;
  } else if (deploymentTimedOut(d, { ...status, conditions }, now)) {
    conditions = setCondition(conditions, newCondition(PROGRESSING, 'False', TIMED_OUT_REASON, `ReplicaSet "${rsName}" has timed out progressing.`, now));
  } else if (current) {
    const from = Date.parse(current.lastUpdateTime ?? current.lastTransitionTime ?? '');
    if (!Number.isNaN(from) && current.reason !== NEW_RS_AVAILABLE_REASON) recheckMs = Math.max(0, from + deadline * 1000 - now) + 1000;
  }
  status.conditions = conditions;
  return { status, ...(recheckMs !== undefined ? { recheckMs } : {}) };
}

/** Whether two statuses differ (condition times included). */
export function statusChanged(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  return stableJSON(a ?? {}) !== stableJSON(b);
}
