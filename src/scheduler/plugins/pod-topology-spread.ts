/**
 * PodTopologySpread (PreFilter, Filter, PreScore, Score): keeps matching pods spread over topology domains.
 * A DoNotSchedule constraint rejects a node when placing the pod there would make its domain exceed the
 * global minimum by more than maxSkew (minDomains treats missing domains as empty); ScheduleAnyway
 * constraints score nodes in less crowded domains higher. Pods without constraints get the cluster defaults.
 */
import { ActionType, Code, MAX_NODE_SCORE, Status, type ClusterEventWithHint, type CycleState, type EnqueueExtensions, type FilterPlugin, type Handle, type PreFilterExtensions, type PreFilterPlugin, type PreScorePlugin, type Result, type ScorePlugin, type StateData } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import type { Reduction } from '../snapshot.js';
import { RequiredNodeAffinity } from '../selectors.js';
import {
  countOnNode, defaultConstraints, LABEL_HOSTNAME, matchesInclusionPolicies, nodeHasAllKeys, podConstraints, SYSTEM_DEFAULT_CONSTRAINTS,
  type Constraint, type DefaultConstraint,
} from './topology-spread-constraints.js';

export const NAME = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = "node(s) didn't match pod topology spread constraints (missing required label)";
// Rejections are shared: a status is never changed after the framework names its plugin.
const REJECT_NODE_LABEL_NOT_MATCH = new Status(Code.UnschedulableAndUnresolvable, [ERR_REASON_NODE_LABEL_NOT_MATCH]);
const REJECT_CONSTRAINTS_NOT_MATCH = new Status(Code.Unschedulable, [ERR_REASON_CONSTRAINTS_NOT_MATCH]);

/** PodTopologySpreadArgs. */
export interface PodTopologySpreadArgs {
  defaultConstraints?: DefaultConstraint[];
  defaultingType?: 'System' | 'List';
}

class PreFilterState implements StateData {
  readonly mins: number[];

  constructor(
    readonly constraints: Constraint[],
    /** Per constraint: matching pods by topology value, over eligible nodes (0 entries count as domains). */
    readonly counts: Map<string, number>[],
    readonly required: RequiredNodeAffinity,
  ) {
    this.mins = constraints.map((_, i) => this.computeMin(i));
  }

  private computeMin(i: number): number {
    const c = this.constraints[i]!;
    const m = this.counts[i]!;
    // Fewer domains than minDomains: the missing ones count as empty, so the minimum is 0.
    if (m.size < c.minDomains) return 0;
    let min = Infinity;
    for (const v of m.values()) if (v < min) min = v;
    return min;
  }

  update(pod: PodInfo, other: PodInfo, node: NodeInfo, delta: number): void {
    const n = node.node;
    if (!n || other.namespace !== pod.namespace || !nodeHasAllKeys(n, this.constraints)) return;
    this.constraints.forEach((c, i) => {
      if (!c.selector(other.labels) || !matchesInclusionPolicies(c, pod, n, this.required)) return;
      const v = n.metadata!.labels![c.topologyKey]!;
      this.counts[i]!.set(v, (this.counts[i]!.get(v) ?? 0) + delta);
      this.mins[i] = this.computeMin(i);
    });
  }

  clone(): StateData {
    return new PreFilterState(this.constraints, this.counts.map((m) => new Map(m)), this.required);
  }
}

/** Matching pods per domain plus how many eligible nodes each domain has (to drop emptied domains). */
interface DomainCounts {
  counts: Map<string, number>;
  nodes: Map<string, number>;
}

class PreScoreState implements StateData {
  constructor(
    readonly constraints: Constraint[],
    readonly ignored: Set<string>,
    readonly pairCounts: (Map<string, number> | undefined)[],
    readonly weights: number[],
  ) {}
  clone(): StateData {
    return this;
  }
}

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

/** Spreads pods over topology domains. */
export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;
  private readonly defaults: DefaultConstraint[];
  private readonly systemDefaulted: boolean;

  constructor(args: PodTopologySpreadArgs, private readonly handle: Handle) {
    this.systemDefaulted = (args.defaultingType ?? 'System') === 'System';
    this.defaults = this.systemDefaulted ? SYSTEM_DEFAULT_CONSTRAINTS : args.defaultConstraints ?? [];
  }

  private constraints(pod: PodInfo, when: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
    if ((pod.pod.spec?.topologySpreadConstraints ?? []).length > 0) return podConstraints(pod, when);
    return defaultConstraints(pod, this.defaults, this.handle.listers, when);
  }

  preFilter(state: CycleState, pod: PodInfo): { status?: Status } | undefined {
    const constraints = this.constraints(pod, 'DoNotSchedule');
    if (constraints.length === 0) return { status: new Status(Code.Skip) };
    const required = new RequiredNodeAffinity(pod.pod);
    const counts = constraints.map((c) => this.domainCounts(pod, c, constraints, required));
    // The counts are shared with the snapshot's cache: the state clones them before any change.
    state.write(PRE_FILTER_KEY, new PreFilterState(constraints, counts, required));
    return undefined;
  }

  /**
   * Matching pods per domain of one constraint over the nodes that count (they have the keys in `requiredKeys`
   * and pass the inclusion policies), domains with only empty nodes included as 0. Kept up to date by the
   * snapshot from the nodes that changed, so a cycle does not walk every pod.
   */
  private domainCounts(pod: PodInfo, c: Constraint, requiredKeys: readonly Constraint[], required: RequiredNodeAffinity): Map<string, number> {
    const snapshot = this.handle.snapshot();
    const r: Reduction<[string, number], DomainCounts> = {
      init: () => ({ counts: new Map(), nodes: new Map() }),
      contribution: (ni) => {
        const node = ni.node!;
        const v = node.metadata?.labels?.[c.topologyKey];
        if (v === undefined || !nodeHasAllKeys(node, requiredKeys) || !matchesInclusionPolicies(c, pod, node, required)) return undefined;
        return [v, countOnNode(ni, c, pod.namespace)];
      },
      apply: (agg, [v, n], sign) => {
        const nodes = (agg.nodes.get(v) ?? 0) + sign;
        if (nodes === 0) {
          agg.nodes.delete(v);
          agg.counts.delete(v);
          return;
        }
        agg.nodes.set(v, nodes);
        agg.counts.set(v, (agg.counts.get(v) ?? 0) + sign * n);
      },
    };
    // Everything the contributions depend on besides the node: what is counted, where, and which nodes count.
    const spec = pod.pod.spec;
    const key = JSON.stringify([
      c.key, c.topologyKey, requiredKeys.map((k) => k.topologyKey), c.nodeAffinityPolicy, c.nodeTaintsPolicy,
      c.nodeAffinityPolicy === 'Honor' ? [spec?.nodeSelector ?? null, spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null] : null,
      c.nodeTaintsPolicy === 'Honor' ? spec?.tolerations ?? null : null,
    ]);
    return snapshot.reduce(`pts\0${key}`, r).counts;
  }

  preFilterExtensions(): PreFilterExtensions {
    return {
      addPod: (state, pod, toAdd, node) => void state.read<PreFilterState>(PRE_FILTER_KEY)?.update(pod, toAdd, node, 1),
      removePod: (state, pod, toRemove, node) => void state.read<PreFilterState>(PRE_FILTER_KEY)?.update(pod, toRemove, node, -1),
    };
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return undefined;
    const labels = node.node?.metadata?.labels ?? {};
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const v = labels[c.topologyKey];
      if (v === undefined) return REJECT_NODE_LABEL_NOT_MATCH;
      const self = c.selector(pod.labels) ? 1 : 0;
      const skew = (s.counts[i]!.get(v) ?? 0) + self - s.mins[i]!;
      if (skew > c.maxSkew) return REJECT_CONSTRAINTS_NOT_MATCH;
    }
    return undefined;
  }

  preScore(state: CycleState, pod: PodInfo, filtered: readonly NodeInfo[]): Result {
    const all = this.handle.snapshot().nodeInfoList;
    if (filtered.length === 0 || all.length === 0) return new Status(Code.Skip);
    const constraints = this.constraints(pod, 'ScheduleAnyway');
    if (constraints.length === 0) return new Status(Code.Skip);
    // System defaults do not require every topology label, so nodes without zones still spread by host.
    const requireAll = (pod.pod.spec?.topologySpreadConstraints ?? []).length > 0 || !this.systemDefaulted;
    const ignored = new Set<string>();
    const pairCounts = constraints.map((c) => (c.topologyKey === LABEL_HOSTNAME ? undefined : new Map<string, number>()));
    for (const ni of filtered) {
      const node = ni.node!;
      if (requireAll && !nodeHasAllKeys(node, constraints)) {
        ignored.add(ni.name);
        continue;
      }
      constraints.forEach((c, i) => {
        const v = node.metadata?.labels?.[c.topologyKey];
        if (v !== undefined && pairCounts[i] && !pairCounts[i]!.has(v)) pairCounts[i]!.set(v, 0);
      });
    }
    const weights = constraints.map((c, i) => Math.log((c.topologyKey === LABEL_HOSTNAME ? filtered.length - ignored.size : pairCounts[i]!.size) + 2));
    const required = new RequiredNodeAffinity(pod.pod);
    constraints.forEach((c, i) => {
      const m = pairCounts[i];
      if (!m) return;
      const counts = this.domainCounts(pod, c, requireAll ? constraints : [c], required);
      for (const v of m.keys()) m.set(v, counts.get(v) ?? 0);
    });
    state.write(PRE_SCORE_KEY, new PreScoreState(constraints, ignored, pairCounts, weights));
    return undefined;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s || s.ignored.has(node.name)) return 0;
    const labels = node.node?.metadata?.labels ?? {};
    let score = 0;
    s.constraints.forEach((c, i) => {
      const v = labels[c.topologyKey];
      if (v === undefined) return;
      const cnt = c.topologyKey === LABEL_HOSTNAME ? countOnNode(node, c, pod.namespace) : s.pairCounts[i]!.get(v) ?? 0;
      score += cnt * s.weights[i]! + (c.maxSkew - 1);
    });
    return Math.round(score);
  }

  normalizeScore(state: CycleState, _pod: PodInfo, scores: Float64Array, nodes: readonly NodeInfo[]): void {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s) return;
    let min = Infinity;
    let max = 0;
    for (let i = 0; i < scores.length; i++) {
      if (s.ignored.has(nodes[i]!.name)) continue;
      if (scores[i]! < min) min = scores[i]!;
      if (scores[i]! > max) max = scores[i]!;
    }
    for (let i = 0; i < scores.length; i++) {
      if (s.ignored.has(nodes[i]!.name)) scores[i] = 0;
      else if (max === 0) scores[i] = MAX_NODE_SCORE;
      else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i]!)) / max);
    }
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      { event: { resource: 'Pod', action: ActionType.All, label: 'AssignedPod' } },
      { event: { resource: 'Node', action: ActionType.Add | ActionType.Delete | ActionType.UpdateNodeLabel | ActionType.UpdateNodeTaint, label: 'Node' } },
      // Default constraints select pods by the Services that select them.
      { event: { resource: 'Service', action: ActionType.All, label: 'Service' } },
    ];
  }
}
