/**
 * The scheduling queue (kube's PriorityQueue): activeQ (ordered by the QueueSort plugin: priority, then time),
 * backoffQ (pods waiting out 1 s doubling to 10 s per failed attempt) and the unschedulable pool. A pod in the
 * pool returns only when a cluster event arrives that one of the plugins which rejected it registered for
 * (and whose queueing hint says it may help), or after 5 minutes. Also the nominator: pods nominated to nodes
 * by preemption, which filters account for.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ClusterEvent, ClusterEventWithHint, PodNominator, QueuedPodInfo, Result } from './framework.js';
import { KeyedHeap } from './heap.js';
import { podInfoOf, type PodInfo } from './pod-info.js';

/** Events that move every pod, whatever rejected it. */
export const UNSCHEDULABLE_TIMEOUT: ClusterEvent = { resource: '*', action: 0, label: 'UnschedulableTimeout' };
export const FORCE_ACTIVATE: ClusterEvent = { resource: '*', action: 0, label: 'ForceActivate' };

export interface QueueOptions {
  /** QueueSort's order. */
  less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  /** The pod's profile's PreEnqueue plugins; a rejection keeps the pod out of activeQ (gated). */
  preEnqueue?: (pod: PodInfo) => Result;
  /** Every plugin's requeue events, by plugin name. */
  pluginEvents?: Map<string, ClusterEventWithHint[]>;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a pod stays in the unschedulable pool before a flush moves it anyway (5 min). */
  maxUnschedulableMs?: number;
  now?: () => number;
}

/** Sizes of the three queues, for the pending_pods metric. */
export interface PendingCounts {
  active: number;
  backoff: number;
  unschedulable: number;
  gated: number;
}

/** The scheduler's pod queue. */
export class SchedulingQueue implements PodNominator {
  private readonly activeQ: KeyedHeap<QueuedPodInfo>;
  private readonly backoffQ: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly now: () => number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly pluginEvents: Map<string, ClusterEventWithHint[]>;
  private readonly preEnqueue: (pod: PodInfo) => Result;
  /** Incremented per pop; a pod that failed in a cycle during which a move request arrived goes to backoff. */
  schedulingCycle = 0;
  private moveRequestCycle = -1;
  private waiters: Array<(q: QueuedPodInfo | undefined) => void> = [];
  private closed = false;
  private timers: NodeJS.Timeout[] = [];
  private readonly nominatedPods = new Map<string, PodInfo[]>();
  private readonly nominatedPodToNode = new Map<string, string>();

  constructor(opts: QueueOptions) {
    this.now = opts.now ?? Date.now;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 5 * 60_000;
    this.pluginEvents = opts.pluginEvents ?? new Map();
    this.preEnqueue = opts.preEnqueue ?? (() => undefined);
    const key = (q: QueuedPodInfo): string => q.podInfo.key;
    this.activeQ = new KeyedHeap(key, opts.less);
    this.backoffQ = new KeyedHeap(key, (a, b) => this.backoffTime(a) < this.backoffTime(b));
  }

  /** kube's calculateBackoffDuration: initial, doubled per further attempt, capped. */
  backoffDuration(q: QueuedPodInfo): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < q.attempts; i++) {
      if (d > this.maxBackoffMs - d) return this.maxBackoffMs;
      d += d;
    }
    return d;
  }

  private backoffTime(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDuration(q);
  }

  isBackingOff(q: QueuedPodInfo): boolean {
    return this.backoffTime(q) > this.now();
  }

  private newQueued(pi: PodInfo): QueuedPodInfo {
    const now = this.now();
    return { podInfo: pi, timestamp: now, attempts: 0, initialAttemptTimestamp: undefined, unschedulablePlugins: new Set(), gated: false };
  }

  /** Runs PreEnqueue and puts the pod in activeQ, or in the pool as gated. True when it went to activeQ. */
  private moveToActiveQ(q: QueuedPodInfo): boolean {
    const s = this.preEnqueue(q.podInfo);
    q.gated = s !== undefined && !s.isSuccess();
    if (q.gated) {
      q.unschedulablePlugins = new Set([s!.plugin]);
      this.unschedulable.set(q.podInfo.key, q);
      return false;
    }
    q.initialAttemptTimestamp ??= this.now();
    this.unschedulable.delete(q.podInfo.key);
    this.backoffQ.delete(q.podInfo.key);
    this.activeQ.addOrUpdate(q);
    this.wake();
    return true;
  }

  /** A new pending pod. */
  add(pod: Pod): void {
    const pi = podInfoOf(pod);
    this.moveToActiveQ(this.newQueued(pi));
    this.addNominatedPod(pi);
  }

  /** Pods to retry now (kube's Activate), e.g. by a plugin that knows they can make progress. */
  activate(pods: readonly Pod[]): void {
    for (const pod of pods) {
      const key = podInfoOf(pod).key;
      const q = this.unschedulable.get(key) ?? this.backoffQ.get(key);
      if (q && !q.gated) this.moveToActiveQ(q);
    }
  }

  /** A pending pod changed: refresh it where it is; a changed pod in the pool gets another chance. */
  update(oldPod: Pod | undefined, newPod: Pod): void {
    const pi = podInfoOf(newPod);
    const key = pi.key;
    const inActive = this.activeQ.get(key);
    if (inActive) {
      inActive.podInfo = pi;
      this.activeQ.addOrUpdate(inActive);
      this.updateNominatedPod(oldPod, pi);
      return;
    }
    const inBackoff = this.backoffQ.get(key);
    if (inBackoff) {
      inBackoff.podInfo = pi;
      this.backoffQ.addOrUpdate(inBackoff);
      this.updateNominatedPod(oldPod, pi);
      return;
    }
    const q = this.unschedulable.get(key);
    if (q) {
      q.podInfo = pi;
      this.updateNominatedPod(oldPod, pi);
      if (oldPod && !specChanged(oldPod, newPod)) return;
      if (q.gated) this.moveToActiveQ(q);
      else if (this.isBackingOff(q)) {
        this.unschedulable.delete(key);
        this.backoffQ.addOrUpdate(q);
      } else this.moveToActiveQ(q);
      return;
    }
    // Not queued (e.g. in flight, or never seen): treat as an add.
    this.moveToActiveQ(this.newQueued(pi));
    this.addNominatedPod(pi);
  }

  /** A pending pod was deleted. */
  delete(pod: Pod): void {
    const key = podInfoOf(pod).key;
    this.activeQ.delete(key);
    this.backoffQ.delete(key);
    this.unschedulable.delete(key);
    this.deleteNominatedPodIfExists(pod);
  }

  /** The next pod to schedule, waiting until there is one; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    const q = this.tryPop();
    if (q || this.closed) return Promise.resolve(q);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The next pod if activeQ has one. */
  tryPop(): QueuedPodInfo | undefined {
    const q = this.activeQ.pop();
    if (!q) return undefined;
    q.attempts++;
    this.schedulingCycle++;
    return q;
  }

  private wake(): void {
    while (this.waiters.length > 0 && this.activeQ.size > 0) this.waiters.shift()!(this.tryPop());
  }

  /**
   * A pod that failed its cycle: to the backoffQ when a move request arrived during its cycle or nothing in
   * particular rejected it (an error), else to the unschedulable pool.
   */
  addUnschedulableIfNotPresent(q: QueuedPodInfo, podSchedulingCycle: number): void {
    const key = q.podInfo.key;
    if (this.unschedulable.has(key) || this.activeQ.has(key) || this.backoffQ.has(key)) return;
    q.timestamp = this.now();
    if (this.moveRequestCycle >= podSchedulingCycle || q.unschedulablePlugins.size === 0) this.backoffQ.addOrUpdate(q);
    else this.unschedulable.set(key, q);
    this.addNominatedPod(q.podInfo);
  }

  /** Moves pods backoffQ -> activeQ once their backoff has passed (kube runs this every second). */
  flushBackoffQCompleted(): void {
    for (let q = this.backoffQ.peek(); q && !this.isBackingOff(q); q = this.backoffQ.peek()) {
      this.backoffQ.pop();
      this.moveToActiveQ(q);
    }
  }

  /** Moves pods that sat in the pool longer than maxUnschedulableMs (kube runs this every 30 s). */
  flushUnschedulablePodsLeftover(): void {
    const now = this.now();
    const stale = [...this.unschedulable.values()].filter((q) => !q.gated && now - q.timestamp > this.maxUnschedulableMs);
    if (stale.length > 0) this.movePods(stale, UNSCHEDULABLE_TIMEOUT, undefined, undefined);
  }

  /**
   * A cluster event happened: every pooled pod that a plugin rejected which registered for the event (and
   * whose hint says Queue) moves to activeQ, or to backoffQ if still backing off.
   */
  moveAllToActiveOrBackoffQueue(event: ClusterEvent, oldObj?: unknown, newObj?: unknown, preCheck?: (pod: PodInfo) => boolean): void {
    const pods: QueuedPodInfo[] = [];
    for (const q of this.unschedulable.values()) if (!q.gated && (!preCheck || preCheck(q.podInfo))) pods.push(q);
    this.movePods(pods, event, oldObj, newObj);
  }

  /** An assigned pod was added: pods its labels might satisfy (affinity) or whose spread it changes may move. */
  assignedPodAdded(pod: Pod): void {
    this.moveAllToActiveOrBackoffQueue({ resource: 'Pod', action: 1, label: 'AssignedPodAdd' }, undefined, pod);
  }

  /** An assigned pod changed (labels, or scaled down). */
  assignedPodUpdated(oldPod: Pod, newPod: Pod, action: number): void {
    this.moveAllToActiveOrBackoffQueue({ resource: 'Pod', action, label: 'AssignedPodUpdate' }, oldPod, newPod);
  }

  /** An assigned pod was deleted: its resources, ports and affinity terms are gone. */
  assignedPodDeleted(pod: Pod): void {
    this.moveAllToActiveOrBackoffQueue({ resource: 'Pod', action: 2, label: 'AssignedPodDelete' }, pod, undefined);
  }

  private movePods(pods: QueuedPodInfo[], event: ClusterEvent, oldObj: unknown, newObj: unknown): void {
    const wildcard = event.resource === '*';
    for (const q of pods) {
      // A pod with no rejecting plugins failed for another reason (an error); any event may help it.
      if (!wildcard && q.unschedulablePlugins.size > 0 && !this.podMatchesEvent(q, event, oldObj, newObj)) continue;
      this.unschedulable.delete(q.podInfo.key);
      if (this.isBackingOff(q)) this.backoffQ.addOrUpdate(q);
      else this.moveToActiveQ(q);
    }
    this.moveRequestCycle = this.schedulingCycle;
  }

  private podMatchesEvent(q: QueuedPodInfo, event: ClusterEvent, oldObj: unknown, newObj: unknown): boolean {
    for (const plugin of q.unschedulablePlugins) {
      for (const reg of this.pluginEvents.get(plugin) ?? []) {
        const e = reg.event;
        if (e.resource !== '*' && e.resource !== event.resource) continue;
        if ((e.action & event.action) === 0) continue;
        if (!reg.hint || reg.hint(q.podInfo, oldObj, newObj) === 'Queue') return true;
      }
    }
    return false;
  }

  /** Whether a pod is in any of the queues. */
  has(pod: Pod): boolean {
    const key = podInfoOf(pod).key;
    return this.activeQ.has(key) || this.backoffQ.has(key) || this.unschedulable.has(key);
  }

  /** Where a pod is: active, backoff, unschedulable (gated counts as unschedulable), or undefined. */
  whereIs(pod: Pod): 'active' | 'backoff' | 'unschedulable' | undefined {
    const key = podInfoOf(pod).key;
    if (this.activeQ.has(key)) return 'active';
    if (this.backoffQ.has(key)) return 'backoff';
    return this.unschedulable.has(key) ? 'unschedulable' : undefined;
  }

  pendingCounts(): PendingCounts {
    let gated = 0;
    for (const q of this.unschedulable.values()) if (q.gated) gated++;
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.unschedulable.size - gated, gated };
  }

  /** Starts the periodic flushes (backoffQ every second, the pool every 30 s). */
  run(): void {
    this.timers.push(setInterval(() => this.flushBackoffQCompleted(), 1000).unref());
    this.timers.push(setInterval(() => this.flushUnschedulablePodsLeftover(), 30_000).unref());
  }

  /** Stops the flushes and releases waiting pops with undefined. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  // ---- nominator ----

  hasNominatedPods(): boolean {
    return this.nominatedPodToNode.size > 0;
  }

  nominatedPodsForNode(nodeName: string): readonly PodInfo[] {
    return this.nominatedPods.get(nodeName) ?? [];
  }

  /** Records a pod's nomination (nodeName, or its status.nominatedNodeName); bound pods are never nominated. */
  addNominatedPod(pi: PodInfo, nodeName?: string): void {
    this.deleteNominated(pi.key);
    const node = nodeName ?? pi.pod.status?.nominatedNodeName;
    if (!node || pi.nodeName) return;
    this.nominatedPodToNode.set(pi.key, node);
    const list = this.nominatedPods.get(node) ?? [];
    list.push(pi);
    this.nominatedPods.set(node, list);
  }

  deleteNominatedPodIfExists(pod: Pod): void {
    this.deleteNominated(podInfoOf(pod).key);
  }

  private updateNominatedPod(oldPod: Pod | undefined, pi: PodInfo): void {
    // A nomination made by this scheduler but not yet visible in the pod's status is kept across updates.
    const keep = this.nominatedPodToNode.get(pi.key);
    const fromStatus = pi.pod.status?.nominatedNodeName;
    this.addNominatedPod(pi, fromStatus || (oldPod?.status?.nominatedNodeName ? undefined : keep));
  }

  private deleteNominated(key: string): void {
    const node = this.nominatedPodToNode.get(key);
    if (node === undefined) return;
    this.nominatedPodToNode.delete(key);
    const list = (this.nominatedPods.get(node) ?? []).filter((p) => p.key !== key);
    if (list.length === 0) this.nominatedPods.delete(node);
    else this.nominatedPods.set(node, list);
  }
}

/** Whether an update could change scheduling: anything but status, resourceVersion and managedFields. */
function specChanged(a: Pod, b: Pod): boolean {
  const strip = (p: Pod): string => JSON.stringify({ ...p, status: undefined, metadata: { ...p.metadata, resourceVersion: undefined, managedFields: undefined, generation: undefined } });
  return strip(a) !== strip(b);
}
