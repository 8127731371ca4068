/**
 * Simulated nodes (as KWOK does): Nodes registered through the client, their Leases renewed and Ready
 * condition refreshed as a kubelet would, and the pods bound to them moved through their lifecycle without
 * containers — Running and Ready after a delay, a pod IP from the node's CIDR, Succeeded after the run time a
 * pod declares, and gone once deleted (the kubelet's final delete). One process holds thousands of nodes: a
 * single pod informer serves them all, and heartbeats are spread over the renew interval.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { ContainerStatus, Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import type { Client, ResourceClient } from '../client/client.js';
import { isAlreadyExists, isNotFound } from '../client/errors.js';
import { SharedInformer } from '../client/informer.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import { LEASES, NODES, PODS } from '../client/resources.js';
import type { KubeObject } from '../client/types.js';
import { componentLogger } from '../util/log.js';
import { NODE_LEASE_NAMESPACE, nodeLease, renewNodeLease } from '../kubelet/nodelease.js';
import {
  DEFAULT_SIM_NODE_OPTIONS,
  internalIP,
  nodeName,
  nodeObject,
  podCIDR,
  readyConditions,
  SIM_RUN_SECONDS_ANNOTATION,
  type SimNodeOptions,
} from './node-template.js';
import { microTime, rfc3339 } from '../apimachinery/time.js';

/** kube's nodeStatusReportFrequency: how often a kubelet posts a node status that has not changed. */
const NODE_STATUS_REPORT_MS = 5 * 60_000;

export interface SimulatorOptions extends Partial<SimNodeOptions> {
  /** How long a bound pod takes to be Running and Ready (default 1 s). */
  podStartDelayMs?: number;
  /** How often each node's Lease is renewed (default 10 s, as the kubelet). */
  leaseRenewIntervalMs?: number;
  /** How often each node's Ready condition heartbeat is refreshed (default 5 minutes, kube's nodeStatusReportFrequency). */
  nodeStatusIntervalMs?: number;
  /** Concurrent requests while registering nodes. */
  concurrency?: number;
  /** Informers shared with the process's other components (their owner stops them); its own pod informer otherwise. */
  informers?: SharedInformerFactory;
  logger?: Logger;
}

type PodObject = Pod & KubeObject;



/** Runs `work` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Pod IPs of one node's /24: .1 is the gateway, .2-.254 go to pods. */
class PodIPPool {
  private readonly free: number[] = [];
  private nextHost = 2;
  private readonly byPod = new Map<string, string>();

  constructor(private readonly prefix: string) {}

  allocate(uid: string, current?: string): string {
    const held = this.byPod.get(uid);
    if (held) return held;
    if (current?.startsWith(this.prefix)) {
      this.byPod.set(uid, current);
      return current;
    }
    const host = this.free.pop() ?? (this.nextHost <= 254 ? this.nextHost++ : undefined);
    // A full /24 (more than 253 pods on one node) reuses addresses: the simulation has no network to clash on.
    const ip = `${this.prefix}${host ?? 2 + (this.byPod.size % 253)}`;
    this.byPod.set(uid, ip);
    return ip;
  }

  release(uid: string): void {
    const ip = this.byPod.get(uid);
    if (!ip) return;
    this.byPod.delete(uid);
    this.free.push(Number(ip.slice(this.prefix.length)));
  }
}

export class NodeSimulator {
  private readonly opts: SimNodeOptions;
  private readonly log: Logger;
  private readonly nodes = new Map<string, { index: number; ips: PodIPPool }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Pods with a pending transition (start, finish), so a repeated event does not schedule it twice. */
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private podInformer: SharedInformer<PodObject> | undefined;
  private stopped = false;

  constructor(
    private readonly client: Client,
    private readonly simOpts: SimulatorOptions = {},
  ) {
    this.opts = { ...DEFAULT_SIM_NODE_OPTIONS, ...Object.fromEntries(Object.entries(simOpts).filter(([, v]) => v !== undefined)) } as SimNodeOptions;
    this.log = simOpts.logger ?? componentLogger('sim');
  }

  /** Node names this simulator runs. */
  get nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** Registers the nodes and their leases, then starts heartbeats and the pod lifecycle. */
  async start(): Promise<void> {
    const started = performance.now();
    const indexes = Array.from({ length: this.opts.count }, (_, i) => i);
    for (const i of indexes) this.nodes.set(nodeName(this.opts, i), { index: i, ips: new PodIPPool(podCIDR(i).prefix) });
    const nodes = this.client.resource<Node & KubeObject>(NODES);
    const leases = this.client.resource<Lease & KubeObject>(LEASES).namespace(NODE_LEASE_NAMESPACE);
    let registered = 0;
    await eachLimited(indexes, this.simOpts.concurrency ?? 32, async (i) => {
      const now = rfc3339();
      try {
        await nodes.create(nodeObject(this.opts, i, now) as Node & KubeObject);
      } catch (err) {
        // A restarted simulator adopts the nodes it registered before.
        if (!isAlreadyExists(err)) throw err;
      }
      await this.renewLease(leases, nodeName(this.opts, i));
      registered++;
      if (registered % 1000 === 0) this.log.info({ registered, of: this.opts.count }, 'registering simulated nodes');
    });
    // Shared, it is everyone's pod informer (handlers skip pods on other nodes); alone, it watches bound pods only.
    this.podInformer = this.simOpts.informers
      ? this.simOpts.informers.informerFor<PodObject>(PODS)
      : new SharedInformer<PodObject>(this.client.resource<PodObject>(PODS), { fieldSelector: 'spec.nodeName!=', logger: this.log });
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.syncPod(pod),
      onUpdate: (_old, pod) => this.syncPod(pod),
      onDelete: (pod) => this.forgetPod(pod),
    });
    if (this.simOpts.informers) this.simOpts.informers.start();
    else this.podInformer.run();
    this.startHeartbeats(nodes, leases);
    this.log.info({ nodes: this.opts.count, ms: Math.round(performance.now() - started) }, 'simulated nodes registered');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    if (!this.simOpts.informers) this.podInformer?.stop();
  }

  /**
   * Lease renewals spread evenly over the interval, like many kubelets' would be; the Ready heartbeat in the
   * node status only every few renewals (kube's kubelet reports an unchanged status every 5 minutes and
   * relies on the Lease in between), spread the same way.
   */
  private startHeartbeats(nodes: ReturnType<Client['resource']>, leases: ResourceClient<Lease & KubeObject>): void {
    const names = this.nodeNames;
    if (names.length === 0) return;
    const renewMs = this.simOpts.leaseRenewIntervalMs ?? 10_000;
    const statusEvery = Math.max(1, Math.round((this.simOpts.nodeStatusIntervalMs ?? NODE_STATUS_REPORT_MS) / renewMs));
    const slices = Math.max(1, Math.min(names.length, Math.floor(renewMs / 100)));
    const batches = Array.from({ length: slices }, (_, s) => names.filter((_, i) => i % slices === s));
    let slice = 0;
    let round = 0;
    const tick = setInterval(() => {
      const batch = batches[slice]!;
      slice = (slice + 1) % slices;
      if (slice === 0) round++;
      const refreshStatus = round % statusEvery === statusEvery - 1;
      void eachLimited(batch, 16, async (name) => {
        if (this.stopped) return;
        try {
          await this.renewLease(leases, name);
          if (refreshStatus) await this.refreshNodeStatus(nodes, name);
        } catch (err) {
          this.log.warn({ err, node: name }, 'node heartbeat failed');
        }
      });
    }, renewMs / slices);
    tick.unref();
    this.timers.add(tick);
  }

  private async renewLease(leases: ResourceClient<Lease & KubeObject>, name: string): Promise<void> {
    await renewNodeLease(leases, nodeLease(name, microTime()));
  }

  /** Refreshes a node's Ready heartbeat (and puts the condition back if someone changed it). */
  private async refreshNodeStatus(nodes: ReturnType<Client['resource']>, name: string): Promise<void> {
    await nodes.patch(name, 'merge', { status: { conditions: readyConditions(rfc3339()) } }, { subresource: 'status' });
  }

  private syncPod(pod: PodObject): void {
    const node = this.nodes.get(pod.spec?.nodeName ?? '');
    if (!node || this.stopped) return;
    const uid = pod.metadata.uid!;
    if (pod.metadata.deletionTimestamp) {
      // The containers "stop" at once; the kubelet's delete with grace 0 completes the graceful deletion.
      this.clearPending(uid);
      this.later(uid, 0, () => this.finalizeDelete(pod));
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed' || this.pending.has(uid)) return;
    if (phase !== 'Running') {
      this.later(uid, this.simOpts.podStartDelayMs ?? 1000, () => this.markRunning(pod, node.ips.allocate(uid, pod.status?.podIP)));
      return;
    }
    const runSeconds = Number(pod.metadata.annotations?.[SIM_RUN_SECONDS_ANNOTATION]);
    if (pod.spec?.restartPolicy !== 'Always' && Number.isFinite(runSeconds) && runSeconds >= 0) {
      const startedAt = Date.parse(pod.status?.startTime ?? '') || Date.now();
      this.later(uid, Math.max(0, startedAt + runSeconds * 1000 - Date.now()), () => this.markSucceeded(pod));
    }
  }

  private forgetPod(pod: PodObject): void {
    const uid = pod.metadata.uid!;
    this.clearPending(uid);
    this.nodes.get(pod.spec?.nodeName ?? '')?.ips.release(uid);
  }

  private later(uid: string, delayMs: number, work: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.pending.delete(uid);
      work().catch((err: unknown) => {
        if (!isNotFound(err)) this.log.warn({ err, pod: uid }, 'simulated pod transition failed');
      });
    }, delayMs);
    this.pending.set(uid, timer);
  }

  private clearPending(uid: string): void {
    const t = this.pending.get(uid);
    if (t) clearTimeout(t);
    this.pending.delete(uid);
  }

  private pods(pod: PodObject): ReturnType<Client['resource']> {
    return this.client.resource(PODS).namespace(pod.metadata.namespace!);
  }

  private async markRunning(pod: PodObject, podIP: string): Promise<void> {
    const now = rfc3339();
    const node = this.nodes.get(pod.spec!.nodeName!)!;
    const hostIP = internalIP(node.index);
    const running = (c: { name: string; image?: string }): ContainerStatus => ({
      name: c.name,
      image: c.image ?? '',
      imageID: `sim://${c.image ?? ''}`,
      containerID: `sim://${pod.metadata.uid}-${c.name}`,
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: now } },
    });
    const initDone = (c: { name: string; image?: string }): ContainerStatus => ({
      ...running(c),
      ready: false,
      started: false,
      state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now, containerID: `sim://${pod.metadata.uid}-${c.name}` } },
    });
    const condition = (type: string): PodCondition => ({ type, status: 'True', lastTransitionTime: now });
    await this.pods(pod).patch(
      pod.metadata.name!,
      'merge',
      {
        status: {
          phase: 'Running',
          hostIP,
          hostIPs: [{ ip: hostIP }],
          podIP,
          podIPs: [{ ip: podIP }],
          startTime: now,
          conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(condition),
          containerStatuses: (pod.spec?.containers ?? []).map(running),
          ...(pod.spec?.initContainers?.length ? { initContainerStatuses: pod.spec.initContainers.map(initDone) } : {}),
        },
      },
      { subresource: 'status' },
    );
  }

  private async markSucceeded(pod: PodObject): Promise<void> {
    const now = rfc3339();
    const done = (c: { name: string; image?: string }): ContainerStatus => ({
      name: c.name,
      image: c.image ?? '',
      imageID: `sim://${c.image ?? ''}`,
      containerID: `sim://${pod.metadata.uid}-${c.name}`,
      ready: false,
      started: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: pod.status?.startTime ?? now, finishedAt: now } },
    });
    const notReady = (type: string): PodCondition => ({ type, status: 'False', reason: 'PodCompleted', lastTransitionTime: now });
    await this.pods(pod).patch(
      pod.metadata.name!,
      'strategic',
      {
        status: {
          phase: 'Succeeded',
          conditions: [notReady('Ready'), notReady('ContainersReady')],
          containerStatuses: (pod.spec?.containers ?? []).map(done),
        },
      },
      { subresource: 'status' },
    );
  }

  private async finalizeDelete(pod: PodObject): Promise<void> {
    await this.pods(pod).delete(pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } });
  }
}
