/**
 * The rolling update's arithmetic (kube's rolling.go and the scale part of sync.go), as pure functions over
 * ReplicaSets: how far the new ReplicaSet may grow, how many old pods may go, and how a resize mid-rollout is
 * spread over the ReplicaSets in proportion to their sizes.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { byCreation, MAX_REPLICAS_ANNOTATION, replicasOf, resolveFenceposts } from './util.js';

/** Replica targets by ReplicaSet name. */
export type ScalePlan = Map<string, number>;

const nameOf = (rs: ReplicaSet): string => rs.metadata?.name ?? '';
const sum = (sets: readonly ReplicaSet[], f: (rs: ReplicaSet) => number): number => sets.reduce((n, rs) => n + f(rs), 0);

/** The size the new ReplicaSet may have now (kube's NewRSNewReplicas). */
export function newRSNewReplicas(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): number {
  const desired = d.spec?.replicas ?? 1;
  if (d.spec?.strategy?.type === 'Recreate') return desired;
  const { maxSurge } = resolveFenceposts(d);
  const current = sum(allRSs, replicasOf);
  const maxTotal = desired + maxSurge;
  if (current >= maxTotal) return replicasOf(newRS);
  const scaleUp = Math.min(maxTotal - current, desired - replicasOf(newRS));
  return replicasOf(newRS) + scaleUp;
}

/**
 * How the old ReplicaSets shrink in one rolling-update step (kube's reconcileOldReplicaSets): first the
 * unhealthy pods of old sets (they give no availability), then available ones down to
 * `replicas - maxUnavailable` available in total.
 */
export function planOldReplicaSets(d: Deployment, allRSs: readonly ReplicaSet[], oldRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): ScalePlan {
  const plan: ScalePlan = new Map();
  if (sum(oldRSs, replicasOf) === 0) return plan;
  const desired = d.spec?.replicas ?? 1;
  const { maxUnavailable } = resolveFenceposts(d);
  const minAvailable = desired - maxUnavailable;
  const newUnavailable = newRS ? replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0) : 0;
  const maxScaledDown = sum(allRSs, replicasOf) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return plan;

  // Unhealthy old pods first: removing them costs no availability.
  const sizes = new Map(oldRSs.map((rs) => [nameOf(rs), replicasOf(rs)]));
  let cleaned = 0;
  for (const rs of byCreation(oldRSs)) {
    if (cleaned >= maxScaledDown) break;
    const replicas = sizes.get(nameOf(rs)) ?? 0;
    const available = rs.status?.availableReplicas ?? 0;
    if (replicas === 0 || replicas <= available) continue;
    const n = Math.min(maxScaledDown - cleaned, replicas - available);
    sizes.set(nameOf(rs), replicas - n);
    plan.set(nameOf(rs), replicas - n);
    cleaned += n;
  }

  // Then available old pods, as long as enough stay available.
  const availableTotal = sum(allRSs, (rs) => rs.status?.availableReplicas ?? 0);
  if (availableTotal > minAvailable) {
    const total = Math.min(availableTotal - minAvailable, maxScaledDown - cleaned);
    let scaled = 0;
    for (const rs of byCreation(oldRSs)) {
      if (scaled >= total) break;
      const replicas = sizes.get(nameOf(rs)) ?? 0;
      if (replicas === 0) continue;
      const n = Math.min(replicas, total - scaled);
      plan.set(nameOf(rs), replicas - n);
      scaled += n;
    }
  }
  return plan;
}

/** Whether the new ReplicaSet runs all the Deployment's pods, available (kube's IsSaturated). */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = d.spec?.replicas ?? 1;
  const annotated = Number(rs.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'] ?? NaN);
  return replicasOf(rs) === desired && annotated === desired && (rs.status?.availableReplicas ?? 0) === desired;
}

/**
 * The sizes after the Deployment's replica count changed (kube's scale): one active set takes it all; a
 * saturated new set means the old ones go; otherwise, mid-rollout, the pods to add (or remove) are shared
 * in proportion to each set's size, larger sets first, the remainder going to the largest.
 */
export function planScale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ScalePlan {
  const plan: ScalePlan = new Map();
  const desired = d.spec?.replicas ?? 1;
  const all = newRS ? [newRS, ...oldRSs] : [...oldRSs];
  const active = all.filter((rs) => replicasOf(rs) > 0);
  if (active.length <= 1) {
    const target = active[0] ?? newRS;
    if (target && replicasOf(target) !== desired) plan.set(nameOf(target), desired);
    return plan;
  }
  if (isSaturated(d, newRS)) {
    for (const rs of oldRSs) if (replicasOf(rs) !== 0) plan.set(nameOf(rs), 0);
    return plan;
  }
  if (d.spec?.strategy?.type === 'Recreate') return plan;
  const { maxSurge } = resolveFenceposts(d);
  const allowed = desired > 0 ? desired + maxSurge : 0;
  const toAdd = allowed - sum(active, replicasOf);
  if (toAdd === 0) return plan;
  const bySize = [...active].sort((a, b) => {
    if (replicasOf(a) !== replicasOf(b)) return toAdd > 0 ? replicasOf(b) - replicasOf(a) : replicasOf(a) - replicasOf(b);
    const ta = a.metadata?.creationTimestamp ?? '';
    const tb = b.metadata?.creationTimestamp ?? '';
    // Growing: newer first among equals; shrinking: older first.
    return toAdd > 0 ? (ta < tb ? 1 : ta > tb ? -1 : 0) : ta < tb ? -1 : ta > tb ? 1 : 0;
  });
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of bySize) {
    const fraction = replicaSetFraction(rs, d, allowed, active);
    const left = toAdd - added;
    const proportion = toAdd > 0 ? Math.min(fraction, left) : Math.max(fraction, left);
    sizes.set(nameOf(rs), replicasOf(rs) + proportion);
    added += proportion;
  }
  const first = bySize[0]!;
  const withLeftover = (sizes.get(nameOf(first)) ?? 0) + (toAdd - added);
  sizes.set(nameOf(first), Math.max(0, withLeftover));
  for (const rs of bySize) {
    const size = Math.max(0, sizes.get(nameOf(rs)) ?? 0);
    if (size !== replicasOf(rs)) plan.set(nameOf(rs), size);
  }
  return plan;
}

/** How much `rs` grows or shrinks when the Deployment's maximum becomes `newMax` (kube's getReplicaSetFraction). */
function replicaSetFraction(rs: ReplicaSet, d: Deployment, newMax: number, active: readonly ReplicaSet[]): number {
  if ((d.spec?.replicas ?? 1) === 0) return -replicasOf(rs);
  let annotatedMax = Number(rs.metadata?.annotations?.[MAX_REPLICAS_ANNOTATION] ?? NaN);
  // Without the annotation, the total the sets had is the best guess of the old maximum.
  if (!Number.isFinite(annotatedMax) || annotatedMax <= 0) annotatedMax = sum(active, replicasOf) || 1;
  return Math.round((replicasOf(rs) * newMax) / annotatedMax) - replicasOf(rs);
}
