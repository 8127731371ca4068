/**
 * NodeInfo: a node with the pods on it and what they use, as kube's framework.NodeInfo. The cache keeps one per
 * node and bumps its generation on every change; the snapshot copies only nodes whose generation moved.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { HostPort, PodInfo } from './pod-info.js';
import { Resource } from './resources.js';

let generation = 0;
/** The next value of the process-wide generation counter (kube's nextGeneration). */
export function nextGeneration(): number {
  return ++generation;
}

/** An image present on some nodes: its size and on how many nodes it is (kube's ImageStateSummary). */
export interface ImageStateSummary {
  size: number;
  numNodes: number;
}

/** One node as the scheduler sees it. */
export class NodeInfo {
  node: Node | undefined;
  pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  usedPorts: HostPort[] = [];
  /** Sum of the pods' requests. */
  requested = new Resource();
  /** Sum of the pods' requests with defaults for unstated CPU/memory (for scoring). */
  nonZeroRequested = new Resource();
  allocatable = new Resource();
  /** Images on this node by every name they are known by. */
  imageStates = new Map<string, ImageStateSummary>();
  generation = nextGeneration();
  /** Per-node results of pure functions of its pods (e.g. pods matching a selector), dropped on any change. */
  private memo: Map<string, unknown> | undefined;

  constructor(node?: Node) {
    if (node) this.setNode(node);
  }

  get name(): string {
    return this.node?.metadata?.name ?? '';
  }

  /**
   * A value computed from this node's pods, cached until the node changes. Plugins use it so a cycle costs
   * one lookup per unchanged node instead of a pass over its pods; the key must name everything the value
   * depends on besides the pods.
   */
  memoize<T>(key: string, compute: (ni: NodeInfo) => T): T {
    const m = (this.memo ??= new Map());
    let v = m.get(key) as T | undefined;
    if (v === undefined && !m.has(key)) {
      v = compute(this);
      if (m.size > 256) m.clear();
      m.set(key, v);
    }
    return v as T;
  }

  setNode(node: Node): void {
    this.memo = undefined;
    this.node = node;
    this.allocatable = Resource.from(node.status?.allocatable);
    this.generation = nextGeneration();
  }

  removeNode(): void {
    this.memo = undefined;
    this.node = undefined;
    this.generation = nextGeneration();
  }

  addPod(pi: PodInfo): void {
    this.pods.push(pi);
    if (pi.hasAffinity) this.podsWithAffinity.push(pi);
    if (pi.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity.push(pi);
    this.update(pi, 1);
  }

  /** Removes a pod by key; false when it was not here. */
  removePod(pi: PodInfo): boolean {
    const i = this.pods.findIndex((p) => p.key === pi.key);
    if (i < 0) return false;
    const old = this.pods[i]!;
    this.pods[i] = this.pods[this.pods.length - 1]!;
    this.pods.pop();
    removeByKey(this.podsWithAffinity, old.key);
    removeByKey(this.podsWithRequiredAntiAffinity, old.key);
    this.update(old, -1);
    return true;
  }

  private update(pi: PodInfo, sign: 1 | -1): void {
    this.memo = undefined;
    this.requested.add(pi.requests, sign);
    this.nonZeroRequested.add(pi.nonZeroRequests, sign);
    if (sign === 1) for (const p of pi.hostPorts) this.usedPorts.push(p);
    else for (const p of pi.hostPorts) {
      const i = this.usedPorts.findIndex((u) => u.ip === p.ip && u.protocol === p.protocol && u.port === p.port);
      if (i >= 0) this.usedPorts.splice(i, 1);
    }
    this.generation = nextGeneration();
  }

  /** A copy whose lists and sums can change without touching this one (pods themselves are shared). */
  clone(): NodeInfo {
    const c = new NodeInfo();
    c.copyFrom(this);
    return c;
  }

  /** Makes this node info equal to o, keeping its identity (the snapshot's lists hold references). */
  copyFrom(o: NodeInfo): void {
    this.memo = undefined;
    this.node = o.node;
    this.pods = o.pods.slice();
    this.podsWithAffinity = o.podsWithAffinity.length ? o.podsWithAffinity.slice() : [];
    this.podsWithRequiredAntiAffinity = o.podsWithRequiredAntiAffinity.length ? o.podsWithRequiredAntiAffinity.slice() : [];
    this.usedPorts = o.usedPorts.length ? o.usedPorts.slice() : [];
    this.requested = o.requested.clone();
    this.nonZeroRequested = o.nonZeroRequested.clone();
    this.allocatable = o.allocatable;
    this.imageStates = o.imageStates;
    this.generation = o.generation;
  }
}

function removeByKey(list: PodInfo[], key: string): void {
  const i = list.findIndex((p) => p.key === key);
  if (i >= 0) list.splice(i, 1);
}

/** Whether a wanted host port conflicts with the used ones: same protocol and port, and either IP a wildcard or equal. */
export function portsConflict(used: readonly HostPort[], want: HostPort): boolean {
  for (const u of used) {
    if (u.port !== want.port || u.protocol !== want.protocol) continue;
    if (u.ip === want.ip || u.ip === '0.0.0.0' || want.ip === '0.0.0.0') return true;
  }
  return false;
}
