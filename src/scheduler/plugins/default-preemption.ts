/**
 * DefaultPreemption (PostFilter): when no node fits, find a node where evicting lower-priority pods would let
 * the pod fit, evicting as few and as unimportant pods as possible and respecting PodDisruptionBudgets where
 * it can. The result nominates the node and lists the victims; deleting them is the caller's job.
 */
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { Code, Status, type CycleState, type Handle, type NodeToStatus, type PostFilterPlugin, type PostFilterResult } from '../framework.js';
import { fitErrorMessage } from '../fit-error.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { compileLabelSelector } from '../selectors.js';

export const NAME = 'DefaultPreemption';
export const NO_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';

/** DefaultPreemptionArgs. */
export interface DefaultPreemptionArgs {
  minCandidateNodesPercentage?: number;
  minCandidateNodesAbsolute?: number;
}

/** A node where preemption would work and what it would cost. */
export interface Candidate {
  nodeName: string;
  victims: PodInfo[];
  numPDBViolations: number;
}

/** kube's GetPodStartTime: status.startTime, or now for pods that have not started (assumed or just bound). */
function startTime(p: PodInfo): number {
  const t = p.pod.status?.startTime;
  return t ? Date.parse(t) : Date.now();
}

/** kube's MoreImportantPod: higher priority, then the one running longer. */
export function moreImportant(a: PodInfo, b: PodInfo): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return startTime(a) - startTime(b);
}

/** Splits pods into those whose eviction would violate a PDB and those whose would not (kube's order kept). */
export function filterPodsWithPDBViolation(pods: readonly PodInfo[], pdbs: readonly PodDisruptionBudget[]): [PodInfo[], PodInfo[]] {
  const allowed = pdbs.map((p) => p.status?.disruptionsAllowed ?? 0);
  const selectors = pdbs.map((p) => {
    const sel = p.spec?.selector;
    const empty = !sel || ((sel.matchExpressions?.length ?? 0) === 0 && Object.keys(sel.matchLabels ?? {}).length === 0);
    // A PDB with an empty selector matches nothing here, as in kube.
    return empty ? () => false : compileLabelSelector(sel);
  });
  const violating: PodInfo[] = [];
  const ok: PodInfo[] = [];
  for (const p of pods) {
    let violated = false;
    if (p.labels && Object.keys(p.labels).length > 0) {
      pdbs.forEach((pdb, i) => {
        if ((pdb.metadata?.namespace ?? 'default') !== p.namespace || !selectors[i]!(p.labels)) return;
        if (pdb.status?.disruptedPods && Object.hasOwn(pdb.status.disruptedPods, p.name)) return;
        if (--allowed[i]! < 0) violated = true;
      });
    }
    (violated ? violating : ok).push(p);
  }
  return [violating, ok];
}

/** Preempts lower-priority pods for pods that fit nowhere. */
export class DefaultPreemption implements PostFilterPlugin {
  readonly name = NAME;
  private readonly pct: number;
  private readonly abs: number;

  constructor(args: DefaultPreemptionArgs, private readonly handle: Handle, private readonly random: () => number = Math.random) {
    this.pct = args.minCandidateNodesPercentage ?? 10;
    this.abs = args.minCandidateNodesAbsolute ?? 100;
  }

  postFilter(state: CycleState, pod: PodInfo, filtered: NodeToStatus): { result?: PostFilterResult; status: Status } {
    const { result, status } = this.preempt(state, pod, filtered);
    const msg = status.message();
    return { result, status: msg ? new Status(status.code, [`preemption: ${msg}`]) : status };
  }

  /** Why the pod may not preempt, or undefined when it may (kube's PodEligibleToPreemptOthers). */
  eligibilityProblem(pod: PodInfo, filtered: NodeToStatus): string | undefined {
    if (pod.pod.spec?.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
    const nominated = pod.pod.status?.nominatedNodeName;
    if (nominated) {
      if (filtered.get(nominated)?.code === Code.UnschedulableAndUnresolvable) return undefined;
      const ni = this.handle.snapshot().get(nominated);
      // Victims chosen earlier are still terminating: wait for them rather than preempt more.
      if (ni?.pods.some((p) => p.priority < pod.priority && p.pod.metadata?.deletionTimestamp)) return 'not eligible due to a terminating pod on the nominated node.';
    }
    return undefined;
  }

  private preempt(state: CycleState, pod: PodInfo, filtered: NodeToStatus): { result?: PostFilterResult; status: Status } {
    const problem = this.eligibilityProblem(pod, filtered);
    if (problem) return { status: new Status(Code.Unschedulable, [problem]) };
    const all = this.handle.snapshot().list();
    if (all.length === 0) return { status: new Status(Code.Error, ['no nodes available']) };
    const statuses: NodeToStatus = new Map();
    const potential: NodeInfo[] = [];
    for (const ni of all) {
      if (filtered.get(ni.name)?.code === Code.UnschedulableAndUnresolvable) statuses.set(ni.name, new Status(Code.UnschedulableAndUnresolvable, [NOT_HELPFUL]));
      else potential.push(ni);
    }
    const candidates = potential.length === 0 ? [] : this.dryRun(state, pod, potential, statuses);
    if (candidates.length === 0) {
      return { result: { nominatedNodeName: '' }, status: new Status(Code.Unschedulable, [fitErrorMessage(statuses.size, statuses)]) };
    }
    const best = pickOneNodeForPreemption(candidates);
    const nominatedLower = (this.handle.nominator?.nominatedPodsForNode(best.nodeName) ?? []).filter((p) => p.priority < pod.priority).map((p) => p.pod);
    return {
      result: { nominatedNodeName: best.nodeName, victims: best.victims.map((v) => v.pod), lowerPriorityNominatedPods: nominatedLower },
      status: new Status(Code.Success),
    };
  }

  private dryRun(state: CycleState, pod: PodInfo, potential: NodeInfo[], statuses: NodeToStatus): Candidate[] {
    const n = potential.length;
    const num = Math.min(n, Math.max(Math.trunc((n * this.pct) / 100), this.abs));
    const offset = Math.floor(this.random() * n);
    const pdbs = this.handle.listers.podDisruptionBudgets?.(pod.namespace) ?? [];
    const nonViolating: Candidate[] = [];
    const violating: Candidate[] = [];
    for (let i = 0; i < n; i++) {
      const ni = potential[(offset + i) % n]!;
      const { victims, numPDBViolations, status } = this.selectVictimsOnNode(state.clone(), pod, ni.clone(), pdbs);
      if (!status && victims.length > 0) {
        const c = { nodeName: ni.name, victims, numPDBViolations };
        (numPDBViolations === 0 ? nonViolating : violating).push(c);
        if (nonViolating.length > 0 && nonViolating.length + violating.length >= num) break;
        continue;
      }
      statuses.set(ni.name, status ?? new Status(Code.Error, [`expected at least one victim pod on node "${ni.name}"`]));
    }
    return [...nonViolating, ...violating];
  }

  /** Which pods to evict from one node (kube's SelectVictimsOnNode); works on a cloned state and node. */
  selectVictimsOnNode(state: CycleState, pod: PodInfo, ni: NodeInfo, pdbs: readonly PodDisruptionBudget[]): { victims: PodInfo[]; numPDBViolations: number; status?: Status } {
    const potential: PodInfo[] = [];
    for (const p of ni.pods.slice()) {
      if (p.priority >= pod.priority) continue;
      potential.push(p);
      ni.removePod(p);
      this.handle.runPreFilterExtensionRemovePod(state, pod, p, ni);
    }
    if (potential.length === 0) return { victims: [], numPDBViolations: 0, status: new Status(Code.UnschedulableAndUnresolvable, [NO_VICTIMS]) };
    const st = this.handle.runFilterPluginsWithNominatedPods(state, pod, ni);
    if (st && !st.isSuccess()) return { victims: [], numPDBViolations: 0, status: st };
    potential.sort(moreImportant);
    const [violatingPods, okPods] = filterPodsWithPDBViolation(potential, pdbs);
    const victims: PodInfo[] = [];
    const reprieve = (p: PodInfo): boolean => {
      ni.addPod(p);
      this.handle.runPreFilterExtensionAddPod(state, pod, p, ni);
      const s = this.handle.runFilterPluginsWithNominatedPods(state, pod, ni);
      if (!s || s.isSuccess()) return true;
      ni.removePod(p);
      this.handle.runPreFilterExtensionRemovePod(state, pod, p, ni);
      victims.push(p);
      return false;
    };
    let numPDBViolations = 0;
    for (const p of violatingPods) if (!reprieve(p)) numPDBViolations++;
    for (const p of okPods) reprieve(p);
    return { victims, numPDBViolations };
  }
}

/**
 * Picks the candidate node (kube's pickOneNodeForPreemption): fewest PDB violations, then the lowest
 * highest-priority victim, then the smallest sum of priorities, then fewest victims, then the node whose
 * most important victims started latest; the first remaining otherwise.
 */
export function pickOneNodeForPreemption(candidates: readonly Candidate[]): Candidate {
  const MAX_INT32 = 2 ** 31 - 1;
  const earliestStartOfHighest = (c: Candidate): number => {
    const top = Math.max(...c.victims.map((v) => v.priority));
    return Math.min(...c.victims.filter((v) => v.priority === top).map(startTime));
  };
  const scoreFuncs: Array<(c: Candidate) => number> = [
    (c) => -c.numPDBViolations,
    (c) => -Math.max(...c.victims.map((v) => v.priority)),
    (c) => -c.victims.reduce((s, v) => s + v.priority + MAX_INT32 + 1, 0),
    (c) => -c.victims.length,
    earliestStartOfHighest,
  ];
  let remaining = [...candidates];
  for (const f of scoreFuncs) {
    if (remaining.length <= 1) break;
    const scores = remaining.map(f);
    const best = Math.max(...scores);
    remaining = remaining.filter((_, i) => scores[i] === best);
  }
  return remaining[0]!;
}
