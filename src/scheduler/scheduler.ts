/**
 * The scheduler (kube's scheduler.go + schedule_one.go scheduleOne): pops a pod, runs the scheduling cycle
 * synchronously on a fresh snapshot (filter, score, assume, Reserve, Permit), and the binding cycle
 * asynchronously (WaitOnPermit, PreBind, Bind, PostBind) so the next pod is scheduled while the bind is in
 * flight. Event handlers (onPodAdd, onNodeUpdate, ...) are what the informer wiring calls; everything here
 * works on plain objects, with the Binder and the failure/preemption reporting injected.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { componentLogger } from '../util/log.js';
import { Cache } from './cache.js';
import { completeConfig, parseSchedulerConfig, type KubeSchedulerConfiguration } from './config.js';
import { ActionType, CycleState, type Binder, type ClusterEvent, type ClusterEventWithHint, type ClusterListers, type EventResource, type PluginFactory, type PostFilterResult, type QueuedPodInfo, type Status } from './framework.js';
import { FitError } from './fit-error.js';
import { noopMetrics, type SchedulerMetrics } from './metrics.js';
import { podInfoOf, podKey, withNodeName, type PodInfo } from './pod-info.js';
import { inTreeRegistry } from './plugins/registry.js';
import { SchedulingQueue } from './queue.js';
import { Framework, schedulerNameOf } from './runtime.js';
import { Algorithm } from './schedule-one.js';
import { Snapshot } from './snapshot.js';

const log = componentLogger('scheduler');

/** Why a pod could not be scheduled, for the FailedScheduling event and the PodScheduled=False condition. */
export interface SchedulingFailure {
  /** `Unschedulable` or `SchedulerError`, as the PodScheduled condition's reason. */
  reason: 'Unschedulable' | 'SchedulerError';
  /** kube's message, e.g. `0/5 nodes are available: ...`. */
  message: string;
  /** The nomination to record in status.nominatedNodeName ("" clears it), when preemption decided one. */
  nominatedNodeName?: string;
}

export interface SchedulerOptions {
  /** Writes bindings (pods/binding in the wired scheduler). */
  binder: Binder;
  /** A parsed KubeSchedulerConfiguration or its YAML text; kube's defaults when absent. */
  config?: KubeSchedulerConfiguration | string;
  listers?: ClusterListers;
  /** Extra (out-of-tree) plugins, added to the in-tree registry. */
  plugins?: Map<string, PluginFactory>;
  metrics?: SchedulerMetrics;
  /** Reports a failed attempt (the wiring emits the event and patches the condition). */
  onFailure?: (pod: Pod, failure: SchedulingFailure) => void;
  /** Preemption chose a node: the wiring sets the nomination, deletes the victims and clears lower nominations. */
  onPreemption?: (preemptor: Pod, result: Required<PostFilterResult>) => void;
  /** How long an assumed pod waits for its bind to be confirmed after binding finished; 0 = forever. */
  assumedPodTTLMs?: number;
  now?: () => number;
  random?: () => number;
}

/** The scheduler: cache, queue, profiles and the scheduling loop. */
export class Scheduler {
  readonly cache: Cache;
  readonly queue: SchedulingQueue;
  readonly snapshot = new Snapshot();
  readonly profiles = new Map<string, Framework>();
  private readonly algorithm: Algorithm;
  private readonly metrics: SchedulerMetrics;
  private readonly now: () => number;
  private readonly bindings = new Set<Promise<void>>();
  /** Pods popped and not yet back in the queue or bound; a delete of one of them must not requeue it. */
  private readonly inFlight = new Map<string, boolean>();
  private running = false;
  private cleanupTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: SchedulerOptions) {
    const cfg = typeof opts.config === 'string' ? parseSchedulerConfig(opts.config) : completeConfig(opts.config);
    this.now = opts.now ?? Date.now;
    this.metrics = opts.metrics ?? noopMetrics;
    this.cache = new Cache(opts.assumedPodTTLMs ?? 0, this.now);
    const registry = inTreeRegistry();
    for (const [k, v] of opts.plugins ?? []) registry.set(k, v);
    // The nominator is the queue, which needs the profiles' events: give the frameworks a forwarding nominator.
    const nominator = { nominatedPodsForNode: (n: string) => this.queue.nominatedPodsForNode(n), hasNominatedPods: () => this.queue.hasNominatedPods() };
    for (const p of cfg.profiles) {
      this.profiles.set(p.schedulerName, new Framework(p, registry, { snapshot: () => this.snapshot, listers: opts.listers, nominator, binder: opts.binder }));
    }
    const first = [...this.profiles.values()][0]!;
    const pluginEvents = new Map<string, ClusterEventWithHint[]>();
    for (const fwk of this.profiles.values()) for (const [k, v] of fwk.eventsToRegister()) pluginEvents.set(k, v);
    this.queue = new SchedulingQueue({
      less: (a, b) => first.less(a, b),
      preEnqueue: (pi) => this.profiles.get(schedulerNameOf(pi.pod))?.runPreEnqueuePlugins(pi),
      pluginEvents,
      initialBackoffMs: cfg.podInitialBackoffSeconds * 1000,
      maxBackoffMs: cfg.podMaxBackoffSeconds * 1000,
      now: this.now,
    });
    this.algorithm = new Algorithm(this.snapshot, cfg.percentageOfNodesToScore, opts.random);
    this.metrics.setPendingSource(() => this.queue.pendingCounts());
  }

  private responsibleFor(pod: Pod): boolean {
    return this.profiles.has(schedulerNameOf(pod));
  }

  // ---- event handlers (the informer wiring calls these) ----

  onPodAdd(pod: Pod): void {
    // Finished pods hold no resources (kube's informer filter drops terminal pods from the cache).
    if (isTerminal(pod)) return;
    if (pod.spec?.nodeName) {
      this.cache.addPod(pod);
      this.queue.assignedPodAdded(pod);
    } else if (this.responsibleFor(pod) && !pod.metadata?.deletionTimestamp) {
      this.queue.add(pod);
    }
  }

  onPodUpdate(oldPod: Pod, pod: Pod): void {
    if (pod.spec?.nodeName) {
      if (!oldPod.spec?.nodeName) {
        // Bound: confirm the assumed pod (or learn of another scheduler's binding).
        this.queue.delete(pod);
        this.cache.addPod(pod);
        this.queue.assignedPodAdded(pod);
        return;
      }
      if (isTerminal(pod)) return this.onPodDelete(pod);
      this.cache.updatePod(oldPod, pod);
      this.queue.assignedPodUpdated(oldPod, pod, podUpdateAction(oldPod, pod));
      return;
    }
    if (!this.responsibleFor(pod) || this.cache.isAssumedPod(pod)) return;
    this.queue.update(oldPod, pod);
  }

  onPodDelete(pod: Pod): void {
    const key = podInfoOf(pod).key;
    if (this.inFlight.has(key)) this.inFlight.set(key, true);
    if (pod.spec?.nodeName || this.cache.getPod(pod)) {
      this.cache.removePod(pod);
      this.queue.assignedPodDeleted(pod);
    }
    this.queue.delete(pod);
  }

  onNodeAdd(node: Node): void {
    this.cache.addNode(node);
    this.queue.moveAllToActiveOrBackoffQueue({ resource: 'Node', action: ActionType.Add, label: 'NodeAdd' }, undefined, node);
  }

  onNodeUpdate(oldNode: Node, node: Node): void {
    this.cache.updateNode(oldNode, node);
    const action = nodeUpdateAction(oldNode, node);
    if (action !== 0) this.queue.moveAllToActiveOrBackoffQueue({ resource: 'Node', action, label: 'NodeUpdate' }, oldNode, node);
  }

  onNodeDelete(node: Node): void {
    this.cache.removeNode(node);
    this.queue.moveAllToActiveOrBackoffQueue({ resource: 'Node', action: ActionType.Delete, label: 'NodeDelete' }, node, undefined);
  }

  /** Changes to other objects plugins may wait for (PersistentVolume, PersistentVolumeClaim, Service, ...). */
  onClusterEvent(resource: EventResource, action: number, oldObj?: unknown, newObj?: unknown): void {
    const event: ClusterEvent = { resource, action, label: `${resource}Change` };
    this.queue.moveAllToActiveOrBackoffQueue(event, oldObj, newObj);
  }

  // ---- the loop ----

  /** Schedules pods until stop(); yields to the event loop regularly so informer events and binds progress. */
  async run(): Promise<void> {
    this.running = true;
    this.queue.run();
    // Assumed pods whose binding finished but was never confirmed are dropped (kube checks every second).
    this.cleanupTimer = setInterval(() => {
      for (const pi of this.cache.cleanupExpiredAssumedPods()) this.queue.assignedPodDeleted(pi.pod);
    }, 1000).unref();
    let slice = performance.now();
    while (this.running) {
      const q = await this.queue.pop();
      if (!q) break;
      this.scheduleQueued(q);
      if (performance.now() - slice > 5) {
        await new Promise((r) => setImmediate(r));
        slice = performance.now();
      }
    }
  }

  stop(): void {
    this.running = false;
    clearInterval(this.cleanupTimer);
    this.queue.close();
  }

  /** Runs one cycle for the next pod in activeQ; false when activeQ is empty. */
  scheduleOne(): boolean {
    const q = this.queue.tryPop();
    if (!q) return false;
    this.scheduleQueued(q);
    return true;
  }

  /** Resolves when every binding cycle started so far has finished. */
  async waitForBindings(): Promise<void> {
    while (this.bindings.size > 0) await Promise.all([...this.bindings]);
  }

  private scheduleQueued(q: QueuedPodInfo): void {
    const pi = q.podInfo;
    const fwk = this.profiles.get(schedulerNameOf(pi.pod));
    if (!fwk || pi.pod.metadata?.deletionTimestamp || this.cache.getPod(pi.pod)) return;
    const start = this.now();
    const cycle = this.queue.schedulingCycle;
    this.inFlight.set(pi.key, false);
    const state = new CycleState();
    this.cache.updateSnapshot(this.snapshot);
    let host: string;
    try {
      host = this.algorithm.schedulePod(fwk, state, pi).suggestedHost;
    } catch (err) {
      let nominated: string | undefined;
      if (err instanceof FitError && fwk.postFilter.length > 0) {
        const { result, status } = fwk.runPostFilterPlugins(state, pi, err.diagnosis.nodeToStatus);
        if (status.isSuccess() && result?.nominatedNodeName) {
          this.metrics.preemption(result.victims?.length ?? 0);
          this.opts.onPreemption?.(pi.pod, { nominatedNodeName: result.nominatedNodeName, victims: result.victims ?? [], lowerPriorityNominatedPods: result.lowerPriorityNominatedPods ?? [] });
        }
        nominated = result?.nominatedNodeName;
        if (status.message()) err.diagnosis.postFilterMsg = status.message();
      }
      // Rebuilt so the message includes the PostFilter (preemption) part.
      const failure = err instanceof FitError ? new FitError(err.numAllNodes, err.diagnosis) : err;
      this.failed(fwk.profileName, q, failure, cycle, start, nominated);
      return;
    }
    const assumed = withNodeName(pi, host);
    this.cache.assumePod(assumed);
    this.queue.deleteNominatedPodIfExists(pi.pod);
    const reserve = fwk.runReservePluginsReserve(state, assumed, host);
    if (reserve) return this.abort(fwk, state, q, assumed, host, reserve, cycle, start);
    const permit = fwk.runPermitPlugins(state, assumed, host);
    if (permit && permit.isRejected()) return this.abort(fwk, state, q, assumed, host, permit, cycle, start);
    const binding = this.bindingCycle(fwk, state, q, assumed, host, cycle, start);
    this.bindings.add(binding);
    void binding.finally(() => this.bindings.delete(binding));
  }

  private async bindingCycle(fwk: Framework, state: CycleState, q: QueuedPodInfo, assumed: PodInfo, host: string, cycle: number, start: number): Promise<void> {
    let s = await fwk.waitOnPermit(assumed);
    if (!s) s = await fwk.runPreBindPlugins(state, assumed, host);
    if (!s) s = await fwk.runBindPlugins(state, assumed, host);
    if (s && !s.isSuccess()) {
      // The pod's resources are free again: pods waiting for them may fit now.
      this.queue.moveAllToActiveOrBackoffQueue({ resource: 'Pod', action: ActionType.Delete, label: 'AssignedPodDelete' }, assumed.pod, undefined, (p) => p.key !== assumed.key);
      return this.abort(fwk, state, q, assumed, host, s, cycle, start);
    }
    this.cache.finishBinding(assumed);
    this.inFlight.delete(assumed.key);
    fwk.runPostBindPlugins(state, assumed, host);
    const now = this.now();
    this.metrics.attempt('scheduled', fwk.profileName, (now - start) / 1000);
    this.metrics.podScheduled(fwk.profileName, q.attempts, (now - (q.initialAttemptTimestamp ?? start)) / 1000);
    log.debug({ pod: podKey(assumed.pod), node: host }, 'bound pod');
  }

  private abort(fwk: Framework, state: CycleState, q: QueuedPodInfo, assumed: PodInfo, host: string, s: Status, cycle: number, start: number): void {
    fwk.runReservePluginsUnreserve(state, assumed, host);
    this.cache.forgetPod(assumed);
    const err = s.isRejected() ? new FitError(this.snapshot.numNodes(), { nodeToStatus: new Map([[host, s]]), unschedulablePlugins: new Set([s.plugin]) }) : s.error ?? new Error(s.message());
    this.failed(fwk.profileName, q, err, cycle, start, undefined);
  }

  private failed(profile: string, q: QueuedPodInfo, err: unknown, cycle: number, start: number, nominated: string | undefined): void {
    const pod = q.podInfo.pod;
    const fit = err instanceof FitError;
    this.metrics.attempt(fit ? 'unschedulable' : 'error', profile, (this.now() - start) / 1000);
    q.unschedulablePlugins = fit ? new Set([...err.diagnosis.unschedulablePlugins].filter((p) => p)) : new Set();
    const deleted = this.inFlight.get(q.podInfo.key) === true;
    this.inFlight.delete(q.podInfo.key);
    if (!deleted) {
      this.queue.addUnschedulableIfNotPresent(q, cycle);
      if (nominated !== undefined) {
        if (nominated) this.queue.addNominatedPod(q.podInfo, nominated);
        else this.queue.deleteNominatedPodIfExists(pod);
      }
    }
    const message = err instanceof Error ? err.message : String(err);
    log.debug({ pod: podKey(pod), message }, 'unable to schedule pod');
    if (!deleted) this.opts.onFailure?.(pod, { reason: fit ? 'Unschedulable' : 'SchedulerError', message, nominatedNodeName: nominated });
  }
}

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Which ActionType bits a node update carries (kube's nodeSchedulingPropertiesChange). */
export function nodeUpdateAction(a: Node, b: Node): number {
  let action = 0;
  if (!same(a.status?.allocatable, b.status?.allocatable)) action |= ActionType.UpdateNodeAllocatable;
  if (!same(a.metadata?.labels, b.metadata?.labels)) action |= ActionType.UpdateNodeLabel;
  if (!same(a.spec?.taints, b.spec?.taints) || (a.spec?.unschedulable ?? false) !== (b.spec?.unschedulable ?? false)) action |= ActionType.UpdateNodeTaint;
  if (!same(a.status?.conditions?.map((c) => [c.type, c.status]), b.status?.conditions?.map((c) => [c.type, c.status]))) action |= ActionType.UpdateNodeCondition;
  return action;
}

/** Which ActionType bits an assigned pod's update carries. */
export function podUpdateAction(a: Pod, b: Pod): number {
  let action = 0;
  if (!same(a.metadata?.labels, b.metadata?.labels)) action |= ActionType.UpdatePodLabel;
  const ra = podInfoOf(a).requests;
  const rb = podInfoOf(b).requests;
  if (rb.milliCPU < ra.milliCPU || rb.memory < ra.memory) action |= ActionType.UpdatePodScaleDown;
  return action === 0 ? ActionType.UpdateOther : action;
}
