/**
 * ResourceQuota: usage counted from the cache plus in-flight charges, kube's refusal messages, no overshoot
 * under concurrent admissions, and the recalculator keeping status current on creates and deletes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { StatusError } from '../../src/apimachinery/status.js';
import { QuotaLedger } from '../../src/apiserver/admission/quota-ledger.js';
import { QuotaRecalculator, type QuotaStatus } from '../../src/apiserver/admission/quota-recalculator.js';
import { ResourceQuota } from '../../src/apiserver/admission/resource-quota.js';
import { countedOf, UsageMemo, usageOf } from '../../src/apiserver/admission/resource-quota-usage.js';
import { formatResourceList } from '../../src/apiserver/admission/quantity-usage.js';
import type { StoredObject } from '../../src/apiserver/registry/strategy.js';
import { attrs, FakeReader, pod, PODS, RESOURCE_QUOTAS } from './admission-fake-reader.js';

function setup(hard: Record<string, string>) {
  const reader = new FakeReader();
  reader.put(RESOURCE_QUOTAS, { metadata: { name: 'q', namespace: 'ns' }, spec: { hard } });
  const ledger = new QuotaLedger();
  const memo = new UsageMemo();
  return { reader, ledger, memo, plugin: new ResourceQuota(reader, ledger, memo) };
}

async function refusal(p: Promise<void>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.equal((err as StatusError).code, 403);
    return (err as StatusError).message;
  }
  assert.fail('expected a refusal');
}

/** The registry's part of a create: name, uid and resourceVersion on the admitted object, then the cache. */
function store(reader: FakeReader, obj: StoredObject): void {
  obj.metadata.uid = `uid-${obj.metadata.name}`;
  const stored = reader.put(PODS, obj);
  obj.metadata.resourceVersion = stored.metadata.resourceVersion;
}

test('usage: pods count requests (init containers raise them), limits and counts; finished pods nothing', () => {
  const p = pod('p', { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m' } }, { requests: { cpu: '150m' } });
  (p.spec as { initContainers?: unknown }).initContainers = [{ name: 'i', image: 'x', resources: { requests: { cpu: '1' } } }];
  assert.deepEqual(formatResourceList(usageOf(PODS, p)), {
    'count/pods': '1',
    cpu: '1',
    'limits.cpu': '200m',
    memory: '64Mi',
    pods: '1',
    'requests.cpu': '1',
    'requests.memory': '64Mi',
  });
  p.status = { phase: 'Succeeded' };
  assert.equal(usageOf(PODS, p).size, 0);
  const claim = { metadata: { name: 'c' }, spec: { storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } } };
  assert.deepEqual(formatResourceList(usageOf({ group: '', resource: 'persistentvolumeclaims' }, claim)), {
    'count/persistentvolumeclaims': '1',
    'fast.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
    'fast.storageclass.storage.k8s.io/requests.storage': '1Gi',
    persistentvolumeclaims: '1',
    'requests.storage': '1Gi',
  });
  assert.deepEqual(formatResourceList(usageOf({ group: 'apps', resource: 'deployments' }, { metadata: {} })), { 'count/deployments.apps': '1' });
});

test('refuses the create past the quota with kube\'s message', async () => {
  const { reader, plugin } = setup({ pods: '2', 'requests.cpu': '1' });
  for (const name of ['a', 'b']) {
    const p = pod(name, { requests: { cpu: '300m' } });
    await plugin.validate(attrs('pods', p));
    store(reader, p);
  }
  assert.equal(
    await refusal(plugin.validate(attrs('pods', pod('c', { requests: { cpu: '500m' } })))),
    'pods "c" is forbidden: exceeded quota: q, requested: pods=1,requests.cpu=500m, used: pods=2,requests.cpu=600m, limited: pods=2,requests.cpu=1',
  );
  assert.equal(await refusal(plugin.validate(attrs('pods', pod('d')))), 'pods "d" is forbidden: failed quota: q: must specify requests.cpu');
  // A deleted pod gives its room back.
  reader.remove(PODS, 'ns', 'a');
  await plugin.validate(attrs('pods', pod('c', { requests: { cpu: '300m' } })));
});

test('no overshoot: an admitted create counts before the cache shows it, and stops counting once it does', async () => {
  const { reader, ledger, plugin } = setup({ pods: '1' });
  const first = pod('a');
  await plugin.validate(attrs('pods', first));
  // Not stored yet: a concurrent create must not get the same room.
  assert.match(await refusal(plugin.validate(attrs('pods', pod('b')))), /exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1/);
  store(reader, first);
  assert.equal(ledger.pending('ns', reader).size, 0, 'the charge landed');
  assert.match(await refusal(plugin.validate(attrs('pods', pod('b')))), /used: pods=1/);
  // A dry run is checked but takes nothing.
  reader.remove(PODS, 'ns', 'a');
  await plugin.validate(attrs('pods', pod('dry'), { dryRun: true }));
  await plugin.validate(attrs('pods', pod('real')));
});

test('a charge whose write never lands expires', async () => {
  const { reader, ledger } = setup({ pods: '1' });
  const { createCharge } = await import('../../src/apiserver/admission/quota-ledger.js');
  ledger.add(createCharge(PODS, 'ns', countedOf(PODS, pod('x')), { name: 'x' }, 20));
  assert.equal(ledger.pending('ns', reader).size, 2);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(ledger.pending('ns', reader).size, 0);
});

test('scoped quotas count only the pods their scopes select', async () => {
  const reader = new FakeReader();
  reader.put(RESOURCE_QUOTAS, { metadata: { name: 'besteffort', namespace: 'ns' }, spec: { hard: { pods: '1' }, scopes: ['BestEffort'] } });
  reader.put(RESOURCE_QUOTAS, {
    metadata: { name: 'high', namespace: 'ns' },
    spec: { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } },
  });
  const plugin = new ResourceQuota(reader, new QuotaLedger(), new UsageMemo());
  const sized = () => pod('sized', { requests: { cpu: '100m' } });
  const high = (name: string) => {
    const p = pod(name, { requests: { cpu: '100m' } });
    (p.spec as { priorityClassName?: string }).priorityClassName = 'high';
    return p;
  };
  store(reader, pod('free'));
  // Best-effort pods are limited; pods with requests are not.
  assert.match(await refusal(plugin.validate(attrs('pods', pod('free2')))), /exceeded quota: besteffort, requested: pods=1, used: pods=1, limited: pods=1/);
  await plugin.validate(attrs('pods', sized()));
  store(reader, high('h1'));
  assert.match(await refusal(plugin.validate(attrs('pods', high('h2')))), /exceeded quota: high, requested: pods=1, used: pods=1, limited: pods=1/);
  // Scoped quotas do not count what is not a pod.
  await plugin.validate(attrs('configmaps', { metadata: { name: 'cm', namespace: 'ns' } }));
});

test('updates are charged by what they add', async () => {
  const { reader, plugin } = setup({ 'requests.storage': '10Gi' });
  const claims = { group: '', resource: 'persistentvolumeclaims' };
  const claim = (storage: string): StoredObject => ({ metadata: { name: 'c', namespace: 'ns' }, spec: { resources: { requests: { storage } } } });
  reader.put(claims, claim('8Gi'));
  await plugin.validate(attrs('persistentvolumeclaims', claim('9Gi'), { operation: 'UPDATE' }));
  reader.put(claims, claim('9Gi'));
  assert.equal(
    await refusal(plugin.validate(attrs('persistentvolumeclaims', claim('12Gi'), { operation: 'UPDATE' }))),
    'persistentvolumeclaims "c" is forbidden: exceeded quota: q, requested: requests.storage=3Gi, used: requests.storage=9Gi, limited: requests.storage=10Gi',
  );
});

test('the recalculator keeps status.hard and status.used current as objects come and go', async () => {
  const { reader, ledger, memo } = setup({ pods: '5', 'count/configmaps': '3' });
  const written: Array<{ name: string; status: QuotaStatus }> = [];
  const recalc = new QuotaRecalculator(
    reader,
    ledger,
    memo,
    async (namespace, name, status) => {
      written.push({ name, status });
      const q = reader.get(RESOURCE_QUOTAS, namespace, name)!;
      reader.put(RESOURCE_QUOTAS, { ...q, status });
    },
    pino({ level: 'silent' }),
    { debounceMs: 5 },
  );
  recalc.start();
  try {
    const settle = () => new Promise((r) => setTimeout(r, 40));
    await settle();
    assert.deepEqual(written.at(-1)?.status, { hard: { 'count/configmaps': '3', pods: '5' }, used: { 'count/configmaps': '0', pods: '0' } });
    store(reader, pod('a'));
    store(reader, pod('b'));
    reader.put({ group: '', resource: 'configmaps' }, { metadata: { name: 'cm', namespace: 'ns' } });
    await settle();
    assert.deepEqual(written.at(-1)?.status.used, { 'count/configmaps': '1', pods: '2' });
    reader.remove(PODS, 'ns', 'a');
    await settle();
    assert.deepEqual(written.at(-1)?.status.used, { 'count/configmaps': '1', pods: '1' });
    // Another namespace's objects do not touch this quota.
    const count = written.length;
    reader.put(PODS, { metadata: { name: 'elsewhere', namespace: 'other' }, spec: {} });
    await settle();
    assert.equal(written.length, count);
  } finally {
    recalc.stop();
  }
});
