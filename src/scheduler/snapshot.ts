/**
 * The per-cycle view of the cluster (kube's internal/cache.Snapshot): NodeInfos by name and as a list in the
 * node tree's zone-interleaved order, plus the sublists of nodes with pods that have (anti-)affinity, which
 * InterPodAffinity walks instead of every node. The cache updates it incrementally between cycles.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { NodeInfo } from './node-info.js';
import { podInfoOf } from './pod-info.js';

/**
 * An aggregate over all nodes that the snapshot keeps up to date incrementally: each node contributes a value
 * computed from it alone, and apply() folds a contribution in (sign 1) or out (sign -1). Plugins use it for
 * per-cycle counts (pods matching a selector per topology domain) so a cycle costs the nodes that changed since
 * the last cycle instead of every pod in the cluster.
 */
export interface Reduction<C, A> {
  init(): A;
  /** The node's contribution, or undefined when it contributes nothing. */
  contribution(ni: NodeInfo): C | undefined;
  apply(agg: A, c: C, sign: 1 | -1): void;
}

interface StoredReduction {
  agg: unknown;
  contribs: Map<string, unknown>;
  version: number;
}

const MAX_REDUCTIONS = 64;
const MAX_LOG = 512;

/** One scheduling cycle's consistent view of nodes and their pods. */
export class Snapshot {
  /** Bumped whenever nodes change; reductions computed at an older version catch up from the change log. */
  private version = 0;
  /** Bumped when the node list is rebuilt; reductions older than it are recomputed. */
  private listVersion = 0;
  private readonly changeLog: Array<{ version: number; names: readonly string[] }> = [];
  private readonly reductions = new Map<string, StoredReduction>();
  readonly nodeInfoMap = new Map<string, NodeInfo>();
  nodeInfoList: NodeInfo[] = [];
  havePodsWithAffinityList: NodeInfo[] = [];
  havePodsWithRequiredAntiAffinityList: NodeInfo[] = [];
  /** The cache generation this snapshot reflects. */
  generation = 0;

  /** A snapshot built directly from objects (tests and tools); pods with a nodeName land on their node. */
  static from(nodes: readonly Node[], pods: readonly Pod[] = []): Snapshot {
    const s = new Snapshot();
    for (const n of nodes) s.nodeInfoMap.set(n.metadata?.name ?? '', new NodeInfo(n));
    for (const p of pods) {
      const ni = s.nodeInfoMap.get(p.spec?.nodeName ?? '');
      if (ni) ni.addPod(podInfoOf(p));
    }
    s.nodeInfoList = [...s.nodeInfoMap.values()];
    s.rebuildAffinityLists();
    return s;
  }

  /** All nodes, in the order cycles walk them. */
  list(): readonly NodeInfo[] {
    return this.nodeInfoList;
  }

  get(name: string): NodeInfo | undefined {
    return this.nodeInfoMap.get(name);
  }

  numNodes(): number {
    return this.nodeInfoList.length;
  }

  /** Records the nodes an update changed (all when the list was rebuilt), for incremental reductions. */
  recordChanges(names: readonly string[], listRebuilt: boolean): void {
    if (names.length === 0 && !listRebuilt) return;
    this.version++;
    if (listRebuilt) {
      this.listVersion = this.version;
      this.changeLog.length = 0;
      return;
    }
    this.changeLog.push({ version: this.version, names });
    if (this.changeLog.length > MAX_LOG) this.changeLog.splice(0, this.changeLog.length - MAX_LOG);
  }

  /**
   * The reduction named by key over all nodes, brought up to date with the nodes changed since it was last
   * asked for. The key must identify everything the contributions depend on besides the node. The returned
   * aggregate is shared: callers clone it before changing it.
   */
  reduce<C, A>(key: string, r: Reduction<C, A>): A {
    let st = this.reductions.get(key);
    if (st && st.version === this.version) return st.agg as A;
    const oldest = this.changeLog[0]?.version ?? Infinity;
    if (!st || st.version < this.listVersion || st.version + 1 < oldest) {
      st = { agg: r.init(), contribs: new Map(), version: this.version };
      for (const ni of this.nodeInfoList) {
        const c = r.contribution(ni);
        if (c === undefined) continue;
        st.contribs.set(ni.name, c);
        r.apply(st.agg as A, c, 1);
      }
    } else {
      const changed = new Set<string>();
      for (let i = this.changeLog.length - 1; i >= 0 && this.changeLog[i]!.version > st.version; i--) for (const n of this.changeLog[i]!.names) changed.add(n);
      for (const name of changed) {
        const old = st.contribs.get(name) as C | undefined;
        if (old !== undefined) {
          r.apply(st.agg as A, old, -1);
          st.contribs.delete(name);
        }
        const ni = this.nodeInfoMap.get(name);
        const c = ni ? r.contribution(ni) : undefined;
        if (c === undefined) continue;
        st.contribs.set(name, c);
        r.apply(st.agg as A, c, 1);
      }
      st.version = this.version;
    }
    // Most recently used last, so the oldest is evicted first.
    this.reductions.delete(key);
    this.reductions.set(key, st);
    if (this.reductions.size > MAX_REDUCTIONS) this.reductions.delete(this.reductions.keys().next().value!);
    return st.agg as A;
  }

  /** Rebuilds the sublists of nodes with (anti-)affinity pods from nodeInfoList. */
  rebuildAffinityLists(): void {
    this.havePodsWithAffinityList = this.nodeInfoList.filter((n) => n.podsWithAffinity.length > 0);
    this.havePodsWithRequiredAntiAffinityList = this.nodeInfoList.filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
  }
}
