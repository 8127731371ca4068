/**
 * PodDisruptionBudget arithmetic and the disruption controller on fake caches: int and percentage budgets,
 * minAvailable and maxUnavailable, scale taken from the pods' controllers (a Deployment above its ReplicaSet,
 * a StatefulSet), evictions in flight, and the fail-safe status when a pod has no controller.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { builtinResource, DEPLOYMENTS, PODS, REPLICASETS } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { computeStatus, scaledValue } from '../../src/controllers/disruption/budget.js';
import { DisruptionController, PODDISRUPTIONBUDGETS } from '../../src/controllers/disruption/disruption.js';
import { fakeContext } from './fake-client.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function pod(name: string, ready: boolean, owner?: { kind: string; name: string; uid: string }, extra: { deleting?: boolean } = {}): Pod & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      uid: `${name}-uid`,
      labels: { app: 'a' },
      ...(extra.deleting ? { deletionTimestamp: '2026-01-01T11:59:00Z' } : {}),
      ...(owner ? { ownerReferences: [{ apiVersion: owner.kind === 'ReplicaSet' || owner.kind === 'StatefulSet' ? 'apps/v1' : 'v1', kind: owner.kind, name: owner.name, uid: owner.uid, controller: true }] } : {}),
    },
    spec: { containers: [] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

function pdb(spec: Partial<NonNullable<PodDisruptionBudget['spec']>>, status?: PodDisruptionBudget['status']): PodDisruptionBudget & KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'budget', namespace: 'ns', generation: 3, resourceVersion: '7', uid: 'pdb-uid' },
    spec: { selector: { matchLabels: { app: 'a' } }, ...spec },
    ...(status ? { status } : {}),
  };
}

describe('budget arithmetic', () => {
  test('scaledValue: ints as they are, percentages of the total rounded as asked', () => {
    assert.equal(scaledValue(2, 10, true), 2);
    assert.equal(scaledValue('50%', 5, true), 3);
    assert.equal(scaledValue('50%', 5, false), 2);
    assert.equal(scaledValue('0%', 5, true), 0);
    assert.throws(() => scaledValue('half', 5, true));
  });

  test('minAvailable as an int counts the selected pods; only ready, not deleting pods are healthy', () => {
    const pods = [pod('a', true), pod('b', true), pod('c', false), pod('d', true, undefined, { deleting: true })];
    const { status } = computeStatus({ pdb: pdb({ minAvailable: 1 }), pods, nowMs: NOW });
    assert.deepEqual(
      { ...status, conditions: undefined },
      { observedGeneration: 3, disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 4, conditions: undefined },
    );
    assert.deepEqual(
      status.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration]),
      [['DisruptionAllowed', 'True', 'SufficientPods', 3]],
    );
  });

  test('maxUnavailable and percentage minAvailable use the controllers scale', () => {
    const pods = [pod('a', true), pod('b', true), pod('c', true)];
    const max = computeStatus({ pdb: pdb({ maxUnavailable: '25%' }), pods, expectedScale: 4, nowMs: NOW }).status;
    assert.deepEqual([max.expectedPods, max.desiredHealthy, max.currentHealthy, max.disruptionsAllowed], [4, 3, 3, 0]);
    assert.equal(max.conditions?.[0]?.reason, 'InsufficientPods');
    const min = computeStatus({ pdb: pdb({ minAvailable: '50%' }), pods, expectedScale: 3, nowMs: NOW }).status;
    assert.deepEqual([min.expectedPods, min.desiredHealthy, min.disruptionsAllowed], [3, 2, 1]);
    const none = computeStatus({ pdb: pdb({ maxUnavailable: 1 }), pods: [], expectedScale: 0, nowMs: NOW }).status;
    assert.equal(none.disruptionsAllowed, 0, 'nothing expected, nothing allowed');
  });

  test('a pod with an eviction in flight is not counted healthy until the entry expires (2 minutes) or the pod goes', () => {
    const pods = [pod('a', true), pod('b', true)];
    const recent = computeStatus({ pdb: pdb({ minAvailable: 1 }, { disruptedPods: { a: '2026-01-01T11:59:30Z', gone: '2026-01-01T11:59:30Z' }, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 }), pods, nowMs: NOW });
    assert.deepEqual(recent.status.disruptedPods, { a: '2026-01-01T11:59:30Z' });
    assert.equal(recent.status.currentHealthy, 1);
    assert.equal(recent.status.disruptionsAllowed, 0);
    assert.equal(recent.recheckAtMs, Date.parse('2026-01-01T12:01:30Z'));
    const old = computeStatus({ pdb: pdb({ minAvailable: 1 }, { disruptedPods: { a: '2026-01-01T11:50:00Z' }, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 }), pods, nowMs: NOW });
    assert.equal(old.status.disruptedPods, undefined);
    assert.equal(old.status.currentHealthy, 2);
  });
});

describe('the disruption controller', () => {
  async function setup(budget: PodDisruptionBudget & KubeObject, pods: Array<Pod & KubeObject>, owners: { replicaSets?: ReplicaSet[]; deployments?: Deployment[]; statefulSets?: StatefulSet[] } = {}) {
    const { ctx, requests } = fakeContext((req) => ({ status: 200, body: req.body ?? {} }));
    const controller = new DisruptionController(ctx);
    await controller.init();
    const f = ctx.informers;
    f.informerFor(PODDISRUPTIONBUDGETS).indexer.upsert(budget);
    for (const p of pods) f.informerFor(PODS).indexer.upsert(p);
    for (const o of owners.replicaSets ?? []) f.informerFor(REPLICASETS).indexer.upsert(o as KubeObject);
    for (const o of owners.deployments ?? []) f.informerFor(DEPLOYMENTS).indexer.upsert(o as KubeObject);
    for (const o of owners.statefulSets ?? []) f.informerFor(builtinResource('apps', 'v1', 'statefulsets')).indexer.upsert(o as KubeObject);
    await (controller as unknown as { sync(key: string): Promise<void> }).sync('ns/budget');
    await controller.stop();
    const writes = requests();
    return writes.length === 0 ? undefined : (writes[0]!.body as PodDisruptionBudget);
  }

  test('pods of a ReplicaSet under a Deployment are scaled by the Deployment replicas', async () => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns', uid: 'd-uid' }, spec: { replicas: 4 } } as Deployment;
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-1', namespace: 'ns', uid: 'rs-uid', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true }] },
      spec: { replicas: 3 },
    } as ReplicaSet;
    const owner = { kind: 'ReplicaSet', name: 'web-1', uid: 'rs-uid' };
    const written = await setup(pdb({ maxUnavailable: 1 }), [pod('a', true, owner), pod('b', true, owner), pod('c', true, owner)], { replicaSets: [rs], deployments: [deployment] });
    assert.deepEqual([written?.status?.expectedPods, written?.status?.desiredHealthy, written?.status?.currentHealthy, written?.status?.disruptionsAllowed], [4, 3, 3, 0]);
  });

  test('a StatefulSet scale, counted once for all its pods', async () => {
    const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'ns', uid: 'sts-uid' }, spec: { replicas: 3 } } as StatefulSet;
    const owner = { kind: 'StatefulSet', name: 'db', uid: 'sts-uid' };
    const written = await setup(pdb({ minAvailable: '50%' }), [pod('db-0', true, owner), pod('db-1', true, owner), pod('db-2', true, owner)], { statefulSets: [sts] });
    assert.deepEqual([written?.status?.expectedPods, written?.status?.desiredHealthy, written?.status?.disruptionsAllowed], [3, 2, 1]);
  });

  test('a pod without a controller makes a percentage budget fail safe', async () => {
    const written = await setup(pdb({ maxUnavailable: '10%' }), [pod('orphan', true)]);
    assert.equal(written?.status?.disruptionsAllowed, 0);
    const c = written?.status?.conditions?.[0];
    assert.deepEqual([c?.type, c?.status, c?.reason, c?.message], ['DisruptionAllowed', 'False', 'SyncFailed', 'found no controllers for pod "orphan"']);
  });

  test('a status already in step is not written again', async () => {
    const pods = [pod('a', true), pod('b', true)];
    const first = await setup(pdb({ minAvailable: 1 }), pods);
    assert.ok(first);
    assert.equal(await setup(pdb({ minAvailable: 1 }, first.status), pods), undefined);
  });
});
