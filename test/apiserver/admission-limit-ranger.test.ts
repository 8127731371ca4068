/** LimitRanger: container defaults and the min/max/ratio checks, worded as kube-apiserver words them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatusError } from '../../src/apimachinery/status.js';
import { LimitRanger } from '../../src/apiserver/admission/limit-ranger.js';
import type { StoredObject } from '../../src/apiserver/registry/strategy.js';
import { attrs, FakeReader, LIMIT_RANGES, pod } from './admission-fake-reader.js';

function withRange(...limits: object[]): { reader: FakeReader; plugin: LimitRanger } {
  const reader = new FakeReader();
  reader.put(LIMIT_RANGES, { metadata: { name: 'lr', namespace: 'ns' }, spec: { limits } });
  return { reader, plugin: new LimitRanger(reader) };
}

async function refusal(plugin: LimitRanger, obj: StoredObject, resource = 'pods'): Promise<string> {
  const a = attrs(resource, obj);
  await plugin.admit(a);
  try {
    await plugin.validate(a);
  } catch (err) {
    assert.equal((err as StatusError).code, 403);
    return (err as StatusError).message;
  }
  assert.fail('expected a refusal');
}

test('defaults: default limits and defaultRequest requests fill what containers leave unset, and say so', async () => {
  const { plugin } = withRange({ type: 'Container', default: { cpu: '500m', memory: '0.5Gi' }, defaultRequest: { cpu: '0.1' } });
  const p = pod('p', { limits: { memory: '1Gi' } }, {});
  await plugin.admit(attrs('pods', p));
  const [c0, c1] = (p.spec as { containers: Array<{ resources: unknown }> }).containers;
  assert.deepEqual(c0!.resources, { limits: { memory: '1Gi', cpu: '500m' }, requests: { cpu: '100m', memory: '512Mi' } });
  assert.deepEqual(c1!.resources, { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '100m', memory: '512Mi' } });
  assert.equal(
    p.metadata.annotations?.['kubernetes.io/limit-ranger'],
    'LimitRanger plugin set: cpu, memory request for container c0; cpu limit for container c0; cpu, memory request for container c1; cpu, memory limit for container c1',
  );
});

test('defaults: a max alone becomes the default limit and request (SetDefaults_LimitRangeItem)', async () => {
  const { plugin } = withRange({ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } });
  const p = pod('p');
  await plugin.admit(attrs('pods', p));
  assert.deepEqual((p.spec as { containers: Array<{ resources: unknown }> }).containers[0]!.resources, {
    limits: { cpu: '2' },
    requests: { cpu: '2', memory: '64Mi' },
  });
});

test('Container max and min: kube messages for limit, request and missing values', async () => {
  const { plugin } = withRange({ type: 'Container', max: { cpu: '1' }, min: { cpu: '100m' } });
  assert.equal(await refusal(plugin, pod('x', { limits: { cpu: '2' } })), 'pods "x" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
  assert.equal(await refusal(plugin, pod('x', { limits: { cpu: '500m' }, requests: { cpu: '50m' } })), 'pods "x" is forbidden: minimum cpu usage per Container is 100m, but request is 50m');
  // Two problems at once read as kube's aggregate.
  assert.equal(
    await refusal(plugin, pod('x', { limits: { cpu: '3' } }, { limits: { cpu: '1500m' }, requests: { cpu: '1' } })),
    'pods "x" is forbidden: [maximum cpu usage per Container is 1, but limit is 3, maximum cpu usage per Container is 1, but limit is 1500m]',
  );
});

test('maxLimitRequestRatio per Container, and Pod totals', async () => {
  const { plugin } = withRange({ type: 'Container', maxLimitRequestRatio: { memory: '2' } }, { type: 'Pod', max: { memory: '1Gi' } });
  assert.equal(
    await refusal(plugin, pod('x', { limits: { memory: '1Gi' }, requests: { memory: '256Mi' } })),
    'pods "x" is forbidden: memory max limit to request ratio per Container is 2, but provided ratio is 4.000000',
  );
  assert.equal(
    await refusal(plugin, pod('x', { limits: { memory: '768Mi' }, requests: { memory: '512Mi' } }, { limits: { memory: '768Mi' }, requests: { memory: '512Mi' } })),
    'pods "x" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 1536Mi',
  );
  const fine = pod('ok', { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } });
  await plugin.validate(attrs('pods', fine));
});

test('PersistentVolumeClaim min and max storage', async () => {
  const { plugin } = withRange({ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } });
  const claim = (storage: string): StoredObject => ({ metadata: { name: 'c', namespace: 'ns' }, spec: { resources: { requests: { storage } } } });
  assert.equal(await refusal(plugin, claim('20Gi'), 'persistentvolumeclaims'), 'persistentvolumeclaims "c" is forbidden: maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi');
  assert.equal(await refusal(plugin, claim('500Mi'), 'persistentvolumeclaims'), 'persistentvolumeclaims "c" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');
  await plugin.validate(attrs('persistentvolumeclaims', claim('5Gi')));
});

test('no LimitRange, no change; pod updates are not checked', async () => {
  const plugin = new LimitRanger(new FakeReader());
  const p = pod('p');
  const before = structuredClone(p);
  await plugin.admit(attrs('pods', p));
  await plugin.validate(attrs('pods', p));
  assert.deepEqual(p, before);
  const { plugin: strict } = withRange({ type: 'Container', max: { cpu: '1' } });
  await strict.validate(attrs('pods', pod('x', { limits: { cpu: '2' } }), { operation: 'UPDATE' }));
});
