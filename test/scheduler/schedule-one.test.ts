import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, Status } from '../../src/scheduler/framework.js';
import { fitErrorMessage } from '../../src/scheduler/fit-error.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { makeNode, makePod } from './helpers.js';

test('the FitError message: reasons counted over nodes and sorted as Go sorts strings', () => {
  const statuses = new Map<string, Status>();
  for (let i = 0; i < 10; i++) statuses.set(`t${i}`, new Status(Code.UnschedulableAndUnresolvable, ['node(s) had untolerated taint {dedicated: gpu}']));
  for (let i = 0; i < 2; i++) statuses.set(`c${i}`, new Status(Code.Unschedulable, ['Insufficient cpu', 'Insufficient memory']));
  assert.equal(
    fitErrorMessage(12, statuses),
    '0/12 nodes are available: 10 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu, 2 Insufficient memory.',
  );
  assert.equal(fitErrorMessage(3, statuses, 'pod has unbound immediate PersistentVolumeClaims'), '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.');
  assert.equal(
    fitErrorMessage(5, new Map([['a', new Status(Code.Unschedulable, ['Insufficient cpu'])]]), '', 'preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.'),
    '0/5 nodes are available: 1 Insufficient cpu. preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.',
  );
});

test('percentageOfNodesToScore bounds the nodes evaluated, and the next cycle starts where the last stopped', async () => {
  const s = new Scheduler({ binder: { bind: async () => {} }, config: { percentageOfNodesToScore: 50 } });
  for (let i = 0; i < 200; i++) s.onNodeAdd(makeNode(`n${String(i).padStart(3, '0')}`));
  const seen = new Set<string>();
  let evaluated = 0;
  const fwk = s.profiles.get('default-scheduler')!;
  const filter = fwk.filter[0]!;
  const original = filter.filter.bind(filter);
  filter.filter = (state, pod, node) => {
    evaluated++;
    seen.add(node.name);
    return original(state, pod, node);
  };
  s.onPodAdd(makePod('a'));
  s.scheduleOne();
  assert.equal(evaluated, 100);
  s.onPodAdd(makePod('b'));
  s.scheduleOne();
  assert.equal(evaluated, 200);
  assert.equal(seen.size, 200, 'the second cycle looked at the other half');
  await s.waitForBindings();
});

test('no nodes: kube\'s error, reported as a scheduler error', () => {
  const failures: string[] = [];
  const s = new Scheduler({ binder: { bind: async () => {} }, onFailure: (_p, f) => failures.push(`${f.reason}: ${f.message}`) });
  s.onPodAdd(makePod('p'));
  s.scheduleOne();
  assert.deepEqual(failures, ['SchedulerError: no nodes available to schedule pods']);
});

test('nodes excluded by a PreFilter result are reported as kube reports them', () => {
  const failures: string[] = [];
  const s = new Scheduler({ binder: { bind: async () => {} }, onFailure: (_p, f) => failures.push(f.message) });
  for (const n of ['n1', 'n2', 'n3']) s.onNodeAdd(makeNode(n));
  const port = [{ name: 'c', ports: [{ containerPort: 80, hostPort: 80 }] }];
  s.onPodAdd(makePod('holder', { nodeName: 'n1', containers: port }));
  const pinned = makePod('pinned', {
    containers: port,
    spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } } },
  });
  s.onPodAdd(pinned);
  s.scheduleOne();
  assert.deepEqual(failures, [
    "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 2 node is filtered out by the prefilter result. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
  ]);
});
