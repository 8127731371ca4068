/**
 * ReplicaSet controller decisions on fake informers: deletion ranking, slow-start batches, expectations, and
 * whole syncs against a fake apiserver (creates, quota failure -> ReplicaFailure, deletes of the cheapest pods).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ControllerExpectations, UIDTrackingControllerExpectations } from '../../src/client/expectations.js';
import { PODS, REPLICASETS } from '../../src/client/resources.js';
import type { PodObject } from '../../src/controllers/replicaset/pods.js';
import { podsToDelete, rankPodsForDeletion, slowStartBatch } from '../../src/controllers/replicaset/ranking.js';
import { ReplicaSetController, type ReplicaSetObject } from '../../src/controllers/replicaset/replicaset.js';
import { fakeContext, statusAnswer, type RecordedRequest } from './fake-client.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString();

function pod(name: string, opts: { node?: string; phase?: string; readySince?: number; created?: number; restarts?: number; cost?: number; owner?: ReplicaSetObject; labels?: Record<string, string> } = {}): PodObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: '1',
      creationTimestamp: ago(opts.created ?? 100),
      labels: opts.labels ?? { app: 'a' },
      ...(opts.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(opts.cost) } } : {}),
      ...(opts.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: opts.owner.metadata.name!, uid: opts.owner.metadata.uid!, controller: true }] } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'i' }], ...(opts.node ? { nodeName: opts.node } : {}) },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: opts.readySince !== undefined ? [{ type: 'Ready', status: 'True', lastTransitionTime: ago(opts.readySince) }] : [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: true, restartCount: opts.restarts ?? 0 }],
    },
  } as PodObject;
}

const names = (pods: readonly Pod[]): string[] => pods.map((p) => p.metadata!.name!);

describe('deletion ranking', () => {
  const rank = (pods: Pod[], ranks = pods.map(() => 0)): string[] => names(rankPodsForDeletion(pods, ranks, NOW));

  test('unassigned before assigned, Pending before Unknown before Running, not ready before ready', () => {
    assert.deepEqual(rank([pod('assigned', { node: 'n1', phase: 'Pending' }), pod('unassigned', { phase: 'Pending' })]), ['unassigned', 'assigned']);
    assert.deepEqual(
      rank([pod('running', { node: 'n', phase: 'Running' }), pod('unknown', { node: 'n', phase: 'Unknown' }), pod('pending', { node: 'n', phase: 'Pending' })]),
      ['pending', 'unknown', 'running'],
    );
    assert.deepEqual(rank([pod('ready', { node: 'n', readySince: 50 }), pod('notready', { node: 'n' })]), ['notready', 'ready']);
  });

  test('lower deletion cost first, then pods doubled up on a node first', () => {
    assert.deepEqual(rank([pod('expensive', { node: 'n', readySince: 50, cost: 10 }), pod('cheap', { node: 'n', readySince: 50, cost: -5 })]), ['cheap', 'expensive']);
    assert.deepEqual(rank([pod('alone', { node: 'n1', readySince: 50 }), pod('crowded', { node: 'n2', readySince: 50 })], [1, 3]), ['crowded', 'alone']);
  });

  test('ready for less time first (by powers of two), then more restarts, then newer first', () => {
    assert.deepEqual(rank([pod('old-ready', { node: 'n', readySince: 3600 }), pod('new-ready', { node: 'n', readySince: 2 })]), ['new-ready', 'old-ready']);
    // Ready 100 s and 101 s ago fall in the same band: restarts decide.
    assert.deepEqual(
      rank([pod('calm', { node: 'n', readySince: 100, restarts: 0 }), pod('flappy', { node: 'n', readySince: 101, restarts: 4 })]),
      ['flappy', 'calm'],
    );
    assert.deepEqual(rank([pod('older', { node: 'n', readySince: 100, created: 7200 }), pod('newer', { node: 'n', readySince: 100, created: 10 })]), ['newer', 'older']);
  });

  test('podsToDelete ranks by related pods on the same node', () => {
    const mine = [pod('a', { node: 'n1', readySince: 50 }), pod('b', { node: 'n2', readySince: 50 }), pod('c', { node: 'n3', readySince: 50 })];
    const related = [...mine, pod('x', { node: 'n2', readySince: 50 }), pod('y', { node: 'n2', readySince: 50 })];
    assert.deepEqual(names(podsToDelete(mine, related, 1, NOW)), ['b']);
    assert.deepEqual(names(podsToDelete(mine, related, 5, NOW)).sort(), ['a', 'b', 'c']);
  });
});

describe('slow-start batches', () => {
  test('creates in batches of 1, 2, 4, ... up to the count', async () => {
    const batches: number[] = [];
    let inFlight = 0;
    const { successes, error } = await slowStartBatch(10, 1, async () => {
      if (inFlight++ === 0) batches.push(0);
      batches[batches.length - 1]!++;
      await new Promise((r) => setImmediate(r));
      inFlight--;
    });
    assert.equal(successes, 10);
    assert.equal(error, undefined);
    assert.deepEqual(batches, [1, 2, 4, 3]);
  });

  test('stops after the first batch with a failure', async () => {
    let calls = 0;
    const { successes, error } = await slowStartBatch(10, 1, async () => {
      if (++calls === 3) throw new Error('quota');
    });
    assert.equal(calls, 3, 'batch 1 (1 call) and batch 2 (2 calls), then stop');
    assert.equal(successes, 2);
    assert.equal((error as Error).message, 'quota');
  });
});

describe('expectations', () => {
  test('satisfied when nothing is recorded, when all is observed, or when the record expired', () => {
    let now = 0;
    const e = new ControllerExpectations(1000, () => now);
    assert.equal(e.satisfiedExpectations('k'), true);
    e.expectCreations('k', 2);
    assert.equal(e.satisfiedExpectations('k'), false);
    e.creationObserved('k');
    assert.equal(e.satisfiedExpectations('k'), false);
    e.creationObserved('k');
    assert.equal(e.satisfiedExpectations('k'), true);
    e.expectDeletions('k', 1);
    assert.equal(e.satisfiedExpectations('k'), false);
    now = 1001;
    assert.equal(e.satisfiedExpectations('k'), true, 'a lost event does not wedge the controller');
  });

  test('UID tracking counts each deleted pod once', () => {
    const e = new UIDTrackingControllerExpectations();
    e.expectDeletionsOf('rs', ['ns/a', 'ns/b']);
    e.deletionObservedOf('rs', 'ns/a');
    e.deletionObservedOf('rs', 'ns/a');
    assert.equal(e.satisfiedExpectations('rs'), false);
    e.deletionObservedOf('rs', 'ns/other');
    assert.equal(e.satisfiedExpectations('rs'), false);
    e.deletionObservedOf('rs', 'ns/b');
    assert.equal(e.satisfiedExpectations('rs'), true);
  });
});

function replicaSet(replicas: number): ReplicaSetObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'rs', namespace: 'ns', uid: 'rs-uid', generation: 3, resourceVersion: '7' },
    spec: { replicas, selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
  };
}

/** A controller over fake informers holding `rs` and `pods`, and a fake apiserver answering with `handle`. */
async function controllerWith(rs: ReplicaSetObject, pods: PodObject[], handle: (r: RecordedRequest) => { status: number; body: unknown } | undefined = () => undefined) {
  let created = 0;
  const fake = fakeContext((req) => {
    const answer = handle(req);
    if (answer) return answer;
    if (req.method === 'POST' && req.path.endsWith('/pods')) {
      const meta = req.body!['metadata'] as Record<string, unknown>;
      return { status: 201, body: { ...req.body, metadata: { ...meta, name: `${String(meta['generateName'])}${created++}`, uid: `new-${created}` } } };
    }
    return { status: 200, body: req.body ?? {} };
  });
  const ctl = new ReplicaSetController(fake.ctx);
  await ctl.init();
  fake.ctx.informers.informerFor<ReplicaSetObject>(REPLICASETS).indexer.upsert(rs);
  for (const p of pods) fake.ctx.informers.informerFor<PodObject>(PODS).indexer.upsert(p);
  return { ctl, requests: fake.requests };
}

describe('ReplicaSet sync', () => {
  test('creates the missing pods from the template with a controller reference, once', async () => {
    const { ctl, requests } = await controllerWith(replicaSet(5), []);
    await ctl.syncReplicaSet('ns/rs');
    const creates = requests((r) => r.method === 'POST');
    assert.equal(creates.length, 5);
    const meta = creates[0]!.body!['metadata'] as { generateName: string; labels: Record<string, string>; ownerReferences: unknown[] };
    assert.equal(meta.generateName, 'rs-');
    assert.deepEqual(meta.labels, { app: 'a' });
    assert.deepEqual(meta.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }]);
    // The cache has not seen them yet: expectations keep a second sync from creating them again.
    await ctl.syncReplicaSet('ns/rs');
    assert.equal(requests((r) => r.method === 'POST').length, 5);
    for (let i = 0; i < 5; i++) ctl.expectations.creationObserved('ns/rs');
    await ctl.syncReplicaSet('ns/rs');
    assert.equal(requests((r) => r.method === 'POST').length, 10, 'observed, and the cache still shows none: create again');
  });

  test('a quota failure stops the slow start and sets ReplicaFailure FailedCreate', async () => {
    let n = 0;
    const { ctl, requests } = await controllerWith(replicaSet(10), [], (req) =>
      req.method === 'POST' && ++n > 1 ? statusAnswer(403, 'Forbidden', 'pods "rs-x" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1') : undefined,
    );
    await assert.rejects(ctl.syncReplicaSet('ns/rs'), /exceeded quota/);
    assert.equal(requests((r) => r.method === 'POST').length, 3, 'batches of 1 and 2, then stop');
    const status = requests((r) => r.method === 'PUT' && r.path.endsWith('/status')).at(-1)!.body!['status'] as { replicas: number; conditions: Array<{ type: string; status: string; reason: string; message: string }> };
    assert.equal(status.replicas, 0);
    assert.equal(status.conditions[0]!.type, 'ReplicaFailure');
    assert.equal(status.conditions[0]!.status, 'True');
    assert.equal(status.conditions[0]!.reason, 'FailedCreate');
    assert.match(status.conditions[0]!.message, /exceeded quota/);
    // Creates that were never attempted are not waited for.
    assert.equal(ctl.expectations.satisfiedExpectations('ns/rs'), false, 'one create succeeded and is not yet observed');
    ctl.expectations.creationObserved('ns/rs');
    assert.equal(ctl.expectations.satisfiedExpectations('ns/rs'), true);
  });

  test('deletes the cheapest surplus pods and writes status', async () => {
    const rs = replicaSet(2);
    const pods = [
      pod('ready-1', { node: 'n1', readySince: 500, owner: rs }),
      pod('pending', { phase: 'Pending', owner: rs }),
      pod('ready-2', { node: 'n2', readySince: 500, owner: rs }),
      pod('notready', { node: 'n3', owner: rs }),
    ];
    const { ctl, requests } = await controllerWith(rs, pods);
    await ctl.syncReplicaSet('ns/rs');
    const deletes = requests((r) => r.method === 'DELETE').map((r) => r.path.split('/').at(-1));
    assert.deepEqual(deletes.sort(), ['notready', 'pending']);
    const status = requests((r) => r.path.endsWith('/status')).at(-1)!.body!['status'];
    assert.deepEqual(status, { replicas: 4, fullyLabeledReplicas: 4, readyReplicas: 2, availableReplicas: 2, observedGeneration: 3 });
  });

  test('adopts a matching orphan instead of creating, and releases an owned pod that stopped matching', async () => {
    const rs = replicaSet(1);
    const orphan = pod('orphan', { node: 'n1', readySince: 10 });
    const strayed = pod('strayed', { node: 'n2', readySince: 10, owner: rs, labels: { app: 'other' } });
    const { ctl, requests } = await controllerWith(rs, [orphan, strayed], (req) =>
      req.method === 'GET' ? { status: 200, body: rs } : req.method === 'PATCH' ? { status: 200, body: orphan } : undefined,
    );
    await ctl.syncReplicaSet('ns/rs');
    const patches = requests((r) => r.method === 'PATCH');
    const adopt = patches.find((p) => p.path.endsWith('/pods/orphan'))!;
    assert.deepEqual((adopt.body!['metadata'] as { ownerReferences: unknown[] }).ownerReferences[0], { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid', controller: true, blockOwnerDeletion: true });
    const release = patches.find((p) => p.path.endsWith('/pods/strayed'))!;
    assert.deepEqual((release.body!['metadata'] as { ownerReferences: unknown[] }).ownerReferences, [{ $patch: 'delete', uid: 'rs-uid' }]);
    assert.equal(requests((r) => r.method === 'POST').length, 0, 'the adopted orphan is the one replica');
  });
});
