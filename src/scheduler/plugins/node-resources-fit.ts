/**
 * NodeResourcesFit (PreFilter, Filter, Score): the pod's requests (containers, init containers, sidecars and
 * overhead) must fit in the node's allocatable minus what its pods request; scoring by the configured
 * strategy: LeastAllocated (default, spreads), MostAllocated (packs) or RequestedToCapacityRatio (a shape).
 */
import { ActionType, Code, MAX_NODE_SCORE, Status, type ClusterEventWithHint, type CycleState, type EnqueueExtensions, type FilterPlugin, type PreFilterPlugin, type Result, type ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { isScalarResourceName, type Resource } from '../resources.js';
import { ASSIGNED_POD_DELETE } from './helper.js';

export const NAME = 'NodeResourcesFit';

/** A resource and its weight in scoring. */
export interface ResourceSpec {
  name: string;
  weight: number;
}

/** One point of the RequestedToCapacityRatio shape: utilization 0-100 maps to score 0-10. */
export interface UtilizationShapePoint {
  utilization: number;
  score: number;
}

/** NodeResourcesFitArgs of kubescheduler.config.k8s.io/v1. */
export interface NodeResourcesFitArgs {
  ignoredResources?: string[];
  ignoredResourceGroups?: string[];
  scoringStrategy?: {
    type?: 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';
    resources?: ResourceSpec[];
    requestedToCapacityRatio?: { shape?: UtilizationShapePoint[] };
  };
}

export const DEFAULT_RESOURCES: ResourceSpec[] = [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }];

/** kube's leastRequestedScore: the share of the node left free, 0-100. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** kube's mostRequestedScore: the share of the node used, 0-100 (requests over capacity count as full). */
export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  if (requested > capacity) requested = capacity;
  return Math.trunc((requested * MAX_NODE_SCORE) / capacity);
}

/** kube's BuildBrokenLinearFunction over a shape already scaled to 0-100 scores. */
export function brokenLinear(shape: readonly UtilizationShapePoint[]): (p: number) => number {
  return (p) => {
    for (let i = 0; i < shape.length; i++) {
      if (p <= shape[i]!.utilization) {
        if (i === 0) return shape[0]!.score;
        const a = shape[i - 1]!;
        const b = shape[i]!;
        return a.score + Math.trunc(((b.score - a.score) * (p - a.utilization)) / (b.utilization - a.utilization));
      }
    }
    return shape[shape.length - 1]!.score;
  };
}

/** The node's allocatable and what would be requested with the pod on it, for one resource; [0, 0] skips it. */
export function allocatableAndRequested(node: NodeInfo, pod: PodInfo, name: string, useRequested: boolean): [number, number] {
  const nodeReq: Resource = useRequested ? node.requested : node.nonZeroRequested;
  const podReq: Resource = useRequested ? pod.requests : pod.nonZeroRequests;
  if (name === 'cpu') return [node.allocatable.milliCPU, nodeReq.milliCPU + podReq.milliCPU];
  if (name === 'memory') return [node.allocatable.memory, nodeReq.memory + podReq.memory];
  const want = pod.requests.get(name);
  // An extended resource the pod does not ask for does not count toward its score on any node.
  if (want === 0 && isScalarResourceName(name)) return [0, 0];
  return [node.allocatable.get(name), node.requested.get(name) + want];
}

type Scorer = (node: NodeInfo, pod: PodInfo) => number;

function buildScorer(args: NodeResourcesFitArgs): Scorer {
  const strategy = args.scoringStrategy?.type ?? 'LeastAllocated';
  const resources = args.scoringStrategy?.resources ?? DEFAULT_RESOURCES;
  if (strategy === 'RequestedToCapacityRatio') {
    const shape = (args.scoringStrategy?.requestedToCapacityRatio?.shape ?? []).map((p) => ({ utilization: p.utilization, score: p.score * (MAX_NODE_SCORE / 10) }));
    if (shape.length === 0) throw new Error('scoringStrategy.requestedToCapacityRatio.shape: Required value');
    const f = brokenLinear(shape);
    // kube rounds this strategy's weighted mean and truncates the others'.
    return weightedScorer(resources, (req, alloc) => (req > alloc ? f(100) : f(Math.trunc((req * 100) / alloc))), Math.round);
  }
  const one = strategy === 'MostAllocated' ? mostRequestedScore : leastRequestedScore;
  // The default two resources get a loop-free path: this runs for every scored node of every cycle.
  const isDefault = resources.length === 2 && resources[0]!.name === 'cpu' && resources[1]!.name === 'memory';
  if (isDefault) {
    const wc = resources[0]!.weight;
    const wm = resources[1]!.weight;
    return (node, pod) => {
      const a = node.allocatable;
      const r = node.nonZeroRequested;
      const p = pod.nonZeroRequests;
      let total = 0;
      let weights = 0;
      if (a.milliCPU !== 0) (total += one(r.milliCPU + p.milliCPU, a.milliCPU) * wc), (weights += wc);
      if (a.memory !== 0) (total += one(r.memory + p.memory, a.memory) * wm), (weights += wm);
      return weights === 0 ? 0 : Math.trunc(total / weights);
    };
  }
  return weightedScorer(resources, one, Math.trunc);
}

/** The weighted mean over `resources` of `score(requested, allocatable)`, skipping resources the node lacks. */
function weightedScorer(resources: readonly { name: string; weight: number }[], score: (requested: number, allocatable: number) => number, round: (n: number) => number): Scorer {
  return (node, pod) => {
    let total = 0;
    let weights = 0;
    for (const r of resources) {
      const [alloc, req] = allocatableAndRequested(node, pod, r.name, false);
      if (alloc === 0) continue;
      total += score(req, alloc) * r.weight;
      weights += r.weight;
    }
    return weights === 0 ? 0 : round(total / weights);
  };
}

/** Checks and scores resource requests. */
export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;
  private readonly ignored: Set<string>;
  private readonly ignoredGroups: Set<string>;
  private readonly scorer: Scorer;

  constructor(args: NodeResourcesFitArgs = {}) {
    this.ignored = new Set(args.ignoredResources ?? []);
    this.ignoredGroups = new Set(args.ignoredResourceGroups ?? []);
    this.scorer = buildScorer(args);
  }

  preFilter(): undefined {
    // The pod's requests are computed once with its PodInfo; nothing else to prepare.
    return undefined;
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    // The common case (fits, no extended resources) without building a reasons list.
    const a = node.allocatable;
    const u = node.requested;
    const w = pod.requests;
    if (node.pods.length + 1 <= a.allowedPodNumber && !w.scalar && w.milliCPU <= a.milliCPU - u.milliCPU && w.memory <= a.memory - u.memory && w.ephemeralStorage <= a.ephemeralStorage - u.ephemeralStorage) return undefined;
    const reasons = this.insufficient(pod, node);
    return reasons.length === 0 ? undefined : new Status(Code.Unschedulable, reasons);
  }

  /** The reasons (kube's InsufficientResource list) the pod does not fit the node, empty when it fits. */
  insufficient(pod: PodInfo, node: NodeInfo): string[] {
    const reasons: string[] = [];
    const alloc = node.allocatable;
    const used = node.requested;
    if (node.pods.length + 1 > alloc.allowedPodNumber) reasons.push('Too many pods');
    const want = pod.requests;
    if (want.milliCPU === 0 && want.memory === 0 && want.ephemeralStorage === 0 && !want.scalar) return reasons;
    if (want.milliCPU > 0 && want.milliCPU > alloc.milliCPU - used.milliCPU) reasons.push('Insufficient cpu');
    if (want.memory > 0 && want.memory > alloc.memory - used.memory) reasons.push('Insufficient memory');
    if (want.ephemeralStorage > 0 && want.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) reasons.push('Insufficient ephemeral-storage');
    if (want.scalar) {
      for (const [name, v] of want.scalar) {
        if (v === 0 || this.ignored.has(name)) continue;
        const slash = name.indexOf('/');
        if (slash >= 0 && this.ignoredGroups.has(name.slice(0, slash))) continue;
        if (v > alloc.getScalar(name) - used.getScalar(name)) reasons.push(`Insufficient ${name}`);
      }
    }
    return reasons;
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    return this.scorer(node, pod);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      ASSIGNED_POD_DELETE,
      { event: { resource: 'Pod', action: ActionType.UpdatePodScaleDown, label: 'AssignedPodUpdate' } },
      { event: { resource: 'Node', action: ActionType.Add | ActionType.UpdateNodeAllocatable | ActionType.UpdateNodeTaint | ActionType.UpdateNodeLabel, label: 'Node' } },
    ];
  }
}
