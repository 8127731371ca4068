import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { humanDuration } from '../../src/apiserver/printers/columns.js';
import { podStatusReason } from '../../src/apiserver/registry/core/pods.js';

test('ages print as kubectl prints them', () => {
  const s = 1000;
  const cases: Array<[number, string]> = [
    [-5 * s, '<invalid>'],
    [-0.5 * s, '0s'],
    [45 * s, '45s'],
    [119 * s, '119s'],
    [200 * s, '3m20s'],
    [300 * s, '5m'],
    [15 * 60 * s, '15m'],
    [179 * 60 * s, '179m'],
    [5 * 3600 * s + 10 * 60 * s, '5h10m'],
    [7 * 3600 * s, '7h'],
    [30 * 3600 * s, '30h'],
    [3 * 86400 * s + 4 * 3600 * s, '3d4h'],
    [4 * 86400 * s, '4d'],
    [100 * 86400 * s, '100d'],
    [3 * 365 * 86400 * s + 10 * 86400 * s, '3y10d'],
    [9 * 365 * 86400 * s, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test('pod STATUS follows kubectl precedence: init containers, waiting and terminated reasons, Terminating', () => {
  const base: Pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Pending' } };
  assert.equal(podStatusReason(base), 'Pending');
  const waiting: Pod = { ...base, status: { phase: 'Pending', containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }] } };
  assert.equal(podStatusReason(waiting), 'ImagePullBackOff');
  const crashed: Pod = { ...base, status: { phase: 'Running', containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: false, restartCount: 3, state: { terminated: { exitCode: 137 } } }] } };
  assert.equal(podStatusReason(crashed), 'ExitCode:137');
  const init: Pod = {
    metadata: { name: 'p' },
    spec: { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'c' }] },
    status: {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'i1', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } },
        { name: 'i2', image: 'x', imageID: '', ready: false, restartCount: 0, state: { running: {} } },
      ],
    },
  };
  assert.equal(podStatusReason(init), 'Init:1/2');
  const running: Pod = { ...base, status: { phase: 'Running', containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] } };
  assert.equal(podStatusReason(running), 'Running');
  assert.equal(podStatusReason({ ...running, metadata: { name: 'p', deletionTimestamp: '2026-01-01T00:00:00Z' } }), 'Terminating');
});
