/**
 * The framework runtime (kube's framework/runtime): one instance per profile, holding its plugins per
 * extension point (instantiated once from the registry with their args) and running them in order.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Profile } from './config.js';
import {
  asStatus, Code, Status, type Binder, type BindPlugin, type ClusterEventWithHint, type ClusterListers, type CycleState, type EnqueueExtensions,
  type FilterPlugin, type Handle, type NodeToStatus, type PermitPlugin, type Plugin, type PluginFactory, type PodNominator, type PostBindPlugin,
  type PostFilterPlugin, type PostFilterResult, type PreBindPlugin, type PreEnqueuePlugin, type PreFilterPlugin, type PreFilterResult,
  type PreScorePlugin, type QueuedPodInfo, type QueueSortPlugin, type ReservePlugin, type Result, type ScorePlugin,
} from './framework.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import type { Snapshot } from './snapshot.js';

/** What every profile's framework shares: the cycle's snapshot, listers, nominator and binder. */
export interface FrameworkDeps {
  snapshot(): Snapshot;
  listers?: ClusterListers;
  nominator?: PodNominator;
  binder?: Binder;
}

/** The extension points a profile configures. */
export const EXTENSION_POINTS = ['queueSort', 'preEnqueue', 'preFilter', 'filter', 'postFilter', 'preScore', 'score', 'reserve', 'permit', 'preBind', 'bind', 'postBind'] as const;
export type ExtensionPoint = (typeof EXTENSION_POINTS)[number];

const IMPLEMENTS: Record<ExtensionPoint, string> = {
  ...{ queueSort: 'less', preEnqueue: 'preEnqueue', preFilter: 'preFilter', filter: 'filter', postFilter: 'postFilter', preScore: 'preScore' },
  ...{ score: 'score', reserve: 'reserve', permit: 'permit', preBind: 'preBind', bind: 'bind', postBind: 'postBind' },
};

function implementsPoint(p: Plugin, point: ExtensionPoint): boolean {
  return typeof (p as unknown as Record<string, unknown>)[IMPLEMENTS[point]] === 'function';
}

interface WaitingPod {
  pending: Set<string>;
  resolve: (s: Result) => void;
  timer: NodeJS.Timeout;
}

/** A profile's plugins and the code that runs them. */
export class Framework implements Handle {
  readonly profileName: string;
  readonly percentageOfNodesToScore: number | undefined;
  readonly listers: ClusterListers;
  readonly nominator: PodNominator | undefined;
  readonly binder: Binder | undefined;
  readonly plugins = new Map<string, Plugin>();
  queueSort!: QueueSortPlugin;
  readonly preEnqueue: PreEnqueuePlugin[] = [];
  readonly preFilter: PreFilterPlugin[] = [];
  readonly filter: FilterPlugin[] = [];
  readonly postFilter: PostFilterPlugin[] = [];
  readonly preScore: PreScorePlugin[] = [];
  readonly score: ScorePlugin[] = [];
  readonly scoreWeights: number[] = [];
  readonly reserve: ReservePlugin[] = [];
  readonly permit: PermitPlugin[] = [];
  readonly preBind: PreBindPlugin[] = [];
  readonly bind: BindPlugin[] = [];
  readonly postBind: PostBindPlugin[] = [];
  private readonly waiting = new Map<string, WaitingPod>();
  private scratch = new Float64Array(0);

  constructor(profile: Profile, registry: ReadonlyMap<string, PluginFactory>, private readonly deps: FrameworkDeps) {
    this.profileName = profile.schedulerName;
    this.percentageOfNodesToScore = profile.percentageOfNodesToScore;
    this.listers = deps.listers ?? {};
    this.nominator = deps.nominator;
    this.binder = deps.binder;
    const args = new Map((profile.pluginConfig ?? []).map((c) => [c.name, c.args]));
    const instance = (name: string): Plugin => {
      let p = this.plugins.get(name);
      if (!p) {
        const factory = registry.get(name);
        if (!factory) throw new Error(`plugin "${name}" does not exist`);
        p = factory(args.get(name), this);
        this.plugins.set(name, p);
      }
      return p;
    };
    const plugins = profile.plugins ?? {};
    const multi = plugins.multiPoint ?? { enabled: [] };
    for (const point of EXTENSION_POINTS) {
      const set = plugins[point] ?? { enabled: [] };
      const disabled = new Set((set.disabled ?? []).map((d) => d.name));
      const seen = new Set<string>();
      const list: Array<{ p: Plugin; weight: number }> = [];
      // Plugins enabled at a specific point come first and take precedence over multiPoint (kube's order).
      for (const e of set.enabled ?? []) {
        if (seen.has(e.name)) continue;
        seen.add(e.name);
        list.push({ p: instance(e.name), weight: e.weight || multi.enabled?.find((m) => m.name === e.name)?.weight || 1 });
      }
      const multiDisabled = new Set((multi.disabled ?? []).map((d) => d.name));
      for (const e of multi.enabled ?? []) {
        if (seen.has(e.name) || disabled.has(e.name) || disabled.has('*') || multiDisabled.has(e.name)) continue;
        const p = instance(e.name);
        if (!implementsPoint(p, point)) continue;
        seen.add(e.name);
        list.push({ p, weight: e.weight || 1 });
      }
      for (const { p, weight } of list) {
        if (!implementsPoint(p, point)) throw new Error(`plugin "${p.name}" does not extend ${point} plugin`);
        if (point === 'queueSort') this.queueSort = p as QueueSortPlugin;
        else if (point === 'score') {
          this.score.push(p as ScorePlugin);
          this.scoreWeights.push(weight);
        } else (this[point] as Plugin[]).push(p);
      }
    }
    if (!this.queueSort) throw new Error(`profile "${this.profileName}": queueSort plugin is required`);
    if (this.bind.length === 0) throw new Error(`profile "${this.profileName}": at least one bind plugin is needed`);
  }

  snapshot(): Snapshot {
    return this.deps.snapshot();
  }

  /** Each plugin's requeue events, by plugin name. */
  eventsToRegister(): Map<string, ClusterEventWithHint[]> {
    const out = new Map<string, ClusterEventWithHint[]>();
    for (const [name, p] of this.plugins) {
      const ext = p as Partial<EnqueueExtensions>;
      if (typeof ext.eventsToRegister === 'function') out.set(name, ext.eventsToRegister());
    }
    return out;
  }

  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    return this.queueSort.less(a, b);
  }

  runPreEnqueuePlugins(pod: PodInfo): Result {
    for (const p of this.preEnqueue) {
      const s = p.preEnqueue(pod);
      if (s && !s.isSuccess()) return s.withPlugin(p.name);
    }
    return undefined;
  }

  /** PreFilter: skips are recorded in the state; node restrictions are intersected. */
  runPreFilterPlugins(state: CycleState, pod: PodInfo): { result?: PreFilterResult; status?: Status } {
    let names: Set<string> | undefined;
    for (const p of this.preFilter) {
      let out;
      try {
        out = p.preFilter(state, pod, this.snapshot());
      } catch (err) {
        return { status: asStatus(err).withPlugin(p.name) };
      }
      const s = out?.status;
      if (s?.code === Code.Skip) {
        state.skipFilterPlugins.add(p.name);
        continue;
      }
      if (s && !s.isSuccess()) return { status: s.withPlugin(p.name) };
      const r = out?.result?.nodeNames;
      if (r) names = names ? new Set([...names].filter((n) => r.has(n))) : new Set(r);
    }
    return { result: names ? { nodeNames: names } : undefined };
  }

  /** The filters that run this cycle (those whose PreFilter did not skip). */
  activeFilters(state: CycleState): FilterPlugin[] {
    return state.skipFilterPlugins.size === 0 ? this.filter : this.filter.filter((p) => !state.skipFilterPlugins.has(p.name));
  }

  runFilterPlugins(state: CycleState, pod: PodInfo, node: NodeInfo, filters = this.activeFilters(state)): Result {
    for (const p of filters) {
      let s: Result;
      try {
        s = p.filter(state, pod, node);
      } catch (err) {
        s = asStatus(err);
      }
      if (s && !s.isSuccess()) return s.withPlugin(p.name);
    }
    return undefined;
  }

  /**
   * Filters with pods nominated to the node (of at least the pod's priority) counted as if already there, and
   * then without them, as kube: the pod must fit both ways, since nominated pods may or may not land.
   */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    const nominated = this.nominator?.nominatedPodsForNode(node.name) ?? [];
    const add = nominated.filter((p) => p.priority >= pod.priority && p.key !== pod.key);
    if (add.length > 0) {
      const s2 = state.clone();
      const n2 = node.clone();
      for (const p of add) {
        n2.addPod(p);
        const st = this.runPreFilterExtensionAddPod(s2, pod, p, n2);
        if (st && !st.isSuccess()) return st;
      }
      const st = this.runFilterPlugins(s2, pod, n2);
      if (st && !st.isSuccess()) return st;
    }
    return this.runFilterPlugins(state, pod, node);
  }

  runPreFilterExtensionAddPod(state: CycleState, pod: PodInfo, toAdd: PodInfo, node: NodeInfo): Result {
    for (const p of this.preFilter) {
      if (state.skipFilterPlugins.has(p.name)) continue;
      const s = p.preFilterExtensions?.()?.addPod(state, pod, toAdd, node);
      if (s && !s.isSuccess()) return s.withPlugin(p.name);
    }
    return undefined;
  }

  runPreFilterExtensionRemovePod(state: CycleState, pod: PodInfo, toRemove: PodInfo, node: NodeInfo): Result {
    for (const p of this.preFilter) {
      if (state.skipFilterPlugins.has(p.name)) continue;
      const s = p.preFilterExtensions?.()?.removePod(state, pod, toRemove, node);
      if (s && !s.isSuccess()) return s.withPlugin(p.name);
    }
    return undefined;
  }

  /** PostFilter: the first plugin that succeeds (or fails hard) decides; otherwise the last rejection. */
  runPostFilterPlugins(state: CycleState, pod: PodInfo, filtered: NodeToStatus): { result?: PostFilterResult; status: Status } {
    let last: { result?: PostFilterResult; status: Status } = { status: new Status(Code.Unschedulable) };
    for (const p of this.postFilter) {
      const out = p.postFilter(state, pod, filtered);
      out.status.withPlugin(p.name);
      if (out.status.isSuccess() || !out.status.isRejected()) return out;
      last = out;
    }
    return last;
  }

  runPreScorePlugins(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Result {
    for (const p of this.preScore) {
      const s = p.preScore(state, pod, nodes);
      if (s?.code === Code.Skip) state.skipScorePlugins.add(p.name);
      else if (s && !s.isSuccess()) return s.withPlugin(p.name);
    }
    return undefined;
  }

  /** Each node's weighted, normalized total score (index-aligned with nodes). The array is reused per call. */
  runScorePlugins(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Float64Array {
    const n = nodes.length;
    if (this.scratch.length < 2 * n) this.scratch = new Float64Array(2 * n);
    const total = this.scratch.subarray(0, n);
    const scores = this.scratch.subarray(n, 2 * n);
    total.fill(0);
    for (let j = 0; j < this.score.length; j++) {
      const p = this.score[j]!;
      if (state.skipScorePlugins.has(p.name)) continue;
      for (let i = 0; i < n; i++) scores[i] = p.score(state, pod, nodes[i]!);
      p.normalizeScore?.(state, pod, scores, nodes);
      const w = this.scoreWeights[j]!;
      for (let i = 0; i < n; i++) {
        const s = scores[i]!;
        if (s < 0 || s > 100) throw new Error(`plugin "${p.name}" returns an invalid score ${s}, it should in the range of [0, 100] after normalizing`);
        total[i]! += s * w;
      }
    }
    return total;
  }

  runReservePluginsReserve(state: CycleState, pod: PodInfo, nodeName: string): Result {
    for (const p of this.reserve) {
      const s = p.reserve(state, pod, nodeName);
      if (s && !s.isSuccess()) return s.withPlugin(p.name);
    }
    return undefined;
  }

  /** Unreserve runs in reverse order, as kube. */
  runReservePluginsUnreserve(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (let i = this.reserve.length - 1; i >= 0; i--) this.reserve[i]!.unreserve(state, pod, nodeName);
  }

  /** Permit: a rejection ends the cycle; Wait parks the pod until waitOnPermit resolves. */
  runPermitPlugins(state: CycleState, pod: PodInfo, nodeName: string): Result {
    const pending = new Set<string>();
    let timeoutMs = 0;
    for (const p of this.permit) {
      const out = p.permit(state, pod, nodeName);
      const s = out?.status;
      if (s?.code === Code.Wait) {
        pending.add(p.name);
        timeoutMs = Math.max(timeoutMs, Math.min(out?.timeoutMs ?? 0, 15 * 60_000));
      } else if (s && !s.isSuccess()) return s.withPlugin(p.name);
    }
    if (pending.size === 0) return undefined;
    let resolve!: (s: Result) => void;
    const done = new Promise<Result>((r) => (resolve = r));
    const timer = setTimeout(() => this.rejectWaitingPod(pod.key, [...pending][0]!, `rejected due to timeout after waiting ${timeoutMs / 1000}s at plugin ${[...pending][0]}`), timeoutMs);
    this.waiting.set(pod.key, { pending, resolve, timer });
    this.waitPromises.set(pod.key, done);
    return new Status(Code.Wait);
  }

  private readonly waitPromises = new Map<string, Promise<Result>>();

  /** Resolves when a waiting pod is allowed by every waiting plugin, or rejected. */
  async waitOnPermit(pod: PodInfo): Promise<Result> {
    const p = this.waitPromises.get(pod.key);
    if (!p) return undefined;
    const s = await p;
    this.waitPromises.delete(pod.key);
    return s;
  }

  /** A Permit plugin allows a waiting pod. */
  allowWaitingPod(key: string, plugin: string): void {
    const w = this.waiting.get(key);
    if (!w) return;
    w.pending.delete(plugin);
    if (w.pending.size > 0) return;
    clearTimeout(w.timer);
    this.waiting.delete(key);
    w.resolve(undefined);
  }

  rejectWaitingPod(key: string, plugin: string, msg: string): void {
    const w = this.waiting.get(key);
    if (!w) return;
    clearTimeout(w.timer);
    this.waiting.delete(key);
    w.resolve(new Status(Code.Unschedulable, [msg]).withPlugin(plugin));
  }

  async runPreBindPlugins(state: CycleState, pod: PodInfo, nodeName: string): Promise<Result> {
    for (const p of this.preBind) {
      const s = await p.preBind(state, pod, nodeName);
      if (s && !s.isSuccess()) return s.withPlugin(p.name);
    }
    return undefined;
  }

  /** Bind: the first plugin that does not Skip binds. */
  async runBindPlugins(state: CycleState, pod: PodInfo, nodeName: string): Promise<Result> {
    for (const p of this.bind) {
      const s = await p.bind(state, pod, nodeName);
      if (s?.code === Code.Skip) continue;
      return s && !s.isSuccess() ? s.withPlugin(p.name) : undefined;
    }
    return new Status(Code.Skip);
  }

  runPostBindPlugins(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (const p of this.postBind) p.postBind(state, pod, nodeName);
  }
}

/** The pod's profile name (spec.schedulerName, default "default-scheduler"). */
export function schedulerNameOf(pod: Pod): string {
  return pod.spec?.schedulerName || 'default-scheduler';
}

