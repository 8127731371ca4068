/**
 * NodePorts (PreFilter, Filter): a pod's hostPorts must be free on the node (same protocol and port, with
 * 0.0.0.0 conflicting with every IP).
 */
import { ActionType, Code, Status, type ClusterEventWithHint, type CycleState, type EnqueueExtensions, type FilterPlugin, type PreFilterPlugin, type Result } from '../framework.js';
import { portsConflict, type NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { ASSIGNED_POD_DELETE, nodeEvents } from './helper.js';

export const NAME = 'NodePorts';
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";
// Rejections are shared: a status is never changed after the framework names its plugin.
const REJECT = new Status(Code.Unschedulable, [ERR_REASON]);

/** Rejects nodes where a wanted host port is taken. */
export class NodePorts implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  readonly name = NAME;

  preFilter(_state: CycleState, pod: PodInfo): { status?: Status } | undefined {
    // Pods without host ports (nearly all) skip the filter entirely.
    return pod.hostPorts.length === 0 ? { status: new Status(Code.Skip) } : undefined;
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    for (const p of pod.hostPorts) if (portsConflict(node.usedPorts, p)) return REJECT;
    return undefined;
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [ASSIGNED_POD_DELETE, ...nodeEvents(ActionType.UpdateOther)];
  }
}
