/**
 * The cached probe results of one probe type, keyed by container ID (kube's results.Manager): a restarted
 * container is a new ID, so its results start over. `set` reports whether the cached value changed, which is
 * when kube sends an update to the kubelet.
 */
import type { ProbeResult } from './types.js';

/** One probe type's results by container ID. */
export class ResultsCache {
  private readonly results = new Map<string, ProbeResult>();

  /** The cached result for a container instance, if any. */
  get(containerId: string): ProbeResult | undefined {
    return this.results.get(containerId);
  }

  /** Caches a result; true when it differs from what was cached (or nothing was). */
  set(containerId: string, result: ProbeResult): boolean {
    const prev = this.results.get(containerId);
    this.results.set(containerId, result);
    return prev !== result;
  }

  /** Forgets a container instance. */
  remove(containerId: string): void {
    this.results.delete(containerId);
  }

  get size(): number {
    return this.results.size;
  }
}
