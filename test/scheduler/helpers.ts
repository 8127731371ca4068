/**
 * Builders for scheduler tests: nodes and pods as the API would hold them, with only what a case needs.
 */
import type { Container, Node, Pod, PodSpec, Taint } from 'kubernetes-types/core/v1.js';

let uid = 0;

export interface NodeOpts {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  images?: Array<{ names: string[]; sizeBytes: number }>;
  extra?: Record<string, string>;
}

/** A node with allocatable cpu/memory/pods (defaults 4 cpu, 8Gi, 110 pods) and a hostname label. */
export function makeNode(name: string, o: NodeOpts = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `node-${name}`, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: {
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...o.extra },
      capacity: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...o.extra },
      images: o.images,
    },
  };
}

export interface PodOpts {
  namespace?: string;
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  priority?: number;
  spec?: Partial<PodSpec>;
  containers?: Container[];
  nominatedNodeName?: string;
  startTime?: string;
}

/** A pod with one container requesting cpu/memory (when given). */
export function makePod(name: string, o: PodOpts = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', uid: `pod-${name}-${++uid}`, labels: o.labels, creationTimestamp: o.startTime },
    spec: {
      containers: o.containers ?? [{ name: 'c', image: 'busybox', resources: Object.keys(requests).length ? { requests } : undefined }],
      nodeName: o.nodeName,
      priority: o.priority,
      ...o.spec,
    },
    status: { nominatedNodeName: o.nominatedNodeName, startTime: o.startTime },
  };
}

/** The same pod bound to a node (what the informer delivers after the binding). */
export function bound(pod: Pod, nodeName: string): Pod {
  return { ...pod, spec: { ...pod.spec!, nodeName } };
}
