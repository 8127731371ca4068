/**
 * Which pods a shrinking ReplicaSet deletes first (kube's ActivePodsWithRanks with LogarithmicScaleDown):
 * pods that cost least to lose go first, so a scale-down takes pending or broken pods before serving ones.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isPodReady, podReadyCondition } from './pods.js';

/** The annotation that lets users say which pods to delete first (lower first). */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: Pod): number {
  const v = Number(pod.metadata?.annotations?.[POD_DELETION_COST] ?? '0');
  return Number.isInteger(v) ? v : 0;
}

function maxRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
}

/** floor(log2(age in ns)): pods within the same power-of-two age band count as equally old. */
function logAgeBucket(time: string | undefined, now: number): number | undefined {
  if (!time) return undefined;
  const ns = Math.max(1, (now - Date.parse(time)) * 1e6);
  return Math.floor(Math.log2(ns));
}

/**
 * Compares two timestamps "newer first": a missing time sorts first, then the younger band. Answers
 * negative when `a` should be deleted before `b`.
 */
function newerFirst(a: string | undefined, b: string | undefined, now: number): number {
  const ba = logAgeBucket(a, now);
  const bb = logAgeBucket(b, now);
  if (ba === bb) return 0;
  if (ba === undefined) return -1;
  if (bb === undefined) return 1;
  return ba - bb;
}

/**
 * Sorts `pods` so the ones to delete first come first. `ranks[i]` is how many related active pods share
 * pod i's node: pods doubled up on a node go before lone ones.
 */
export function rankPodsForDeletion<P extends Pod>(pods: readonly P[], ranks: readonly number[], now = Date.now()): P[] {
  const ranked = pods.map((pod, i) => ({ pod, rank: ranks[i] ?? 0 }));
  ranked.sort((x, y) => comparePods(x.pod, x.rank, y.pod, y.rank, now));
  return ranked.map((r) => r.pod);
}

function comparePods(a: Pod, rankA: number, b: Pod, rankB: number, now: number): number {
  // 1. Unassigned before assigned.
  const assignedA = a.spec?.nodeName ? 1 : 0;
  const assignedB = b.spec?.nodeName ? 1 : 0;
  if (assignedA !== assignedB) return assignedA - assignedB;
  // 2. Pending before Unknown before Running.
  const phaseA = PHASE_ORDER[a.status?.phase ?? 'Pending'] ?? 0;
  const phaseB = PHASE_ORDER[b.status?.phase ?? 'Pending'] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  // 3. Not ready before ready.
  const readyA = isPodReady(a) ? 1 : 0;
  const readyB = isPodReady(b) ? 1 : 0;
  if (readyA !== readyB) return readyA - readyB;
  // 4. Lower pod-deletion-cost first.
  const costA = deletionCost(a);
  const costB = deletionCost(b);
  if (costA !== costB) return costA - costB;
  // 5. More doubled-up first.
  if (rankA !== rankB) return rankB - rankA;
  // 6. Ready for less time first.
  if (readyA && readyB) {
    const c = newerFirst(podReadyCondition(a)?.lastTransitionTime, podReadyCondition(b)?.lastTransitionTime, now);
    if (c !== 0) return c;
  }
  // 7. More restarts first.
  const restartsA = maxRestarts(a);
  const restartsB = maxRestarts(b);
  if (restartsA !== restartsB) return restartsB - restartsA;
  // 8. Newer first.
  const c = newerFirst(a.metadata?.creationTimestamp, b.metadata?.creationTimestamp, now);
  if (c !== 0) return c;
  // 9. A stable tie-break.
  return (a.metadata?.uid ?? '') < (b.metadata?.uid ?? '') ? -1 : (a.metadata?.uid ?? '') > (b.metadata?.uid ?? '') ? 1 : 0;
}

/**
 * The `diff` pods to delete from `filteredPods` (kube's getPodsToDelete): ranked by how many of
 * `relatedPods` (the pods of every ReplicaSet of the same owner) share their node.
 */
export function podsToDelete<P extends Pod>(filteredPods: readonly P[], relatedPods: readonly Pod[], diff: number, now = Date.now()): P[] {
  if (diff >= filteredPods.length) return [...filteredPods];
  const onNode = new Map<string, number>();
  for (const p of relatedPods) {
    const node = p.spec?.nodeName;
    if (node) onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const ranks = filteredPods.map((p) => (p.spec?.nodeName ? (onNode.get(p.spec.nodeName) ?? 0) : 0));
  return rankPodsForDeletion(filteredPods, ranks, now).slice(0, diff);
}

/**
 * Runs `count` calls of `fn` in batches of 1, 2, 4, ... (kube's slowStartBatch), stopping after the first
 * batch with a failure, so a create that is bound to fail (quota) fails once, not `count` times. Answers how
 * many were attempted, how many succeeded and the first error.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<{ attempted: number; successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  let attempted = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    attempted += batch;
    successes += batch - failed.length;
    if (failed.length > 0) return { attempted, successes, error: failed[0]!.reason };
    remaining -= batch;
  }
  return { attempted, successes };
}
