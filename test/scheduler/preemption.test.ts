import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { PostFilterResult } from '../../src/scheduler/framework.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { bound, makeNode, makePod } from './helpers.js';

function run(nodes: Node[], existing: Pod[], preemptor: Pod, pdbs: PodDisruptionBudget[] = []) {
  const preemptions: Array<Required<PostFilterResult>> = [];
  const failures: string[] = [];
  const binds: Array<[string, string]> = [];
  let s!: Scheduler;
  s = new Scheduler({
    binder: {
      bind: async (p, n) => {
        binds.push([p.metadata!.name!, n]);
        s.onPodUpdate(p, bound(p, n));
      },
    },
    listers: { podDisruptionBudgets: () => pdbs },
    onPreemption: (_p, r) => preemptions.push(r),
    onFailure: (_p, f) => failures.push(f.message),
    random: () => 0,
  });
  for (const n of nodes) s.onNodeAdd(n);
  for (const p of existing) s.onPodAdd(p);
  s.onPodAdd(preemptor);
  s.scheduleOne();
  const victims = (i = 0) => preemptions[i]?.victims.map((v) => v.metadata!.name).sort() ?? [];
  return { s, preemptions, failures, binds, victims };
}

const pod = (name: string, node: string, priority: number, cpu: string, labels?: Record<string, string>) => makePod(name, { nodeName: node, priority, cpu, labels });

test('the lowest-priority pods are evicted first, and only as many as needed', () => {
  const r = run([makeNode('n1', { cpu: '4' })], [pod('low', 'n1', 1, '2'), pod('mid', 'n1', 5, '2')], makePod('vip', { priority: 10, cpu: '2' }));
  assert.equal(r.preemptions.length, 1);
  assert.equal(r.preemptions[0]!.nominatedNodeName, 'n1');
  assert.deepEqual(r.victims(), ['low']);
  // The failure message still explains why the pod could not be placed in this cycle.
  assert.deepEqual(r.failures, ['0/1 nodes are available: 1 Insufficient cpu.']);
});

test('the node whose most important victim has the lowest priority is chosen; then fewest victims', () => {
  const nodes = [makeNode('n1', { cpu: '4' }), makeNode('n2', { cpu: '4' }), makeNode('n3', { cpu: '4' })];
  const existing = [pod('a', 'n1', 5, '4'), pod('b', 'n2', 1, '4'), pod('c1', 'n3', 1, '2'), pod('c2', 'n3', 1, '2')];
  const r = run(nodes, existing, makePod('vip', { priority: 10, cpu: '4' }));
  assert.equal(r.preemptions[0]!.nominatedNodeName, 'n2');
  assert.deepEqual(r.victims(), ['b']);
});

test('PodDisruptionBudgets: a node whose victims violate no PDB wins; a violation is the last resort', () => {
  const pdb: PodDisruptionBudget = { metadata: { name: 'keep', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'keep' } } }, status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } };
  const nodes = [makeNode('n1', { cpu: '4' }), makeNode('n2', { cpu: '4' })];
  const existing = [pod('protected', 'n1', 1, '4', { app: 'keep' }), pod('free', 'n2', 3, '4', { app: 'other' })];
  const r = run(nodes, existing, makePod('vip', { priority: 10, cpu: '4' }), [pdb]);
  assert.equal(r.preemptions[0]!.nominatedNodeName, 'n2');
  assert.deepEqual(r.victims(), ['free']);
  const only = run([makeNode('n1', { cpu: '4' })], [pod('protected', 'n1', 1, '4', { app: 'keep' })], makePod('vip', { priority: 10, cpu: '4' }), [pdb]);
  assert.deepEqual(only.victims(), ['protected']);
  // With a disruption allowed the pod is not a violation at all.
  const allowed = { ...pdb, status: { ...pdb.status!, disruptionsAllowed: 1 } };
  const r2 = run(nodes, existing, makePod('vip', { priority: 10, cpu: '4' }), [allowed]);
  assert.equal(r2.preemptions[0]!.nominatedNodeName, 'n1', 'lower priority victim once the PDB allows it');
});

test('no lower-priority pods, or preemptionPolicy Never: kube\'s messages, nothing evicted', () => {
  const r = run([makeNode('n1', { cpu: '4' })], [pod('boss', 'n1', 100, '4')], makePod('p', { priority: 10, cpu: '1' }));
  assert.deepEqual(r.preemptions, []);
  assert.deepEqual(r.failures, ['0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.']);
  const never = makePod('n', { priority: 10, cpu: '1', spec: { preemptionPolicy: 'Never' } });
  const r2 = run([makeNode('n1', { cpu: '4' })], [pod('low', 'n1', 1, '4')], never);
  assert.deepEqual(r2.preemptions, []);
  assert.deepEqual(r2.failures, ['0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.']);
});

test('the nominated node is held for the preemptor: lower-priority pods cannot take it, the preemptor lands there', async () => {
  const low = pod('low', 'n1', 1, '4');
  const vip = makePod('vip', { priority: 10, cpu: '4' });
  const r = run([makeNode('n1', { cpu: '4' }), makeNode('n2', { cpu: '4' })], [low, pod('keep', 'n2', 100, '4')], vip);
  assert.equal(r.preemptions[0]!.nominatedNodeName, 'n1');
  assert.deepEqual(r.s.queue.nominatedPodsForNode('n1').map((p) => p.name), ['vip']);
  // The wiring deletes the victim; the delete event brings the preemptor back.
  r.s.onPodDelete(low);
  // A lower-priority pod arriving meanwhile does not fit on n1: the nominated pod is counted there.
  const sneaky = makePod('sneaky', { priority: 5, cpu: '1' });
  r.s.onPodAdd(sneaky);
  r.s.scheduleOne();
  assert.match(r.failures.at(-1)!, /^0\/2 nodes are available: 2 Insufficient cpu\./);
  // Activated (as once its backoff passes), the preemptor schedules onto the node it was nominated to.
  r.s.queue.activate([vip]);
  while (r.s.scheduleOne());
  await r.s.waitForBindings();
  assert.deepEqual(r.binds, [['vip', 'n1']]);
});
