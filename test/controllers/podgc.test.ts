/**
 * The pod garbage collector on fake caches: which terminated pods go past the threshold (evicted first, then
 * oldest), terminating pods on out-of-service nodes, unscheduled terminating pods, and orphans of deleted nodes
 * only after the quarantine and a GET that confirms the node is gone — each marked Failed (orphans with the
 * DisruptionTarget condition) before a delete with grace period 0.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { NODES, PODS } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { PodGCController, terminatedPodsToDelete } from '../../src/controllers/podgc/podgc.js';
import { fakeContext, statusAnswer, type RecordedRequest } from './fake-client.js';

type PodObject = Pod & KubeObject;

function pod(name: string, opts: { phase?: string; created?: string; node?: string; deleting?: boolean; reason?: string } = {}): PodObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      uid: `${name}-uid`,
      creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z',
      ...(opts.deleting ? { deletionTimestamp: '2026-01-01T01:00:00Z', deletionGracePeriodSeconds: 30 } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'i' }], ...(opts.node ? { nodeName: opts.node } : {}) },
    status: { phase: (opts.phase ?? 'Running') as 'Running', ...(opts.reason ? { reason: opts.reason } : {}) },
  };
}

function node(name: string, ready: boolean, taints: string[] = []): Node & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `${name}-uid` },
    spec: { taints: taints.map((key) => ({ key, effect: 'NoExecute' as const })) },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

/** A collector over fake caches; GETs of nodes answer 404 unless listed in `apiNodes`. */
async function collector(pods: PodObject[], nodes: Array<Node & KubeObject>, opts: { threshold?: number; quarantineMs?: number; apiNodes?: string[] } = {}) {
  const { ctx, requests } = fakeContext((req) => {
    const nodeGet = /^\/api\/v1\/nodes\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && nodeGet) {
      return (opts.apiNodes ?? []).includes(nodeGet[1]!) ? { status: 200, body: node(nodeGet[1]!, true) } : statusAnswer(404, 'NotFound', `nodes "${nodeGet[1]}" not found`);
    }
    return { status: 200, body: req.body ?? {} };
  });
  const gc = new PodGCController(ctx, { terminatedPodThreshold: opts.threshold ?? 12500, quarantineMs: opts.quarantineMs ?? 40_000 });
  await gc.init();
  for (const p of pods) ctx.informers.informerFor(PODS).indexer.upsert(p);
  for (const n of nodes) ctx.informers.informerFor(NODES).indexer.upsert(n);
  const writes = (): RecordedRequest[] => requests((r) => r.method !== 'GET');
  const deleted = (): string[] => writes().filter((r) => r.method === 'DELETE').map((r) => r.path.split('/').pop()!).sort();
  return { gc, writes, deleted, requests };
}

describe('terminated pods over the threshold', () => {
  test('the oldest finished pods beyond the threshold, evicted ones first; running pods never', () => {
    const pods = [
      pod('new', { phase: 'Succeeded', created: '2026-01-01T00:00:05Z' }),
      pod('old', { phase: 'Failed', created: '2026-01-01T00:00:01Z' }),
      pod('mid', { phase: 'Succeeded', created: '2026-01-01T00:00:03Z' }),
      pod('evicted', { phase: 'Failed', reason: 'Evicted', created: '2026-01-01T00:00:09Z' }),
      pod('running', { created: '2026-01-01T00:00:00Z' }),
    ];
    assert.deepEqual(terminatedPodsToDelete(pods, 2).map((p) => p.metadata.name), ['evicted', 'old']);
    assert.deepEqual(terminatedPodsToDelete(pods, 4), []);
    assert.deepEqual(terminatedPodsToDelete(pods, 0), [], 'a threshold of 0 turns it off');
  });

  test('a pass deletes them with grace period 0 and leaves their status alone', async () => {
    const pods = [pod('a', { phase: 'Succeeded', created: '2026-01-01T00:00:01Z' }), pod('b', { phase: 'Succeeded', created: '2026-01-01T00:00:02Z' }), pod('c')];
    const { gc, writes, deleted } = await collector(pods, [], { threshold: 1 });
    await gc.gc();
    assert.deepEqual(deleted(), ['a']);
    assert.equal(writes().length, 1, 'no status patch for a pod that already finished');
    assert.deepEqual(writes()[0]!.body, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid: 'a-uid' } });
    await gc.stop();
  });
});

describe('terminating and unscheduled pods', () => {
  test('terminating pods on a NotReady out-of-service node are marked Failed and force deleted; others stay', async () => {
    const pods = [
      pod('on-oos', { node: 'oos', deleting: true }),
      pod('on-notready', { node: 'notready', deleting: true }),
      pod('on-ready-oos', { node: 'ready-oos', deleting: true }),
      pod('alive-on-oos', { node: 'oos' }),
      pod('unscheduled', { deleting: true }),
      pod('pending'),
    ];
    const nodes = [node('oos', false, ['node.kubernetes.io/out-of-service']), node('notready', false), node('ready-oos', true, ['node.kubernetes.io/out-of-service'])];
    const { gc, writes, deleted } = await collector(pods, nodes);
    await gc.gc();
    assert.deepEqual(deleted(), ['on-oos', 'unscheduled']);
    const patches = writes().filter((r) => r.method === 'PATCH');
    assert.deepEqual(patches.map((r) => r.path).sort(), ['/api/v1/namespaces/ns/pods/on-oos/status', '/api/v1/namespaces/ns/pods/unscheduled/status']);
    for (const p of patches) assert.deepEqual(p.body, { metadata: { uid: p.path.split('/')[6] + '-uid' }, status: { phase: 'Failed' } });
    await gc.stop();
  });
});

describe('orphaned pods of deleted nodes', () => {
  test('nothing happens before the quarantine ends', async () => {
    const { gc, writes, requests } = await collector([pod('orphan', { node: 'gone' })], []);
    await gc.gc();
    assert.deepEqual(writes(), []);
    assert.deepEqual(requests(), [], 'the node is not even looked up yet');
    await gc.stop();
  });

  test('after the quarantine a GET confirms the node is gone: the pod is marked Failed with DisruptionTarget, then deleted', async () => {
    const pods = [pod('orphan', { node: 'gone' }), pod('finished-orphan', { node: 'gone', phase: 'Succeeded' }), pod('fine', { node: 'here' })];
    const { gc, writes, deleted, requests } = await collector(pods, [node('here', true)], { quarantineMs: 0 });
    await gc.gc();
    assert.ok(requests().some((r) => r.method === 'GET' && r.path === '/api/v1/nodes/gone'), 'checked against the apiserver, not the cache');
    assert.deepEqual(deleted(), ['finished-orphan', 'orphan']);
    const patch = writes().find((r) => r.method === 'PATCH')!;
    assert.equal(patch.path, '/api/v1/namespaces/ns/pods/orphan/status');
    const status = (patch.body as { status: { phase: string; conditions: Array<Record<string, string>> } }).status;
    assert.equal(status.phase, 'Failed');
    assert.deepEqual(
      status.conditions.map(({ type, status: s, reason, message }) => ({ type, status: s, reason, message })),
      [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' }],
    );
    assert.ok(status.conditions[0]!.lastTransitionTime);
    await gc.stop();
  });

  test('a node the cache misses but the apiserver still has keeps its pods', async () => {
    const { gc, writes } = await collector([pod('p', { node: 'slow-cache' })], [], { quarantineMs: 0, apiNodes: ['slow-cache'] });
    await gc.gc();
    assert.deepEqual(writes(), []);
    await gc.stop();
  });
});
