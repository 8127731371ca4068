/**
 * NodeResourcesBalancedAllocation (Score): favours nodes where, with the pod, CPU and memory (or the configured
 * resources) would be used in similar fractions: score = (1 - standard deviation of the fractions) * 100.
 */
import { Code, MAX_NODE_SCORE, Status, type CycleState, type PreScorePlugin, type Result, type ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { allocatableAndRequested, DEFAULT_RESOURCES, type ResourceSpec } from './node-resources-fit.js';

export const NAME = 'NodeResourcesBalancedAllocation';

/** NodeResourcesBalancedAllocationArgs. */
export interface BalancedAllocationArgs {
  resources?: ResourceSpec[];
}

/** kube's balancedResourceScorer over fractions requested/allocatable (each capped at 1). */
export function balancedScore(fractions: readonly number[]): number {
  let std = 0;
  if (fractions.length === 2) std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  else if (fractions.length > 2) {
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

/** Scores how evenly a node's resources would be used. */
export class NodeResourcesBalancedAllocation implements PreScorePlugin, ScorePlugin {
  readonly name = NAME;
  private readonly resources: ResourceSpec[];
  private readonly isDefault: boolean;

  constructor(args: BalancedAllocationArgs = {}) {
    this.resources = args.resources ?? DEFAULT_RESOURCES;
    this.isDefault = this.resources.length === 2 && this.resources[0]!.name === 'cpu' && this.resources[1]!.name === 'memory';
  }

  /**
   * Best-effort pods (no requests for the scored resources) skip this plugin: every node would look equally
   * balanced with them, and scoring them piles them onto the same nodes (kube #129138).
   */
  preScore(_state: CycleState, pod: PodInfo): Result {
    return this.resources.every((r) => pod.requests.get(r.name) === 0) ? new Status(Code.Skip) : undefined;
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    if (this.isDefault) {
      // Balanced allocation counts actual requests, not the 100m/200Mi defaults (kube's useRequested).
      const a = node.allocatable;
      if (a.milliCPU === 0 || a.memory === 0) return this.general(pod, node);
      const c = Math.min(1, (node.requested.milliCPU + pod.requests.milliCPU) / a.milliCPU);
      const m = Math.min(1, (node.requested.memory + pod.requests.memory) / a.memory);
      return Math.trunc((1 - Math.abs((c - m) / 2)) * MAX_NODE_SCORE);
    }
    return this.general(pod, node);
  }

  private general(pod: PodInfo, node: NodeInfo): number {
    const fractions: number[] = [];
    for (const r of this.resources) {
      const [alloc, req] = allocatableAndRequested(node, pod, r.name, true);
      if (alloc === 0) continue;
      fractions.push(Math.min(1, req / alloc));
    }
    return balancedScore(fractions);
  }
}
