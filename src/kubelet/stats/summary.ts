/**
 * The kubelet's stats: per-container and per-pod CPU and memory from the runtime's cgroup readings (CRI
 * ListContainerStats), the node's from /proc, shaped as the kubelet's Summary API (`/stats/summary`,
 * stats/v1alpha1) that metrics-server reads. CPU rates (usageNanoCores) come from the difference between two
 * samples, as cAdvisor computes them.
 */
import { readFileSync } from 'node:fs';
import type { ContainerStats, RuntimeService } from '../cri/types.js';
import { POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL, CONTAINER_NAME_LABEL } from '../kuberuntime/labels.js';
import { nanosToMs } from '../kuberuntime/runtime-status.js';
import { rfc3339 } from '../../apimachinery/time.js';

export interface CPUStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}

export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
}

export interface ContainerSummary {
  name: string;
  startTime?: string;
  cpu?: CPUStats;
  memory?: MemoryStats;
}

export interface PodSummary {
  podRef: { name: string; namespace: string; uid: string };
  cpu?: CPUStats;
  memory?: MemoryStats;
  containers: ContainerSummary[];
}

export interface Summary {
  node: { nodeName: string; cpu?: CPUStats; memory?: MemoryStats };
  pods: PodSummary[];
}

interface Sample {
  coreNanos: number;
  atNs: number;
}

/** Reads `/proc/meminfo` fields in bytes. */
export function meminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const line of readFileSync('/proc/meminfo', 'utf8').split('\n')) {
      const m = /^(\w+):\s+(\d+)(?: kB)?/.exec(line);
      if (m) out[m[1]!] = Number(m[2]) * 1024;
    }
  } catch {
    // Not Linux: no node memory readings.
  }
  return out;
}

/** Total CPU time of the machine from /proc/stat (user+nice+system+irq+softirq+steal), in nanoseconds. */
export function machineCpuNanos(): number {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = first;
    return ((user + nice + system + irq + softirq + steal) * 1e9) / 100;
  } catch {
    return 0;
  }
}

export class StatsProvider {
  private readonly samples = new Map<string, Sample>();

  constructor(
    private readonly runtime: RuntimeService,
    private readonly nodeName: string,
  ) {}

  /** The rate since the previous sample of `key`, in nanocores. */
  private rate(key: string, coreNanos: number | undefined, atNs: number): number | undefined {
    if (coreNanos === undefined) return undefined;
    const prev = this.samples.get(key);
    this.samples.set(key, { coreNanos, atNs });
    if (!prev || atNs <= prev.atNs) return undefined;
    return Math.max(0, Math.round(((coreNanos - prev.coreNanos) / (atNs - prev.atNs)) * 1e9));
  }

  private containerSummary(s: ContainerStats): ContainerSummary {
    const name = s.attributes.labels?.[CONTAINER_NAME_LABEL] ?? s.attributes.metadata.name;
    const out: ContainerSummary = { name };
    if (s.cpu) {
      const atNs = Number(s.cpu.timestamp);
      const used = s.cpu.usageCoreNanoSeconds?.value;
      const nano = s.cpu.usageNanoCores?.value ?? this.rate(`c/${s.attributes.id}`, used, atNs);
      out.cpu = { time: rfc3339(nanosToMs(s.cpu.timestamp)), ...(used !== undefined ? { usageCoreNanoSeconds: used } : {}), ...(nano !== undefined ? { usageNanoCores: nano } : {}) };
    }
    if (s.memory) {
      out.memory = {
        time: rfc3339(nanosToMs(s.memory.timestamp)),
        ...(s.memory.workingSetBytes ? { workingSetBytes: s.memory.workingSetBytes.value } : {}),
        ...(s.memory.usageBytes ? { usageBytes: s.memory.usageBytes.value } : {}),
        ...(s.memory.rssBytes ? { rssBytes: s.memory.rssBytes.value } : {}),
        ...(s.memory.availableBytes ? { availableBytes: s.memory.availableBytes.value } : {}),
      };
    }
    return out;
  }

  /** The Summary API answer: the node, then every pod with its containers (sums for the pod). */
  async summary(): Promise<Summary> {
    const stats = await this.runtime.listContainerStats();
    const pods = new Map<string, PodSummary>();
    for (const s of stats) {
      const labels = s.attributes.labels ?? {};
      const uid = labels[POD_UID_LABEL];
      if (!uid) continue;
      let pod = pods.get(uid);
      if (!pod) {
        pod = { podRef: { name: labels[POD_NAME_LABEL] ?? '', namespace: labels[POD_NAMESPACE_LABEL] ?? '', uid }, containers: [] };
        pods.set(uid, pod);
      }
      const c = this.containerSummary(s);
      // Exited containers have no readings; they add nothing to the pod.
      if (!c.cpu && !c.memory) continue;
      pod.containers.push(c);
    }
    const now = rfc3339();
    for (const pod of pods.values()) {
      const sum = (pick: (c: ContainerSummary) => number | undefined): number => pod.containers.reduce((a, c) => a + (pick(c) ?? 0), 0);
      pod.cpu = { time: now, usageNanoCores: sum((c) => c.cpu?.usageNanoCores), usageCoreNanoSeconds: sum((c) => c.cpu?.usageCoreNanoSeconds) };
      pod.memory = { time: now, workingSetBytes: sum((c) => c.memory?.workingSetBytes), usageBytes: sum((c) => c.memory?.usageBytes), rssBytes: sum((c) => c.memory?.rssBytes) };
    }
    const mem = meminfo();
    const total = mem.MemTotal ?? 0;
    const available = mem.MemAvailable ?? mem.MemFree ?? 0;
    const nodeNanos = machineCpuNanos();
    const atNs = Date.now() * 1e6;
    const nodeRate = this.rate('node', nodeNanos, atNs);
    return {
      node: {
        nodeName: this.nodeName,
        cpu: { time: now, usageCoreNanoSeconds: nodeNanos, ...(nodeRate !== undefined ? { usageNanoCores: nodeRate } : {}) },
        memory: { time: now, availableBytes: available, usageBytes: total - (mem.MemFree ?? 0), workingSetBytes: total - available },
      },
      pods: [...pods.values()],
    };
  }

  /** Forgets samples of containers that are gone. */
  prune(liveContainerIds: ReadonlySet<string>): void {
    for (const key of this.samples.keys()) if (key.startsWith('c/') && !liveContainerIds.has(key.slice(2))) this.samples.delete(key);
  }
}
