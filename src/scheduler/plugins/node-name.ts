/**
 * NodeName (Filter): a pod with spec.nodeName fits only that node.
 */
import { ActionType, Code, Status, type ClusterEventWithHint, type CycleState, type EnqueueExtensions, type FilterPlugin, type Result } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { nodeEvents } from './helper.js';

export const NAME = 'NodeName';
export const ERR_REASON = "node(s) didn't match the requested node name";
// Rejections are shared: a status is never changed after the framework names its plugin.
const REJECT = new Status(Code.UnschedulableAndUnresolvable, [ERR_REASON]);

/** Checks spec.nodeName against the node's name. */
export class NodeName implements FilterPlugin, EnqueueExtensions {
  readonly name = NAME;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    const want = pod.pod.spec?.nodeName;
    if (!want || want === node.name) return undefined;
    return REJECT;
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return nodeEvents(ActionType.UpdateOther);
  }
}
