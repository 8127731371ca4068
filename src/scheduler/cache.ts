/**
 * The scheduler cache (kube's internal/cache): nodes and the pods on them, including *assumed* pods: a pod is
 * assumed on its node at Reserve so the next cycle already counts it, confirmed when the informer reports it
 * bound, and forgotten if binding fails (or expired a TTL after binding finished without confirmation).
 *
 * Node infos sit in a list ordered by the generation of their last change, newest first, so updating a
 * snapshot copies only the nodes changed since that snapshot's generation instead of every node.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { componentLogger } from '../util/log.js';
import { NodeInfo, type ImageStateSummary } from './node-info.js';
import { podInfoOf, type PodInfo } from './pod-info.js';
import { Snapshot } from './snapshot.js';

const log = componentLogger('scheduler-cache');

interface Item {
  info: NodeInfo;
  prev: Item | undefined;
  next: Item | undefined;
}

interface PodState {
  pi: PodInfo;
  /** When an assumed pod whose binding finished expires, ms; undefined while binding. */
  deadline: number | undefined;
}

const ZONE_LABELS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'];
const REGION_LABELS = ['topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region'];

/** A node's zone id as kube's utilnode.GetZoneKey: region and zone, or "" when neither is set. */
export function zoneKey(node: Node): string {
  const l = node.metadata?.labels ?? {};
  const region = REGION_LABELS.map((k) => l[k]).find((v) => v) ?? '';
  const zone = ZONE_LABELS.map((k) => l[k]).find((v) => v) ?? '';
  return region === '' && zone === '' ? '' : `${region}:\x00:${zone}`;
}

/** The scheduler's cache of nodes and scheduled/assumed pods. */
export class Cache {
  private readonly nodes = new Map<string, Item>();
  private head: Item | undefined;
  private readonly podStates = new Map<string, PodState>();
  private readonly assumed = new Set<string>();
  private readonly images = new Map<string, { summary: ImageStateSummary; nodes: Set<string> }>();
  /** Node names by zone, for the zone-interleaved order of kube's nodeTree. */
  private readonly zones = new Map<string, string[]>();
  private numTreeNodes = 0;

  /**
   * @param ttlMs how long an assumed pod whose binding finished may wait for confirmation; 0 never expires
   *   (kube's default since the watch always confirms or deletes the pod).
   * @param now the clock, injectable for tests.
   */
  constructor(private readonly ttlMs = 0, private readonly now: () => number = Date.now) {}

  // ---- nodes ----

  addNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    let item = this.nodes.get(name);
    if (!item) {
      item = { info: new NodeInfo(), prev: undefined, next: undefined };
      this.nodes.set(name, item);
    } else if (item.info.node) {
      this.removeImages(item.info.node);
      this.treeRemove(item.info.node);
    }
    item.info.setNode(node);
    this.treeAdd(node);
    this.addImages(node, item.info);
    this.moveToHead(item);
  }

  updateNode(_old: Node | undefined, node: Node): void {
    this.addNode(node);
  }

  /** Removes a node. Its NodeInfo stays while pods still point at it (their deletes arrive later). */
  removeNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const item = this.nodes.get(name);
    if (!item) return;
    if (item.info.node) {
      this.removeImages(item.info.node);
      this.treeRemove(item.info.node);
    }
    item.info.removeNode();
    if (item.info.pods.length === 0) this.unlink(item, name);
    else this.moveToHead(item);
  }

  nodeCount(): number {
    return this.numTreeNodes;
  }

  // ---- pods ----

  /** Adds an assumed pod (its spec.nodeName set) so the next cycles count it on its node. */
  assumePod(pi: PodInfo): void {
    if (this.podStates.has(pi.key)) throw new Error(`pod ${pi.namespace}/${pi.name}(${pi.key}) is in the cache, so can't be assumed`);
    this.addToNode(pi);
    this.podStates.set(pi.key, { pi, deadline: undefined });
    this.assumed.add(pi.key);
  }

  /** Binding of an assumed pod finished; its TTL starts. */
  finishBinding(pi: PodInfo): void {
    const st = this.podStates.get(pi.key);
    if (st && this.assumed.has(pi.key)) st.deadline = this.ttlMs > 0 ? this.now() + this.ttlMs : undefined;
  }

  /** Drops an assumed pod (its binding failed). */
  forgetPod(pi: PodInfo): void {
    const st = this.podStates.get(pi.key);
    if (!st || !this.assumed.has(pi.key)) return;
    this.removeFromNode(st.pi);
    this.podStates.delete(pi.key);
    this.assumed.delete(pi.key);
  }

  isAssumedPod(pod: Pod): boolean {
    return this.assumed.has(podInfoOf(pod).key);
  }

  /** The cached version of a pod, assumed or confirmed. */
  getPod(pod: Pod): PodInfo | undefined {
    return this.podStates.get(podInfoOf(pod).key)?.pi;
  }

  /** A bound pod seen by the informer: confirms an assumed pod (moving it if it landed elsewhere) or adds it. */
  addPod(pod: Pod): void {
    const pi = podInfoOf(pod);
    const st = this.podStates.get(pi.key);
    if (st && this.assumed.has(pi.key)) {
      if (st.pi.nodeName !== pi.nodeName) log.warn({ pod: `${pi.namespace}/${pi.name}`, assumed: st.pi.nodeName, actual: pi.nodeName }, 'pod was assumed on a different node');
      this.removeFromNode(st.pi);
      this.addToNode(pi);
      this.assumed.delete(pi.key);
      st.pi = pi;
      st.deadline = undefined;
      return;
    }
    if (st) return this.updatePod(st.pi.pod, pod);
    this.addToNode(pi);
    this.podStates.set(pi.key, { pi, deadline: undefined });
  }

  updatePod(_old: Pod, pod: Pod): void {
    const pi = podInfoOf(pod);
    const st = this.podStates.get(pi.key);
    if (!st) return this.addPod(pod);
    // An assumed pod is updated only once its add was seen; kube treats an update before that as an add.
    this.assumed.delete(pi.key);
    this.removeFromNode(st.pi);
    this.addToNode(pi);
    st.pi = pi;
    st.deadline = undefined;
  }

  removePod(pod: Pod): void {
    const key = podInfoOf(pod).key;
    const st = this.podStates.get(key);
    if (!st) return;
    this.removeFromNode(st.pi);
    this.podStates.delete(key);
    this.assumed.delete(key);
  }

  podCount(): number {
    return this.podStates.size;
  }

  /** Forgets assumed pods whose binding finished longer than the TTL ago without a confirming add. */
  cleanupExpiredAssumedPods(): PodInfo[] {
    const now = this.now();
    const expired: PodInfo[] = [];
    for (const key of this.assumed) {
      const st = this.podStates.get(key)!;
      if (st.deadline !== undefined && now > st.deadline) expired.push(st.pi);
    }
    for (const pi of expired) {
      log.warn({ pod: `${pi.namespace}/${pi.name}`, node: pi.nodeName }, 'assumed pod expired');
      this.forgetPod(pi);
    }
    return expired;
  }

  private addToNode(pi: PodInfo): void {
    const name = pi.nodeName ?? '';
    let item = this.nodes.get(name);
    if (!item) {
      // The pod's node is not known yet; keep an info without a node so the pod is counted once it appears.
      item = { info: new NodeInfo(), prev: undefined, next: undefined };
      this.nodes.set(name, item);
    }
    item.info.addPod(pi);
    this.moveToHead(item);
  }

  private removeFromNode(pi: PodInfo): void {
    const name = pi.nodeName ?? '';
    const item = this.nodes.get(name);
    if (!item) return;
    item.info.removePod(pi);
    if (!item.info.node && item.info.pods.length === 0) this.unlink(item, name);
    else this.moveToHead(item);
  }

  // ---- the generation-ordered list ----

  private moveToHead(item: Item): void {
    if (this.head === item) return;
    if (item.prev) item.prev.next = item.next;
    if (item.next) item.next.prev = item.prev;
    item.prev = undefined;
    item.next = this.head;
    if (this.head) this.head.prev = item;
    this.head = item;
  }

  private unlink(item: Item, name: string): void {
    if (item.prev) item.prev.next = item.next;
    if (item.next) item.next.prev = item.prev;
    if (this.head === item) this.head = item.next;
    item.prev = item.next = undefined;
    this.nodes.delete(name);
  }

  // ---- node tree (zone interleaving) and images ----

  private treeAdd(node: Node): void {
    const z = zoneKey(node);
    let list = this.zones.get(z);
    if (!list) this.zones.set(z, (list = []));
    list.push(node.metadata?.name ?? '');
    this.numTreeNodes++;
  }

  private treeRemove(node: Node): void {
    const z = zoneKey(node);
    const list = this.zones.get(z);
    const i = list?.indexOf(node.metadata?.name ?? '') ?? -1;
    if (!list || i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.zones.delete(z);
    this.numTreeNodes--;
  }

  /** Node names taking one node from each zone in turn, as kube's nodeTree.list. */
  private treeList(): string[] {
    const out: string[] = [];
    const lists = [...this.zones.values()];
    for (let i = 0; out.length < this.numTreeNodes; i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
    return out;
  }

  private addImages(node: Node, info: NodeInfo): void {
    const name = node.metadata?.name ?? '';
    const states = new Map<string, ImageStateSummary>();
    for (const img of node.status?.images ?? []) {
      for (const n of img.names ?? []) {
        let st = this.images.get(n);
        if (!st) this.images.set(n, (st = { summary: { size: img.sizeBytes ?? 0, numNodes: 0 }, nodes: new Set() }));
        st.nodes.add(name);
        st.summary.numNodes = st.nodes.size;
        states.set(n, st.summary);
      }
    }
    info.imageStates = states;
  }

  private removeImages(node: Node): void {
    const name = node.metadata?.name ?? '';
    for (const img of node.status?.images ?? []) {
      for (const n of img.names ?? []) {
        const st = this.images.get(n);
        if (!st) continue;
        st.nodes.delete(name);
        st.summary.numNodes = st.nodes.size;
        if (st.nodes.size === 0) this.images.delete(n);
      }
    }
  }

  // ---- snapshots ----

  /**
   * Brings a snapshot up to date, copying only node infos changed since its generation (kube's
   * UpdateSnapshot). The lists are rebuilt only when nodes were added/removed or a node gained or lost its
   * last (anti-)affinity pod.
   */
  updateSnapshot(snapshot: Snapshot): void {
    let updateAll = false;
    const affinityChanged: Array<[NodeInfo, boolean, boolean]> = [];
    const changed: string[] = [];
    for (let item = this.head; item; item = item.next) {
      if (item.info.generation <= snapshot.generation) break;
      const node = item.info.node;
      if (!node) continue;
      const name = node.metadata?.name ?? '';
      changed.push(name);
      let existing = snapshot.nodeInfoMap.get(name);
      if (!existing) {
        updateAll = true;
        existing = new NodeInfo();
        snapshot.nodeInfoMap.set(name, existing);
      }
      const hadAffinity = existing.podsWithAffinity.length > 0;
      const hadAnti = existing.podsWithRequiredAntiAffinity.length > 0;
      existing.copyFrom(item.info);
      if (hadAffinity !== existing.podsWithAffinity.length > 0 || hadAnti !== existing.podsWithRequiredAntiAffinity.length > 0) affinityChanged.push([existing, hadAffinity, hadAnti]);
    }
    if (this.head) snapshot.generation = this.head.info.generation;
    if (snapshot.nodeInfoMap.size > this.numTreeNodes) {
      for (const name of snapshot.nodeInfoMap.keys()) if (!this.nodes.get(name)?.info.node) snapshot.nodeInfoMap.delete(name);
      updateAll = true;
    }
    if (updateAll) {
      snapshot.nodeInfoList = [];
      for (const name of this.treeList()) {
        const ni = snapshot.nodeInfoMap.get(name);
        if (ni) snapshot.nodeInfoList.push(ni);
      }
    }
    if (updateAll) snapshot.rebuildAffinityLists();
    else {
      // A node gained its first or lost its last (anti-)affinity pod: adjust the sublists in place.
      for (const [ni, hadAffinity, hadAnti] of affinityChanged) {
        if (hadAffinity !== ni.podsWithAffinity.length > 0) toggle(snapshot.havePodsWithAffinityList, ni, !hadAffinity);
        if (hadAnti !== ni.podsWithRequiredAntiAffinity.length > 0) toggle(snapshot.havePodsWithRequiredAntiAffinityList, ni, !hadAnti);
      }
    }
    snapshot.recordChanges(changed, updateAll);
  }
}

function toggle(list: NodeInfo[], ni: NodeInfo, present: boolean): void {
  if (present) list.push(ni);
  else {
    const i = list.indexOf(ni);
    if (i >= 0) list.splice(i, 1);
  }
}
