import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compactPod } from '../../src/client/informer.js';
import type { KubeObject } from '../../src/client/types.js';
import { shareParts } from '../../src/util/share.js';

/** A pod as the API serves one made from a template: its own names and IPs, the template's everything else. */
function pod(i: number, node: string): KubeObject & { spec: any; status: any } {
  const started = '2026-11-25T10:00:00Z';
  return JSON.parse(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `web-${i}`, namespace: 'default', uid: `uid-${i}`, labels: { app: 'web' }, managedFields: [{ manager: 'kubectl' }] },
      spec: {
        nodeName: node,
        containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '100m', memory: '128Mi' } }, volumeMounts: [{ name: `kube-api-access-${i}`, mountPath: '/var/run/secrets' }] }],
        volumes: [{ name: `kube-api-access-${i}`, projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }] } }],
        tolerations: [
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        ],
        securityContext: {},
      },
      status: {
        phase: 'Running',
        podIP: `10.0.0.${i}`,
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: started }],
        containerStatuses: [{ name: 'app', containerID: `sim://uid-${i}-app`, ready: true, state: { running: { startedAt: started } } }],
      },
    }),
  );
}

test('pieces equal across pods become one shared, frozen copy; what is a pod\'s own stays its own', () => {
  const a = pod(1, 'node-1');
  const b = pod(2, 'node-1');
  const expected = [structuredClone(a), structuredClone(b)];
  for (const p of [a, b]) {
    shareParts(p.spec);
    shareParts(p.status);
  }
  // Nothing reads differently.
  assert.deepEqual([a, b], expected);
  assert.equal(a.spec.tolerations, b.spec.tolerations);
  assert.ok(Object.isFrozen(a.spec.tolerations) && Object.isFrozen(a.spec.tolerations[0]));
  assert.equal(a.spec.containers[0].resources, b.spec.containers[0].resources);
  assert.equal(a.spec.volumes[0].projected, b.spec.volumes[0].projected);
  assert.equal(a.status.conditions, b.status.conditions);
  assert.equal(a.status.containerStatuses[0].state, b.status.containerStatuses[0].state);
  // Different names make different volumes and containers; spec and status themselves are never shared.
  assert.notEqual(a.spec.volumes[0], b.spec.volumes[0]);
  assert.notEqual(a.status.containerStatuses[0], b.status.containerStatuses[0]);
  assert.ok(!Object.isFrozen(a.spec) && !Object.isFrozen(a.status));
  a.status.phase = 'Succeeded';
  assert.equal(b.status.phase, 'Running');
  // A write into a shared piece fails instead of changing the other pod.
  assert.throws(() => a.spec.tolerations.push({ key: 'x' }), TypeError);
});

test('values of a different type or order are not taken for each other', () => {
  const parts = [{ x: { n: 1 } }, { x: { n: '1' } }, { x: { a: 1, b: 2 } }, { x: { b: 2, a: 1 } }, { x: [1, 2] }, { x: [2, 1] }];
  for (const p of parts) shareParts(p);
  assert.deepEqual(parts, [{ x: { n: 1 } }, { x: { n: '1' } }, { x: { a: 1, b: 2 } }, { x: { b: 2, a: 1 } }, { x: [1, 2] }, { x: [2, 1] }]);
  assert.deepEqual(Object.keys(parts[3]!.x), ['b', 'a']);
});

test("the informer's pod transform drops managedFields and shares across pods", () => {
  const a = compactPod(pod(3, 'node-2'));
  const b = compactPod(pod(4, 'node-2'));
  assert.equal(a.metadata.managedFields, undefined);
  assert.equal(a.spec.tolerations, b.spec.tolerations);
  assert.ok(!Object.isFrozen(a.metadata));
});
