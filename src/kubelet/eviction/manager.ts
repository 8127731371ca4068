/**
 * Node-pressure eviction (the kubelet's eviction manager, hard thresholds): every 10 s it compares the node's
 * signals (`memory.available`, `nodefs.available`) with `--eviction-hard`, reports pressure for the node's
 * conditions, and while a threshold is crossed evicts one pod per round, ranked as the kubelet ranks them for
 * memory: pods using more than they requested first, then lower priority, then by how far usage exceeds the
 * request.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { parseQuantity } from '../../apimachinery/quantity.js';
import type { PodSummary, Summary } from '../stats/summary.js';

export type EvictionSignal = 'memory.available' | 'nodefs.available';

export interface Threshold {
  signal: EvictionSignal;
  /** The quantity as written (`100Mi`, `10%`), for messages. */
  quantity: string;
  bytes?: number;
  /** A fraction of capacity (0.1 for `10%`). */
  ratio?: number;
}

/** kubelet's default --eviction-hard (the Linux part). */
export const DEFAULT_EVICTION_HARD = 'memory.available<100Mi,nodefs.available<10%';

/** Parses `--eviction-hard` (`memory.available<100Mi,nodefs.available<10%`). */
export function parseEvictionHard(value: string): Threshold[] {
  const out: Threshold[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(memory\.available|nodefs\.available)<(.+)$/.exec(part);
    if (!m) throw new Error(`invalid eviction threshold "${part}": expected memory.available<QUANTITY or nodefs.available<QUANTITY|PERCENT%`);
    const signal = m[1] as EvictionSignal;
    const quantity = m[2]!;
    if (quantity.endsWith('%')) {
      const pct = Number(quantity.slice(0, -1));
      if (!Number.isFinite(pct) || pct < 0 || pct > 100) throw new Error(`invalid eviction threshold percentage "${quantity}"`);
      out.push({ signal, quantity, ratio: pct / 100 });
    } else {
      out.push({ signal, quantity, bytes: Number(parseQuantity(quantity).milliValue() / 1000n) });
    }
  }
  return out;
}

export interface Observations {
  memoryAvailableBytes: number;
  memoryCapacityBytes: number;
  nodefsAvailableBytes: number;
  nodefsCapacityBytes: number;
}

function crossed(t: Threshold, o: Observations): boolean {
  const [available, capacity] = t.signal === 'memory.available' ? [o.memoryAvailableBytes, o.memoryCapacityBytes] : [o.nodefsAvailableBytes, o.nodefsCapacityBytes];
  const limit = t.bytes ?? (t.ratio ?? 0) * capacity;
  return available < limit;
}

/** Which signals are under pressure now. */
export function pressure(thresholds: readonly Threshold[], o: Observations): { memory: boolean; disk: boolean } {
  return {
    memory: thresholds.some((t) => t.signal === 'memory.available' && crossed(t, o)),
    disk: thresholds.some((t) => t.signal === 'nodefs.available' && crossed(t, o)),
  };
}

function memoryRequest(pod: Pod): number {
  let total = 0;
  for (const c of pod.spec?.containers ?? []) {
    const r = c.resources?.requests?.memory;
    if (r !== undefined) total += Number(parseQuantity(r).milliValue() / 1000n);
  }
  return total;
}

function podUsage(stats: ReadonlyMap<string, PodSummary>, pod: Pod): number {
  return stats.get(pod.metadata!.uid!)?.memory?.workingSetBytes ?? 0;
}

/** kube's memory ranking: exceeds requests, then priority (low first), then usage above request (most first). */
export function rankForMemoryEviction(pods: Pod[], stats: ReadonlyMap<string, PodSummary>): Pod[] {
  return [...pods].sort((a, b) => {
    const ea = podUsage(stats, a) > memoryRequest(a) ? 1 : 0;
    const eb = podUsage(stats, b) > memoryRequest(b) ? 1 : 0;
    if (ea !== eb) return eb - ea;
    const pa = a.spec?.priority ?? 0;
    const pb = b.spec?.priority ?? 0;
    if (pa !== pb) return pa - pb;
    return podUsage(stats, b) - memoryRequest(b) - (podUsage(stats, a) - memoryRequest(a));
  });
}

const ki = (bytes: number): string => `${Math.floor(bytes / 1024)}Ki`;

/** kube's eviction message for memory. */
export function evictionMessage(pod: Pod, threshold: Threshold, availableBytes: number, stats: PodSummary | undefined): string {
  let msg = `The node was low on resource: memory. Threshold quantity: ${threshold.quantity}, available: ${ki(availableBytes)}. `;
  for (const c of pod.spec?.containers ?? []) {
    const used = stats?.containers.find((s) => s.name === c.name)?.memory?.workingSetBytes ?? 0;
    const request = c.resources?.requests?.memory ?? '0';
    if (used > Number(parseQuantity(request).milliValue() / 1000n)) msg += `Container ${c.name} was using ${ki(used)}, request is ${request}, has larger consumption of memory. `;
  }
  return msg;
}

export interface EvictionManagerOptions {
  thresholds: readonly Threshold[];
  observe(): Promise<{ observations: Observations; summary: Summary }>;
  /** Pods running on the node now (not terminal, not being deleted). */
  activePods(): Pod[];
  /** Kills the pod and marks it Failed/Evicted with `message`. */
  evict(pod: Pod, message: string): Promise<void>;
  logger: Logger;
}

export class EvictionManager {
  private last: { memory: boolean; disk: boolean } = { memory: false, disk: false };

  constructor(private readonly o: EvictionManagerOptions) {}

  /** The pressure seen by the last round (for the node's MemoryPressure and DiskPressure conditions). */
  get pressure(): { memory: boolean; disk: boolean } {
    return this.last;
  }

  /** One round: observe, report pressure, and evict at most one pod. Resolves to the evicted pod, if any. */
  async synchronize(): Promise<Pod | undefined> {
    const { observations, summary } = await this.o.observe();
    this.last = pressure(this.o.thresholds, observations);
    if (!this.last.memory) return undefined;
    const threshold = this.o.thresholds.find((t) => t.signal === 'memory.available' && crossed(t, observations))!;
    const stats = new Map(summary.pods.map((p) => [p.podRef.uid, p]));
    // Static and critical pods are not evicted (kube keeps system-node-critical pods).
    const candidates = this.o.activePods().filter((p) => p.spec?.priorityClassName !== 'system-node-critical');
    const victim = rankForMemoryEviction(candidates, stats)[0];
    if (!victim) return undefined;
    const message = evictionMessage(victim, threshold, observations.memoryAvailableBytes, stats.get(victim.metadata!.uid!));
    this.o.logger.warn({ pod: `${victim.metadata!.namespace}/${victim.metadata!.name}`, signal: threshold.signal, threshold: threshold.quantity }, 'evicting pod under node pressure');
    await this.o.evict(victim, message);
    return victim;
  }
}
