import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { milliValue, intValue } from '../../src/scheduler/resources.js';
import { bound, makeNode, makePod } from './helpers.js';

/** A fake API: bindings recorded and delivered back to the scheduler as the informer would. */
function fakeCluster() {
  const bindings = new Map<string, string>();
  const failures: string[] = [];
  let sched!: Scheduler;
  const binder = {
    async bind(pod: Pod, nodeName: string) {
      const key = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
      if (bindings.has(key)) throw new Error(`pod ${key} is already assigned to node "${bindings.get(key)}"`);
      bindings.set(key, nodeName);
      // The watch event arrives a moment later.
      setImmediate(() => sched.onPodUpdate(pod, bound(pod, nodeName)));
    },
  };
  return { bindings, failures, binder, attach: (s: Scheduler) => (sched = s) };
}

test('100 nodes, 1,000 pods: every pod bound and no node over-committed', async () => {
  const c = fakeCluster();
  const s = new Scheduler({ binder: c.binder, onFailure: (p, f) => c.failures.push(`${p.metadata!.name}: ${f.message}`) });
  c.attach(s);
  const nodes = Array.from({ length: 100 }, (_, i) => makeNode(`node-${i}`, { cpu: '4', memory: '16Gi', labels: { 'topology.kubernetes.io/zone': `zone-${i % 3}` } }));
  for (const n of nodes) s.onNodeAdd(n);
  // 1,000 pods of 350m: 11 fit per node by cpu (3850m of 4000m), so 1,100 slots for 1,000 pods.
  const pods = Array.from({ length: 1000 }, (_, i) => makePod(`p-${i}`, { cpu: '350m', memory: '256Mi', labels: { app: `a${i % 50}` } }));
  for (const p of pods) s.onPodAdd(p);
  const run = s.run();
  const deadline = Date.now() + 20_000;
  while (c.bindings.size < pods.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  s.stop();
  await run;
  await s.waitForBindings();
  assert.deepEqual(c.failures, []);
  assert.equal(c.bindings.size, 1000);
  const cpu = new Map<string, number>();
  const mem = new Map<string, number>();
  for (const [, node] of c.bindings) {
    cpu.set(node, (cpu.get(node) ?? 0) + milliValue('350m'));
    mem.set(node, (mem.get(node) ?? 0) + intValue('256Mi'));
  }
  for (const [node, used] of cpu) assert.ok(used <= 4000, `${node} has ${used}m cpu requested`);
  for (const [node, used] of mem) assert.ok(used <= intValue('16Gi'), `${node} over-committed memory`);
  // LeastAllocated spreads: with 1,000 pods over 100 nodes, no node is left empty.
  assert.equal(cpu.size, 100);
});

test('a pod that fits nowhere is reported with kube\'s message and parked as unschedulable', async () => {
  const c = fakeCluster();
  const failures: string[] = [];
  const s = new Scheduler({ binder: c.binder, onFailure: (_p, f) => failures.push(f.message) });
  c.attach(s);
  for (let i = 0; i < 2; i++) s.onNodeAdd(makeNode(`small-${i}`, { cpu: '1' }));
  for (let i = 0; i < 3; i++) s.onNodeAdd(makeNode(`gpu-${i}`, { cpu: '8', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
  const pod = makePod('big', { cpu: '2' });
  s.onPodAdd(pod);
  assert.equal(s.scheduleOne(), true);
  await s.waitForBindings();
  assert.deepEqual(failures, [
    '0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
  ]);
  assert.equal(s.queue.whereIs(pod), 'unschedulable');
  // A new node that fits brings it back.
  s.onNodeAdd(makeNode('big-node', { cpu: '4' }));
  assert.equal(s.queue.whereIs(pod), 'backoff');
});

test('mixed workload: anti-affinity, zone spread and taints all hold after scheduling', async () => {
  const c = fakeCluster();
  const s = new Scheduler({ binder: c.binder, onFailure: (p, f) => c.failures.push(`${p.metadata!.name}: ${f.message}`) });
  c.attach(s);
  const zone = (i: number) => `zone-${i % 3}`;
  for (let i = 0; i < 30; i++) s.onNodeAdd(makeNode(`node-${i}`, { cpu: '8', labels: { 'topology.kubernetes.io/zone': zone(i) } }));
  for (let i = 0; i < 3; i++) s.onNodeAdd(makeNode(`gpu-${i}`, { cpu: '64', labels: { 'topology.kubernetes.io/zone': zone(i) }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
  const anti = Array.from({ length: 30 }, (_, i) =>
    makePod(`anti-${i}`, { cpu: '100m', labels: { app: 'anti' }, spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'anti' } }, topologyKey: 'kubernetes.io/hostname' }] } } } }),
  );
  const spread = Array.from({ length: 60 }, (_, i) =>
    makePod(`spread-${i}`, { cpu: '100m', labels: { app: 'spread' }, spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }] } }),
  );
  for (const p of [...anti, ...spread]) s.onPodAdd(p);
  const run = s.run();
  const deadline = Date.now() + 10_000;
  while (c.bindings.size < 90 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  s.stop();
  await run;
  assert.deepEqual(c.failures, []);
  const antiNodes = anti.map((p) => c.bindings.get(`default/${p.metadata!.name}`));
  assert.equal(new Set(antiNodes).size, 30, 'one anti-affinity pod per node');
  assert.ok(antiNodes.every((n) => n?.startsWith('node-')), 'no pod landed on a tainted node');
  const perZone = new Map<string, number>();
  for (const p of spread) {
    const node = c.bindings.get(`default/${p.metadata!.name}`)!;
    assert.ok(node.startsWith('node-'));
    const z = zone(Number(node.split('-')[1]));
    perZone.set(z, (perZone.get(z) ?? 0) + 1);
  }
  assert.deepEqual([...perZone.values()], [20, 20, 20]);
});
