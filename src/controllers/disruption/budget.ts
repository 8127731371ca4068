/**
 * PodDisruptionBudget arithmetic (kube's disruption controller): how many pods a budget expects, how many must
 * stay healthy, how many are, and so how many may be disrupted now; written as the PDB's status.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Condition } from 'kubernetes-types/meta/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import { rfc3339 } from '../../apimachinery/time.js';

/** kube's DeletionTimeout: an eviction not seen through within this long no longer holds a disruption. */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60_000;

type IntOrString = number | string;

/**
 * An int-or-string as a count of `total` (kube's GetScaledValueFromIntOrPercent): ints as they are, "N%" of the
 * total rounded up or down. Throws on anything else, with kube's wording.
 */
export function scaledValue(value: IntOrString, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** Whether the budget needs the controllers' scale (percentages, maxUnavailable) rather than the pod count. */
export function needsScale(pdb: PodDisruptionBudget): boolean {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined) return true;
  return typeof spec.minAvailable === 'string';
}

export interface BudgetInputs {
  pdb: PodDisruptionBudget;
  /** The pods the budget's selector matches. */
  pods: Pod[];
  /** The summed spec.replicas of the pods' controllers (each counted once), when needsScale(pdb). */
  expectedScale?: number;
  nowMs: number;
}

function isHealthy(pod: Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * disruptedPods kept: evictions whose pod still exists, is not yet being deleted, and whose eviction is recent.
 * Answers the map and the time the oldest entry expires (to look again then).
 */
export function liveDisruptedPods(pdb: PodDisruptionBudget, pods: Pod[], nowMs: number): { disrupted: Record<string, string>; recheckAtMs?: number } {
  const disrupted: Record<string, string> = {};
  let recheckAtMs: number | undefined;
  for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
    const pod = pods.find((p) => p.metadata?.name === name);
    if (!pod || pod.metadata?.deletionTimestamp) continue;
    const expires = Date.parse(at) + DISRUPTED_POD_TIMEOUT_MS;
    if (Number.isNaN(expires) || expires <= nowMs) continue;
    disrupted[name] = at;
    recheckAtMs = Math.min(recheckAtMs ?? Infinity, expires);
  }
  return recheckAtMs === undefined ? { disrupted } : { disrupted, recheckAtMs };
}

/** The status a budget should have (everything but the condition's lastTransitionTime handling). */
export function computeStatus({ pdb, pods, expectedScale, nowMs }: BudgetInputs): { status: PodDisruptionBudgetStatus; recheckAtMs?: number } {
  const spec = pdb.spec ?? {};
  let expectedCount: number;
  let desiredHealthy: number;
  if (spec.maxUnavailable !== undefined) {
    expectedCount = expectedScale ?? 0;
    desiredHealthy = Math.max(0, expectedCount - scaledValue(spec.maxUnavailable, expectedCount, true));
  } else if (typeof spec.minAvailable === 'string') {
    expectedCount = expectedScale ?? 0;
    desiredHealthy = scaledValue(spec.minAvailable, expectedCount, true);
  } else {
    expectedCount = pods.length;
    desiredHealthy = spec.minAvailable ?? 0;
  }
  const { disrupted, recheckAtMs } = liveDisruptedPods(pdb, pods, nowMs);
  // A pod with an eviction in flight is no longer counted on.
  const currentHealthy = pods.filter((p) => isHealthy(p) && !(p.metadata?.name! in disrupted)).length;
  const disruptionsAllowed = expectedCount > 0 ? Math.max(0, currentHealthy - desiredHealthy) : 0;
  const status: PodDisruptionBudgetStatus = {
    observedGeneration: pdb.metadata?.generation ?? 0,
    ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
    disruptionsAllowed,
    currentHealthy,
    desiredHealthy,
    expectedPods: expectedCount,
    conditions: [disruptionAllowedCondition(pdb, disruptionsAllowed > 0 ? 'True' : 'False', disruptionsAllowed > 0 ? 'SufficientPods' : 'InsufficientPods', '', nowMs)],
  };
  return recheckAtMs === undefined ? { status } : { status, recheckAtMs };
}

/** The DisruptionAllowed condition, keeping lastTransitionTime while the status stays the same. */
export function disruptionAllowedCondition(pdb: PodDisruptionBudget, status: 'True' | 'False', reason: string, message: string, nowMs: number): Condition {
  const old = pdb.status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
  const lastTransitionTime = old && old.status === status ? old.lastTransitionTime : rfc3339(nowMs);
  return { type: 'DisruptionAllowed', status, reason, message, observedGeneration: pdb.metadata?.generation ?? 0, lastTransitionTime };
}

/** kube's failSafe: when the budget cannot be computed, nothing may be disrupted. */
export function failSafeStatus(pdb: PodDisruptionBudget, message: string, nowMs: number): PodDisruptionBudgetStatus {
  return {
    ...(pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 }),
    observedGeneration: pdb.metadata?.generation ?? 0,
    disruptionsAllowed: 0,
    conditions: [disruptionAllowedCondition(pdb, 'False', 'SyncFailed', message, nowMs)],
  };
}
