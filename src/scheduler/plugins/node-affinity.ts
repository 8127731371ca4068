/**
 * NodeAffinity (PreFilter, Filter, PreScore, Score): spec.nodeSelector and required node affinity must match
 * the node; preferred terms add their weights to the node's score. Args may add a scheduler-enforced
 * affinity every pod of the profile must also match.
 */
import type { NodeAffinity as V1NodeAffinity, NodeSelectorTerm, PreferredSchedulingTerm } from 'kubernetes-types/core/v1.js';
import { ActionType, Code, Status, type ClusterEventWithHint, type CycleState, type EnqueueExtensions, type FilterPlugin, type PreFilterPlugin, type PreFilterResult, type PreScorePlugin, type Result, type ScorePlugin, type StateData } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { nodeSelectorMatches, nodeSelectorTermMatches, RequiredNodeAffinity } from '../selectors.js';
import { defaultNormalizeScore } from './helper.js';

export const NAME = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
// Rejections are shared: a status is never changed after the framework names its plugin.
const REJECT_ENFORCED = new Status(Code.UnschedulableAndUnresolvable, [ERR_REASON_ENFORCED]);
const REJECT_POD = new Status(Code.UnschedulableAndUnresolvable, [ERR_REASON_POD]);

/** NodeAffinityArgs. */
export interface NodeAffinityArgs {
  addedAffinity?: V1NodeAffinity;
}

class PreFilterState implements StateData {
  constructor(readonly required: RequiredNodeAffinity) {}
  clone(): StateData {
    return this;
  }
}

class PreScoreState implements StateData {
  constructor(readonly preferred: readonly PreferredSchedulingTerm[]) {}
  clone(): StateData {
    return this;
  }
}

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

/** The node names a required term restricts to with `matchFields: metadata.name In [...]`, if it does. */
function termNodeNames(term: NodeSelectorTerm): Set<string> | undefined {
  let names: Set<string> | undefined;
  for (const f of term.matchFields ?? []) {
    if (f.key !== 'metadata.name' || f.operator !== 'In') continue;
    const these = new Set(f.values ?? []);
    names = names ? new Set([...names].filter((n) => these.has(n))) : these;
  }
  return names;
}

/** Matches nodes against the pod's node selector and node affinity. */
export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;
  private readonly added: V1NodeAffinity | undefined;

  constructor(args: NodeAffinityArgs = {}) {
    this.added = args.addedAffinity;
  }

  preFilter(state: CycleState, pod: PodInfo): { result?: PreFilterResult; status?: Status } | undefined {
    const required = new RequiredNodeAffinity(pod.pod);
    if (!required.restricts && !this.added?.requiredDuringSchedulingIgnoredDuringExecution) return { status: new Status(Code.Skip) };
    state.write(PRE_FILTER_KEY, new PreFilterState(required));
    const terms = pod.pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    if (terms.length === 0) return undefined;
    // Terms are ORed: the pod is limited to named nodes only if every term names its nodes.
    const union = new Set<string>();
    for (const t of terms) {
      const names = termNodeNames(t);
      if (!names) return undefined;
      for (const n of names) union.add(n);
    }
    return { result: { nodeNames: union } };
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    const n = node.node!;
    const added = this.added?.requiredDuringSchedulingIgnoredDuringExecution;
    if (added && !nodeSelectorMatches(added, n)) return REJECT_ENFORCED;
    const required = state.read<PreFilterState>(PRE_FILTER_KEY)?.required ?? new RequiredNodeAffinity(pod.pod);
    return required.match(n) ? undefined : REJECT_POD;
  }

  preScore(state: CycleState, pod: PodInfo): Result {
    const preferred = [...(pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []), ...(this.added?.preferredDuringSchedulingIgnoredDuringExecution ?? [])];
    if (preferred.length === 0) return new Status(Code.Skip);
    state.write(PRE_SCORE_KEY, new PreScoreState(preferred));
    return undefined;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const preferred = state.read<PreScoreState>(PRE_SCORE_KEY)?.preferred ?? pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    let score = 0;
    for (const t of preferred) if (t.weight !== 0 && nodeSelectorTermMatches(t.preference, node.node!)) score += t.weight;
    return score;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: Float64Array): void {
    defaultNormalizeScore(scores, false);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [{ event: { resource: 'Node', action: ActionType.Add | ActionType.UpdateNodeLabel, label: 'Node' } }];
  }
}
