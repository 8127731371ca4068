/**
 * TaintToleration (Filter, PreScore, Score): NoSchedule and NoExecute taints the pod does not tolerate reject
 * the node; untolerated PreferNoSchedule taints lower its score.
 */
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { ActionType, Code, Status, type ClusterEventWithHint, type CycleState, type EnqueueExtensions, type FilterPlugin, type PreScorePlugin, type Result, type ScorePlugin, type StateData } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { findUntoleratedTaint, toleratesTaint } from '../selectors.js';
import { defaultNormalizeScore } from './helper.js';

export const NAME = 'TaintToleration';

const isHard = (t: Taint): boolean => t.effect === 'NoSchedule' || t.effect === 'NoExecute';

class PreScoreState implements StateData {
  constructor(readonly tolerations: readonly Toleration[]) {}
  clone(): StateData {
    return this;
  }
}
const PRE_SCORE_KEY = `PreScore${NAME}`;
const rejections = new WeakMap<Taint, Status>();

/** The reason kube gives for a taint the pod does not tolerate. */
export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

/** Keeps pods off nodes whose taints they do not tolerate. */
export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    const taints = node.node?.spec?.taints;
    if (!taints || taints.length === 0) return undefined;
    const taint = findUntoleratedTaint(taints, pod.pod.spec?.tolerations, isHard);
    if (!taint) return undefined;
    // One status per taint object (nodes' taints are immutable objects), not per rejected node and pod.
    let s = rejections.get(taint);
    if (!s) rejections.set(taint, (s = new Status(Code.UnschedulableAndUnresolvable, [untoleratedTaintReason(taint)])));
    return s;
  }

  preScore(state: CycleState, pod: PodInfo): Result {
    const tolerations = (pod.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    state.write(PRE_SCORE_KEY, new PreScoreState(tolerations));
    return undefined;
  }

  /** The number of PreferNoSchedule taints the pod does not tolerate. */
  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const taints = node.node?.spec?.taints;
    if (!taints || taints.length === 0) return 0;
    const tolerations = state.read<PreScoreState>(PRE_SCORE_KEY)?.tolerations ?? [];
    let n = 0;
    for (const taint of taints) {
      if (taint.effect !== 'PreferNoSchedule') continue;
      if (!tolerations.some((t) => toleratesTaint(t, taint))) n++;
    }
    return n;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: Float64Array): void {
    defaultNormalizeScore(scores, true);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [{ event: { resource: 'Node', action: ActionType.Add | ActionType.UpdateNodeTaint, label: 'Node' } }];
  }
}
