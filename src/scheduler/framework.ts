/**
 * The scheduling framework's vocabulary, as kube's pkg/scheduler/framework: status codes, cycle state, the
 * extension points as one small interface each, cluster events for requeueing, and the Handle through which
 * plugins see the cluster. A plugin implements any subset of the extension-point interfaces.
 */
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import type { Labels } from './selectors.js';
import type { Snapshot } from './snapshot.js';

/** What an extension point says about a pod (kube's framework.Code). */
export enum Code {
  Success = 0,
  Error = 1,
  /** The pod does not fit now; preemption or a cluster change may help. */
  Unschedulable = 2,
  /** The pod does not fit and preemption cannot help (e.g. a node selector mismatch). */
  UnschedulableAndUnresolvable = 3,
  /** A Permit plugin holds the pod. */
  Wait = 4,
  /** PreFilter/PreScore: this plugin has nothing to do for the pod; its Filter/Score is skipped. */
  Skip = 5,
  Pending = 6,
}

/** The outcome of one plugin call. Plugins return undefined for success, so the hot paths allocate nothing. */
export class Status {
  /** The plugin that produced this status, filled in by the framework. */
  plugin = '';
  constructor(
    readonly code: Code,
    readonly reasons: readonly string[] = [],
    /** The cause, for Code.Error. */
    readonly error?: Error,
  ) {}

  /** The reasons joined by ", ", as kube's Status.Message. */
  message(): string {
    return this.reasons.join(', ');
  }

  isSuccess(): boolean {
    return this.code === Code.Success;
  }

  /** Unschedulable, UnschedulableAndUnresolvable or Pending: the pod was rejected rather than failed. */
  isRejected(): boolean {
    return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable || this.code === Code.Pending;
  }

  withPlugin(name: string): this {
    this.plugin = name;
    return this;
  }
}

/** A status from an error (kube's framework.AsStatus). */
export function asStatus(err: unknown): Status {
  const e = err instanceof Error ? err : new Error(String(err));
  return new Status(Code.Error, [e.message], e);
}

/** A plugin's result: undefined means Success. */
export type Result = Status | undefined;

/** Per-cycle data a plugin keeps between its extension points; cloned for preemption's what-if runs. */
export interface StateData {
  clone(): StateData;
}

/** The state of one scheduling cycle (kube's framework.CycleState). */
export class CycleState {
  private readonly data = new Map<string, StateData>();
  /** Filter plugins whose PreFilter returned Skip. */
  skipFilterPlugins = new Set<string>();
  /** Score plugins whose PreScore returned Skip. */
  skipScorePlugins = new Set<string>();

  read<T extends StateData>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }

  write(key: string, value: StateData): void {
    this.data.set(key, value);
  }

  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) c.data.set(k, v.clone());
    c.skipFilterPlugins = new Set(this.skipFilterPlugins);
    c.skipScorePlugins = new Set(this.skipScorePlugins);
    return c;
  }
}

/** Every plugin has a name. */
export interface Plugin {
  readonly name: string;
}

/** A queued pod: the pod and its queueing bookkeeping (kube's QueuedPodInfo). */
export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When the pod was (last) added to the queue, ms. */
  timestamp: number;
  /** Scheduling attempts so far. */
  attempts: number;
  /** When the pod was first added, ms; for the e2e latency metric. */
  initialAttemptTimestamp: number | undefined;
  /** Plugins that rejected the pod in its last attempt: only their events can make it schedulable. */
  unschedulablePlugins: Set<string>;
  /** Whether a PreEnqueue plugin keeps the pod out of activeQ (e.g. scheduling gates). */
  gated: boolean;
}

export interface QueueSortPlugin extends Plugin {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

export interface PreEnqueuePlugin extends Plugin {
  preEnqueue(pod: PodInfo): Result;
}

/** Nodes a PreFilter plugin restricts the cycle to; undefined means all nodes. */
export interface PreFilterResult {
  nodeNames?: ReadonlySet<string>;
}

/** Incremental updates of a PreFilter plugin's state when pods are added/removed in what-if runs. */
export interface PreFilterExtensions {
  addPod(state: CycleState, podToSchedule: PodInfo, podToAdd: PodInfo, node: NodeInfo): Result;
  removePod(state: CycleState, podToSchedule: PodInfo, podToRemove: PodInfo, node: NodeInfo): Result;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): { result?: PreFilterResult; status?: Status } | undefined;
  preFilterExtensions?(): PreFilterExtensions | undefined;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Result;
}

/** The statuses of the nodes that failed filtering, by node name. */
export type NodeToStatus = Map<string, Status>;

/** What a PostFilter (preemption) plugin decided. */
export interface PostFilterResult {
  /** The node the pod is nominated to; "" clears an earlier nomination. */
  nominatedNodeName?: string;
  /** Pods to delete so the pod fits on the nominated node. */
  victims?: Pod[];
  /** Pods nominated to that node with lower priority, whose nomination must be cleared. */
  lowerPriorityNominatedPods?: Pod[];
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: PodInfo, filtered: NodeToStatus): { result?: PostFilterResult; status: Status };
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Result;
}

/** kube's MaxNodeScore: every score plugin's normalized range is [0, 100]. */
export const MAX_NODE_SCORE = 100;

export interface ScorePlugin extends Plugin {
  /** A node's raw score; throw for an internal error. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Maps raw scores (index-aligned with nodes) into [0, MAX_NODE_SCORE] in place. */
  normalizeScore?(state: CycleState, pod: PodInfo, scores: Float64Array, nodes: readonly NodeInfo[]): void;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Result;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface PermitPlugin extends Plugin {
  /** Success, a rejection, or Wait with a timeout (the pod waits until allowed, rejected or timed out). */
  permit(state: CycleState, pod: PodInfo, nodeName: string): { status?: Status; timeoutMs?: number } | undefined;
}

export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Result>;
}

export interface BindPlugin extends Plugin {
  /** Binds; Skip passes the pod to the next bind plugin. */
  bind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Result>;
}

export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: PodInfo, nodeName: string): void;
}

// ---- Cluster events: what can make a rejected pod schedulable. ----

/** The kinds of objects whose changes the queue reacts to. `Pod` means assigned pods. */
export type EventResource = 'Pod' | 'Node' | 'PersistentVolume' | 'PersistentVolumeClaim' | 'StorageClass' | 'Service' | 'CSINode' | '*';

/** Bits of what happened to the object (kube's framework.ActionType). */
export const ActionType = {
  Add: 1,
  Delete: 2,
  UpdateNodeAllocatable: 4,
  UpdateNodeLabel: 8,
  UpdateNodeTaint: 16,
  UpdateNodeCondition: 32,
  UpdatePodLabel: 64,
  UpdatePodScaleDown: 128,
  /** Any other update. */
  UpdateOther: 256,
  Update: 4 | 8 | 16 | 32 | 64 | 128 | 256,
  All: 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128 | 256,
} as const;

/** A cluster event: a resource and the action bits. */
export interface ClusterEvent {
  resource: EventResource;
  action: number;
  /** A label for logs and metrics, e.g. `NodeAdd`. */
  label?: string;
}

/** Whether an event makes a rejected pod worth retrying (kube's QueueingHint). */
export type QueueingHint = 'Queue' | 'QueueSkip';
export type QueueingHintFn = (pod: PodInfo, oldObj: unknown, newObj: unknown) => QueueingHint;

export interface ClusterEventWithHint {
  event: ClusterEvent;
  /** Absent: always Queue. */
  hint?: QueueingHintFn;
}

/** Plugins that can reject pods declare the events that could make them pass (kube's EnqueueExtensions). */
export interface EnqueueExtensions {
  eventsToRegister(): ClusterEventWithHint[];
}

// ---- What plugins can see of the cluster. ----

/**
 * Listers of the objects some plugins read besides pods and nodes. All optional: the scheduler runs without
 * them (no PDBs, no Services) until the informer wiring provides them.
 */
export interface ClusterListers {
  podDisruptionBudgets?(namespace: string): readonly PodDisruptionBudget[];
  services?(namespace: string): readonly Service[];
  replicaSets?(namespace: string): readonly ReplicaSet[];
  statefulSets?(namespace: string): readonly StatefulSet[];
  namespaceLabels?(namespace: string): Labels;
}

/** Pods nominated to nodes by preemption and waiting for their victims to go. */
export interface PodNominator {
  nominatedPodsForNode(nodeName: string): readonly PodInfo[];
  /** False when no pod is nominated anywhere (the common case: filters skip the per-node lookup). */
  hasNominatedPods(): boolean;
}

/** Writes a binding (the later wiring posts to pods/binding); rejects when the bind fails. */
export interface Binder {
  bind(pod: Pod, nodeName: string): Promise<void>;
}

/** The framework's services to plugins (kube's framework.Handle). */
export interface Handle {
  readonly binder: Binder | undefined;
  /** The snapshot of the current cycle. */
  snapshot(): Snapshot;
  readonly listers: ClusterListers;
  readonly nominator: PodNominator | undefined;
  /** Runs the profile's filters with higher-priority nominated pods accounted for (for preemption). */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: PodInfo, node: NodeInfo): Result;
  runPreFilterExtensionAddPod(state: CycleState, pod: PodInfo, toAdd: PodInfo, node: NodeInfo): Result;
  runPreFilterExtensionRemovePod(state: CycleState, pod: PodInfo, toRemove: PodInfo, node: NodeInfo): Result;
}

/** Builds a plugin from its args (from KubeSchedulerConfiguration pluginConfig) and the handle. */
export type PluginFactory = (args: Record<string, unknown> | undefined, handle: Handle) => Plugin;
