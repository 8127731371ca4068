/**
 * The prober's Prometheus metric, named as the kubelet names it: `prober_probe_total`, the cumulative number
 * of liveness, readiness and startup probes per container by result (successful / failed / unknown).
 */
import { Counter, type Registry } from 'prom-client';

/** `prober_probe_total` in a registry (shared when several managers use the same registry). */
export class ProberMetrics {
  readonly probeTotal: Counter<string>;

  constructor(registry: Registry) {
    const existing = registry.getSingleMetric('prober_probe_total');
    this.probeTotal =
      (existing as Counter<string> | undefined) ??
      new Counter({
        name: 'prober_probe_total',
        help: 'Cumulative number of a liveness, readiness or startup probe for a container by result.',
        labelNames: ['probe_type', 'result', 'container', 'pod', 'namespace', 'pod_uid'],
        registers: [registry],
      });
  }

  /** Counts one probe. */
  inc(labels: { probe_type: string; result: string; container: string; pod: string; namespace: string; pod_uid: string }): void {
    this.probeTotal.inc(labels);
  }

  /** Drops a worker's series when it ends, as kube does. */
  remove(labels: { probe_type: string; container: string; pod: string; namespace: string; pod_uid: string }): void {
    for (const result of ['successful', 'failed', 'unknown']) this.probeTotal.remove({ ...labels, result });
  }
}
