/**
 * The kubelet's probe manager (kube's prober_manager.go): one worker per container and probe type, results
 * cached per container instance, readiness and "started" answered from them, and the kubelet told when a
 * result changes, when a probe run should be recorded as an event, and when a container must be killed for
 * failing its liveness or startup probe.
 *
 * The kubelet tells the manager which container instance runs (`containerStarted` / `containerStopped`, or a
 * lookup function given to `addPod`); the manager never talks to the runtime except to exec probes.
 */
import { EventEmitter } from 'node:events';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { Registry } from 'prom-client';
import { componentLogger } from '../../util/log.js';
import type { RuntimeService } from '../cri/types.js';
import { ProberMetrics } from './metrics.js';
import type { ProbeOutcome } from './prober.js';
import { ResultsCache } from './results.js';
import { probeTypeTitle } from './types.js';
import type { ProbeEvent, ProbeKillRequest, ProbeResult, ProbeResultEvent, ProbeType } from './types.js';
import { ProbeWorker, type ContainerInstance, type WorkerHost } from './worker.js';

const log = componentLogger('prober');

/** The ID of a container's current running instance, or undefined when none runs (the kubelet's view). */
export type ContainerIdLookup = (containerName: string) => string | undefined;

export interface ProbeManagerOptions {
  /** Runs exec probes (CRI ExecSync). */
  runtime: Pick<RuntimeService, 'execSync'>;
  onResult?: (e: ProbeResultEvent) => void;
  onKill?: (e: ProbeKillRequest) => void;
  onEvent?: (e: ProbeEvent) => void;
  /** Where `prober_probe_total` is registered; no metric without it. */
  registry?: Registry;
}

/** The manager's events: `result` (a cached result changed), `kill` (liveness/startup failed), `event` (record it). */
export interface ProbeManagerEvents {
  result: [ProbeResultEvent];
  kill: [ProbeKillRequest];
  event: [ProbeEvent];
}

interface PodEntry {
  pod: Pod;
  podIP: string;
  lookup?: ContainerIdLookup;
  instances: Map<string, ContainerInstance>;
  /** Keyed `<container>/<probeType>`. */
  workers: Map<string, ProbeWorker>;
}

const PROBE_TYPES: ProbeType[] = ['startup', 'readiness', 'liveness'];

/** The containers the prober watches: regular ones and sidecars (init containers with restartPolicy Always). */
function probedContainers(pod: Pod): Container[] {
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  return [...sidecars, ...(pod.spec?.containers ?? [])];
}

function probeOf(c: Container, t: ProbeType) {
  return t === 'liveness' ? c.livenessProbe : t === 'readiness' ? c.readinessProbe : c.startupProbe;
}

/** Runs the probes of the pods on this node; see the file comment. */
export class ProbeManager extends EventEmitter<ProbeManagerEvents> {
  private readonly pods = new Map<string, PodEntry>();
  private readonly caches: Record<ProbeType, ResultsCache> = {
    liveness: new ResultsCache(),
    readiness: new ResultsCache(),
    startup: new ResultsCache(),
  };
  private readonly metrics?: ProberMetrics;
  private readonly host: WorkerHost;

  constructor(opts: ProbeManagerOptions) {
    super();
    if (opts.onResult) this.on('result', opts.onResult);
    if (opts.onKill) this.on('kill', opts.onKill);
    if (opts.onEvent) this.on('event', opts.onEvent);
    if (opts.registry) this.metrics = new ProberMetrics(opts.registry);
    this.host = this.workerHost(opts.runtime, Date.now());
  }

  /**
   * Starts probe workers for every probe of the pod's containers (and sidecars). Calling it again for a known
   * pod refreshes the pod object (e.g. its deletionTimestamp), the pod IP and the lookup, and starts workers
   * for probes it lacks; probe parameters of running workers are not updated, as in kube.
   */
  addPod(pod: Pod, podIP: string, containerIds?: ContainerIdLookup): void {
    const uid = pod.metadata?.uid ?? '';
    let entry = this.pods.get(uid);
    if (!entry) {
      entry = { pod, podIP, lookup: containerIds, instances: new Map(), workers: new Map() };
      this.pods.set(uid, entry);
    } else {
      entry.pod = pod;
      if (podIP) entry.podIP = podIP;
      if (containerIds) entry.lookup = containerIds;
      for (const w of entry.workers.values()) w.pod = pod;
    }
    for (const c of probedContainers(pod)) {
      for (const t of PROBE_TYPES) {
        const key = `${c.name}/${t}`;
        if (!probeOf(c, t) || entry.workers.has(key)) continue;
        const w = new ProbeWorker(this.host, t, pod, c);
        entry.workers.set(key, w);
        w.start();
      }
    }
  }

  /** Stops the pod's workers and forgets its results. */
  removePod(podUid: string): void {
    const entry = this.pods.get(podUid);
    if (!entry) return;
    for (const w of [...entry.workers.values()]) w.stop();
    this.pods.delete(podUid);
  }

  /** Stops liveness and startup probing of a pod that is terminating (kube's StopLivenessAndStartup). */
  stopLivenessAndStartup(podUid: string): void {
    const entry = this.pods.get(podUid);
    for (const w of [...(entry?.workers.values() ?? [])]) if (w.probeType !== 'readiness') w.stop();
  }

  /** Removes every pod not in `desired` (kube's CleanupPods). */
  cleanupPods(desired: Set<string>): void {
    for (const uid of [...this.pods.keys()]) if (!desired.has(uid)) this.removePod(uid);
  }

  /** The pod's IP became known or changed. */
  updatePodIP(podUid: string, podIP: string): void {
    const entry = this.pods.get(podUid);
    if (entry) entry.podIP = podIP;
  }

  /** A container instance started running: probes now target it, with results starting over. */
  containerStarted(podUid: string, containerName: string, containerId: string, startedAtMs: number = Date.now()): void {
    const entry = this.pods.get(podUid);
    if (!entry) return;
    entry.instances.set(containerName, { containerId, startedAtMs, running: true });
    // kube's status sync triggers a readiness probe for a container that is not ready yet.
    entry.workers.get(`${containerName}/readiness`)?.trigger();
  }

  /** Same as containerStarted: the container's current instance is `containerId`. */
  updateContainerId(podUid: string, containerName: string, containerId: string, startedAtMs?: number): void {
    this.containerStarted(podUid, containerName, containerId, startedAtMs);
  }

  /** The container's instance stopped running (not ready; liveness waits for the next instance). */
  containerStopped(podUid: string, containerName: string, containerId?: string): void {
    const inst = this.pods.get(podUid)?.instances.get(containerName);
    if (inst && (containerId === undefined || inst.containerId === containerId)) inst.running = false;
  }

  /** Whether the container has started: running, and its startup probe (if any) has succeeded. */
  isStarted(podUid: string, containerName: string): boolean {
    const inst = this.instance(podUid, containerName);
    return !!inst?.running && this.startedInstance(podUid, containerName, inst.containerId);
  }

  /** Whether the container is ready: started, and its readiness probe (if any) has succeeded. */
  isReady(podUid: string, containerName: string): boolean {
    if (!this.isStarted(podUid, containerName)) return false;
    const inst = this.instance(podUid, containerName)!;
    if (!this.pods.get(podUid)?.workers.has(`${containerName}/readiness`)) return true; // no probe: always ready
    return this.caches.readiness.get(inst.containerId) === 'success';
  }

  /** The cached result of a probe for the container's current instance, if one is cached. */
  result(podUid: string, containerName: string, probeType: ProbeType): ProbeResult | undefined {
    const inst = this.instance(podUid, containerName);
    return inst ? this.caches[probeType].get(inst.containerId) : undefined;
  }

  /** Stops every worker and forgets every pod. */
  stop(): void {
    for (const uid of [...this.pods.keys()]) this.removePod(uid);
  }

  /** How many probe workers run (for tests and debugging). */
  workerCount(): number {
    let n = 0;
    for (const e of this.pods.values()) n += e.workers.size;
    return n;
  }

  private instance(podUid: string, containerName: string): ContainerInstance | undefined {
    const entry = this.pods.get(podUid);
    if (!entry) return undefined;
    const pushed = entry.instances.get(containerName);
    if (!entry.lookup) return pushed;
    const id = entry.lookup(containerName);
    if (id === undefined) return pushed ? { ...pushed, running: false } : undefined;
    if (pushed?.containerId === id) return pushed;
    // An instance the kubelet has not announced: its start is when the prober first saw it.
    const seen: ContainerInstance = { containerId: id, startedAtMs: Date.now(), running: true };
    entry.instances.set(containerName, seen);
    return seen;
  }

  private startedInstance(podUid: string, containerName: string, containerId: string): boolean {
    if (!this.pods.get(podUid)?.workers.has(`${containerName}/startup`)) return true;
    return this.caches.startup.get(containerId) === 'success';
  }

  private safeEmit<K extends keyof ProbeManagerEvents>(name: K, ...args: ProbeManagerEvents[K]): void {
    try {
      // The generic EventEmitter cannot relate K to its own conditional argument type; the call is the same.
      (this.emit as (n: K, ...a: ProbeManagerEvents[K]) => boolean)(name, ...args);
    } catch (err) {
      log.error({ err, event: name }, 'probe listener failed');
    }
  }

  private workerHost(runtime: Pick<RuntimeService, 'execSync'>, startedAtMs: number): WorkerHost {
    const ident = (w: ProbeWorker, containerId: string) => ({
      podUid: w.podUid,
      podName: w.pod.metadata?.name ?? '',
      namespace: w.pod.metadata?.namespace ?? '',
      containerName: w.container.name,
      containerId,
    });
    const metricLabels = (w: ProbeWorker) => ({
      probe_type: probeTypeTitle(w.probeType),
      container: w.container.name,
      pod: w.pod.metadata?.name ?? '',
      namespace: w.pod.metadata?.namespace ?? '',
      pod_uid: w.podUid,
    });
    return {
      startedAtMs,
      runtime,
      instance: (uid, name) => this.instance(uid, name),
      podIP: (uid) => this.pods.get(uid)?.podIP ?? '',
      started: (uid, name, id) => this.startedInstance(uid, name, id),
      record: (w, id, result, outcome) => this.record(w, id, result, outcome, ident(w, id)),
      forget: (w, id) => this.caches[w.probeType].remove(id),
      event: (w, id, reason, message) => {
        log.debug({ pod: w.pod.metadata?.name, container: w.container.name, reason }, message);
        this.safeEmit('event', { ...ident(w, id), probeType: w.probeType, type: 'Warning', reason, message });
      },
      count: (w, result) => this.metrics?.inc({ ...metricLabels(w), result }),
      removed: (w) => {
        const entry = this.pods.get(w.podUid);
        const key = `${w.container.name}/${w.probeType}`;
        if (entry?.workers.get(key) === w) entry.workers.delete(key);
        this.metrics?.remove(metricLabels(w));
      },
    };
  }

  private record(
    w: ProbeWorker,
    containerId: string,
    result: ProbeResult,
    outcome: ProbeOutcome | undefined,
    ident: Omit<ProbeResultEvent, 'probeType' | 'result' | 'output' | 'message'>,
  ): void {
    const changed = this.caches[w.probeType].set(containerId, result);
    if (changed && result !== 'unknown') {
      this.safeEmit('result', {
        ...ident,
        probeType: w.probeType,
        result,
        output: outcome?.output ?? '',
        message: outcome?.event?.message ?? '',
      });
    }
    if (changed && result === 'success' && w.probeType === 'startup') {
      // Started: readiness may now run, and should not wait a whole period to say so.
      this.pods.get(w.podUid)?.workers.get(`${w.container.name}/readiness`)?.trigger();
    }
    if (outcome && result === 'failure' && w.probeType !== 'readiness') {
      const spec = w.spec;
      const sidecar = (w.pod.spec?.initContainers ?? []).some((c) => c.name === w.container.name);
      const what = w.probeType === 'liveness' ? 'liveness' : 'startup';
      let message = `${sidecar ? 'Init container' : 'Container'} ${w.container.name} failed ${what} probe`;
      // A sidecar is always restarted and kube says nothing more; otherwise the restart policy decides.
      if (!sidecar && w.pod.spec?.restartPolicy !== 'Never') message += ', will be restarted';
      log.info({ pod: ident.podName, namespace: ident.namespace, container: w.container.name }, message);
      this.safeEmit('kill', {
        ...ident,
        reason: w.probeType === 'liveness' ? 'LivenessProbe' : 'StartupProbe',
        message,
        gracePeriodSeconds: spec.terminationGracePeriodSeconds ?? w.pod.spec?.terminationGracePeriodSeconds ?? 30,
      });
    }
  }
}
