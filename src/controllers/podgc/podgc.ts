/**
 * The pod garbage collector (kube's pod-garbage-collector-controller). Every 20 s it:
 * - deletes the oldest terminated (Succeeded/Failed) pods beyond `--terminated-pod-gc-threshold` (evicted first);
 * - force-deletes terminating pods on NotReady nodes tainted `node.kubernetes.io/out-of-service`;
 * - deletes pods bound to nodes that no longer exist, once the node has been missing for a 40 s quarantine
 *   and a direct GET (not the cache) confirms it is gone;
 * - deletes terminating pods that were never scheduled.
 * A pod that has not finished is first marked Failed (with a DisruptionTarget condition for orphans), since no
 * kubelet will ever finish it, then deleted with grace period 0.
 */
import type { Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from '../../apimachinery/time.js';
import { Controller } from '../../client/controller.js';
import { isNotFound } from '../../client/errors.js';
import type { SharedInformer } from '../../client/informer.js';
import { NODES, PODS } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import type { ControllerContext, ManagedController } from '../context.js';

type PodObject = Pod & KubeObject;
type NodeObject = Node & KubeObject;

/** kube's default `--terminated-pod-gc-threshold`. */
export const DEFAULT_TERMINATED_POD_GC_THRESHOLD = 12500;
/** How often the collector runs (gcCheckPeriod). */
export const GC_CHECK_PERIOD_MS = 20_000;
/** How long a node must be missing before its pods are orphans (quarantineTime). */
export const QUARANTINE_MS = 40_000;
/** The taint an administrator puts on a node that is out of service (v1.TaintNodeOutOfService). */
export const TAINT_NODE_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';
/** Parallel deletes per pass. */
const DELETE_CONCURRENCY = 16;
/** The one key the work queue holds: every pass looks at every pod. */
const GC_KEY = 'gc';

export interface PodGCOptions {
  /** Terminated pods kept before the oldest are deleted; 0 turns this part off (as in kube). */
  terminatedPodThreshold?: number;
  gcCheckPeriodMs?: number;
  quarantineMs?: number;
}

/** isPodTerminated: the pod has finished. */
export function isPodTerminated(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function isNodeReady(node: Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

const isEvicted = (pod: Pod): boolean => pod.status?.phase === 'Failed' && pod.status?.reason === 'Evicted';

/** Evicted pods first, then oldest first, then by name (byEvictionAndCreationTimestamp). */
export function byEvictionAndCreation(a: Pod, b: Pod): number {
  const ea = isEvicted(a);
  if (ea !== isEvicted(b)) return ea ? -1 : 1;
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
}

/** The terminated pods to delete so that at most `threshold` remain, in deletion order. */
export function terminatedPodsToDelete<T extends Pod>(pods: readonly T[], threshold: number): T[] {
  const terminated = pods.filter(isPodTerminated);
  const excess = terminated.length - threshold;
  if (threshold <= 0 || excess <= 0) return [];
  return terminated.sort(byEvictionAndCreation).slice(0, excess);
}

/** Terminating pods on nodes that are NotReady and tainted out-of-service (the node must be known). */
export function terminatingOutOfServicePods<T extends Pod>(pods: readonly T[], nodeNamed: (name: string) => Node | undefined): T[] {
  return pods
    .filter((p) => p.metadata?.deletionTimestamp && !isPodTerminated(p))
    .filter((p) => {
      const node = nodeNamed(p.spec?.nodeName ?? '');
      return node !== undefined && !isNodeReady(node) && (node.spec?.taints ?? []).some((t) => t.key === TAINT_NODE_OUT_OF_SERVICE);
    })
    .sort(byEvictionAndCreation);
}

export class PodGCController implements ManagedController {
  readonly name = 'pod-garbage-collector-controller';
  private readonly controller: Controller;
  private pods!: SharedInformer<PodObject>;
  private nodes!: SharedInformer<NodeObject>;
  /** Missing nodes and when their quarantine ends (kube's nodeQueue). */
  private readonly quarantine = new Map<string, number>();
  private readonly threshold: number;
  private readonly periodMs: number;
  private readonly quarantineMs: number;
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    opts: PodGCOptions = {},
  ) {
    this.threshold = opts.terminatedPodThreshold ?? ctx.terminatedPodGCThreshold ?? DEFAULT_TERMINATED_POD_GC_THRESHOLD;
    this.periodMs = opts.gcCheckPeriodMs ?? GC_CHECK_PERIOD_MS;
    this.quarantineMs = opts.quarantineMs ?? QUARANTINE_MS;
    this.controller = new Controller({ name: this.name, sync: () => this.gc(), logger: ctx.logger.child({ controller: this.name }) });
  }

  async init(): Promise<void> {
    this.pods = this.ctx.informers.informerFor<PodObject>(PODS);
    this.nodes = this.ctx.informers.informerFor<NodeObject>(NODES);
    // A deleted node starts its quarantine at once, and a pass runs when it ends, so orphans go ~40 s after
    // their node instead of up to a period later (the check itself is kube's).
    this.nodes.addEventHandler({ onDelete: (node) => this.startQuarantine(node.metadata.name!, Date.now()) });
  }

  async run(): Promise<void> {
    await Promise.all([this.pods.waitForSync(), this.nodes.waitForSync()]);
    this.controller.run(1);
    this.controller.enqueue(GC_KEY);
    this.ticker = setInterval(() => this.controller.enqueue(GC_KEY), this.periodMs);
    this.ticker.unref();
  }

  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    await this.controller.stop();
  }

  private startQuarantine(nodeName: string, now: number): void {
    if (this.quarantine.has(nodeName)) return;
    this.quarantine.set(nodeName, now + this.quarantineMs);
    this.controller.enqueueAfter(GC_KEY, this.quarantineMs + 10);
  }

  /** One pass over every pod (kube's gc). */
  async gc(): Promise<void> {
    const pods = this.pods.lister().list();
    const nodeNamed = (name: string): NodeObject | undefined => this.nodes.lister().get(name);
    if (this.threshold > 0) await this.deleteAll(terminatedPodsToDelete(pods, this.threshold), undefined, 'terminated pod over the threshold');
    await this.deleteAll(terminatingOutOfServicePods(pods, nodeNamed), undefined, 'terminating pod on an out-of-service node');
    await this.gcOrphaned(pods, nodeNamed);
    const unscheduled = pods.filter((p) => p.metadata.deletionTimestamp && !p.spec?.nodeName);
    await this.deleteAll(unscheduled, undefined, 'unscheduled terminating pod');
  }

  /** Pods bound to nodes that have been missing for the whole quarantine and that the apiserver confirms gone. */
  private async gcOrphaned(pods: PodObject[], nodeNamed: (name: string) => NodeObject | undefined): Promise<void> {
    const now = Date.now();
    for (const pod of pods) {
      const nodeName = pod.spec?.nodeName;
      if (nodeName && !nodeNamed(nodeName)) this.startQuarantine(nodeName, now);
    }
    const deleted = new Set<string>();
    for (const [nodeName, readyAt] of this.quarantine) {
      if (readyAt > now) continue;
      this.quarantine.delete(nodeName);
      if (nodeNamed(nodeName)) continue;
      try {
        await this.ctx.client.resource<NodeObject>(NODES).get(nodeName);
      } catch (err) {
        // Any other error: the node is looked at again when a later pass finds it missing.
        if (isNotFound(err)) deleted.add(nodeName);
        else this.controller.log.warn({ node: nodeName, err: err instanceof Error ? err.message : String(err) }, 'error while getting node');
      }
    }
    if (deleted.size === 0) return;
    const orphans = pods.filter((p) => deleted.has(p.spec?.nodeName ?? ''));
    const condition: PodCondition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' };
    await this.deleteAll(orphans, condition, 'orphaned pod of a deleted node');
  }

  private async deleteAll(pods: PodObject[], condition: PodCondition | undefined, why: string): Promise<void> {
    const errors: unknown[] = [];
    for (let i = 0; i < pods.length; i += DELETE_CONCURRENCY) {
      await Promise.all(
        pods.slice(i, i + DELETE_CONCURRENCY).map((p) =>
          this.markFailedAndDeletePod(p, condition, why).catch((err: unknown) => {
            if (!isNotFound(err)) errors.push(err);
          }),
        ),
      );
    }
    // The next pass retries what failed; the first error is logged by the worker.
    if (errors.length > 0) throw errors[0];
  }

  /**
   * Marks an unfinished pod Failed (no kubelet will, for an orphan), with `condition` if given, then deletes it
   * with grace period 0; both guarded by the pod's uid so a pod recreated under the name is left alone.
   */
  async markFailedAndDeletePod(pod: PodObject, condition: PodCondition | undefined, why: string): Promise<void> {
    const ns = pod.metadata.namespace!;
    const name = pod.metadata.name!;
    const pods = this.ctx.client.resource<PodObject>(PODS).namespace(ns);
    this.controller.log.info({ pod: `${ns}/${name}`, node: pod.spec?.nodeName, reason: why }, 'PodGC is force deleting Pod');
    if (!isPodTerminated(pod)) {
      const status: Record<string, unknown> = { phase: 'Failed' };
      if (condition) {
        const existing = (pod.status?.conditions ?? []).find((c) => c.type === condition.type);
        const changed = !existing || existing.status !== condition.status;
        status.conditions = [{ ...condition, lastTransitionTime: changed ? rfc3339() : existing.lastTransitionTime }];
      }
      await pods.patch(name, 'strategic', { metadata: { uid: pod.metadata.uid }, status }, { subresource: 'status' });
    }
    await pods.delete(name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } });
  }
}
