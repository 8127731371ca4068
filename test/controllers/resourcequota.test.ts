/**
 * The resource quota controller on fake caches: status.hard from spec.hard and status.used recounted from the
 * namespace's objects with admission's evaluators — pods' requests and limits (finished pods not counted),
 * services' node ports and load balancers, count/<resource>, scopes — written only when it changed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod, ResourceQuota, Service } from 'kubernetes-types/core/v1.js';
import type { SharedInformer } from '../../src/client/informer.js';
import { builtinResource, CONFIGMAPS, PODS, SERVICES } from '../../src/client/resources.js';
import type { KubeObject, ResourceRef } from '../../src/client/types.js';
import { RESOURCEQUOTAS, ResourceQuotaController } from '../../src/controllers/resourcequota/resourcequota.js';
import { quotaColumns } from '../../src/apiserver/registry/core/resourcequotas.js';
import { fakeContext, statusAnswer } from './fake-client.js';

type QuotaObject = ResourceQuota & KubeObject;

function pod(name: string, opts: { cpu?: string; memory?: string; limitCpu?: string; phase?: string; deadline?: number; namespace?: string } = {}): Pod & KubeObject {
  const requests = { ...(opts.cpu ? { cpu: opts.cpu } : {}), ...(opts.memory ? { memory: opts.memory } : {}) };
  const resources = { ...(Object.keys(requests).length ? { requests } : {}), ...(opts.limitCpu ? { limits: { cpu: opts.limitCpu } } : {}) };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: opts.namespace ?? 'ns', uid: `${name}-uid` },
    spec: { containers: [{ name: 'c', image: 'i', resources }], ...(opts.deadline !== undefined ? { activeDeadlineSeconds: opts.deadline } : {}) },
    status: { phase: (opts.phase ?? 'Running') as 'Running' },
  };
}

function service(name: string, type: 'ClusterIP' | 'NodePort' | 'LoadBalancer', ports: number): Service & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'ns', uid: `${name}-uid` },
    spec: { type, ports: Array.from({ length: ports }, (_, i) => ({ port: 80 + i })) },
  };
}

function quota(hard: Record<string, string>, extra: { scopes?: string[]; status?: ResourceQuota['status'] } = {}): QuotaObject {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'q', namespace: 'ns', uid: 'q-uid', resourceVersion: '5' },
    spec: { hard, ...(extra.scopes ? { scopes: extra.scopes } : {}) },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

/** The informers are filled by hand, never started: mark them listed as a running informer would be. */
function markSynced(i: SharedInformer<KubeObject>): void {
  (i as unknown as { synced: boolean }).synced = true;
}

async function sync(q: QuotaObject, objects: Array<[ResourceRef, KubeObject[]]>, answer?: () => { status: number; body: unknown }) {
  const { ctx, requests } = fakeContext((req) => answer?.() ?? { status: 200, body: req.body ?? {} });
  const controller = new ResourceQuotaController(ctx);
  await controller.init();
  const f = ctx.informers;
  f.informerFor(RESOURCEQUOTAS).indexer.upsert(q);
  for (const ref of [PODS, SERVICES, CONFIGMAPS, builtinResource('', 'v1', 'secrets')]) markSynced(f.informerFor(ref));
  for (const [ref, list] of objects) for (const o of list) f.informerFor(ref).indexer.upsert(o);
  await controller.syncResourceQuota('ns/q');
  await controller.stop();
  return requests((r) => r.method !== 'GET');
}

const statusOf = (writes: Array<{ body: Record<string, unknown> | undefined }>): unknown => (writes[0]?.body as { status?: unknown } | undefined)?.status;

describe('resource quota status', () => {
  test('pods: count, requests and limits of the pods that have not finished; bare cpu means requests.cpu', async () => {
    const pods = [pod('a', { cpu: '250m', memory: '64Mi', limitCpu: '500m' }), pod('b', { cpu: '1', memory: '1Gi' }), pod('done', { cpu: '4', phase: 'Succeeded' }), pod('other-ns', { cpu: '3', namespace: 'x' })];
    const writes = await sync(quota({ pods: '10', 'requests.cpu': '4', cpu: '4', 'requests.memory': '4Gi', 'limits.cpu': '8' }), [[PODS, pods]]);
    assert.equal(writes.length, 1);
    assert.equal(writes[0]!.method, 'PUT');
    assert.equal(writes[0]!.path, '/api/v1/namespaces/ns/resourcequotas/q/status');
    assert.deepEqual(statusOf(writes), {
      hard: { cpu: '4', 'limits.cpu': '8', pods: '10', 'requests.cpu': '4', 'requests.memory': '4Gi' },
      used: { cpu: '1250m', 'limits.cpu': '500m', pods: '2', 'requests.cpu': '1250m', 'requests.memory': '1088Mi' },
    });
  });

  test('services, their node ports and load balancers; count/ of configmaps; nothing counted is zero', async () => {
    const services = [service('plain', 'ClusterIP', 1), service('np', 'NodePort', 2), service('lb', 'LoadBalancer', 1)];
    const configMaps = [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1', namespace: 'ns', uid: 'c1' } }];
    const writes = await sync(quota({ services: '5', 'services.nodeports': '5', 'services.loadbalancers': '1', 'count/configmaps': '3', secrets: '2' }), [
      [SERVICES, services],
      [CONFIGMAPS, configMaps],
    ]);
    assert.deepEqual((statusOf(writes) as { used: unknown }).used, { 'count/configmaps': '1', secrets: '0', services: '3', 'services.loadbalancers': '1', 'services.nodeports': '3' });
  });

  test('scopes: BestEffort counts pods without compute resources, NotTerminating those without a deadline', async () => {
    const pods = [pod('be'), pod('be-deadline', { deadline: 30 }), pod('burstable', { cpu: '100m' })];
    const bestEffort = await sync(quota({ pods: '10' }, { scopes: ['BestEffort'] }), [[PODS, pods]]);
    assert.deepEqual((statusOf(bestEffort) as { used: unknown }).used, { pods: '2' });
    const notTerminating = await sync(quota({ pods: '10' }, { scopes: ['NotTerminating'] }), [[PODS, pods]]);
    assert.deepEqual((statusOf(notTerminating) as { used: unknown }).used, { pods: '2' });
    const both = await sync(quota({ pods: '10' }, { scopes: ['BestEffort', 'Terminating'] }), [[PODS, pods]]);
    assert.deepEqual((statusOf(both) as { used: unknown }).used, { pods: '1' });
  });

  test('a status that already says it is not written again', async () => {
    const writes = await sync(quota({ pods: '10' }, { status: { hard: { pods: '10' }, used: { pods: '1' } } }), [[PODS, [pod('a')]]]);
    assert.deepEqual(writes, []);
  });

  test('a quota whose status is stale after a pod went is rewritten', async () => {
    const writes = await sync(quota({ pods: '10' }, { status: { hard: { pods: '10' }, used: { pods: '2' } } }), [[PODS, [pod('a')]]]);
    assert.deepEqual(statusOf(writes), { hard: { pods: '10' }, used: { pods: '1' } });
  });

  test('a conflicting write is not an error (the newer quota is counted again)', async () => {
    const writes = await sync(quota({ pods: '10' }), [[PODS, [pod('a')]]], () => statusAnswer(409, 'Conflict', 'the object has been modified'));
    assert.equal(writes.length, 1);
  });

  test('kubectl get quota: limits.* in the Limit column, the rest in Request, by name, unset used as 0', () => {
    const q = quota({}, { status: { hard: { 'limits.cpu': '2', pods: '4', 'requests.cpu': '1', 'count/configmaps': '5' }, used: { 'limits.cpu': '500m', pods: '2', 'requests.cpu': '500m' } } });
    assert.deepEqual(quotaColumns(q), ['count/configmaps: 0/5, pods: 2/4, requests.cpu: 500m/1', 'limits.cpu: 500m/2']);
  });
});

/** Delivers an informer event as a running informer would (the fake informers are never started). */
function deliver<T extends KubeObject>(i: SharedInformer<T>, fn: (h: { onAdd?(o: T, initial: boolean): void; onUpdate?(a: T, b: T): void; onDelete?(o: T, unknown: boolean): void }) => void): void {
  (i as unknown as { dispatch(f: typeof fn): void }).dispatch(fn);
}

describe('what makes a quota sync', () => {
  test('pods that come, finish or go enqueue the quotas counting pods in their namespace; other changes do not', async () => {
    const { ctx } = fakeContext(() => ({ status: 200, body: {} }));
    const controller = new ResourceQuotaController(ctx);
    await controller.init();
    const queue = (controller as unknown as { controller: { queue: { len(): number; get(): Promise<string | undefined>; done(k: string): void } } }).controller.queue;
    const drain = async (): Promise<string[]> => {
      const keys: string[] = [];
      while (queue.len() > 0) {
        const k = (await queue.get())!;
        keys.push(k);
        queue.done(k);
      }
      return keys;
    };
    const quotas = ctx.informers.informerFor<QuotaObject>(RESOURCEQUOTAS);
    const pods = ctx.informers.informerFor<KubeObject>(PODS);
    quotas.indexer.upsert(quota({ pods: '10' }));
    const other = { ...quota({ 'count/configmaps': '1' }), metadata: { name: 'cm-only', namespace: 'ns', uid: 'q2' } };
    quotas.indexer.upsert(other);

    deliver(pods, (h) => h.onAdd?.(pod('a'), true));
    assert.deepEqual(await drain(), [], 'the initial list is counted by the quotas own first sync');
    deliver(pods, (h) => h.onAdd?.(pod('a'), false));
    assert.deepEqual(await drain(), ['ns/q']);
    deliver(pods, (h) => h.onAdd?.(pod('x', { namespace: 'x' }), false));
    assert.deepEqual(await drain(), []);
    const relabeled = { ...pod('a'), metadata: { ...pod('a').metadata, labels: { new: 'label' } } };
    deliver(pods, (h) => h.onUpdate?.(pod('a'), relabeled));
    assert.deepEqual(await drain(), [], 'a change that counts the same');
    deliver(pods, (h) => h.onUpdate?.(pod('a'), pod('a', { phase: 'Succeeded' })));
    assert.deepEqual(await drain(), ['ns/q'], 'a pod that finished stops counting');
    deliver(pods, (h) => h.onDelete?.(pod('a'), false));
    assert.deepEqual(await drain(), ['ns/q']);

    const q = quota({ pods: '10' }, { status: { hard: { pods: '10' }, used: { pods: '0' } } });
    deliver(quotas, (h) => h.onUpdate?.(q, { ...q, status: { hard: { pods: '10' }, used: { pods: '3' } } }));
    assert.deepEqual(await drain(), [], 'a status write (ours or admission) is not a reason to recount');
    deliver(quotas, (h) => h.onUpdate?.(q, { ...q, spec: { hard: { pods: '20' } } }));
    assert.deepEqual(await drain(), ['ns/q'], 'a new hard limit is');
    await controller.stop();
  });
});
