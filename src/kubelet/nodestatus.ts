/**
 * The node as the node agent registers and reports it (the kubelet's nodestatus setters): capacity and
 * allocatable from this machine, OS and runtime versions, addresses, labels, the pressure conditions from
 * what the machine has left, and the images the runtime holds.
 */
import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { arch, cpus, freemem, hostname, networkInterfaces, release, totalmem } from 'node:os';
import type { ContainerImage, Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from '../apimachinery/time.js';
import { KUBERNETES_VERSION } from '../version.js';
import type { Image } from './cri/types.js';
import { isPodNetworkInterface } from '../util/netif.js';
import { meminfo } from './stats/summary.js';
import type { Observations } from './eviction/manager.js';

/** What allocatable leaves out by default: the hard eviction thresholds memory.available<100Mi, nodefs.available<10%. */
const EVICTION_MEMORY_AVAILABLE_BYTES = 100 * 1024 * 1024;
const EVICTION_NODEFS_AVAILABLE_RATIO = 0.1;
/** The kubelet reports at most this many images in node status. */
const MAX_NODE_IMAGES = 50;

export const KUBELET_VERSION = `v${KUBERNETES_VERSION.major}.${KUBERNETES_VERSION.minor}.${KUBERNETES_VERSION.patch}`;

/** The default node name: the host name, lower-cased (kubelet's --hostname-override otherwise). */
export function defaultNodeName(): string {
  return hostname().toLowerCase();
}

function goArch(): string {
  const a = arch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function osImage(): string {
  const text = readOr('/etc/os-release', '');
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text);
  return m?.[1] ?? 'Linux';
}


/** The node's InternalIP: the first non-loopback IPv4 address of a host interface, else 127.0.0.1. */
export function nodeInternalIP(): string {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (isPodNetworkInterface(name)) continue;
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export interface MachineInfo {
  cpus: number;
  memoryBytes: number;
  ephemeralStorageBytes: number;
}

export async function machineInfo(rootDir: string): Promise<MachineInfo> {
  const fs = await statfs(rootDir);
  return { cpus: cpus().length, memoryBytes: totalmem(), ephemeralStorageBytes: fs.blocks * fs.bsize };
}

const Ki = (bytes: number): string => `${Math.floor(bytes / 1024)}Ki`;

export interface NodeInputs {
  name: string;
  internalIP: string;
  podCIDR?: string;
  kubeletPort: number;
  machine: MachineInfo;
  maxPods: number;
  runtimeVersion: string;
  labels?: Record<string, string>;
}

/** The Node the agent registers. */
export function initialNode(inputs: NodeInputs): Node {
  const { machine } = inputs;
  const capacity = {
    cpu: String(machine.cpus),
    memory: Ki(machine.memoryBytes),
    pods: String(inputs.maxPods),
    'ephemeral-storage': Ki(machine.ephemeralStorageBytes),
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
  };
  const allocatable = {
    ...capacity,
    memory: Ki(Math.max(0, machine.memoryBytes - EVICTION_MEMORY_AVAILABLE_BYTES)),
    'ephemeral-storage': String(Math.floor(machine.ephemeralStorageBytes * (1 - EVICTION_NODEFS_AVAILABLE_RATIO))),
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: inputs.name,
      labels: {
        'kubernetes.io/hostname': inputs.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': goArch(),
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': goArch(),
        ...(inputs.labels ?? {}),
      },
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: inputs.podCIDR ? { podCIDR: inputs.podCIDR, podCIDRs: [inputs.podCIDR] } : {},
    status: {
      capacity,
      allocatable,
      addresses: [
        { type: 'InternalIP', address: inputs.internalIP },
        { type: 'Hostname', address: inputs.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: inputs.kubeletPort } },
      nodeInfo: {
        machineID: readOr('/etc/machine-id', ''),
        systemUUID: readOr('/sys/class/dmi/id/product_uuid', ''),
        bootID: readOr('/proc/sys/kernel/random/boot_id', ''),
        kernelVersion: release(),
        osImage: osImage(),
        containerRuntimeVersion: inputs.runtimeVersion,
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: goArch(),
      },
    },
  };
}

export interface PressureReadings {
  memoryPressure: boolean;
  diskPressure: boolean;
  runtimeReady: boolean;
  runtimeMessage?: string;
}

/** Node conditions; a condition's lastTransitionTime moves only when its status does. */
export function nodeConditions(readings: PressureReadings, old: NodeCondition[] | undefined): NodeCondition[] {
  const now = rfc3339();
  const make = (type: string, ok: boolean, whenOk: [string, string, string], whenNot: [string, string, string]): NodeCondition => {
    const [status, reason, message] = ok ? whenOk : whenNot;
    const prev = old?.find((c) => c.type === type);
    return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now };
  };
  return [
    make('MemoryPressure', !readings.memoryPressure, ['False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'], ['True', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available']),
    make('DiskPressure', !readings.diskPressure, ['False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'], ['True', 'KubeletHasDiskPressure', 'kubelet has disk pressure']),
    make('PIDPressure', true, ['False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'], ['True', 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available']),
    make('Ready', readings.runtimeReady, ['True', 'KubeletReady', 'kubelet is posting ready status'], ['False', 'KubeletNotReady', readings.runtimeMessage ?? 'container runtime is down']),
  ];
}

/** What the eviction signals read now: memory (MemAvailable of /proc/meminfo) and the kubelet's filesystem. */
export async function evictionObservations(rootDir: string): Promise<Observations> {
  const fs = await statfs(rootDir);
  return {
    memoryAvailableBytes: memAvailable(),
    memoryCapacityBytes: totalmem(),
    nodefsAvailableBytes: fs.bavail * fs.bsize,
    nodefsCapacityBytes: fs.blocks * fs.bsize,
  };
}

/** MemAvailable from /proc/meminfo (what the kubelet's memory.available signal approximates), else free memory. */
function memAvailable(): number {
  return meminfo().MemAvailable ?? freemem();
}

/** The images list of node status: largest first, at most 50, names = tags and digests. */
export function nodeImages(images: Image[]): ContainerImage[] {
  return [...images]
    .sort((a, b) => b.size - a.size)
    .slice(0, MAX_NODE_IMAGES)
    .map((i) => ({ names: [...i.repoDigests, ...i.repoTags], sizeBytes: i.size }));
}
