/**
 * Taint decisions of the node lifecycle controller (kube's nodelifecycle taint passes): which taints a node
 * should carry given its conditions and spec.unschedulable, and how a pod's tolerations decide whether and
 * when a NoExecute taint evicts it (kube's taint-eviction-controller).
 */
import type { Node, NodeCondition, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/** Condition type -> (status -> taint key): kube's nodeConditionToTaintKeyStatusMap. */
const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: TAINT_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_DISK_PRESSURE },
  NetworkUnavailable: { True: TAINT_NETWORK_UNAVAILABLE },
  PIDPressure: { True: TAINT_PID_PRESSURE },
};

/** Every taint key this controller owns: others' taints on a node are left alone. */
export const MANAGED_TAINT_KEYS = new Set([...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)), TAINT_UNSCHEDULABLE]);

function condition(node: Node, type: string): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

/**
 * The managed taints a node should carry: NoSchedule for every condition taint and for spec.unschedulable
 * (doNoScheduleTaintingPass), and NoExecute not-ready/unreachable from the Ready condition (doNoExecuteTaintingPass).
 */
export function desiredManagedTaints(node: Node): Array<Pick<Taint, 'key' | 'effect'>> {
  const out: Array<Pick<Taint, 'key' | 'effect'>> = [];
  for (const [type, byStatus] of Object.entries(CONDITION_TAINTS)) {
    const key = byStatus[condition(node, type)?.status ?? ''];
    if (key) out.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable) out.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  const ready = condition(node, 'Ready')?.status;
  if (ready === 'False') out.push({ key: TAINT_NOT_READY, effect: 'NoExecute' });
  if (ready === 'Unknown') out.push({ key: TAINT_UNREACHABLE, effect: 'NoExecute' });
  return out;
}

const sameTaint = (a: Pick<Taint, 'key' | 'effect'>, b: Pick<Taint, 'key' | 'effect'>): boolean => a.key === b.key && a.effect === b.effect;

/**
 * The node's taints after reconciling the managed ones: taints of other owners and managed taints that still
 * apply are kept as they are (so a NoExecute taint keeps its timeAdded); missing ones are added, NoExecute ones
 * stamped with `now`. Answers undefined when nothing changes.
 */
export function reconcileTaints(node: Node, now: string): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const desired = desiredManagedTaints(node);
  const kept = current.filter((t) => !MANAGED_TAINT_KEYS.has(t.key) || desired.some((d) => sameTaint(d, t)));
  const added = desired
    .filter((d) => !current.some((t) => sameTaint(d, t)))
    .map((d): Taint => ({ key: d.key, effect: d.effect, ...(d.effect === 'NoExecute' ? { timeAdded: now } : {}) }));
  if (added.length === 0 && kept.length === current.length) return undefined;
  return [...kept, ...added];
}

/** Whether a toleration tolerates a taint (kube's Toleration.ToleratesTaint). */
export function toleratesTaint(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  // An empty key with operator Exists matches every taint.
  const op = tol.operator ?? 'Equal';
  if (op === 'Exists') return true;
  return op === 'Equal' && (tol.value ?? '') === (taint.value ?? '');
}

/** What the taint eviction controller does with a pod on a node with these NoExecute taints. */
export type EvictionDecision = { action: 'keep' } | { action: 'evict' } | { action: 'evictAt'; atMs: number };

/**
 * kube's taint manager: a pod that does not tolerate every NoExecute taint goes now; one that tolerates them
 * all stays, unless some matching toleration has tolerationSeconds, in which case it goes that long (the
 * smallest) after the taint was added.
 */
export function evictionDecision(pod: Pod, taints: readonly Taint[], nowMs: number): EvictionDecision {
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  if (noExecute.length === 0) return { action: 'keep' };
  const tolerations = pod.spec?.tolerations ?? [];
  let at = Infinity;
  for (const taint of noExecute) {
    const matching = tolerations.filter((t) => toleratesTaint(t, taint));
    if (matching.length === 0) return { action: 'evict' };
    // Without tolerationSeconds a toleration holds forever; the smallest bound wins otherwise.
    const bounded = matching.filter((t) => t.tolerationSeconds !== undefined && t.tolerationSeconds !== null);
    if (bounded.length < matching.length && bounded.length === 0) continue;
    const seconds = Math.min(...bounded.map((t) => Math.max(0, t.tolerationSeconds ?? 0)));
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : nowMs;
    at = Math.min(at, (Number.isNaN(added) ? nowMs : added) + seconds * 1000);
  }
  if (at === Infinity) return { action: 'keep' };
  return at <= nowMs ? { action: 'evict' } : { action: 'evictAt', atMs: at };
}

/** The pod index by node both node controllers file pods under (one function, so either may add it first). */
export const POD_NODE_INDEX = 'spec.nodeName';
export const podNodeIndexFunc = (pod: Pod): string[] => (pod.spec?.nodeName ? [pod.spec.nodeName] : []);
