import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindingFor, unschedulableCondition } from '../../src/scheduler/reporting.js';
import { makePod } from './helpers.js';

test('the binding and the condition are shaped as kube-scheduler writes them', () => {
  const pod = makePod('web', { namespace: 'prod' });
  assert.deepEqual(bindingFor(pod, 'node-1'), {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'web', namespace: 'prod', uid: pod.metadata!.uid },
    target: { kind: 'Node', name: 'node-1' },
  });
  const now = new Date('2026-01-02T03:04:05.678Z');
  const failure = { reason: 'Unschedulable' as const, message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector." };
  assert.deepEqual(unschedulableCondition(failure, now), {
    type: 'PodScheduled',
    status: 'False',
    reason: 'Unschedulable',
    message: failure.message,
    lastTransitionTime: '2026-01-02T03:04:05Z',
  });
});
