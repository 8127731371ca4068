import assert from 'node:assert/strict';
import { test } from 'node:test';
import { intern, internObject } from '../../src/util/intern.js';

test('interning keeps every value of an object as it was', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'web', uid: 'u1', controller: true }] },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'app', image: 'nginx', args: ['-g', 'daemon off;'], resources: { requests: { cpu: '100m' } } }],
      tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  };
  const before = structuredClone(pod);
  internObject(pod);
  assert.deepEqual(pod, before);
});

test('intern answers an equal string, the first copy it was given', () => {
  const a = ['default', 'scheduler'].join('-');
  const b = ['default', 'scheduler'].join('-');
  assert.equal(intern(a), a);
  assert.equal(intern(b), a);
});
