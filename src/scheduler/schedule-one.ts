/**
 * The scheduling algorithm of one cycle (kube's schedule_one.go schedulePod): PreFilter, Filter over nodes
 * from a rotating start index until enough feasible nodes are found (percentageOfNodesToScore), PreScore and
 * Score of those, and a random choice among the best.
 */
import { Code, Status, type CycleState } from './framework.js';
import { FitError, type Diagnosis } from './fit-error.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import type { Framework } from './runtime.js';
import type { Snapshot } from './snapshot.js';

/** kube's minFeasibleNodesToFind: below this many nodes, all are evaluated. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** kube's minFeasibleNodesPercentageToFind. */
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** ErrNoNodesAvailable's message. */
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/**
 * How many feasible nodes to look for (kube's numFeasibleNodesToFind): all below 100 nodes; else the
 * configured percentage, or adaptively 50% - nodes/125 (at least 5%), and never fewer than 100.
 */
export function numFeasibleNodesToFind(percentage: number | undefined, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage ?? 0;
  if (pct === 0) pct = Math.max(50 - Math.trunc(numAllNodes / 125), MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
  const n = Math.trunc((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

/** A successful placement. */
export interface ScheduleResult {
  suggestedHost: string;
  evaluatedNodes: number;
  feasibleNodes: number;
}

/** Per-scheduler algorithm state: where the next cycle starts its node walk. */
export class Algorithm {
  nextStartNodeIndex = 0;
  /** Scratch lists of one cycle's rejected nodes, reused across cycles. */
  private readonly rejectedNodes: NodeInfo[] = [];
  private readonly rejectedStatuses: Status[] = [];
  private lastRejected = 0;

  constructor(
    private readonly snapshot: Snapshot,
    private readonly percentageOfNodesToScore: number | undefined,
    private readonly random: () => number = Math.random,
  ) {}

  /** Finds the node for a pod, or throws FitError (rejected) / Error (internal problem). */
  schedulePod(fwk: Framework, state: CycleState, pod: PodInfo): ScheduleResult {
    if (this.snapshot.numNodes() === 0) throw new Error(NO_NODES_AVAILABLE);
    const { feasible, diagnosis } = this.findNodesThatFitPod(fwk, state, pod);
    if (feasible.length === 0) throw new FitError(this.snapshot.numNodes(), diagnosis);
    const evaluatedNodes = feasible.length + this.lastRejected;
    if (feasible.length === 1) return { suggestedHost: feasible[0]!.name, evaluatedNodes, feasibleNodes: 1 };
    const scores = this.prioritizeNodes(fwk, state, pod, feasible);
    return { suggestedHost: this.selectHost(scores, feasible), evaluatedNodes, feasibleNodes: feasible.length };
  }

  findNodesThatFitPod(fwk: Framework, state: CycleState, pod: PodInfo): { feasible: NodeInfo[]; diagnosis: Diagnosis } {
    const diagnosis: Diagnosis = { nodeToStatus: new Map(), unschedulablePlugins: new Set() };
    this.lastRejected = 0;
    const all = this.snapshot.list();
    const { result, status } = fwk.runPreFilterPlugins(state, pod);
    if (status && !status.isSuccess()) {
      if (!status.isRejected()) throw status.error ?? new Error(status.message());
      // Every node is rejected the same way; the message names the PreFilter reason once.
      for (const ni of all) diagnosis.nodeToStatus.set(ni.name, status);
      diagnosis.preFilterMsg = status.message();
      if (status.plugin) diagnosis.unschedulablePlugins.add(status.plugin);
      return { feasible: [], diagnosis };
    }
    // A nominated node (from an earlier preemption) is tried first: its victims were evicted for this pod.
    const nominated = pod.pod.status?.nominatedNodeName;
    if (nominated) {
      const ni = this.snapshot.get(nominated);
      if (ni && (!result?.nodeNames || result.nodeNames.has(nominated)) && !fwk.runFilterPluginsWithNominatedPods(state, pod, ni)) return { feasible: [ni], diagnosis };
    }
    let nodes: readonly NodeInfo[] = all;
    if (result?.nodeNames) {
      const names = result.nodeNames;
      nodes = all.filter((ni) => names.has(ni.name));
      // Recorded as unresolvable so preemption does not consider them either (kube's wording).
      const excluded = new Status(Code.UnschedulableAndUnresolvable, ['node is filtered out by the prefilter result']);
      for (const ni of all) if (!names.has(ni.name)) diagnosis.nodeToStatus.set(ni.name, excluded);
    }
    return { feasible: this.findNodesThatPassFilters(fwk, state, pod, diagnosis, nodes), diagnosis };
  }

  private findNodesThatPassFilters(fwk: Framework, state: CycleState, pod: PodInfo, diagnosis: Diagnosis, nodes: readonly NodeInfo[]): NodeInfo[] {
    const n = nodes.length;
    if (n === 0) return [];
    const want = numFeasibleNodesToFind(fwk.percentageOfNodesToScore ?? this.percentageOfNodesToScore, n);
    const start = this.nextStartNodeIndex % n;
    const feasible: NodeInfo[] = [];
    const filters = fwk.activeFilters(state);
    const nominator = fwk.nominator?.hasNominatedPods() ? fwk.nominator : undefined;
    const rejected = this.rejectedNodes;
    const statuses = this.rejectedStatuses;
    let i = 0;
    for (; i < n && feasible.length < want; i++) {
      const ni = nodes[(start + i) % n]!;
      const s = nominator && nominator.nominatedPodsForNode(ni.name).length > 0 ? fwk.runFilterPluginsWithNominatedPods(state, pod, ni) : fwk.runFilterPlugins(state, pod, ni, filters);
      if (!s) {
        feasible.push(ni);
        continue;
      }
      if (!s.isRejected()) throw s.error ?? new Error(s.message());
      rejected.push(ni);
      statuses.push(s);
    }
    // The next cycle starts where this one stopped, so every node gets its turn to be considered.
    this.nextStartNodeIndex = (start + i) % n;
    this.lastRejected = rejected.length;
    // The per-node statuses only matter when nothing fits; building the map for every cycle would cost a
    // map entry per rejected node on busy clusters.
    if (feasible.length === 0) {
      for (let j = 0; j < rejected.length; j++) {
        diagnosis.nodeToStatus.set(rejected[j]!.name, statuses[j]!);
        diagnosis.unschedulablePlugins.add(statuses[j]!.plugin);
      }
    }
    rejected.length = 0;
    statuses.length = 0;
    return feasible;
  }

  private prioritizeNodes(fwk: Framework, state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Float64Array {
    if (fwk.score.length === 0) return new Float64Array(nodes.length).fill(1);
    const s = fwk.runPreScorePlugins(state, pod, nodes);
    if (s && !s.isSuccess()) throw s.error ?? new Error(s.message());
    return fwk.runScorePlugins(state, pod, nodes);
  }

  /** The highest score; ties broken uniformly at random (reservoir sampling, as kube). */
  selectHost(scores: Float64Array, nodes: readonly NodeInfo[]): string {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < nodes.length; i++) {
      const s = scores[i]!;
      if (s > scores[best]!) {
        best = i;
        ties = 1;
      } else if (s === scores[best]!) {
        ties++;
        if (Math.floor(this.random() * ties) === 0) best = i;
      }
    }
    return nodes[best]!.name;
  }
}

