/**
 * Scheduler metrics, named as kube-scheduler names them. The scheduler reports through the small
 * SchedulerMetrics interface, so tests and benchmarks run without a registry and the binary registers the
 * Prometheus implementation on whichever registry serves /metrics.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PendingCounts } from './queue.js';

/** The outcome of one scheduling attempt. */
export type AttemptResult = 'scheduled' | 'unschedulable' | 'error';

/** What the scheduler reports. */
export interface SchedulerMetrics {
  /** One attempt ended; seconds from pop to the end of its cycle (bound, or failed). */
  attempt(result: AttemptResult, profile: string, seconds: number): void;
  /** A pod was bound; seconds since it first entered the queue. */
  podScheduled(profile: string, attempts: number, seconds: number): void;
  /** A preemption attempt with its number of victims. */
  preemption(victims: number): void;
  /** Where the queue sizes come from (read at scrape time). */
  setPendingSource(source: () => PendingCounts): void;
}

/** Reports nothing. */
export const noopMetrics: SchedulerMetrics = {
  attempt() {},
  podScheduled() {},
  preemption() {},
  setPendingSource() {},
};

/** The Prometheus implementation, registered on the given registry. */
export function prometheusSchedulerMetrics(registry: Registry): SchedulerMetrics {
  let pending: (() => PendingCounts) | undefined;
  const registers = [registry];
  const attempts = new Counter({
    name: 'scheduler_schedule_attempts_total',
    help: 'Number of attempts to schedule pods, by the result. \'unschedulable\' means a pod could not be scheduled, while \'error\' means an internal scheduler problem.',
    labelNames: ['result', 'profile'],
    registers,
  });
  const attemptDuration = new Histogram({
    name: 'scheduler_scheduling_attempt_duration_seconds',
    help: 'Scheduling attempt latency in seconds (scheduling algorithm + binding)',
    labelNames: ['result', 'profile'],
    buckets: [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10],
    registers,
  });
  const e2e = new Histogram({
    name: 'scheduler_pod_scheduling_sli_duration_seconds',
    help: 'E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue and might involve multiple scheduling attempts.',
    labelNames: ['attempts'],
    buckets: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68],
    registers,
  });
  const preemptionAttempts = new Counter({ name: 'scheduler_preemption_attempts_total', help: 'Total preemption attempts in the cluster till now', registers });
  const preemptionVictims = new Histogram({ name: 'scheduler_preemption_victims', help: 'Number of selected preemption victims', buckets: [1, 2, 4, 8, 16, 32, 64], registers });
  new Gauge({
    name: 'scheduler_pending_pods',
    help: "Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed; 'gated' is the number of unschedulable pods that the scheduler never attempted to schedule because they are gated.",
    labelNames: ['queue'],
    registers,
    collect() {
      if (!pending) return;
      const c = pending();
      for (const q of ['active', 'backoff', 'unschedulable', 'gated'] as const) this.set({ queue: q }, c[q]);
    },
  });
  return {
    attempt(result, profile, seconds) {
      attempts.inc({ result, profile });
      attemptDuration.observe({ result, profile }, seconds);
    },
    podScheduled(_profile, n, seconds) {
      e2e.observe({ attempts: String(n) }, seconds);
    },
    preemption(victims) {
      preemptionAttempts.inc();
      preemptionVictims.observe(victims);
    },
    setPendingSource(source) {
      pending = source;
    },
  };
}
