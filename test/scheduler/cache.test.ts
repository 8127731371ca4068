import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cache } from '../../src/scheduler/cache.js';
import { podInfoOf, withNodeName } from '../../src/scheduler/pod-info.js';
import { numFeasibleNodesToFind } from '../../src/scheduler/schedule-one.js';
import { Snapshot } from '../../src/scheduler/snapshot.js';
import { bound, makeNode, makePod } from './helpers.js';

test('assumed pods count at once, are confirmed by the add, and forgotten if binding fails', () => {
  const cache = new Cache();
  cache.addNode(makeNode('n', { cpu: '4' }));
  const pod = makePod('p', { cpu: '1' });
  const assumed = withNodeName(podInfoOf(pod), 'n');
  cache.assumePod(assumed);
  const snap = new Snapshot();
  cache.updateSnapshot(snap);
  assert.equal(snap.get('n')!.requested.milliCPU, 1000);
  assert.equal(cache.isAssumedPod(pod), true);
  assert.throws(() => cache.assumePod(assumed), /can't be assumed/);
  cache.forgetPod(assumed);
  cache.updateSnapshot(snap);
  assert.equal(snap.get('n')!.requested.milliCPU, 0);
  // Assume again, then the informer reports the pod bound: no longer assumed, still counted once.
  cache.assumePod(assumed);
  cache.finishBinding(assumed);
  cache.addPod(bound(pod, 'n'));
  assert.equal(cache.isAssumedPod(pod), false);
  cache.updateSnapshot(snap);
  assert.equal(snap.get('n')!.requested.milliCPU, 1000);
  assert.equal(snap.get('n')!.pods.length, 1);
  cache.removePod(bound(pod, 'n'));
  cache.updateSnapshot(snap);
  assert.equal(snap.get('n')!.pods.length, 0);
});

test('an assumed pod whose binding finished expires after the TTL without confirmation', () => {
  let now = 0;
  const cache = new Cache(30_000, () => now);
  cache.addNode(makeNode('n'));
  const assumed = withNodeName(podInfoOf(makePod('p', { cpu: '1' })), 'n');
  cache.assumePod(assumed);
  now = 100_000;
  assert.deepEqual(cache.cleanupExpiredAssumedPods(), [], 'still binding: never expires');
  cache.finishBinding(assumed);
  now += 30_000;
  assert.deepEqual(cache.cleanupExpiredAssumedPods(), []);
  now += 1;
  assert.deepEqual(cache.cleanupExpiredAssumedPods().map((p) => p.name), ['p']);
  assert.equal(cache.podCount(), 0);
});

test('snapshots update incrementally: only changed nodes are copied, and a snapshot is stable until updated', () => {
  const cache = new Cache();
  for (let i = 0; i < 10; i++) cache.addNode(makeNode(`n${i}`, { labels: { 'topology.kubernetes.io/zone': `z${i % 2}` } }));
  const snap = new Snapshot();
  cache.updateSnapshot(snap);
  assert.equal(snap.numNodes(), 10);
  // Zone-interleaved order, as kube's node tree lists nodes.
  assert.deepEqual(snap.list().slice(0, 4).map((n) => n.name), ['n0', 'n1', 'n2', 'n3']);
  const before = new Map(snap.list().map((n) => [n.name, n]));
  const copies = new Map(snap.list().map((n) => [n.name, n.generation]));
  cache.addPod(makePod('p', { nodeName: 'n3', cpu: '1' }));
  assert.equal(snap.get('n3')!.pods.length, 0, 'the snapshot does not see changes before the next update');
  cache.updateSnapshot(snap);
  assert.equal(snap.get('n3')!.pods.length, 1);
  for (const n of snap.list()) {
    assert.equal(n, before.get(n.name), 'node infos keep their identity');
    if (n.name !== 'n3') assert.equal(n.generation, copies.get(n.name), `${n.name} was not copied`);
  }
  // Pods with anti-affinity put their node on the sublist; removing them takes it off.
  const anti = makePod('a', { nodeName: 'n5', spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { x: 'y' } }, topologyKey: 'kubernetes.io/hostname' }] } } } });
  cache.addPod(anti);
  cache.updateSnapshot(snap);
  assert.deepEqual(snap.havePodsWithRequiredAntiAffinityList.map((n) => n.name), ['n5']);
  assert.deepEqual(snap.havePodsWithAffinityList.map((n) => n.name), ['n5']);
  cache.removePod(anti);
  cache.updateSnapshot(snap);
  assert.deepEqual(snap.havePodsWithRequiredAntiAffinityList, []);
  cache.removeNode(makeNode('n9'));
  cache.updateSnapshot(snap);
  assert.equal(snap.numNodes(), 9);
  assert.equal(snap.get('n9'), undefined);
});

test('incremental reductions match a full recount after changes', () => {
  const cache = new Cache();
  for (let i = 0; i < 6; i++) cache.addNode(makeNode(`n${i}`));
  const snap = new Snapshot();
  const count = () =>
    snap.reduce<number, { total: number }>('pods', {
      init: () => ({ total: 0 }),
      contribution: (ni) => (ni.pods.length ? ni.pods.length : undefined),
      apply: (agg, c, sign) => void (agg.total += c * sign),
    }).total;
  cache.updateSnapshot(snap);
  assert.equal(count(), 0);
  const pods = Array.from({ length: 12 }, (_, i) => makePod(`p${i}`, { nodeName: `n${i % 6}` }));
  for (const p of pods) cache.addPod(p);
  cache.updateSnapshot(snap);
  assert.equal(count(), 12);
  cache.removePod(pods[0]!);
  cache.removePod(pods[7]!);
  cache.updateSnapshot(snap);
  assert.equal(count(), 10);
  cache.addNode(makeNode('n6'));
  cache.addPod(makePod('late', { nodeName: 'n6' }));
  cache.updateSnapshot(snap);
  assert.equal(count(), 11);
});

test('numFeasibleNodesToFind: all below 100 nodes, adaptive 50% - nodes/125 (min 5%), at least 100', () => {
  assert.equal(numFeasibleNodesToFind(undefined, 10), 10);
  assert.equal(numFeasibleNodesToFind(undefined, 99), 99);
  assert.equal(numFeasibleNodesToFind(undefined, 100), 100);
  assert.equal(numFeasibleNodesToFind(undefined, 1000), 420);
  assert.equal(numFeasibleNodesToFind(undefined, 5000), 500);
  assert.equal(numFeasibleNodesToFind(undefined, 6000), 300);
  assert.equal(numFeasibleNodesToFind(undefined, 10_000), 500);
  assert.equal(numFeasibleNodesToFind(30, 1000), 300);
  assert.equal(numFeasibleNodesToFind(5, 1000), 100);
  assert.equal(numFeasibleNodesToFind(100, 5000), 5000);
});
