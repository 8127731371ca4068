/**
 * Deployment controller decisions as pure functions over ReplicaSets: rolling-update steps (maxSurge,
 * maxUnavailable, unhealthy old pods first), proportional scaling mid-rollout, the pod-template-hash,
 * and the Progressing/Available conditions with the progress deadline; and a sync on fake informers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEPLOYMENTS, REPLICASETS } from '../../src/client/resources.js';
import { DeploymentController } from '../../src/controllers/deployment/deployment.js';
import { newRSNewReplicas, planOldReplicaSets, planScale } from '../../src/controllers/deployment/rolling.js';
import { rolloutStatus } from '../../src/controllers/deployment/status.js';
import { computeHash, equalIgnoreHash, resolveFenceposts, type DeploymentObject, type ReplicaSetObject } from '../../src/controllers/deployment/util.js';
import { fakeContext } from './fake-client.js';

function deployment(replicas: number, maxSurge: number | string = '25%', maxUnavailable: number | string = '25%'): DeploymentObject {
  return {
    metadata: { name: 'd', namespace: 'ns', uid: 'd-uid', generation: 2 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'a' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } },
      progressDeadlineSeconds: 600,
      template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'new' }] } },
    },
    status: { observedGeneration: 2 },
  };
}

function rs(name: string, replicas: number, available: number, opts: { created?: string; maxReplicas?: number; ready?: number } = {}): ReplicaSetObject {
  return {
    metadata: {
      name,
      namespace: 'ns',
      creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z',
      ...(opts.maxReplicas !== undefined ? { annotations: { 'deployment.kubernetes.io/max-replicas': String(opts.maxReplicas) } } : {}),
    },
    spec: { replicas, selector: { matchLabels: { app: 'a' } } },
    status: { replicas, availableReplicas: available, readyReplicas: opts.ready ?? available },
  };
}

describe('rolling update steps', () => {
  test('maxSurge and maxUnavailable: percentages round up and down, both zero means one unavailable', () => {
    assert.deepEqual(resolveFenceposts(deployment(10)), { maxSurge: 3, maxUnavailable: 2 });
    assert.deepEqual(resolveFenceposts(deployment(10, 0, 0)), { maxSurge: 0, maxUnavailable: 1 });
    assert.deepEqual(resolveFenceposts(deployment(4, 1, '50%')), { maxSurge: 1, maxUnavailable: 2 });
  });

  test('the new ReplicaSet grows up to replicas + maxSurge pods in total', () => {
    const d = deployment(10);
    const old = rs('old', 10, 10);
    const fresh = rs('new', 0, 0, { created: '2026-01-02T00:00:00Z' });
    assert.equal(newRSNewReplicas(d, [fresh, old], fresh), 3);
    // Already at 13 pods: no more surge.
    const grown = rs('new', 3, 0, { created: '2026-01-02T00:00:00Z' });
    assert.equal(newRSNewReplicas(d, [grown, old], grown), 3);
    // Never past the desired count.
    const almost = rs('new', 9, 9, { created: '2026-01-02T00:00:00Z' });
    assert.equal(newRSNewReplicas(d, [almost, rs('old', 1, 1)], almost), 10);
  });

  test('old pods go only as far as maxUnavailable allows, counting the new set\'s unavailable pods', () => {
    const d = deployment(10);
    const old = rs('old', 10, 10);
    const fresh = rs('new', 3, 0, { created: '2026-01-02T00:00:00Z' });
    // 13 pods, at least 8 available, 3 new ones not yet available: 2 old pods may go.
    assert.deepEqual([...planOldReplicaSets(d, [fresh, old], [old], fresh)], [['old', 8]]);
    // Once the 3 new pods are available, 5 old ones may go (13 - 8).
    const ready = rs('new', 3, 3, { created: '2026-01-02T00:00:00Z' });
    assert.deepEqual([...planOldReplicaSets(d, [ready, old], [old], ready)], [['old', 5]]);
  });

  test('unhealthy old pods are scaled down first, oldest ReplicaSet first', () => {
    const older = rs('older', 4, 1, { created: '2026-01-01T00:00:00Z' });
    const old = rs('old', 6, 6, { created: '2026-01-02T00:00:00Z' });
    const fresh = rs('new', 0, 0, { created: '2026-01-03T00:00:00Z' });
    // 10 pods, 7 available, at least 9 available: 1 pod may go, and it is an unavailable one of `older`.
    assert.deepEqual([...planOldReplicaSets(deployment(10, 0, 1), [fresh, older, old], [older, old], fresh)], [['older', 3]]);
    // At least 5 available: 5 may go: the 3 unavailable first, then 2 available ones, oldest set first.
    assert.deepEqual(Object.fromEntries(planOldReplicaSets(deployment(10, 0, 5), [fresh, older, old], [older, old], fresh)), { older: 0, old: 5 });
  });

  test('with no surge and maxUnavailable 0 nothing moves until it may', () => {
    const d = deployment(3, 1, 0);
    const old = rs('old', 3, 3);
    const fresh = rs('new', 1, 0, { created: '2026-01-02T00:00:00Z' });
    assert.equal(planOldReplicaSets(d, [fresh, old], [old], fresh).size, 0);
    const ready = rs('new', 1, 1, { created: '2026-01-02T00:00:00Z' });
    assert.deepEqual([...planOldReplicaSets(d, [ready, old], [old], ready)], [['old', 2]]);
  });
});

describe('proportional scaling', () => {
  test('a resize mid-rollout is shared in proportion to the ReplicaSets\' sizes', () => {
    // Rolling 10 -> scaled to 20 (max 25) while old has 10 and new 3 of the former max 13.
    const d = deployment(20);
    const old = rs('old', 10, 10, { maxReplicas: 13 });
    const fresh = rs('new', 3, 0, { created: '2026-01-02T00:00:00Z', maxReplicas: 13 });
    const plan = planScale(d, fresh, [old]);
    assert.deepEqual(Object.fromEntries(plan), { old: 19, new: 6 });
  });

  test('scaling down shares the removal, and a lone active set takes the whole count', () => {
    const d = deployment(5);
    const old = rs('old', 8, 8, { maxReplicas: 13 });
    const fresh = rs('new', 5, 5, { created: '2026-01-02T00:00:00Z', maxReplicas: 13 });
    const plan = Object.fromEntries(planScale(d, fresh, [old]));
    // New maximum 5 + 2 = 7: old 8 -> round(8*7/13)=4, new 5 -> round(5*7/13)=3.
    assert.deepEqual(plan, { old: 4, new: 3 });
    assert.deepEqual(Object.fromEntries(planScale(deployment(7), rs('only', 3, 3), [rs('gone', 0, 0)])), { only: 7 });
  });
});

describe('pod-template-hash', () => {
  test('stable for equal templates whatever the key order, changed by collisionCount, in the safe alphabet', () => {
    const a = { metadata: { labels: { app: 'a', tier: 't' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const b = { spec: { containers: [{ image: 'i', name: 'c' }] }, metadata: { labels: { tier: 't', app: 'a' } } };
    assert.equal(computeHash(a), computeHash(b));
    assert.notEqual(computeHash(a), computeHash(a, 1));
    assert.match(computeHash(a), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.ok(equalIgnoreHash({ ...a, metadata: { labels: { ...a.metadata.labels, 'pod-template-hash': 'x' } } }, b));
    assert.ok(!equalIgnoreHash(a, { ...b, spec: { containers: [{ name: 'c', image: 'j' }] } }));
  });
});

describe('rollout status', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');

  test('complete: Available MinimumReplicasAvailable and Progressing NewReplicaSetAvailable', () => {
    const d = deployment(3);
    const fresh = rs('d-abc', 3, 3);
    const { status } = rolloutStatus(d, [fresh, rs('old', 0, 0)], fresh, now);
    assert.equal(status.replicas, 3);
    assert.equal(status.updatedReplicas, 3);
    assert.equal(status.availableReplicas, 3);
    assert.equal(status.unavailableReplicas, 0);
    const byType = Object.fromEntries(status.conditions!.map((c) => [c.type, c]));
    assert.equal(byType['Available']!.reason, 'MinimumReplicasAvailable');
    assert.equal(byType['Progressing']!.status, 'True');
    assert.equal(byType['Progressing']!.reason, 'NewReplicaSetAvailable');
    assert.equal(byType['Progressing']!.message, 'ReplicaSet "d-abc" has successfully progressed.');
  });

  test('no progress for progressDeadlineSeconds: Progressing False ProgressDeadlineExceeded', () => {
    const d = deployment(4);
    const stalled = '2026-01-01T11:49:00Z';
    d.status = {
      observedGeneration: 2,
      replicas: 4,
      updatedReplicas: 1,
      availableReplicas: 3,
      readyReplicas: 3,
      conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: 'x', lastUpdateTime: stalled, lastTransitionTime: stalled }],
    };
    const fresh = rs('d-abc', 1, 0, { ready: 0 });
    const old = rs('old', 3, 3);
    const { status } = rolloutStatus(d, [fresh, old], fresh, now);
    const progressing = status.conditions!.find((c) => c.type === 'Progressing')!;
    assert.equal(progressing.status, 'False');
    assert.equal(progressing.reason, 'ProgressDeadlineExceeded');
    assert.equal(progressing.message, 'ReplicaSet "d-abc" has timed out progressing.');
    assert.equal(status.conditions!.find((c) => c.type === 'Available')!.reason, 'MinimumReplicasAvailable', '3 of 4 with maxUnavailable 1');
    // Within the deadline it is only re-checked later.
    const { status: early, recheckMs } = rolloutStatus(d, [fresh, old], fresh, Date.parse(stalled) + 60_000);
    assert.equal(early.conditions!.find((c) => c.type === 'Progressing')!.reason, 'ReplicaSetUpdated');
    assert.ok(recheckMs !== undefined && recheckMs > 500_000);
  });

  test('progress refreshes the Progressing condition and keeps its transition time', () => {
    const d = deployment(4);
    const since = '2026-01-01T11:00:00Z';
    d.status = { observedGeneration: 2, replicas: 4, updatedReplicas: 1, availableReplicas: 3, conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: since, lastTransitionTime: since }] };
    const fresh = rs('d-abc', 2, 1);
    const { status } = rolloutStatus(d, [fresh, rs('old', 2, 2)], fresh, now);
    const progressing = status.conditions!.find((c) => c.type === 'Progressing')!;
    assert.equal(progressing.reason, 'ReplicaSetUpdated');
    assert.equal(progressing.lastTransitionTime, since);
    assert.equal(progressing.lastUpdateTime, '2026-01-01T12:00:00Z');
  });
});

describe('Deployment sync on fake informers', () => {
  async function controllerWith(d: DeploymentObject, sets: ReplicaSetObject[]) {
    const fake = fakeContext((req) => (req.method === 'POST' ? { status: 201, body: { ...req.body, metadata: { ...(req.body!['metadata'] as object), uid: 'new-rs-uid' } } } : { status: 200, body: req.body ?? {} }));
    const ctl = new DeploymentController(fake.ctx);
    await ctl.init();
    fake.ctx.informers.informerFor<DeploymentObject>(DEPLOYMENTS).indexer.upsert(d);
    for (const rs of sets) fake.ctx.informers.informerFor<ReplicaSetObject>(REPLICASETS).indexer.upsert(rs);
    return { ctl, requests: fake.requests };
  }

  test('a new template gets a ReplicaSet <deployment>-<hash> surging by maxSurge, at the next revision', async () => {
    const d = deployment(10);
    // The status the previous (complete) rollout left.
    d.status = { observedGeneration: 1, replicas: 10, updatedReplicas: 10, readyReplicas: 10, availableReplicas: 10 };
    const old: ReplicaSetObject = {
      ...rs('d-old', 10, 10),
      metadata: {
        ...rs('d-old', 10, 10).metadata,
        uid: 'old-uid',
        labels: { app: 'a', 'pod-template-hash': 'old' },
        annotations: { 'deployment.kubernetes.io/revision': '4', 'deployment.kubernetes.io/desired-replicas': '10', 'deployment.kubernetes.io/max-replicas': '13' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'd-uid', controller: true }],
      },
      spec: { replicas: 10, selector: { matchLabels: { app: 'a', 'pod-template-hash': 'old' } }, template: { metadata: { labels: { app: 'a', 'pod-template-hash': 'old' } }, spec: { containers: [{ name: 'c', image: 'old' }] } } },
    };
    const { ctl, requests } = await controllerWith(d, [old]);
    await ctl.syncDeployment('ns/d');
    const create = requests((r) => r.method === 'POST' && r.path.endsWith('/replicasets'))[0]!.body as unknown as ReplicaSetObject;
    const hash = computeHash(d.spec!.template);
    assert.equal(create.metadata.name, `d-${hash}`);
    assert.equal(create.spec?.replicas, 3, '10 old + 3 new = 10 + maxSurge');
    assert.deepEqual(create.spec?.selector?.matchLabels, { app: 'a', 'pod-template-hash': hash });
    assert.equal(create.spec?.template?.metadata?.labels?.['pod-template-hash'], hash);
    assert.equal(create.metadata.annotations?.['deployment.kubernetes.io/revision'], '5');
    assert.equal(create.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '10');
    assert.equal(create.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '13');
    assert.deepEqual(create.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'd-uid', controller: true, blockOwnerDeletion: true }]);
    // The Deployment's revision follows, and its status says a new ReplicaSet was created.
    const revision = requests((r) => r.method === 'PUT' && r.path.endsWith('/deployments/d'))[0]!.body as unknown as DeploymentObject;
    assert.equal(revision.metadata.annotations?.['deployment.kubernetes.io/revision'], '5');
    const status = (requests((r) => r.path.endsWith('/deployments/d/status')).at(-1)!.body as unknown as DeploymentObject).status!;
    const progressing = status.conditions!.find((c) => c.type === 'Progressing')!;
    assert.equal(progressing.reason, 'NewReplicaSetCreated');
    assert.equal(progressing.message, `Created new replica set "d-${hash}"`);
    // In the same step the old set gives up maxUnavailable (2) pods: 13 pods, 3 new ones not yet available, 8 must stay.
    const scaled = requests((r) => r.method === 'PUT' && r.path.endsWith('/replicasets/d-old'));
    assert.equal(scaled.length, 1);
    assert.equal((scaled[0]!.body as unknown as ReplicaSetObject).spec?.replicas, 8);
    // The sync queued a progress-deadline recheck; stopping the controller clears it (the test process would wait for it).
    await ctl.stop();
  });
});
