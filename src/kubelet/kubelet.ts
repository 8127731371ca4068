/**
 * The node agent (kubelet): registers this machine as a Node, renews its Lease every 10 s, reports node
 * conditions and images, and runs the pods bound to it through a CRI runtime — one pod worker per pod, woken by
 * the pod informer, by the runtime's container events (a relist every second, the kubelet's PLEG), by probe
 * results and by back-off timers; it writes each pod's status when it changes and finishes graceful deletions.
 */
import { mkdir, readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { ConfigMap, Node, PersistentVolume, PersistentVolumeClaim, Pod, PodCondition, PodStatus, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { microTime, rfc3339 } from '../apimachinery/time.js';
import type { Client } from '../client/client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../client/errors.js';
import { EventRecorder } from '../client/event-recorder.js';
import type { SharedInformer } from '../client/informer.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { CONFIGMAPS, LEASES, NODES, PODS, SECRETS, SERVICES, builtinResource } from '../client/resources.js';
import type { KubeObject } from '../client/types.js';
import { componentLogger } from '../util/log.js';
import { NODE_LEASE_NAMESPACE, nodeLease, renewNodeLease } from './nodelease.js';
import { ContainerState, type AuthConfig, type DNSConfig, type ImageService, type RuntimeService } from './cri/types.js';
import { parseResolvConf } from './kuberuntime/container-config.js';
import { MANAGED_LABEL, POD_UID_LABEL } from './kuberuntime/labels.js';
import { KubeRuntimeManager, type ProbeHost, type VolumeHost } from './kuberuntime/manager.js';
import { latestByName, podRuntimeStatus, previousByName, type PodRuntimeLists, type PodRuntimeStatus, type RuntimeContainer } from './kuberuntime/runtime-status.js';
import { defaultNodeName, evictionObservations, initialNode, machineInfo, nodeConditions, nodeImages, nodeInternalIP, type MachineInfo } from './nodestatus.js';
import { StatsProvider } from './stats/summary.js';
import { ContainerLogRotator } from './logs/rotator.js';
import { DEFAULT_EVICTION_HARD, EvictionManager, parseEvictionHard, type Threshold } from './eviction/manager.js';
import { DEFAULT_IMAGE_GC_POLICY, ImageGCManager, type ImageGCPolicy } from './images/gc.js';
import { generatePodStatus } from './status/generate.js';
import { PodWorkers } from './pod-workers.js';
import { ProbeManager } from './prober/manager.js';
import type { Registry } from 'prom-client';
import type { KubeletServerHost, ServedContainer } from './server/host.js';
import { credentialsFor } from './image-pull-secrets.js';

type PodObject = Pod & KubeObject;

const PVCS = builtinResource('', 'v1', 'persistentvolumeclaims');
const PVS = builtinResource('', 'v1', 'persistentvolumes');

export interface KubeletOptions {
  client: Client;
  runtime: RuntimeService;
  images: ImageService;
  /** The runtime's name and version for node status (`containerd://1.6.20`). */
  runtimeVersion?: string;
  nodeName?: string;
  /** The kubelet's state: pods/<uid>/volumes, etc-hosts, termination messages. */
  rootDir: string;
  /** Containers' log files (default `<rootDir>/pod-logs`). */
  logRoot?: string;
  podCIDR?: string;
  kubeletPort?: number;
  maxPods?: number;
  nodeLabels?: Record<string, string>;
  /** Informers shared with the process's other components (pods on this node, services). */
  informers?: SharedInformerFactory;
  /** How the node's volumes are set up (the volume manager); given so tests and `k8ts up` can choose. */
  volumes: VolumeHost & { tearDownPod(uid: string): Promise<void>; cleanupOrphanedPods(activeUids: ReadonlySet<string>): Promise<void> };
  /** Where the prober's metrics go. */
  metricsRegistry?: Registry;
  /** Status heartbeat (default 10 s) and lease renewal (default 10 s). */
  nodeStatusIntervalMs?: number;
  leaseRenewIntervalMs?: number;
  /** `--eviction-hard` thresholds (default memory.available<100Mi,nodefs.available<10%). */
  evictionHard?: readonly Threshold[];
  imageGCPolicy?: ImageGCPolicy;
  /** Images image GC never removes (the sandbox image). */
  pinnedImages?: readonly string[];
  /** How often every pod is synced again (kubelet's --sync-frequency, default 1 min). */
  syncFrequencyMs?: number;
  /** How often the runtime is relisted for container events (default 1 s). */
  relistIntervalMs?: number;
  logger?: Logger;
}

interface PodState {
  /** When the agent first saw the pod (its startTime). */
  firstSeenMs: number;
  /** The status last written, to write only changes. */
  lastStatus?: string;
  terminationMessages: Map<string, string>;
  finished?: boolean;
  /** Failed by the agent itself (evicted, past its deadline): never started again. */
  failed?: boolean;
}

export class Kubelet {
  readonly nodeName: string;
  /** The kubelet server's port, published in the Node's daemonEndpoints (set before start). */
  kubeletPort: number;
  private readonly log: Logger;
  private readonly informers: SharedInformerFactory;
  private readonly ownsInformers: boolean;
  private podInformer!: SharedInformer<PodObject>;
  private serviceInformer!: SharedInformer<Service & KubeObject>;
  private readonly recorder: EventRecorder;
  private runtimeManager!: KubeRuntimeManager;
  private readonly workers: PodWorkers;
  private readonly podStates = new Map<string, PodState>();
  /** uid -> the latest pod object seen. */
  private readonly podsByUid = new Map<string, PodObject>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly resyncTimers = new Map<string, NodeJS.Timeout>();
  /** Containers' states at the last relist (PLEG). */
  private relisted = new Map<string, { uid: string; state: ContainerState }>();
  /** The last relist's sandboxes and containers by pod UID, and when its list calls began. */
  private snapshot: { listedAtMs: number; byPod: Map<string, PodRuntimeLists> } = { listedAtMs: 0, byPod: new Map() };
  /** When the agent last changed (or read after changing) each pod's runtime state. */
  private readonly lastActionMs = new Map<string, number>();
  private machine!: MachineInfo;
  private hostIP = '127.0.0.1';
  private hostDNS: DNSConfig = { servers: [], searches: [], options: [] };
  private node: Node | undefined;
  private stopped = false;
  /** Per-container and per-pod CPU and memory (the Summary API). */
  readonly stats: StatsProvider;
  private readonly eviction: EvictionManager;
  private readonly imageGC: ImageGCManager;
  private readonly logRotator: ContainerLogRotator;
  private readonly prober: ProbeManager;
  /** The probes' view for the sync loop; kill requests wait here, by container ID, for the next sync. */
  private readonly probes: ProbeHost;
  private readonly killRequests = new Map<string, { reason: string; message: string; gracePeriodSeconds: number }>();
  /** The runtime's view of each pod at its last sync, for the kubelet server and the prober. */
  private readonly lastRuntime = new Map<string, { runtime: PodRuntimeStatus; waiting: ReadonlyMap<string, { reason: string }> }>();

  constructor(private readonly o: KubeletOptions) {
    this.nodeName = o.nodeName ?? defaultNodeName();
    this.kubeletPort = o.kubeletPort ?? 10250;
    this.log = o.logger ?? componentLogger('kubelet');
    this.ownsInformers = !o.informers;
    this.informers = o.informers ?? new SharedInformerFactory(o.client, { logger: this.log });
    this.recorder = new EventRecorder(o.client, 'kubelet', this.nodeName, this.log);
    this.stats = new StatsProvider(o.runtime, this.nodeName);
    this.eviction = new EvictionManager({
      thresholds: o.evictionHard ?? parseEvictionHard(DEFAULT_EVICTION_HARD),
      observe: async () => ({ observations: await evictionObservations(o.rootDir), summary: await this.stats.summary() }),
      activePods: () => [...this.podsByUid.values()].filter((p) => !p.metadata.deletionTimestamp && !this.podStates.get(p.metadata.uid!)?.failed && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed'),
      evict: async (pod, message) => {
        const state = this.podStates.get(pod.metadata!.uid!);
        if (state) await this.failPod(pod as PodObject, state, 'Evicted', message, { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message });
      },
      logger: this.log,
    });
    this.imageGC = new ImageGCManager({
      runtime: o.runtime,
      images: o.images,
      fsUsage: async () => {
        const info = (await o.images.imageFsInfo())[0];
        const fs = await statfs(info?.fsId?.mountpoint || o.rootDir);
        return { capacityBytes: fs.blocks * fs.bsize, availableBytes: fs.bavail * fs.bsize };
      },
      policy: o.imageGCPolicy ?? DEFAULT_IMAGE_GC_POLICY,
      pinned: o.pinnedImages,
      logger: this.log,
    });
    this.logRotator = new ContainerLogRotator({
      runtime: o.runtime,
      // The running containers of the last syncs: their log files are the ones still being written.
      containers: () =>
        [...this.lastRuntime.values()].flatMap(({ runtime }) => runtime.containers.filter((c) => c.state === ContainerState.CONTAINER_RUNNING && c.logPath).map((c) => ({ id: c.id, logPath: c.logPath }))),
      logger: this.log,
    });
    this.prober = new ProbeManager({ runtime: o.runtime, ...(o.metricsRegistry ? { registry: o.metricsRegistry } : {}) });
    this.prober.on('result', (e) => this.workers.enqueue(e.podUid));
    this.prober.on('kill', (e) => {
      this.killRequests.set(e.containerId, { reason: e.reason, message: e.message, gracePeriodSeconds: e.gracePeriodSeconds });
      this.workers.enqueue(e.podUid);
    });
    this.prober.on('event', (e) => {
      const pod = this.podsByUid.get(e.podUid);
      if (pod) void this.recorder.event(pod, e.type, e.reason, e.message);
    });
    this.probes = {
      shouldRestart: (id) => this.killRequests.get(id),
      isStarted: (uid, name) => this.prober.isStarted(uid, name),
      isReady: (uid, name) => this.prober.isReady(uid, name),
      containerStarted: (pod, name, id, podIP) => {
        this.ensureProbed(pod, podIP);
        this.prober.containerStarted(pod.metadata!.uid!, name, id);
      },
      containerStopped: (uid, name, id) => {
        this.killRequests.delete(id);
        this.prober.containerStopped(uid, name, id);
      },
      removePod: (uid) => this.prober.removePod(uid),
    };
    this.workers = new PodWorkers((uid) => this.syncPodByUid(uid), this.log);
  }

  /** The runtime manager (the kubelet server reads logs and streams through it). */
  get runtime(): RuntimeService {
    return this.o.runtime;
  }

  /** What the kubelet's HTTPS server reads: the runtime, and each pod's containers with their log files. */
  serverHost(): KubeletServerHost {
    return {
      runtime: this.o.runtime,
      findPod: (namespace, name) => {
        const pod = this.podInformer?.lister().namespace(namespace).get(name);
        if (!pod) return undefined;
        const uid = pod.metadata.uid!;
        const last = this.lastRuntime.get(uid);
        const containers: Record<string, ServedContainer> = {};
        // The newest instance serves `logs` and `exec`; the one before it `logs --previous`.
        const latest = last ? latestByName(last.runtime) : new Map<string, RuntimeContainer>();
        const previousOnes = last ? previousByName(last.runtime) : new Map<string, RuntimeContainer>();
        for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
          const current = latest.get(c.name);
          const previous = previousOnes.get(c.name);
          containers[c.name] = {
            ...(current ? { id: current.id, logPath: current.logPath } : {}),
            ...(previous ? { previousLogPath: previous.logPath } : {}),
            running: current?.state === ContainerState.CONTAINER_RUNNING,
            waitingReason: last?.waiting.get(c.name)?.reason ?? (current ? undefined : 'ContainerCreating'),
          };
        }
        const sandbox = last?.runtime.sandboxes.find((s) => s.ready);
        return { uid, ...(sandbox ? { sandboxId: sandbox.id } : {}), containers };
      },
      summary: () => this.stats.summary(),
      isContainerRunning: async (_ns, _pod, _container, id) => {
        try {
          return (await this.o.runtime.containerStatus(id)).state === ContainerState.CONTAINER_RUNNING;
        } catch {
          return false;
        }
      },
    };
  }

  async start(): Promise<void> {
    await mkdir(this.o.rootDir, { recursive: true });
    this.machine = await machineInfo(this.o.rootDir);
    this.hostIP = nodeInternalIP();
    try {
      Object.assign(this.hostDNS, parseResolvConf(await readFile('/etc/resolv.conf', 'utf8')));
    } catch {
      // No resolv.conf: pods get an empty one, as with dnsPolicy None.
    }
    await this.registerNode();
    const o = this.o;
    this.runtimeManager = new KubeRuntimeManager({
      runtime: o.runtime,
      images: o.images,
      rootDir: o.rootDir,
      logRoot: o.logRoot ?? join(o.rootDir, 'pod-logs'),
      hostDNS: this.hostDNS,
      memoryCapacityBytes: this.machine.memoryBytes,
      volumes: o.volumes,
      env: {
        getConfigMap: (ns, name) => this.getOptional<ConfigMap>(CONFIGMAPS, ns, name),
        getSecret: (ns, name) => this.getOptional<Secret>(SECRETS, ns, name),
        nodeName: this.nodeName,
        hostIPs: [this.hostIP],
        nodeAllocatable: this.node?.status?.allocatable as Record<string, string> | undefined,
        listServices: () => this.serviceInformer.lister().list(),
      },
      probes: this.probes,
      recordEvent: (pod, type, reason, message) => void this.recorder.event(pod as PodObject, type, reason, message),
      pullCredentials: (pod, image) => this.pullCredentials(pod, image),
      resyncAfter: (pod, ms) => this.resyncAfter(pod.metadata!.uid!, ms),
      logger: this.log,
    });
    await this.renewLease();

    this.serviceInformer = this.informers.informerFor<Service & KubeObject>(SERVICES);
    this.podInformer = this.informers.informerFor<PodObject>(PODS, { fieldSelector: `spec.nodeName=${this.nodeName}` });
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.podChanged(pod),
      onUpdate: (_old, pod) => this.podChanged(pod),
      onDelete: (pod) => this.podRemoved(pod),
    });
    this.informers.start();
    await this.informers.waitForCacheSync();
    await this.cleanupOrphans();

    this.every(this.o.leaseRenewIntervalMs ?? 10_000, () => this.renewLease());
    this.every(this.o.nodeStatusIntervalMs ?? 10_000, () => this.updateNodeStatus());
    this.every(this.o.relistIntervalMs ?? 1000, () => this.relist());
    this.every(10_000, async () => {
      await this.eviction.synchronize();
    });
    this.every(300_000, async () => {
      await this.imageGC.garbageCollect();
    });
    this.logRotator.start();
    // Periodic resync of every pod (kube: 1 min), a safety net under the event-driven syncs.
    this.every(this.o.syncFrequencyMs ?? 60_000, async () => {
      for (const uid of this.podsByUid.keys()) this.workers.enqueue(uid);
    });
    this.log.info({ node: this.nodeName, hostIP: this.hostIP }, 'node agent started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.resyncTimers.values()) clearTimeout(t);
    this.resyncTimers.clear();
    await this.workers.stop();
    this.prober.stop();
    await this.logRotator.stop();
    if (this.ownsInformers) this.informers.shutdown();
  }

  private every(ms: number, fn: () => Promise<void>): void {
    let busy = false;
    const t = setInterval(() => {
      if (busy || this.stopped) return;
      busy = true;
      fn()
        .catch((err: unknown) => this.log.warn({ err }, 'periodic node agent work failed'))
        .finally(() => (busy = false));
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private async getOptional<T>(ref: typeof CONFIGMAPS, ns: string, name: string): Promise<T | undefined> {
    try {
      return (await this.o.client.resource(ref).namespace(ns).get(name)) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  getConfigMap(ns: string, name: string): Promise<ConfigMap | undefined> {
    return this.getOptional<ConfigMap>(CONFIGMAPS, ns, name);
  }

  getSecret(ns: string, name: string): Promise<Secret | undefined> {
    return this.getOptional<Secret>(SECRETS, ns, name);
  }

  /** The node's allocatable resources as registered. */
  allocatable(): Record<string, string> {
    return (this.node?.status?.allocatable ?? {}) as Record<string, string>;
  }

  /** PVCs and PVs for the volume manager. */
  getPVC(ns: string, name: string): Promise<PersistentVolumeClaim | undefined> {
    return this.getOptional<PersistentVolumeClaim>(PVCS, ns, name);
  }

  async getPV(name: string): Promise<PersistentVolume | undefined> {
    try {
      return (await this.o.client.resource(PVS).get(name)) as PersistentVolume;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async pullCredentials(pod: Pod, image: string): Promise<AuthConfig | undefined> {
    const secrets: Secret[] = [];
    for (const ref of pod.spec?.imagePullSecrets ?? []) {
      const s = ref.name ? await this.getOptional<Secret>(SECRETS, pod.metadata!.namespace!, ref.name) : undefined;
      if (s) secrets.push(s);
    }
    return credentialsFor(image, secrets);
  }

  // --- node -----------------------------------------------------------------------------------------------

  private async runtimeVersion(): Promise<string> {
    if (this.o.runtimeVersion) return this.o.runtimeVersion;
    const v = await this.o.runtime.version();
    return `${v.runtimeName}://${v.runtimeVersion}`;
  }

  private async registerNode(): Promise<void> {
    const nodes = this.o.client.resource<Node & KubeObject>(NODES);
    const desired = initialNode({
      name: this.nodeName,
      internalIP: this.hostIP,
      podCIDR: this.o.podCIDR,
      kubeletPort: this.kubeletPort,
      machine: this.machine,
      maxPods: this.o.maxPods ?? 110,
      runtimeVersion: await this.runtimeVersion(),
      labels: this.o.nodeLabels,
    });
    desired.status!.conditions = nodeConditions({ memoryPressure: false, diskPressure: false, runtimeReady: true }, undefined);
    try {
      this.node = await nodes.create(desired as Node & KubeObject);
      this.log.info({ node: this.nodeName }, 'node registered');
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Re-registration after a restart: the Node keeps its spec (taints, cordon); labels and status are ours.
      await nodes.patch(this.nodeName, 'merge', { metadata: { labels: desired.metadata!.labels } });
      this.node = await nodes.patch(this.nodeName, 'merge', { status: desired.status }, { subresource: 'status' });
    }
  }

  private async renewLease(): Promise<void> {
    const leases = this.o.client.resource<Lease & KubeObject>(LEASES).namespace(NODE_LEASE_NAMESPACE);
    await renewNodeLease(leases, nodeLease(this.nodeName, microTime(), this.node?.metadata?.uid));
  }

  private async updateNodeStatus(): Promise<void> {
    let runtimeReady = true;
    let runtimeMessage: string | undefined;
    try {
      const st = await this.o.runtime.status();
      const bad = st.conditions.filter((c) => !c.status);
      if (bad.length > 0) {
        runtimeReady = false;
        runtimeMessage = `container runtime network not ready: ${bad.map((c) => `${c.type}=false reason:${c.reason} message:${c.message}`).join(', ')}`;
      }
    } catch (err) {
      runtimeReady = false;
      runtimeMessage = `container runtime is down: ${(err as Error).message}`;
    }
    const readings = { memoryPressure: this.eviction.pressure.memory, diskPressure: this.eviction.pressure.disk, runtimeReady, runtimeMessage };
    const images = nodeImages(await this.o.images.listImages().catch(() => []));
    const conditions = nodeConditions(readings, this.node?.status?.conditions);
    this.node = await this.o.client
      .resource<Node & KubeObject>(NODES)
      .patch(this.nodeName, 'merge', { status: { conditions, images } }, { subresource: 'status' });
  }

  // --- pods -----------------------------------------------------------------------------------------------

  private podChanged(pod: PodObject): void {
    const uid = pod.metadata.uid!;
    this.podsByUid.set(uid, pod);
    if (!this.podStates.has(uid)) this.podStates.set(uid, { firstSeenMs: Date.now(), terminationMessages: new Map() });
    this.workers.enqueue(uid);
  }

  private podRemoved(pod: PodObject): void {
    const uid = pod.metadata.uid!;
    this.podsByUid.delete(uid);
    // The pod is gone from the API (its graceful deletion finished, or it was force-deleted): clean up.
    this.workers.enqueue(uid);
  }

  private resyncAfter(uid: string, ms: number): void {
    if (this.resyncTimers.has(uid) || this.stopped) return;
    const t = setTimeout(() => {
      this.resyncTimers.delete(uid);
      this.workers.enqueue(uid);
    }, ms);
    t.unref();
    this.resyncTimers.set(uid, t);
  }

  /** Asks for a sync of a pod now (probe results, the kubelet server). */
  enqueuePod(uid: string): void {
    this.workers.enqueue(uid);
  }

  /** The pod worker's body: one sync of the pod with this UID. */
  private async syncPodByUid(uid: string): Promise<void> {
    const pod = this.podsByUid.get(uid);
    if (!pod) {
      await this.forgetPod(uid);
      return;
    }
    const state = this.podStates.get(uid)!;
    if (pod.metadata.deletionTimestamp) {
      await this.terminatePod(pod, state);
      return;
    }
    const phase = state.failed ? 'Failed' : pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      // Finished: nothing may run (the sandbox is released); containers stay for their logs.
      if (!state.finished) {
        const runtime = await podRuntimeStatus(this.o.runtime, uid, this.runtimeManager.details);
        await this.runtimeManager.killPod(pod, runtime, undefined, 'Completed');
        this.lastActionMs.set(uid, Date.now());
        state.finished = true;
      }
      return;
    }
    const deadline = pod.spec?.activeDeadlineSeconds;
    const startMs = Date.parse(pod.status?.startTime ?? '') || state.firstSeenMs;
    if (deadline !== undefined && Date.now() - startMs >= deadline * 1000) {
      await this.failPod(pod, state, 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline');
      return;
    }
    if (deadline !== undefined) this.resyncAfter(uid, startMs + deadline * 1000 - Date.now() + 10);

    const t0 = performance.now();
    const result = await this.runtimeManager.syncPod(pod, this.relistedLists(uid));
    this.lastActionMs.set(uid, Date.now());
    const t1 = performance.now();
    this.lastRuntime.set(uid, { runtime: result.runtime, waiting: result.waiting });
    const sandboxIP = result.runtime.sandboxes[0]?.ip;
    if (sandboxIP && result.runtime.containers.length > 0) this.ensureProbed(pod, sandboxIP);
    await this.runtimeManager.terminationMessages(pod, result.runtime, state.terminationMessages);
    const status = generatePodStatus({
      pod,
      runtime: result.runtime,
      waiting: result.waiting,
      isReady: (name) => this.probes.isReady(uid, name),
      isStarted: (name) => this.probes.isStarted(uid, name),
      terminationMessages: state.terminationMessages,
      hostIP: this.hostIP,
      initFailed: result.actions.initFailed,
      startTimeMs: state.firstSeenMs,
    });
    await this.writeStatus(pod, state, status);
    this.pollInitContainer(pod, result.runtime, result.actions.initialized);
    this.log.debug({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, syncMs: Math.round(t1 - t0), statusMs: Math.round(performance.now() - t1), sinceCreateMs: Date.now() - Date.parse(pod.metadata.creationTimestamp ?? '') }, 'pod synced');
    if (status.phase === 'Succeeded' || status.phase === 'Failed') this.workers.enqueue(uid);
  }

  /**
   * While an init container runs, the next one waits for its exit: the pod is looked at again after 50 ms,
   * doubling to the relist's 1 s, so short init containers do not each cost a whole relist period.
   */
  private pollInitContainer(pod: PodObject, runtime: PodRuntimeStatus, initialized: boolean): void {
    const uid = pod.metadata.uid!;
    const inits = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy !== 'Always').map((c) => c.name));
    const running = !initialized && runtime.containers.some((c) => inits.has(c.name) && c.state === ContainerState.CONTAINER_RUNNING);
    if (!running) {
      this.initPollMs.delete(uid);
      return;
    }
    const delay = this.initPollMs.get(uid) ?? 50;
    this.initPollMs.set(uid, Math.min(delay * 2, 1000));
    this.resyncAfter(uid, delay);
  }

  private readonly initPollMs = new Map<string, number>();

  /** The prober watches the pod from its first container on; it looks current instances up in the last sync. */
  private ensureProbed(pod: Pod, podIP: string): void {
    const uid = pod.metadata!.uid!;
    if (this.probedPods.has(uid)) {
      if (podIP) this.prober.updatePodIP(uid, podIP);
      return;
    }
    this.probedPods.add(uid);
    this.prober.addPod(pod, podIP, (name) => {
      const rt = this.lastRuntime.get(uid)?.runtime;
      return rt?.containers.find((c) => c.name === name && c.state === ContainerState.CONTAINER_RUNNING)?.id;
    });
  }

  private readonly probedPods = new Set<string>();

  /** The status of a pod whose containers the agent stopped: nothing ready, containers terminated. */
  private stoppedPodStatus(pod: PodObject, state: PodState, runtime: PodRuntimeStatus): PodStatus {
    return generatePodStatus({
      pod,
      runtime,
      waiting: new Map(),
      isReady: () => false,
      isStarted: () => false,
      terminationMessages: state.terminationMessages,
      hostIP: this.hostIP,
      terminating: true,
      startTimeMs: state.firstSeenMs,
    });
  }

  /** Stops a pod for good and reports it Failed with `reason` (DeadlineExceeded, Evicted). */
  private async failPod(pod: PodObject, state: PodState, reason: string, message: string, condition?: PodCondition): Promise<void> {
    // Set before anything is awaited: the pod worker must not start containers again meanwhile.
    state.failed = true;
    const runtime = await podRuntimeStatus(this.o.runtime, pod.metadata.uid!, this.runtimeManager.details);
    void this.recorder.event(pod, 'Warning', reason, message);
    await this.runtimeManager.killPod(pod, runtime, reason === 'Evicted' ? 0 : undefined, reason);
    this.lastActionMs.set(pod.metadata.uid!, Date.now());
    const after = await podRuntimeStatus(this.o.runtime, pod.metadata.uid!, this.runtimeManager.details);
    const status = this.stoppedPodStatus(pod, state, after);
    const conditions = condition ? [...(status.conditions ?? []).filter((c) => c.type !== condition.type), { ...condition, lastTransitionTime: rfc3339() }] : status.conditions;
    await this.writeStatus(pod, state, { ...status, phase: 'Failed', reason, message, conditions });
  }

  /**
   * A deleted pod: stop its containers within the grace period (preStop first), report them terminated, tear
   * down volumes, then finish the deletion (grace 0, with the UID as precondition, as the kubelet's status
   * manager does).
   */
  private async terminatePod(pod: PodObject, state: PodState): Promise<void> {
    const uid = pod.metadata.uid!;
    const runtime = await podRuntimeStatus(this.o.runtime, uid, this.runtimeManager.details);
    this.prober.stopLivenessAndStartup(uid);
    await this.runtimeManager.killPod(pod, runtime, pod.metadata.deletionGracePeriodSeconds ?? undefined, 'Deleted');
    this.lastActionMs.set(uid, Date.now());
    this.probes.removePod(uid);
    this.probedPods.delete(uid);
    const after = await podRuntimeStatus(this.o.runtime, uid, this.runtimeManager.details);
    if (after.containers.some((c) => c.state === ContainerState.CONTAINER_RUNNING)) {
      this.resyncAfter(uid, 1000);
      return;
    }
    await this.runtimeManager.terminationMessages(pod, after, state.terminationMessages);
    const status = this.stoppedPodStatus(pod, state, after);
    // A pod that ran to completion keeps its phase; one stopped by deletion ends Failed or Succeeded by exit codes.
    if (status.phase === 'Running' || status.phase === 'Pending') {
      const all = [...(status.containerStatuses ?? [])];
      status.phase = all.length > 0 && all.every((c) => c.state?.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
    }
    await this.writeStatus(pod, state, status).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
    await this.o.volumes.tearDownPod(uid);
    try {
      await this.o.client.resource(PODS).namespace(pod.metadata.namespace!).delete(pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  private async forgetPod(uid: string): Promise<void> {
    this.probes.removePod(uid);
    this.probedPods.delete(uid);
    this.lastRuntime.delete(uid);
    this.lastActionMs.delete(uid);
    this.initPollMs.delete(uid);
    const t = this.resyncTimers.get(uid);
    if (t) clearTimeout(t);
    this.resyncTimers.delete(uid);
    await this.runtimeManager.removePod(uid);
    await this.o.volumes.tearDownPod(uid);
    this.podStates.delete(uid);
    this.workers.forget(uid);
  }

  private async writeStatus(pod: PodObject, state: PodState, status: PodStatus): Promise<void> {
    const serialized = JSON.stringify({ ...status, conditions: status.conditions?.map(({ lastTransitionTime: _t, ...c }) => c) });
    if (serialized === state.lastStatus) return;
    // Conditions others own (PodScheduled, DisruptionTarget) are carried in `status` already; a merge patch
    // replaces lists whole, which is what a full status report means.
    await this.o.client
      .resource(PODS)
      .namespace(pod.metadata.namespace!)
      .patch(pod.metadata.name!, 'merge', { metadata: { uid: pod.metadata.uid }, status }, { subresource: 'status' });
    state.lastStatus = serialized;
  }

  /**
   * The relist's view of a pod, when it was listed after the agent last acted on the pod (so it cannot miss a
   * container the agent just started); undefined means: list it now.
   */
  private relistedLists(uid: string): PodRuntimeLists | undefined {
    if (this.snapshot.listedAtMs <= (this.lastActionMs.get(uid) ?? Infinity)) return undefined;
    return this.snapshot.byPod.get(uid) ?? { sandboxes: [], containers: [] };
  }

  /** PLEG: relists the runtime's containers and wakes the worker of every pod whose containers changed. */
  private async relist(): Promise<void> {
    const listedAtMs = Date.now();
    const selector = { labelSelector: { [MANAGED_LABEL]: 'true' } };
    const [sandboxes, containers] = await Promise.all([this.o.runtime.listPodSandbox(selector), this.o.runtime.listContainers(selector)]);
    const byPod = new Map<string, PodRuntimeLists>();
    const lists = (uid: string): PodRuntimeLists => {
      let l = byPod.get(uid);
      if (!l) byPod.set(uid, (l = { sandboxes: [], containers: [] }));
      return l;
    };
    for (const s of sandboxes) if (s.labels?.[POD_UID_LABEL]) lists(s.labels[POD_UID_LABEL]).sandboxes.push(s);
    const now = new Map<string, { uid: string; state: ContainerState }>();
    const changed = new Set<string>();
    for (const c of containers) {
      const uid = c.labels?.[POD_UID_LABEL];
      if (!uid) continue;
      lists(uid).containers.push(c);
      now.set(c.id, { uid, state: c.state });
      const before = this.relisted.get(c.id);
      if (!before || before.state !== c.state) changed.add(uid);
    }
    for (const [id, before] of this.relisted) if (!now.has(id)) changed.add(before.uid);
    this.snapshot = { listedAtMs, byPod };
    this.relisted = now;
    this.stats.prune(new Set(now.keys()));
    for (const uid of changed) {
      if (this.podsByUid.has(uid)) this.workers.enqueue(uid);
    }
  }

  /** Sandboxes of pods the API no longer has (deleted while the agent was down) are removed at start. */
  private async cleanupOrphans(): Promise<void> {
    const sandboxes = await this.o.runtime.listPodSandbox({ labelSelector: { [MANAGED_LABEL]: 'true' } });
    const pods = this.podInformer.lister().list();
    const known = new Set(pods.map((p) => p.metadata.uid!));
    for (const p of pods) this.podsByUid.set(p.metadata.uid!, p);
    const orphans = new Set(sandboxes.map((s) => s.labels?.[POD_UID_LABEL]).filter((u): u is string => !!u && !known.has(u)));
    await this.o.volumes.cleanupOrphanedPods(known).catch((err: unknown) => this.log.warn({ err }, 'orphaned pod volumes cleanup failed'));
    for (const uid of orphans) {
      this.log.info({ pod: uid }, 'removing the containers of a pod that no longer exists');
      await this.runtimeManager.removePod(uid).catch((err: unknown) => this.log.warn({ err, pod: uid }, 'orphan cleanup failed'));
      await this.o.volumes.tearDownPod(uid).catch(() => undefined);
    }
  }
}

