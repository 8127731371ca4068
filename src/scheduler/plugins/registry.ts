/**
 * The in-tree plugin registry: every plugin the scheduler knows, by name, with its factory. Profiles pick
 * from here; out-of-tree plugins can be added by passing an extended map to the Scheduler.
 */
import type { PluginFactory } from '../framework.js';
import { DefaultBinder } from './default-binder.js';
import { DefaultPreemption, type DefaultPreemptionArgs } from './default-preemption.js';
import { ImageLocality } from './image-locality.js';
import { InterPodAffinity, type InterPodAffinityArgs } from './inter-pod-affinity.js';
import { NodeAffinity, type NodeAffinityArgs } from './node-affinity.js';
import { NodeName } from './node-name.js';
import { NodePorts } from './node-ports.js';
import { NodeResourcesBalancedAllocation, type BalancedAllocationArgs } from './node-resources-balanced-allocation.js';
import { NodeResourcesFit, type NodeResourcesFitArgs } from './node-resources-fit.js';
import { NodeUnschedulable } from './node-unschedulable.js';
import { PodTopologySpread, type PodTopologySpreadArgs } from './pod-topology-spread.js';
import { PrioritySort } from './priority-sort.js';
import { SchedulingGates } from './scheduling-gates.js';
import { TaintToleration } from './taint-toleration.js';

/** Plugin args arrive as decoded YAML/JSON; each plugin reads the fields it knows. */
const as = <T>(args: Record<string, unknown> | undefined): T => (args ?? {}) as T;

/** Builds the registry of in-tree plugins. */
export function inTreeRegistry(): Map<string, PluginFactory> {
  return new Map<string, PluginFactory>([
    ['PrioritySort', () => new PrioritySort()],
    ['SchedulingGates', () => new SchedulingGates()],
    ['NodeName', () => new NodeName()],
    ['NodeUnschedulable', () => new NodeUnschedulable()],
    ['NodePorts', () => new NodePorts()],
    ['NodeResourcesFit', (a) => new NodeResourcesFit(as<NodeResourcesFitArgs>(a))],
    ['NodeResourcesBalancedAllocation', (a) => new NodeResourcesBalancedAllocation(as<BalancedAllocationArgs>(a))],
    ['NodeAffinity', (a) => new NodeAffinity(as<NodeAffinityArgs>(a))],
    ['TaintToleration', () => new TaintToleration()],
    ['InterPodAffinity', (a, h) => new InterPodAffinity(as<InterPodAffinityArgs>(a), h)],
    ['PodTopologySpread', (a, h) => new PodTopologySpread(as<PodTopologySpreadArgs>(a), h)],
    ['ImageLocality', (_a, h) => new ImageLocality(h)],
    ['DefaultPreemption', (a, h) => new DefaultPreemption(as<DefaultPreemptionArgs>(a), h)],
    ['DefaultBinder', (_a, h) => new DefaultBinder(h)],
  ]);
}
