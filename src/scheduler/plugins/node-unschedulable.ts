/**
 * NodeUnschedulable (Filter): nodes with spec.unschedulable (cordoned) reject pods that do not tolerate the
 * node.kubernetes.io/unschedulable:NoSchedule taint.
 */
import type { Taint } from 'kubernetes-types/core/v1.js';
import { ActionType, Code, Status, type ClusterEventWithHint, type CycleState, type EnqueueExtensions, type FilterPlugin, type Result } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { toleratesTaint } from '../selectors.js';
import { nodeEvents } from './helper.js';

export const NAME = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const ERR_REASON_UNKNOWN_CONDITION = 'node(s) had unknown conditions';
// Rejections are shared: a status is never changed after the framework names its plugin.
const REJECT_UNKNOWN_CONDITION = new Status(Code.UnschedulableAndUnresolvable, [ERR_REASON_UNKNOWN_CONDITION]);
const REJECT_UNSCHEDULABLE = new Status(Code.UnschedulableAndUnresolvable, [ERR_REASON_UNSCHEDULABLE]);

const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

/** Keeps pods off cordoned nodes unless they tolerate it. */
export class NodeUnschedulable implements FilterPlugin, EnqueueExtensions {
  readonly name = NAME;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    if (!node.node) return REJECT_UNKNOWN_CONDITION;
    if (!node.node.spec?.unschedulable) return undefined;
    const tolerated = (pod.pod.spec?.tolerations ?? []).some((t) => toleratesTaint(t, UNSCHEDULABLE_TAINT));
    return tolerated ? undefined : REJECT_UNSCHEDULABLE;
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return nodeEvents(ActionType.UpdateNodeTaint | ActionType.UpdateOther);
  }
}
