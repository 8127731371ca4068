/**
 * Helpers shared by plugins: kube's DefaultNormalizeScore and event sets.
 */
import { ActionType, MAX_NODE_SCORE, type ClusterEventWithHint } from '../framework.js';

/**
 * Scales scores so the highest becomes maxPriority (integer division, as kube); with reverse, the highest
 * becomes 0. All-zero scores stay 0, or become maxPriority with reverse.
 */
export function defaultNormalizeScore(scores: Float64Array, reverse: boolean, maxPriority = MAX_NODE_SCORE): void {
  let max = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
  if (max === 0) {
    if (reverse) scores.fill(maxPriority);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.trunc((maxPriority * scores[i]!) / max);
    scores[i] = reverse ? maxPriority - s : s;
  }
}

/** Node added or changed in the given ways. */
export function nodeEvents(update: number): ClusterEventWithHint[] {
  return [{ event: { resource: 'Node', action: ActionType.Add | update, label: 'Node' } }];
}

/** An assigned pod deleted (its resources/ports/terms freed). */
export const ASSIGNED_POD_DELETE: ClusterEventWithHint = { event: { resource: 'Pod', action: ActionType.Delete, label: 'AssignedPodDelete' } };
