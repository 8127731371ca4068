/**
 * The node lifecycle controller (kube's node-lifecycle-controller): watches each node's heartbeat — its Lease
 * in kube-node-lease and its Ready condition — and, when neither moved for node-monitor-grace-period (40 s),
 * marks the node's conditions Unknown and its pods not Ready; and it keeps the condition taints (not-ready,
 * unreachable, memory/disk/pid-pressure, network-unavailable) and the unschedulable taint in step with the
 * node. Pod eviction from NoExecute taints is the taint eviction controller's (taint-eviction.ts).
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, Pod } from 'kubernetes-types/core/v1.js';
import { Controller } from '../../client/controller.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { SharedInformer } from '../../client/informer.js';
import { LEASES, NODES, PODS } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { POD_NODE_INDEX, podNodeIndexFunc, reconcileTaints } from './taints.js';
import { rfc3339 } from '../../apimachinery/time.js';

type NodeObject = Node & KubeObject;
type LeaseObject = Lease & KubeObject;
type PodObject = Pod & KubeObject;

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** kube-controller-manager's --node-monitor-grace-period default. */
export const DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS = 40_000;
/** kube-controller-manager's --node-monitor-period default. */
export const DEFAULT_NODE_MONITOR_PERIOD_MS = 5_000;
/** The conditions a kubelet posts, which go Unknown together when it stops. */
const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export interface NodeLifecycleOptions {
  /** How long a node may go without a heartbeat before it is Unknown (default 40 s). */
  gracePeriodMs?: number;
  /** How often every node's health is checked (default 5 s, and never more than a quarter of the grace period). */
  monitorPeriodMs?: number;
}

/** What the controller last saw of a node's heartbeat, stamped with its own clock (kube's nodeHealthData). */
interface NodeHealth {
  probeMs: number;
  heartbeat: string | undefined;
  leaseRenew: string | undefined;
}


/** The conditions of a node whose kubelet went silent (kube's tryUpdateNodeHealth). */
export function unknownConditions(node: Node, now: string): NodeCondition[] | undefined {
  const conditions = [...(node.status?.conditions ?? [])];
  const ready = conditions.find((c) => c.type === 'Ready');
  const neverPosted = !ready;
  let changed = false;
  for (const type of KUBELET_CONDITIONS) {
    const i = conditions.findIndex((c) => c.type === type);
    const reason = neverPosted ? 'NodeStatusNeverUpdated' : 'NodeStatusUnknown';
    const message = neverPosted ? 'Kubelet never posted node status.' : 'Kubelet stopped posting node status.';
    if (i < 0) {
      conditions.push({ type, status: 'Unknown', reason, message, lastHeartbeatTime: node.metadata?.creationTimestamp ?? now, lastTransitionTime: now });
      changed = true;
    } else if (conditions[i]!.status !== 'Unknown') {
      conditions[i] = { ...conditions[i]!, status: 'Unknown', reason, message, lastTransitionTime: now };
      changed = true;
    }
  }
  return changed ? conditions : undefined;
}

export class NodeLifecycleController implements ManagedController {
  readonly name = 'node-lifecycle-controller';
  private readonly controller: Controller;
  private readonly recorder: EventRecorder;
  private readonly health = new Map<string, NodeHealth>();
  private readonly gracePeriodMs: number;
  private readonly monitorPeriodMs: number;
  private nodes!: SharedInformer<NodeObject>;
  private leases!: SharedInformer<LeaseObject>;
  private pods!: SharedInformer<PodObject>;
  private monitor: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    opts: NodeLifecycleOptions = {},
  ) {
    this.gracePeriodMs = opts.gracePeriodMs ?? ctx.nodeMonitorGracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS;
    this.monitorPeriodMs = opts.monitorPeriodMs ?? Math.max(100, Math.min(DEFAULT_NODE_MONITOR_PERIOD_MS, Math.floor(this.gracePeriodMs / 4)));
    this.controller = new Controller({ name: this.name, sync: (name) => this.sync(name), logger: ctx.logger.child({ controller: this.name }) });
    this.recorder = new EventRecorder(ctx.client, 'node-controller', '', this.controller.log);
  }

  async init(): Promise<void> {
    this.nodes = this.ctx.informers.informerFor<NodeObject>(NODES);
    this.leases = this.ctx.informers.informerFor<LeaseObject>(LEASES);
    this.pods = this.ctx.informers.informerFor<PodObject>(PODS);
    this.pods.addIndexers({ [POD_NODE_INDEX]: podNodeIndexFunc });
    this.nodes.addEventHandler({
      onAdd: (n) => this.observe(n.metadata.name!),
      onUpdate: (_o, n) => this.observe(n.metadata.name!),
      onDelete: (n) => this.health.delete(n.metadata.name!),
    });
    this.leases.addEventHandler({
      onAdd: (l) => this.observeLease(l),
      onUpdate: (_o, l) => this.observeLease(l),
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.nodes.waitForSync(), this.leases.waitForSync(), this.pods.waitForSync()]);
    this.controller.run(2);
    // Only nodes whose heartbeat is overdue need a look; every other change arrives as a node event.
    this.monitor = setInterval(() => {
      const now = Date.now();
      for (const [name, h] of this.health) if (now - h.probeMs > this.gracePeriodMs) this.controller.enqueue(name);
    }, this.monitorPeriodMs);
    this.monitor.unref();
  }

  async stop(): Promise<void> {
    if (this.monitor) clearInterval(this.monitor);
    await this.controller.stop();
  }

  private observeLease(lease: LeaseObject): void {
    // A renewal only moves the probe time: the node's conditions change when its kubelet posts status.
    if (lease.metadata.namespace === NODE_LEASE_NAMESPACE) this.observe(lease.metadata.name!, false);
  }

  /** Moves the probe time when the heartbeat or the lease changed since last seen. */
  private observe(name: string, enqueue = true): void {
    const node = this.nodes.lister().get(name);
    if (!node) return;
    const heartbeat = node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime;
    const leaseRenew = this.leases.lister().namespace(NODE_LEASE_NAMESPACE).get(name)?.spec?.renewTime;
    const now = Date.now();
    const seen = this.health.get(name);
    if (!seen) this.health.set(name, { probeMs: now, heartbeat, leaseRenew });
    else if (seen.heartbeat !== heartbeat || seen.leaseRenew !== leaseRenew) this.health.set(name, { probeMs: now, heartbeat, leaseRenew });
    if (enqueue) this.controller.enqueue(name);
  }

  private async sync(name: string): Promise<void> {
    const node = this.nodes.lister().get(name);
    if (!node) return;
    const health = this.health.get(name);
    if (!health) return this.observe(name);
    const nodes = this.ctx.client.resource<NodeObject>(NODES);
    try {
      const silentMs = Date.now() - health.probeMs;
      if (silentMs > this.gracePeriodMs) {
        const conditions = unknownConditions(node, rfc3339());
        if (conditions) {
          const wasReady = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
          this.controller.log.info({ node: name, silentMs }, 'node stopped posting status; marking Unknown');
          await nodes.updateStatus({ ...node, status: { ...node.status, conditions } });
          if (wasReady) void this.recorder.event({ ...node, apiVersion: 'v1', kind: 'Node' }, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
          await this.markPodsNotReady(name);
          return; // The status write comes back as an event; taints follow from the new conditions.
        }
      }
      const taints = reconcileTaints(node, rfc3339());
      if (taints) {
        await nodes.patch(name, 'merge', { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { taints: taints.length > 0 ? taints : null } });
      }
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
      if (ready !== 'True') await this.markPodsNotReady(name);
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) {
        // The cache was behind: the newer object is on its way.
        this.controller.enqueueAfter(name, 100);
        return;
      }
      throw err;
    }
  }

  /** kube's MarkPodsNotReady: pods on a node that is not Ready stop being Ready (so endpoints drop them). */
  private async markPodsNotReady(nodeName: string): Promise<void> {
    const pods = this.ctx.client.resource<PodObject>(PODS);
    for (const pod of this.pods.indexer.byIndex(POD_NODE_INDEX, nodeName)) {
      if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      const conditions = pod.status?.conditions ?? [];
      const ready = conditions.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      const now = rfc3339();
      const next = conditions.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: now } : c));
      try {
        await pods.namespace(pod.metadata.namespace!).updateStatus({ ...pod, status: { ...pod.status, conditions: next } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
  }
}
