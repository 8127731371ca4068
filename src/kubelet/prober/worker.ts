/**
 * One probe worker per container and probe type (kube's prober/worker.go): probes every periodSeconds (the
 * first run jittered by up to one period while the kubelet has just started, so a restarted kubelet does not
 * probe everything at once), skips the initial delay counted from the container's start, holds liveness and
 * readiness until the startup probe has succeeded, counts consecutive results against successThreshold and
 * failureThreshold, and after a liveness/startup failure waits for a new container instance.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../cri/types.js';
import { probeContainer, withProbeDefaults, type EffectiveProbe, type ProbeOutcome } from './prober.js';
import type { ProbeResult, ProbeType } from './types.js';

/** A container instance as the prober knows it. */
export interface ContainerInstance {
  containerId: string;
  startedAtMs: number;
  running: boolean;
}

/** What a worker needs from its manager. */
export interface WorkerHost {
  /** When the manager started: the first probe is jittered only while the kubelet is this young. */
  readonly startedAtMs: number;
  readonly runtime: Pick<RuntimeService, 'execSync'>;
  instance(podUid: string, containerName: string): ContainerInstance | undefined;
  podIP(podUid: string): string;
  /** Whether the container's startup probe (if any) has succeeded for this instance. */
  started(podUid: string, containerName: string, containerId: string): boolean;
  /** Caches a result for an instance; `outcome` is set when a probe run (not a reset) produced it. */
  record(worker: ProbeWorker, containerId: string, result: ProbeResult, outcome?: ProbeOutcome): void;
  /** Forgets the worker's results for an instance. */
  forget(worker: ProbeWorker, containerId: string): void;
  /** A probe run produced an event (Unhealthy / ProbeWarning). */
  event(worker: ProbeWorker, containerId: string, reason: 'Unhealthy' | 'ProbeWarning', message: string): void;
  /** A probe run finished with a result (for prober_probe_total). */
  count(worker: ProbeWorker, result: 'successful' | 'failed'): void;
  /** The worker has stopped for good. */
  removed(worker: ProbeWorker): void;
}

/** The value a probe type reports before its first run on an instance (kube's initialValue). */
const INITIAL_VALUE: Record<ProbeType, ProbeResult> = { readiness: 'failure', liveness: 'success', startup: 'unknown' };

/** Probes one container for one probe type until stopped. */
export class ProbeWorker {
  readonly spec: EffectiveProbe;
  private containerId: string | undefined;
  private lastResult: ProbeResult | undefined;
  private resultRun = 0;
  /** After a liveness/startup failure: no probing until a new container instance appears. */
  private onHold = false;
  private stopped = false;
  private running = false;
  private triggered = false;
  private timer: NodeJS.Timeout | undefined;
  private nextTickAt = 0;

  constructor(
    private readonly host: WorkerHost,
    readonly probeType: ProbeType,
    public pod: Pod,
    readonly container: Container,
  ) {
    const probe =
      probeType === 'liveness' ? container.livenessProbe : probeType === 'readiness' ? container.readinessProbe : container.startupProbe;
    this.spec = withProbeDefaults(probe ?? {});
  }

  get podUid(): string {
    return this.pod.metadata?.uid ?? '';
  }

  /** The container instance this worker last probed (or reset its result for). */
  get currentContainerId(): string | undefined {
    return this.containerId;
  }

  /** Starts the probe loop. */
  start(): void {
    const period = this.spec.periodSeconds * 1000;
    const sinceStart = Date.now() - this.host.startedAtMs;
    const jitter = period > sinceStart ? Math.random() * period : 0;
    this.schedule(jitter, () => {
      this.nextTickAt = Date.now() + period;
      void this.tick();
    });
  }

  /** Stops the loop; the worker's cached result is forgotten. Safe to call more than once. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.containerId) this.host.forget(this, this.containerId);
    this.host.removed(this);
  }

  /** Asks for a probe now (kube's manualTriggerCh); a run in progress or the first-run jitter defers it. */
  trigger(): void {
    if (this.stopped) return;
    this.triggered = true;
    if (!this.running && this.nextTickAt > 0) {
      clearTimeout(this.timer);
      void this.tick();
    }
  }

  private schedule(delayMs: number, fn: () => void): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(fn, Math.max(0, delayMs));
    // Probes never keep the process alive on their own.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = true;
    this.triggered = false;
    let keepGoing = true;
    try {
      keepGoing = await this.doProbe();
    } catch {
      keepGoing = true; // a bug in one probe must not end the loop (kube eats panics here)
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    if (!keepGoing) {
      this.stop();
      return;
    }
    this.scheduleNext();
  }

  /** Like Go's ticker: the next tick on the period's grid; a tick missed while probing fires at once. */
  private scheduleNext(): void {
    const period = this.spec.periodSeconds * 1000;
    const now = Date.now();
    if (this.triggered || now >= this.nextTickAt) {
      if (now >= this.nextTickAt) this.nextTickAt += period * (Math.floor((now - this.nextTickAt) / period) + 1);
      this.schedule(0, () => void this.tick());
      return;
    }
    this.schedule(this.nextTickAt - now, () => {
      this.nextTickAt += period;
      void this.tick();
    });
  }

  /** Probes once and records the result; false when the worker should end. */
  private async doProbe(): Promise<boolean> {
    const inst = this.host.instance(this.podUid, this.container.name);
    // The container has not been created yet: wait for it.
    if (!inst) return true;

    if (inst.containerId !== this.containerId) {
      if (this.containerId) this.host.forget(this, this.containerId);
      this.containerId = inst.containerId;
      this.lastResult = undefined;
      this.resultRun = 0;
      this.host.record(this, inst.containerId, INITIAL_VALUE[this.probeType]);
      this.onHold = false; // a new container: resume probing
    }
    if (this.onHold) return true;

    if (!inst.running) {
      // A stopped container is not ready; liveness and startup wait for the restart.
      if (this.probeType === 'readiness') this.host.record(this, inst.containerId, 'failure');
      return true;
    }

    // Graceful deletion: liveness and startup must not kill a container that is shutting down.
    if (this.pod.metadata?.deletionTimestamp && this.probeType !== 'readiness') {
      this.host.record(this, inst.containerId, 'success');
      return false;
    }

    if (Math.trunc((Date.now() - inst.startedAtMs) / 1000) < this.spec.initialDelaySeconds) return true;

    const started = this.host.started(this.podUid, this.container.name, inst.containerId);
    // Startup stops once it succeeded (the worker stays for the next instance); the others wait for it.
    if (started ? this.probeType === 'startup' : this.probeType !== 'startup') return true;

    const outcome = await probeContainer(
      this.probeType,
      this.spec,
      { pod: this.pod, container: this.container, containerId: inst.containerId, podIP: this.host.podIP(this.podUid) },
      this.host.runtime,
    );
    // The world moved on while probing (removed, restarted): this answer is about the past.
    if (this.stopped || this.host.instance(this.podUid, this.container.name)?.containerId !== inst.containerId) return true;

    if (outcome.event) this.host.event(this, inst.containerId, outcome.event.reason, outcome.event.message);
    // A probe that could not run is thrown away, not counted.
    if (outcome.error) return true;
    this.host.count(this, outcome.result === 'success' ? 'successful' : 'failed');

    if (this.lastResult === outcome.result) this.resultRun++;
    else {
      this.lastResult = outcome.result;
      this.resultRun = 1;
    }
    if (
      (outcome.result === 'failure' && this.resultRun < this.spec.failureThreshold) ||
      (outcome.result === 'success' && this.resultRun < this.spec.successThreshold)
    ) {
      return true; // below the threshold: the cached result stays
    }

    this.host.record(this, inst.containerId, outcome.result, outcome);
    if (this.probeType !== 'readiness' && outcome.result === 'failure') {
      // The container will be killed; do not probe it while it stops.
      this.onHold = true;
      this.resultRun = 0;
    }
    return true;
  }
}
