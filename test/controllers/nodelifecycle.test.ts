/**
 * Node lifecycle decisions on fake caches: which taints a node's conditions and spec.unschedulable call for,
 * how tolerations decide eviction and when, the conditions of a silent node, and the controllers' writes when
 * a node's heartbeat stops (node status Unknown, pods not Ready) and when a pod must leave a tainted node.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { NODES, PODS } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { NodeLifecycleController, unknownConditions } from '../../src/controllers/nodelifecycle/nodelifecycle.js';
import { TaintEvictionController } from '../../src/controllers/nodelifecycle/taint-eviction.js';
import { desiredManagedTaints, evictionDecision, reconcileTaints, toleratesTaint } from '../../src/controllers/nodelifecycle/taints.js';
import { fakeContext } from './fake-client.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const T = '2026-01-01T11:00:00Z';

function node(conditions: Record<string, string>, extra: { unschedulable?: boolean; taints?: Taint[] } = {}): Node & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', uid: 'node-uid', resourceVersion: '5', creationTimestamp: T },
    spec: { ...(extra.unschedulable ? { unschedulable: true } : {}), ...(extra.taints ? { taints: extra.taints } : {}) },
    status: {
      conditions: Object.entries(conditions).map(([type, status]): NodeCondition => ({ type, status, reason: 'Kubelet', message: 'm', lastHeartbeatTime: T, lastTransitionTime: T })),
    },
  };
}

const keys = (taints: ReadonlyArray<Pick<Taint, 'key' | 'effect'>> | undefined): string[] => (taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();

describe('node taints from conditions', () => {
  test('Ready Unknown -> unreachable, Ready False -> not-ready, NoSchedule and NoExecute both', () => {
    assert.deepEqual(keys(desiredManagedTaints(node({ Ready: 'Unknown' }))), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    assert.deepEqual(keys(desiredManagedTaints(node({ Ready: 'False' }))), ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
    assert.deepEqual(desiredManagedTaints(node({ Ready: 'True' })), []);
  });

  test('pressure and network conditions, and spec.unschedulable, give NoSchedule taints', () => {
    const n = node({ Ready: 'True', MemoryPressure: 'True', DiskPressure: 'True', PIDPressure: 'True', NetworkUnavailable: 'True' }, { unschedulable: true });
    assert.deepEqual(keys(desiredManagedTaints(n)), [
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/network-unavailable:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    assert.deepEqual(desiredManagedTaints(node({ Ready: 'True', MemoryPressure: 'False' })), []);
  });

  test('reconcileTaints adds with timeAdded on NoExecute, keeps foreign taints, removes stale ones, and answers undefined when in step', () => {
    const now = '2026-01-01T12:00:00Z';
    const added = reconcileTaints(node({ Ready: 'Unknown' }, { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] }), now)!;
    assert.deepEqual(added, [
      { key: 'dedicated', value: 'x', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: now },
    ]);
    // In step: nothing to write, and timeAdded is not moved.
    assert.equal(reconcileTaints(node({ Ready: 'Unknown' }, { taints: added }), '2026-01-01T13:00:00Z'), undefined);
    // The node is back: only the foreign taint stays.
    assert.deepEqual(reconcileTaints(node({ Ready: 'True' }, { taints: added }), now), [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]);
    // Unreachable turned into not-ready.
    assert.deepEqual(keys(reconcileTaints(node({ Ready: 'False' }, { taints: added }), now)), ['dedicated:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
  });
});

describe('tolerations and taint eviction', () => {
  const unreachable = (secondsAgo: number): Taint => ({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: new Date(NOW - secondsAgo * 1000).toISOString() });
  const podWith = (tolerations: NonNullable<Pod['spec']>['tolerations']): Pod => ({ metadata: { name: 'p' }, spec: { containers: [], tolerations } });

  test('toleratesTaint: key, operator, value and effect', () => {
    const taint: Taint = { key: 'k', value: 'v', effect: 'NoExecute' };
    assert.equal(toleratesTaint({ key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute' }, taint), true);
    assert.equal(toleratesTaint({ key: 'k', value: 'v' }, taint), true, 'operator defaults to Equal, any effect');
    assert.equal(toleratesTaint({ key: 'k', value: 'w' }, taint), false);
    assert.equal(toleratesTaint({ key: 'k', operator: 'Exists', effect: 'NoSchedule' }, taint), false);
    assert.equal(toleratesTaint({ operator: 'Exists' }, taint), true, 'an empty key with Exists tolerates everything');
  });

  test('no matching toleration: evicted now; tolerated without tolerationSeconds: kept', () => {
    assert.deepEqual(evictionDecision(podWith([]), [unreachable(1)], NOW), { action: 'evict' });
    assert.deepEqual(evictionDecision(podWith([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]), [unreachable(1000)], NOW), { action: 'keep' });
    assert.deepEqual(evictionDecision(podWith([]), [{ key: 'x', effect: 'NoSchedule' }], NOW), { action: 'keep' }, 'NoSchedule taints never evict');
  });

  test('tolerationSeconds counts from the taint timeAdded; the smallest wins', () => {
    const tol = (s: number): NonNullable<Pod['spec']>['tolerations'] => [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: s }];
    assert.deepEqual(evictionDecision(podWith(tol(300)), [unreachable(100)], NOW), { action: 'evictAt', atMs: NOW + 200_000 });
    assert.deepEqual(evictionDecision(podWith(tol(300)), [unreachable(400)], NOW), { action: 'evict' });
    const both = [...tol(300)!, { operator: 'Exists' as const, effect: 'NoExecute', tolerationSeconds: 30 }];
    assert.deepEqual(evictionDecision(podWith(both), [unreachable(10)], NOW), { action: 'evictAt', atMs: NOW + 20_000 });
  });
});

describe('a silent node', () => {
  test('its kubelet conditions go Unknown with kube reason and message, keeping lastHeartbeatTime', () => {
    const conditions = unknownConditions(node({ Ready: 'True', MemoryPressure: 'False', DiskPressure: 'False', PIDPressure: 'False' }), '2026-01-01T12:00:00Z')!;
    for (const c of conditions) {
      assert.equal(c.status, 'Unknown');
      assert.equal(c.reason, 'NodeStatusUnknown');
      assert.equal(c.message, 'Kubelet stopped posting node status.');
      assert.equal(c.lastHeartbeatTime, T);
      assert.equal(c.lastTransitionTime, '2026-01-01T12:00:00Z');
    }
    assert.equal(unknownConditions(node({ Ready: 'Unknown', MemoryPressure: 'Unknown', DiskPressure: 'Unknown', PIDPressure: 'Unknown' }), 'x'), undefined);
    const never = unknownConditions(node({}), '2026-01-01T12:00:00Z')!;
    assert.deepEqual(never.map((c) => [c.type, c.status, c.reason, c.message]), [
      ['Ready', 'Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.'],
      ['MemoryPressure', 'Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.'],
      ['DiskPressure', 'Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.'],
      ['PIDPressure', 'Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.'],
    ]);
  });

  test('the controller marks it Unknown once the grace period passes without a heartbeat, and its pods not Ready', async () => {
    const { ctx, requests } = fakeContext((req) => ({ status: 200, body: req.body ?? {} }));
    const controller = new NodeLifecycleController(ctx, { gracePeriodMs: 50 });
    await controller.init();
    ctx.informers.informerFor<Node & KubeObject>(NODES).indexer.upsert(node({ Ready: 'True' }));
    const pod: Pod & KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'ns', uid: 'p-uid', resourceVersion: '3' },
      spec: { nodeName: 'n1', containers: [] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    };
    ctx.informers.informerFor<Pod & KubeObject>(PODS).indexer.upsert(pod);
    const sync = (controller as unknown as { sync(key: string): Promise<void> }).sync.bind(controller);
    await sync('n1');
    await sync('n1');
    assert.deepEqual(requests(), [], 'a fresh heartbeat: nothing to do');
    await new Promise((r) => setTimeout(r, 80));
    await sync('n1');
    const [status, podStatus] = requests();
    assert.equal(status?.method, 'PUT');
    assert.equal(status?.path, '/api/v1/nodes/n1/status');
    const written = (status!.body as Node).status!.conditions!;
    assert.equal(written.find((c) => c.type === 'Ready')?.status, 'Unknown');
    assert.equal(podStatus?.path, '/api/v1/namespaces/ns/pods/p/status');
    assert.equal((podStatus!.body as Pod).status!.conditions!.find((c) => c.type === 'Ready')?.status, 'False');
    await controller.stop();
  });
});

describe('the taint eviction controller', () => {
  test('deletes a pod that does not tolerate the NoExecute taint, marking it DisruptionTarget first; leaves a tolerating one', async () => {
    const { ctx, requests } = fakeContext((req) => ({ status: 200, body: req.body ?? {} }));
    const controller = new TaintEvictionController(ctx);
    await controller.init();
    ctx.informers.informerFor<Node & KubeObject>(NODES).indexer.upsert(node({ Ready: 'Unknown' }, { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: new Date(Date.now() - 10_000).toISOString() }] }));
    const pods = ctx.informers.informerFor<Pod & KubeObject>(PODS).indexer;
    const mk = (name: string, tolerationSeconds?: number): Pod & KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'ns', uid: `${name}-uid`, resourceVersion: '1' },
      spec: {
        nodeName: 'n1',
        containers: [],
        tolerations: tolerationSeconds === undefined ? [] : [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds }],
      },
      status: { phase: 'Running' },
    });
    pods.upsert(mk('intolerant'));
    pods.upsert(mk('patient', 300));
    const sync = (controller as unknown as { sync(key: string): Promise<void> }).sync.bind(controller);
    await sync('ns/patient');
    assert.deepEqual(requests(), []);
    await sync('ns/intolerant');
    const [mark, del] = requests();
    assert.equal(mark?.path, '/api/v1/namespaces/ns/pods/intolerant/status');
    const target = (mark!.body as Pod).status!.conditions!.find((c) => c.type === 'DisruptionTarget');
    assert.deepEqual([target?.status, target?.reason], ['True', 'DeletionByTaintManager']);
    assert.equal(del?.method, 'DELETE');
    assert.equal(del?.path, '/api/v1/namespaces/ns/pods/intolerant');
    assert.deepEqual((del!.body as { preconditions?: unknown }).preconditions, { uid: 'intolerant-uid' });
    await controller.stop();
  });
});
