import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ActionType, Code, Status, type FilterPlugin, type EnqueueExtensions } from '../../src/scheduler/framework.js';
import { podInfoOf } from '../../src/scheduler/pod-info.js';
import { SchedulingQueue } from '../../src/scheduler/queue.js';
import { PrioritySort } from '../../src/scheduler/plugins/priority-sort.js';
import { Scheduler, type SchedulerOptions } from '../../src/scheduler/scheduler.js';
import { bound, makeNode, makePod } from './helpers.js';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function queue(c = clock()) {
  const ps = new PrioritySort();
  return { q: new SchedulingQueue({ less: (a, b) => ps.less(a, b), now: c.now }), c };
}

test('activeQ pops by priority, then by the time pods were queued', () => {
  const { q, c } = queue();
  for (const [name, prio] of [['low', 1], ['high', 100], ['mid', 50], ['high2', 100]] as const) {
    q.add(makePod(name, { priority: prio }));
    c.advance(1);
  }
  const order: string[] = [];
  for (let p = q.tryPop(); p; p = q.tryPop()) order.push(p.podInfo.name);
  assert.deepEqual(order, ['high', 'high2', 'mid', 'low']);
});

test('backoff: 1 s doubling per attempt up to 10 s; backoffQ drains to activeQ when it expires', () => {
  const { q, c } = queue();
  const pod = makePod('p');
  q.add(pod);
  const qp = q.tryPop()!;
  const durations = [1, 2, 3, 4, 5, 6].map((attempts) => q.backoffDuration({ ...qp, attempts }) / 1000);
  assert.deepEqual(durations, [1, 2, 4, 8, 10, 10]);
  // Failed without a rejecting plugin (an error): straight to backoffQ.
  q.addUnschedulableIfNotPresent(qp, q.schedulingCycle);
  assert.equal(q.whereIs(pod), 'backoff');
  c.advance(999);
  q.flushBackoffQCompleted();
  assert.equal(q.whereIs(pod), 'backoff');
  c.advance(2);
  q.flushBackoffQCompleted();
  assert.equal(q.whereIs(pod), 'active');
});

test('a move request during a pod\'s cycle sends the failed pod to backoffQ instead of the pool', () => {
  const { q } = queue();
  const pod = makePod('p');
  q.add(pod);
  const qp = q.tryPop()!;
  q.moveAllToActiveOrBackoffQueue({ resource: 'Node', action: ActionType.Add });
  qp.unschedulablePlugins = new Set(['NodeResourcesFit']);
  q.addUnschedulableIfNotPresent(qp, q.schedulingCycle);
  assert.equal(q.whereIs(pod), 'backoff');
  const other = makePod('o');
  q.add(other);
  const qo = q.tryPop()!;
  qo.unschedulablePlugins = new Set(['NodeResourcesFit']);
  q.addUnschedulableIfNotPresent(qo, q.schedulingCycle);
  assert.equal(q.whereIs(other), 'unschedulable');
});

/** A scheduler on a fake clock, one pod failed for a known reason and parked in the pool. */
function parked(nodes: ReturnType<typeof makeNode>[], pod: Pod, existing: Pod[] = [], extra?: SchedulerOptions['plugins'], config?: SchedulerOptions['config']) {
  const c = clock();
  const failures: string[] = [];
  const s = new Scheduler({ binder: { bind: async () => {} }, now: c.now, plugins: extra, config, onFailure: (_p, f) => failures.push(f.message) });
  for (const n of nodes) s.onNodeAdd(n);
  for (const p of existing) s.onPodAdd(p);
  s.onPodAdd(pod);
  assert.equal(s.scheduleOne(), true);
  assert.equal(s.queue.whereIs(pod), 'unschedulable', failures.join());
  return { s, c, failures };
}

test('Insufficient cpu: node added or an assigned pod deleted moves the pod; an unrelated event does not', () => {
  const filler = makePod('filler', { nodeName: 'n', cpu: '3' });
  const pod = makePod('p', { cpu: '2' });
  const { s, c } = parked([makeNode('n', { cpu: '4' })], pod, [filler]);
  s.onClusterEvent('PersistentVolumeClaim', ActionType.Add);
  assert.equal(s.queue.whereIs(pod), 'unschedulable');
  s.onPodDelete(filler);
  assert.equal(s.queue.whereIs(pod), 'backoff', 'still within its 1 s backoff');
  c.advance(1001);
  s.queue.flushBackoffQCompleted();
  assert.equal(s.queue.whereIs(pod), 'active');
  const pod2 = makePod('p2', { cpu: '8' });
  const r = parked([makeNode('n', { cpu: '4' })], pod2);
  r.c.advance(5000);
  r.s.onNodeAdd(makeNode('big', { cpu: '16' }));
  assert.equal(r.s.queue.whereIs(pod2), 'active');
});

test('node affinity mismatch: only node adds and label changes requeue, not pod deletes', () => {
  const pod = makePod('p', { spec: { nodeSelector: { disk: 'ssd' } } });
  const node = makeNode('n');
  const other = makePod('o', { nodeName: 'n' });
  const { s, c } = parked([node], pod, [other]);
  c.advance(5000);
  s.onPodDelete(other);
  assert.equal(s.queue.whereIs(pod), 'unschedulable');
  s.onNodeUpdate(node, { ...node, status: { ...node.status, allocatable: { cpu: '8', memory: '8Gi', pods: '110' } } });
  assert.equal(s.queue.whereIs(pod), 'unschedulable', 'an allocatable change cannot fix a selector mismatch');
  s.onNodeUpdate(node, makeNode('n', { labels: { disk: 'ssd' } }));
  assert.equal(s.queue.whereIs(pod), 'active');
});

test('untolerated taint: a taint change requeues', () => {
  const pod = makePod('p');
  const node = makeNode('n', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
  const { s, c, failures } = parked([node], pod);
  assert.equal(failures[0], '0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.');
  c.advance(5000);
  s.onNodeUpdate(node, makeNode('n'));
  assert.equal(s.queue.whereIs(pod), 'active');
});

test('inter-pod affinity: only an assigned pod its terms select requeues it', () => {
  const pod = makePod('p', { spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' }] } } } });
  const { s, c } = parked([makeNode('n')], pod, [makePod('seed', { nodeName: 'n', labels: { app: 'seed' } })]);
  c.advance(5000);
  s.onPodAdd(makePod('web', { nodeName: 'n', labels: { app: 'web' } }));
  assert.equal(s.queue.whereIs(pod), 'unschedulable');
  s.onPodAdd(makePod('db', { nodeName: 'n', labels: { app: 'db' } }));
  assert.equal(s.queue.whereIs(pod), 'active');
});

test('topology spread: a Service change requeues (default constraints select by Services)', () => {
  const pod = makePod('p', { labels: { app: 's' }, spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 's' } } }] } });
  const { s, c } = parked([makeNode('n')], pod);
  c.advance(5000);
  s.onClusterEvent('PersistentVolume', ActionType.Add);
  assert.equal(s.queue.whereIs(pod), 'unschedulable');
  s.onClusterEvent('Service', ActionType.Add);
  assert.equal(s.queue.whereIs(pod), 'active');
});

test('PV/PVC events requeue pods rejected by a plugin that registered them', () => {
  class WaitForClaim implements FilterPlugin, EnqueueExtensions {
    readonly name = 'WaitForClaim';
    filter() {
      return new Status(Code.UnschedulableAndUnresolvable, ['pod has unbound immediate PersistentVolumeClaims']);
    }
    eventsToRegister() {
      return [{ event: { resource: 'PersistentVolumeClaim' as const, action: ActionType.Add | ActionType.Update } }];
    }
  }
  const config = { profiles: [{ schedulerName: 'default-scheduler', plugins: { filter: { enabled: [{ name: 'WaitForClaim' }] } } }] };
  const pod = makePod('p');
  const { s, c, failures } = parked([makeNode('n')], pod, [], new Map([['WaitForClaim', () => new WaitForClaim()]]), config);
  assert.match(failures[0]!, /1 pod has unbound immediate PersistentVolumeClaims/);
  c.advance(5000);
  s.onClusterEvent('PersistentVolume', ActionType.Add);
  s.onNodeAdd(makeNode('m'));
  assert.equal(s.queue.whereIs(pod), 'unschedulable');
  s.onClusterEvent('PersistentVolumeClaim', ActionType.UpdateOther);
  assert.equal(s.queue.whereIs(pod), 'active');
});

test('pods left in the pool longer than 5 minutes are flushed back', () => {
  const pod = makePod('p', { spec: { nodeSelector: { never: 'true' } } });
  const { s, c } = parked([makeNode('n')], pod);
  c.advance(5 * 60_000);
  s.queue.flushUnschedulablePodsLeftover();
  assert.equal(s.queue.whereIs(pod), 'unschedulable');
  c.advance(1);
  s.queue.flushUnschedulablePodsLeftover();
  assert.equal(s.queue.whereIs(pod), 'active');
});

test('gated pods wait outside activeQ until their gates are removed', () => {
  const s = new Scheduler({ binder: { bind: async () => {} } });
  s.onNodeAdd(makeNode('n'));
  const gated = makePod('g', { spec: { schedulingGates: [{ name: 'wait' }] } });
  s.onPodAdd(gated);
  assert.deepEqual(s.queue.pendingCounts(), { active: 0, backoff: 0, unschedulable: 0, gated: 1 });
  s.onNodeAdd(makeNode('m'));
  assert.equal(s.scheduleOne(), false);
  s.onPodUpdate(gated, { ...gated, spec: { ...gated.spec!, schedulingGates: [] } });
  assert.equal(s.queue.whereIs(gated), 'active');
});

test('nominator: nominated pods per node, replaced on re-nomination, dropped on delete or bind', () => {
  const { q } = queue();
  const a = makePod('a', { nominatedNodeName: 'n1' });
  q.add(a);
  assert.deepEqual(q.nominatedPodsForNode('n1').map((p) => p.name), ['a']);
  q.addNominatedPod(podInfoOf(a), 'n2');
  assert.deepEqual(q.nominatedPodsForNode('n1'), []);
  assert.deepEqual(q.nominatedPodsForNode('n2').map((p) => p.name), ['a']);
  q.delete(a);
  assert.equal(q.hasNominatedPods(), false);
  q.addNominatedPod(podInfoOf(bound(a, 'n1')), 'n1');
  assert.equal(q.hasNominatedPods(), false, 'a bound pod is not nominated');
});

test('Insufficient cpu: a node\'s allocatable growing, or an assigned pod scaled down, requeues', () => {
  const node = makeNode('n', { cpu: '4' });
  const filler = makePod('filler', { nodeName: 'n', cpu: '3' });
  const pod = makePod('p', { cpu: '2' });
  const { s, c } = parked([node], pod, [filler]);
  c.advance(5000);
  s.onNodeUpdate(node, { ...node, metadata: { ...node.metadata, annotations: { note: 'x' } } });
  assert.equal(s.queue.whereIs(pod), 'unschedulable', 'an annotation change is not a scheduling change');
  s.onNodeUpdate(node, makeNode('n', { cpu: '8' }));
  assert.equal(s.queue.whereIs(pod), 'active');
  const pod2 = makePod('p2', { cpu: '2' });
  const r = parked([makeNode('n', { cpu: '4' })], pod2, [filler]);
  r.c.advance(5000);
  const smaller = { ...filler, spec: { ...filler.spec!, containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }] } };
  r.s.onPodUpdate(filler, smaller);
  assert.equal(r.s.queue.whereIs(pod2), 'active');
});
