/**
 * A harness that runs one plugin of a real profile (built by the Scheduler from kube's default configuration)
 * against nodes and bound pods: PreFilter then Filter per node, or PreScore, Score and NormalizeScore.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeSchedulerConfiguration } from '../../src/scheduler/config.js';
import { Code, CycleState, type ClusterListers, type FilterPlugin, type Plugin, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from '../../src/scheduler/framework.js';
import { podInfoOf } from '../../src/scheduler/pod-info.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';

export function harness(nodes: Node[], pods: Pod[] = [], opts: { config?: KubeSchedulerConfiguration; listers?: ClusterListers } = {}) {
  const sched = new Scheduler({ binder: { bind: async () => {} }, config: opts.config, listers: opts.listers });
  for (const n of nodes) sched.onNodeAdd(n);
  for (const p of pods) sched.onPodAdd(p);
  sched.cache.updateSnapshot(sched.snapshot);
  const fwk = sched.profiles.get('default-scheduler')!;
  const plugin = <T extends Plugin>(name: string): T => {
    const p = fwk.plugins.get(name);
    if (!p) throw new Error(`no plugin ${name}`);
    return p as T;
  };
  return {
    sched,
    fwk,
    plugin,
    /** Per node: "" when the pod passes the plugin's filter, else its reasons; or the PreFilter rejection/skip. */
    filter(name: string, pod: Pod): Record<string, string> {
      const p = plugin<FilterPlugin & Partial<PreFilterPlugin>>(name);
      const state = new CycleState();
      const pi = podInfoOf(pod);
      const pre = p.preFilter?.(state, pi, sched.snapshot);
      const out: Record<string, string> = {};
      if (pre?.status?.code === Code.Skip) {
        for (const n of sched.snapshot.list()) out[n.name] = '';
        return out;
      }
      if (pre?.status && !pre.status.isSuccess()) {
        for (const n of sched.snapshot.list()) out[n.name] = `prefilter: ${pre.status.message()}`;
        return out;
      }
      for (const n of sched.snapshot.list()) {
        if (pre?.result?.nodeNames && !pre.result.nodeNames.has(n.name)) {
          out[n.name] = 'excluded by prefilter';
          continue;
        }
        const s = p.filter(state, pi, n);
        out[n.name] = s ? s.message() : '';
      }
      return out;
    },
    /** Normalized scores per node (all nodes taken as feasible). */
    score(name: string, pod: Pod): Record<string, number> {
      const p = plugin<ScorePlugin & Partial<PreScorePlugin>>(name);
      const state = new CycleState();
      const pi = podInfoOf(pod);
      const nodesList = sched.snapshot.list();
      const pre = p.preScore?.(state, pi, nodesList);
      const out: Record<string, number> = {};
      if (pre?.code === Code.Skip) {
        for (const n of nodesList) out[n.name] = 0;
        return out;
      }
      const scores = new Float64Array(nodesList.length);
      nodesList.forEach((n, i) => (scores[i] = p.score(state, pi, n)));
      p.normalizeScore?.(state, pi, scores, nodesList);
      nodesList.forEach((n, i) => (out[n.name] = scores[i]!));
      return out;
    },
  };
}
