/**
 * What a simulated node looks like: its Node object (capacity, labels, taints, zone, pod CIDR, a Ready
 * condition) and its Lease, the shapes a real kubelet registers and renews.
 */
import type { Node, NodeCondition, Taint } from 'kubernetes-types/core/v1.js';

/** The node fleet to simulate. */
export interface SimNodeOptions {
  /** How many nodes. */
  count: number;
  /** Names are `<prefix><index>` (default `sim-node-`). */
  namePrefix: string;
  cpu: string;
  memory: string;
  pods: number;
  /** Nodes are spread round-robin over this many zones (`zone-0`, ...) in topology.kubernetes.io/zone. */
  zones: number;
  labels: Record<string, string>;
  taints: Taint[];
}

export const DEFAULT_SIM_NODE_OPTIONS: SimNodeOptions = {
  count: 0,
  namePrefix: 'sim-node-',
  cpu: '32',
  memory: '256Gi',
  pods: 110,
  zones: 3,
  labels: {},
  taints: [],
};

/** Marks the nodes a simulator owns, so a restarted simulator adopts them. */
export const SIM_NODE_ANNOTATION = 'k8ts.io/simulated-node';
/** A pod with this annotation (seconds) and restartPolicy Never or OnFailure finishes (Succeeded) after running that long. */
export const SIM_RUN_SECONDS_ANNOTATION = 'sim.k8ts.io/run-seconds';
const KUBELET_VERSION = 'v1.32.0-k8ts-sim';

export function nodeName(opts: SimNodeOptions, index: number): string {
  return `${opts.namePrefix}${index}`;
}

/**
 * The /24 pod CIDR of node `index`: 10.64.0.0/10 holds 16,384 of them, addressed as 10.(64 + i/256).(i%256).0.
 */
export function podCIDR(index: number): { cidr: string; prefix: string } {
  const second = 64 + Math.floor(index / 256);
  const third = index % 256;
  return { cidr: `10.${second}.${third}.0/24`, prefix: `10.${second}.${third}.` };
}

/** The node's address on the (imaginary) node network 172.16.0.0/12, from 172.16.0.1 on. */
export function internalIP(index: number): string {
  const n = index + 1;
  return `172.${16 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
}

export function readyConditions(now: string): NodeCondition[] {
  const condition = (type: string, status: string, reason: string, message: string): NodeCondition => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return [
    condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

export function nodeObject(opts: SimNodeOptions, index: number, now: string): Node {
  const name = nodeName(opts, index);
  const resources = { cpu: opts.cpu, memory: opts.memory, pods: String(opts.pods), 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [SIM_NODE_ANNOTATION]: 'true' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/zone': `zone-${index % Math.max(1, opts.zones)}`,
        'node.kubernetes.io/instance-type': 'k8ts-sim',
        ...opts.labels,
      },
    },
    spec: { podCIDR: podCIDR(index).cidr, podCIDRs: [podCIDR(index).cidr], ...(opts.taints.length > 0 ? { taints: opts.taints } : {}) },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: readyConditions(now),
      addresses: [
        { type: 'InternalIP', address: internalIP(index) },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: 'sim',
        osImage: 'k8ts simulated node',
        containerRuntimeVersion: 'sim://0.1.0',
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}
