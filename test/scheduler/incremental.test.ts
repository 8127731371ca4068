import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { harness } from './harness.js';
import { makeNode, makePod } from './helpers.js';

/** A small deterministic PRNG so a failure reproduces. */
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const ZONE = 'topology.kubernetes.io/zone';

test('cycle state kept up to date incrementally equals a fresh computation after random cluster changes', () => {
  const rand = rng(42);
  const nodes = new Map<string, Node>();
  const pods = new Map<string, Pod>();
  const live = harness([]);
  const addNode = (i: number) => {
    const n = makeNode(`n${i}`, { labels: { [ZONE]: `z${i % 3}` } });
    nodes.set(n.metadata!.name!, n);
    live.sched.onNodeAdd(n);
  };
  for (let i = 0; i < 12; i++) addNode(i);
  let next = 0;
  const probes = [
    makePod('spread', { labels: { app: 'a' }, spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'a' } } }] } }),
    makePod('anti', { labels: { app: 'b' }, spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'a' } }, topologyKey: ZONE }] } } } }),
    makePod('aff', { labels: { app: 'c' }, spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'b' } }, topologyKey: 'kubernetes.io/hostname' }] } } } }),
    makePod('soft', { labels: { app: 'a' }, spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'a' } } }] } }),
  ];
  for (let step = 0; step < 300; step++) {
    const r = rand();
    const nodeNames = [...nodes.keys()];
    if (r < 0.5 && nodeNames.length > 0) {
      const app = ['a', 'b', 'c'][Math.floor(rand() * 3)]!;
      const anti = rand() < 0.2;
      const p = makePod(`p${next++}`, {
        nodeName: nodeNames[Math.floor(rand() * nodeNames.length)],
        labels: { app },
        spec: anti ? { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'c' } }, topologyKey: 'kubernetes.io/hostname' }] } } } : {},
      });
      pods.set(p.metadata!.name!, p);
      live.sched.onPodAdd(p);
    } else if (r < 0.85 && pods.size > 0) {
      const names = [...pods.keys()];
      const p = pods.get(names[Math.floor(rand() * names.length)]!)!;
      pods.delete(p.metadata!.name!);
      live.sched.onPodDelete(p);
    } else if (r < 0.93) {
      addNode(100 + step);
    } else if (nodeNames.length > 4) {
      const name = nodeNames[Math.floor(rand() * nodeNames.length)]!;
      const n = nodes.get(name)!;
      nodes.delete(name);
      for (const [k, p] of pods) if (p.spec?.nodeName === name) {
        pods.delete(k);
        live.sched.onPodDelete(p);
      }
      live.sched.onNodeDelete(n);
    }
    if (step % 7 !== 0) continue;
    live.sched.cache.updateSnapshot(live.sched.snapshot);
    const fresh = harness([...nodes.values()], [...pods.values()]);
    for (const probe of probes.slice(0, 3)) {
      assert.deepEqual(live.filter('PodTopologySpread', probe), fresh.filter('PodTopologySpread', probe), `PodTopologySpread ${probe.metadata!.name} at step ${step}`);
      assert.deepEqual(live.filter('InterPodAffinity', probe), fresh.filter('InterPodAffinity', probe), `InterPodAffinity ${probe.metadata!.name} at step ${step}`);
    }
    assert.deepEqual(live.score('PodTopologySpread', probes[3]!), fresh.score('PodTopologySpread', probes[3]!), `spread scores at step ${step}`);
    assert.deepEqual(live.score('InterPodAffinity', probes[2]!), fresh.score('InterPodAffinity', probes[2]!), `affinity scores at step ${step}`);
  }
});
