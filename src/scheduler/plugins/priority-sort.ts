/**
 * PrioritySort (QueueSort): higher spec.priority first, then the pod queued earlier.
 */
import type { QueuedPodInfo, QueueSortPlugin } from '../framework.js';

export const NAME = 'PrioritySort';

/** Orders the activeQ by priority, then queue timestamp. */
export class PrioritySort implements QueueSortPlugin {
  readonly name = NAME;

  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    const pa = a.podInfo.priority;
    const pb = b.podInfo.priority;
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  }
}
