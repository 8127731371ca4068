/**
 * SchedulingGates (PreEnqueue): a pod with spec.schedulingGates stays out of the activeQ until they are removed.
 */
import { ActionType, Code, Status, type ClusterEventWithHint, type EnqueueExtensions, type PreEnqueuePlugin, type Result } from '../framework.js';
import type { PodInfo } from '../pod-info.js';

export const NAME = 'SchedulingGates';

/** Holds gated pods back from scheduling. */
export class SchedulingGates implements PreEnqueuePlugin, EnqueueExtensions {
  readonly name = NAME;

  preEnqueue(pod: PodInfo): Result {
    const gates = pod.pod.spec?.schedulingGates ?? [];
    if (gates.length === 0) return undefined;
    return new Status(Code.UnschedulableAndUnresolvable, [`waiting for scheduling gates: [${gates.map((g) => g.name).join(' ')}]`]);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    // The gated pod's own update is handled by the queue (it re-runs PreEnqueue on every update of the pod).
    return [{ event: { resource: 'Pod', action: ActionType.UpdateOther, label: 'PodUpdate' }, hint: () => 'QueueSkip' }];
  }
}
