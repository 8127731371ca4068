import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podRequests, milliValue, intValue } from '../../src/scheduler/resources.js';
import { Code, CycleState } from '../../src/scheduler/framework.js';
import { podInfoOf } from '../../src/scheduler/pod-info.js';
import { harness } from './harness.js';
import { makeNode, makePod } from './helpers.js';

test('quantities: milli-CPU and bytes rounded up as kube does', () => {
  assert.equal(milliValue('100m'), 100);
  assert.equal(milliValue('1.5'), 1500);
  assert.equal(milliValue('2'), 2000);
  assert.equal(milliValue('0.0001'), 1);
  assert.equal(intValue('128Mi'), 128 * 2 ** 20);
  assert.equal(intValue('1G'), 1e9);
  assert.equal(intValue('1e3'), 1000);
  assert.equal(intValue('1.5Gi'), 1.5 * 2 ** 30);
  assert.throws(() => intValue('12x'));
});

test('pod requests: max of init containers vs the sum, sidecars counted in both, plus overhead', () => {
  const pod = makePod('p', {
    containers: [
      { name: 'a', resources: { requests: { cpu: '1', memory: '1Gi' } } },
      { name: 'b', resources: { requests: { cpu: '500m' } } },
    ],
    spec: {
      initContainers: [
        { name: 'init-big', resources: { requests: { cpu: '3', memory: '512Mi' } } },
        { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { cpu: '200m', memory: '100Mi' } } },
        { name: 'init-after-sidecar', resources: { requests: { cpu: '2', memory: '2Gi' } } },
      ],
      overhead: { cpu: '100m', memory: '10Mi' },
    },
  });
  const r = podRequests(pod);
  // containers 1.5 cpu + sidecar 0.2 = 1.7; init max is 3 cpu (before the sidecar); 3 > 1.7.
  assert.equal(r.milliCPU, 3000 + 100);
  // memory: containers 1Gi + sidecar 100Mi; init-after-sidecar 2Gi + 100Mi wins.
  assert.equal(r.memory, 2 * 2 ** 30 + 100 * 2 ** 20 + 10 * 2 ** 20);
  const nz = podRequests(makePod('q'), true);
  assert.equal(nz.milliCPU, 100);
  assert.equal(nz.memory, 200 * 2 ** 20);
});

test('NodeResourcesFit filter: kube\'s fit and unfit cases with exact reasons', () => {
  const node = makeNode('n', { cpu: '10m', memory: '20', pods: '32', extra: { 'example.com/foo': '5' } });
  const existing = makePod('e', { nodeName: 'n', cpu: '5m', memory: '19' });
  const h = harness([node], [existing]);
  const fit = (pod: ReturnType<typeof makePod>) => h.filter('NodeResourcesFit', pod).n;
  assert.equal(fit(makePod('none')), '', 'no resources requested always fits');
  assert.equal(fit(makePod('p1', { cpu: '1m', memory: '1' })), '', 'equal edge case');
  assert.equal(fit(makePod('p2', { cpu: '6m', memory: '2' })), 'Insufficient cpu, Insufficient memory');
  assert.equal(fit(makePod('p3', { cpu: '1m', memory: '2' })), 'Insufficient memory');
  const init = makePod('p4', { cpu: '1m', memory: '1', spec: { initContainers: [{ name: 'i', resources: { requests: { cpu: '6m' } } }] } });
  assert.equal(fit(init), 'Insufficient cpu', 'the largest init container counts');
  const overhead = makePod('p5', { cpu: '1m', memory: '1', spec: { overhead: { cpu: '5m' } } });
  assert.equal(fit(overhead), 'Insufficient cpu', 'overhead counts');
  const ext = makePod('p6', { containers: [{ name: 'c', resources: { requests: { 'example.com/foo': '6' } } }] });
  assert.equal(fit(ext), 'Insufficient example.com/foo');
  const full = harness([makeNode('n', { pods: '1' })], [makePod('x', { nodeName: 'n' })]);
  assert.equal(full.filter('NodeResourcesFit', makePod('y')).n, 'Too many pods');
});

test('NodeResourcesFit scores: LeastAllocated, MostAllocated and RequestedToCapacityRatio', () => {
  const nodes = [makeNode('node1', { cpu: '4000m', memory: '10000' }), makeNode('node2', { cpu: '6000m', memory: '10000' })];
  const pod = makePod('p', { cpu: '3000m', memory: '5000' });
  assert.deepEqual(harness(nodes).score('NodeResourcesFit', pod), { node1: 37, node2: 50 });
  const most = { profiles: [{ schedulerName: 'default-scheduler', pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated' as const } } }] }] };
  assert.deepEqual(harness(nodes, [], { config: most }).score('NodeResourcesFit', pod), { node1: 62, node2: 50 });
  const ratio = {
    profiles: [{
      schedulerName: 'default-scheduler',
      pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 0, score: 10 }, { utilization: 100, score: 0 }] } } } }],
    }],
  };
  // cpu 75% used -> 25, memory 50% -> 50; rounded mean 38.
  assert.deepEqual(harness(nodes, [], { config: ratio }).score('NodeResourcesFit', pod), { node1: 38, node2: 50 });
  // A pod without requests counts as 100m / 200Mi when spreading.
  const big = [makeNode('a', { cpu: '1', memory: '1Gi' }), makeNode('b', { cpu: '2', memory: '2Gi' })];
  const s = harness(big).score('NodeResourcesFit', makePod('none'));
  assert.ok(s.b! > s.a!, JSON.stringify(s));
});

test('NodeResourcesBalancedAllocation: 100 minus the spread of cpu and memory fractions', () => {
  const nodes = [makeNode('node1', { cpu: '4000m', memory: '10000' }), makeNode('node2', { cpu: '6000m', memory: '10000' })];
  const pod = makePod('p', { cpu: '3000m', memory: '5000' });
  // node1: 0.75 vs 0.5 -> std 0.125 -> 87; node2: 0.5 vs 0.5 -> 100.
  const h = harness(nodes);
  assert.deepEqual(h.score('NodeResourcesBalancedAllocation', pod), { node1: 87, node2: 100 });
  // Best-effort pods skip the plugin at PreScore.
  assert.equal(h.plugin<import('../../src/scheduler/framework.js').PreScorePlugin>('NodeResourcesBalancedAllocation').preScore(new CycleState(), podInfoOf(makePod('be')), [])?.code, Code.Skip);
});
