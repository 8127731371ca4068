/**
 * InterPodAffinity (PreFilter, Filter, PreScore, Score): required pod affinity/anti-affinity of the incoming
 * pod, the required anti-affinity of pods already running (symmetry), and preferred terms of both sides for
 * scoring, all per topology domain (the value of the term's topologyKey label on the node).
 *
 * PreFilter counts matching pods per topology pair once per cycle so Filter is a few map lookups per node.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { ActionType, Code, MAX_NODE_SCORE, Status, type ClusterEventWithHint, type CycleState, type EnqueueExtensions, type FilterPlugin, type Handle, type PreFilterExtensions, type PreFilterPlugin, type PreScorePlugin, type Result, type ScorePlugin, type StateData } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { Reduction } from '../snapshot.js';
import { podInfoOf, type AffinityTerm, type NamespaceLabels, type PodInfo, type WeightedAffinityTerm } from '../pod-info.js';
import type { Pod } from 'kubernetes-types/core/v1.js';

export const NAME = 'InterPodAffinity';
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
// Rejections are shared: a status is never changed after the framework names its plugin.
const REJECT_AFFINITY = new Status(Code.UnschedulableAndUnresolvable, [ERR_REASON_AFFINITY]);
const REJECT_ANTI_AFFINITY = new Status(Code.Unschedulable, [ERR_REASON_ANTI_AFFINITY]);
const REJECT_EXISTING_ANTI_AFFINITY = new Status(Code.Unschedulable, [ERR_REASON_EXISTING_ANTI_AFFINITY]);

/** InterPodAffinityArgs. */
export interface InterPodAffinityArgs {
  hardPodAffinityWeight?: number;
  ignorePreferredTermsOfExistingPods?: boolean;
}

/** [topologyKey, value, count] */
type Triple = [string, string, number];

/** Counts by topology key, then value. */
export class TopologyCounts {
  readonly m = new Map<string, Map<string, number>>();
  size = 0;

  update(node: Node, key: string, delta: number): void {
    const v = node.metadata?.labels?.[key];
    if (v !== undefined) this.add(key, v, delta);
  }

  add(key: string, v: string, delta: number): void {
    let byValue = this.m.get(key);
    if (!byValue) this.m.set(key, (byValue = new Map()));
    const n = (byValue.get(v) ?? 0) + delta;
    if (n === 0) {
      if (byValue.delete(v)) this.size--;
    } else {
      if (!byValue.has(v)) this.size++;
      byValue.set(v, n);
    }
  }

  get(key: string, value: string): number {
    return this.m.get(key)?.get(value) ?? 0;
  }

  clone(): TopologyCounts {
    const c = new TopologyCounts();
    for (const [k, vs] of this.m) c.m.set(k, new Map(vs));
    c.size = this.size;
    return c;
  }
}

const EMPTY_COUNTS = new TopologyCounts();

function matchesAll(terms: readonly AffinityTerm[], pod: PodInfo, ns?: NamespaceLabels): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!t.matches(pod, ns)) return false;
  return true;
}

class PreFilterState implements StateData {
  /** Per topology key, the counts by value: resolved once so Filter does one lookup per node and key. */
  existingByKey: Array<[string, Map<string, number>]> = [];
  antiByTerm: Array<[string, Map<string, number>]> = [];

  constructor(
    readonly pod: PodInfo,
    readonly existingAntiAffinity: TopologyCounts,
    readonly affinity: TopologyCounts,
    readonly antiAffinity: TopologyCounts,
    readonly ns: NamespaceLabels | undefined,
  ) {
    this.resolve();
  }

  private resolve(): void {
    this.existingByKey = this.existingAntiAffinity.size > 0 ? [...this.existingAntiAffinity.m] : [];
    this.antiByTerm = [];
    if (this.antiAffinity.size > 0) {
      for (const t of this.pod.requiredAntiAffinityTerms) {
        const m = this.antiAffinity.m.get(t.topologyKey);
        if (m) this.antiByTerm.push([t.topologyKey, m]);
      }
    }
  }

  /** Adds (delta 1) or removes (-1) an existing pod on a node, as kube's updateWithPod. */
  updateWithPod(other: PodInfo, node: Node, delta: number): void {
    for (const t of other.requiredAntiAffinityTerms) if (t.matches(this.pod, this.ns)) this.existingAntiAffinity.update(node, t.topologyKey, delta);
    if (matchesAll(this.pod.requiredAffinityTerms, other)) for (const t of this.pod.requiredAffinityTerms) this.affinity.update(node, t.topologyKey, delta);
    for (const t of this.pod.requiredAntiAffinityTerms) if (t.matches(other)) this.antiAffinity.update(node, t.topologyKey, delta);
    this.resolve();
  }

  clone(): StateData {
    return new PreFilterState(this.pod, this.existingAntiAffinity.clone(), this.affinity.clone(), this.antiAffinity.clone(), this.ns);
  }
}

class PreScoreState implements StateData {
  constructor(readonly scores: Map<string, Map<string, number>>) {}
  clone(): StateData {
    return this;
  }
}

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

/** Enforces and scores inter-pod (anti-)affinity. */
export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;
  private readonly hardWeight: number;
  private lastState: CycleState | undefined;
  private lastData: PreFilterState | undefined;
  private readonly ignoreExisting: boolean;

  constructor(args: InterPodAffinityArgs, private readonly handle: Handle) {
    this.hardWeight = args.hardPodAffinityWeight ?? 1;
    this.ignoreExisting = args.ignorePreferredTermsOfExistingPods ?? false;
  }

  private nsLabels(): NamespaceLabels | undefined {
    const f = this.handle.listers.namespaceLabels;
    return f ? (ns) => f.call(this.handle.listers, ns) : undefined;
  }

  preFilter(state: CycleState, pod: PodInfo): { status?: Status } | undefined {
    const snapshot = this.handle.snapshot();
    const ns = this.nsLabels();
    const reduce = <C, A>(key: string, r: Reduction<C, A>): A => {
      // With namespace selectors the counts also depend on namespace labels, which the snapshot does not track.
      if (ns === undefined) return snapshot.reduce(key, r);
      const agg = r.init();
      for (const ni of snapshot.nodeInfoList) {
        const c = r.contribution(ni);
        if (c !== undefined) r.apply(agg, c, 1);
      }
      return agg;
    };
    const existing = snapshot.havePodsWithRequiredAntiAffinityList.length === 0 ? EMPTY_COUNTS : reduce<Triple[], TopologyCounts>(`ipa-existing\0${pod.selectionKey}`, {
      init: () => new TopologyCounts(),
      contribution: (ni) => {
        if (ni.podsWithRequiredAntiAffinity.length === 0) return undefined;
        const out: Triple[] = [];
        const labels = ni.node?.metadata?.labels ?? {};
        for (const other of ni.podsWithRequiredAntiAffinity) {
          for (const t of other.requiredAntiAffinityTerms) {
            const v = labels[t.topologyKey];
            if (v !== undefined && t.matches(pod, ns)) out.push([t.topologyKey, v, 1]);
          }
        }
        return out.length > 0 ? out : undefined;
      },
      apply: (agg, c, sign) => {
        for (const [k, v, n] of c) agg.add(k, v, n * sign);
      },
    });
    const aff = pod.requiredAffinityTerms;
    const antiTerms = pod.requiredAntiAffinityTerms;
    let affinity = EMPTY_COUNTS;
    let anti = EMPTY_COUNTS;
    if (aff.length === 0 && antiTerms.length === 0) {
      if (existing.size === 0) return { status: new Status(Code.Skip) };
    } else {
      const key = `ipa-incoming\0${JSON.stringify([aff.map((t) => [t.key, t.topologyKey]), antiTerms.map((t) => [t.key, t.topologyKey])])}`;
      const agg = reduce<{ aff: Triple[]; anti: Triple[] }, { affinity: TopologyCounts; anti: TopologyCounts }>(key, {
        init: () => ({ affinity: new TopologyCounts(), anti: new TopologyCounts() }),
        contribution: (ni) => {
          if (ni.pods.length === 0) return undefined;
          const labels = ni.node?.metadata?.labels ?? {};
          let affCount = 0;
          const antiCounts = new Array<number>(antiTerms.length).fill(0);
          for (const other of ni.pods) {
            if (aff.length > 0 && matchesAll(aff, other, ns)) affCount++;
            for (let i = 0; i < antiTerms.length; i++) if (antiTerms[i]!.matches(other, ns)) antiCounts[i]!++;
          }
          const c = { aff: [] as Triple[], anti: [] as Triple[] };
          if (affCount > 0) for (const t of aff) if (labels[t.topologyKey] !== undefined) c.aff.push([t.topologyKey, labels[t.topologyKey]!, affCount]);
          antiTerms.forEach((t, i) => {
            if (antiCounts[i]! > 0 && labels[t.topologyKey] !== undefined) c.anti.push([t.topologyKey, labels[t.topologyKey]!, antiCounts[i]!]);
          });
          return c.aff.length + c.anti.length > 0 ? c : undefined;
        },
        apply: (a, c, sign) => {
          for (const [k, v, n] of c.aff) a.affinity.add(k, v, n * sign);
          for (const [k, v, n] of c.anti) a.anti.add(k, v, n * sign);
        },
      });
      affinity = agg.affinity;
      anti = agg.anti;
    }
    // The counts are shared with the snapshot's cache: the state clones them before any change.
    state.write(PRE_FILTER_KEY, new PreFilterState(pod, existing, affinity, anti, ns));
    return undefined;
  }

  preFilterExtensions(): PreFilterExtensions {
    const update = (state: CycleState, other: PodInfo, node: NodeInfo, delta: number): Result => {
      const s = state.read<PreFilterState>(PRE_FILTER_KEY);
      if (s && node.node) s.updateWithPod(other, node.node, delta);
      return undefined;
    };
    return {
      addPod: (state, _pod, toAdd, node) => update(state, toAdd, node, 1),
      removePod: (state, _pod, toRemove, node) => update(state, toRemove, node, -1),
    };
  }

  filter(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): Result {
    // Filter runs for every node of a cycle with the same state: remember its data between calls.
    if (state !== this.lastState) {
      this.lastState = state;
      this.lastData = state.read<PreFilterState>(PRE_FILTER_KEY);
    }
    const s = this.lastData;
    if (!s) return undefined;
    const labels = nodeInfo.node?.metadata?.labels ?? {};
    if (pod.requiredAffinityTerms.length > 0 && !this.satisfiesAffinity(s, pod, labels)) return REJECT_AFFINITY;
    for (let i = 0; i < s.antiByTerm.length; i++) {
      const [key, byValue] = s.antiByTerm[i]!;
      const v = labels[key];
      if (v !== undefined && (byValue.get(v) ?? 0) > 0) return REJECT_ANTI_AFFINITY;
    }
    for (let i = 0; i < s.existingByKey.length; i++) {
      const [key, byValue] = s.existingByKey[i]!;
      const v = labels[key];
      if (v !== undefined && (byValue.get(v) ?? 0) > 0) return REJECT_EXISTING_ANTI_AFFINITY;
    }
    return undefined;
  }

  private satisfiesAffinity(s: PreFilterState, pod: PodInfo, labels: Record<string, string>): boolean {
    let podsExist = true;
    for (const t of pod.requiredAffinityTerms) {
      const v = labels[t.topologyKey];
      // The node must have every topology label the terms name.
      if (v === undefined) return false;
      if (s.affinity.get(t.topologyKey, v) <= 0) podsExist = false;
    }
    if (podsExist) return true;
    // The first pod of a group with affinity to itself may go anywhere that has the topology labels, or it
    // would wait forever for a peer that can never come.
    return s.affinity.size === 0 && matchesAll(pod.requiredAffinityTerms, pod, s.ns);
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Result {
    if (nodes.length === 0) return new Status(Code.Skip);
    const hasConstraints = pod.preferredAffinityTerms.length > 0 || pod.preferredAntiAffinityTerms.length > 0;
    if (this.ignoreExisting && !hasConstraints) return new Status(Code.Skip);
    const snapshot = this.handle.snapshot();
    if (!hasConstraints && snapshot.havePodsWithAffinityList.length === 0) return new Status(Code.Skip);
    const ns = this.nsLabels();
    const hard = this.hardWeight;
    // Unless the pod has preferred terms itself, only pods with affinity terms can contribute.
    const r: Reduction<Triple[], TopologyCounts> = {
      init: () => new TopologyCounts(),
      contribution: (ni) => {
        const labels = ni.node?.metadata?.labels;
        const pods = hasConstraints ? ni.pods : ni.podsWithAffinity;
        if (!labels || pods.length === 0) return undefined;
        const out: Triple[] = [];
        const add = (key: string, w: number): void => {
          const v = labels[key];
          if (v !== undefined && w !== 0) out.push([key, v, w]);
        };
        const terms = (list: readonly WeightedAffinityTerm[], target: PodInfo, sign: number, nsl?: NamespaceLabels): void => {
          for (const { term, weight } of list) if (term.matches(target, nsl)) add(term.topologyKey, weight * sign);
        };
        for (const existing of pods) {
          terms(pod.preferredAffinityTerms, existing, 1);
          terms(pod.preferredAntiAffinityTerms, existing, -1);
          if (hard > 0) for (const t of existing.requiredAffinityTerms) if (t.matches(pod, ns)) add(t.topologyKey, hard);
          terms(existing.preferredAffinityTerms, pod, 1, ns);
          terms(existing.preferredAntiAffinityTerms, pod, -1, ns);
        }
        return out.length > 0 ? out : undefined;
      },
      apply: (agg, c, sign) => {
        for (const [k, v, w] of c) agg.add(k, v, w * sign);
      },
    };
    let scores: TopologyCounts;
    if (ns !== undefined) {
      scores = r.init();
      for (const ni of hasConstraints ? snapshot.nodeInfoList : snapshot.havePodsWithAffinityList) {
        const c = r.contribution(ni);
        if (c) r.apply(scores, c, 1);
      }
    } else {
      const terms = (l: readonly WeightedAffinityTerm[]) => l.map((t) => [t.term.key, t.term.topologyKey, t.weight]);
      const key = `ipa-score\0${pod.selectionKey}\0${hasConstraints ? JSON.stringify([terms(pod.preferredAffinityTerms), terms(pod.preferredAntiAffinityTerms)]) : ''}`;
      scores = snapshot.reduce(key, r);
    }
    if (scores.size === 0) return new Status(Code.Skip);
    state.write(PRE_SCORE_KEY, new PreScoreState(scores.m));
    return undefined;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    const labels = node.node?.metadata?.labels;
    if (!s || !labels) return 0;
    let score = 0;
    for (const [key, byValue] of s.scores) {
      const v = labels[key];
      if (v !== undefined) score += byValue.get(v) ?? 0;
    }
    return score;
  }

  normalizeScore(state: CycleState, _pod: PodInfo, scores: Float64Array): void {
    if (!state.read<PreScoreState>(PRE_SCORE_KEY)) return;
    let min = Infinity;
    let max = -Infinity;
    for (const s of scores) {
      if (s < min) min = s;
      if (s > max) max = s;
    }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (scores[i]! - min)) / diff) : 0;
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      { event: { resource: 'Pod', action: ActionType.All, label: 'AssignedPod' }, hint: podChangeHint },
      { event: { resource: 'Node', action: ActionType.Add | ActionType.UpdateNodeLabel, label: 'Node' } },
    ];
  }
}

/**
 * Whether an assigned pod's change may make a pod rejected by this plugin schedulable: a new or relabelled pod
 * its affinity terms select, or a deleted pod its anti-affinity selected or whose anti-affinity selected it.
 */
function podChangeHint(pod: PodInfo, oldObj: unknown, newObj: unknown): 'Queue' | 'QueueSkip' {
  if (newObj) {
    const added = podInfoOf(newObj as Pod);
    return pod.requiredAffinityTerms.some((t) => t.matches(added)) || pod.preferredAffinityTerms.length > 0 ? 'Queue' : 'QueueSkip';
  }
  if (!oldObj) return 'Queue';
  const deleted = podInfoOf(oldObj as Pod);
  if (pod.requiredAntiAffinityTerms.some((t) => t.matches(deleted))) return 'Queue';
  return deleted.requiredAntiAffinityTerms.some((t) => t.matches(pod)) ? 'Queue' : 'QueueSkip';
}
