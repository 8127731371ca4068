/**
 * DaemonSet decisions on fake node and pod caches (Indexers filled by hand, as informers would be): which
 * nodes should run a daemon pod (nodeSelector, node affinity, taints and the tolerations every daemon pod
 * gets), the pod pinned to its node, placement as nodes come, go and change, rolling updates within
 * maxUnavailable and maxSurge, the status counters; and a whole sync against a fake apiserver.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Taint } from 'kubernetes-types/core/v1.js';
import { Indexer } from '../../src/client/indexer.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../../src/controllers/history/history.js';
import { daemonSetStatus, planDaemonSet } from '../../src/controllers/daemonset/plan.js';
import { newDaemonPod, nodeShouldRunDaemonPod, targetNodeName, type DaemonSetObject, type NodeObject } from '../../src/controllers/daemonset/placement.js';
import type { PodObject } from '../../src/controllers/replicaset/pods.js';
import { DAEMONSETS, DaemonSetsController } from '../../src/controllers/daemonset/daemonset.js';
import { NODES } from '../../src/client/resources.js';
import { fakeContext } from './fake-client.js';

function ds(spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): DaemonSetObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', generation: 1 },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'agent:1' }], ...podSpec } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      ...spec,
    },
  } as DaemonSetObject;
}

function node(name: string, extra: { labels?: Record<string, string>; taints?: Taint[]; unschedulable?: boolean } = {}): NodeObject {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(extra.labels ?? {}) } },
    spec: { ...(extra.taints ? { taints: extra.taints } : {}), ...(extra.unschedulable ? { unschedulable: true } : {}) },
  };
}

const nodes = (...list: NodeObject[]): NodeObject[] => {
  const indexer = new Indexer<NodeObject>();
  for (const n of list) indexer.upsert(n);
  return indexer.list();
};

let seq = 0;
/** A daemon pod on `nodeName` at revision `hash`, Ready or not. */
function pod(nodeName: string, hash: string, ready = true, extra: { bound?: boolean; terminating?: boolean } = {}): PodObject {
  seq++;
  const made = newDaemonPod(ds(), nodeName, hash);
  return {
    ...made,
    metadata: {
      ...made.metadata,
      name: `agent-${seq}`,
      creationTimestamp: `2026-01-01T00:00:${String(seq).padStart(2, '0')}Z`,
      labels: { ...made.metadata.labels, [CONTROLLER_REVISION_HASH_LABEL]: hash, 'pod-template-generation': hash === 'new' ? '1' : '0' },
      ...(extra.terminating ? { deletionTimestamp: '2026-01-01T00:01:00Z' } : {}),
    },
    spec: { ...made.spec!, ...(extra.bound !== false ? { nodeName } : {}) },
    status: ready ? { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] } : { phase: 'Pending' },
  };
}

const onNodes = (pods: PodObject[]): string[] => pods.map((p) => targetNodeName(p) ?? '').sort();

describe('which nodes should run a daemon pod', () => {
  test('every plain node', () => {
    assert.deepEqual(nodeShouldRunDaemonPod(node('a'), ds()), { shouldRun: true, shouldContinueRunning: true });
  });

  test('nodeSelector and required node affinity must match the node', () => {
    const bySelector = ds({}, { nodeSelector: { disk: 'ssd' } });
    assert.equal(nodeShouldRunDaemonPod(node('a', { labels: { disk: 'ssd' } }), bySelector).shouldRun, true);
    assert.deepEqual(nodeShouldRunDaemonPod(node('b'), bySelector), { shouldRun: false, shouldContinueRunning: false });
    const byAffinity = ds({}, {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }] } } },
    });
    assert.equal(nodeShouldRunDaemonPod(node('a', { labels: { zone: 'z1' } }), byAffinity).shouldRun, true);
    assert.equal(nodeShouldRunDaemonPod(node('a', { labels: { zone: 'z2' } }), byAffinity).shouldRun, false);
  });

  test('an untolerated NoSchedule taint keeps new pods off but lets a running one stay; NoExecute removes it', () => {
    assert.deepEqual(nodeShouldRunDaemonPod(node('a', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }), ds()), { shouldRun: false, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node('a', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] }), ds()), { shouldRun: false, shouldContinueRunning: false });
    assert.equal(nodeShouldRunDaemonPod(node('a', { taints: [{ key: 'dedicated', effect: 'NoSchedule' }] }), ds({}, { tolerations: [{ key: 'dedicated', operator: 'Exists' }] })).shouldRun, true);
    assert.equal(nodeShouldRunDaemonPod(node('a', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }), ds()).shouldRun, true);
  });

  test('the automatic tolerations: cordoned, not-ready, unreachable and pressure nodes still run daemon pods', () => {
    for (const t of [
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', effect: 'NoSchedule' },
    ] as Taint[]) {
      assert.equal(nodeShouldRunDaemonPod(node('a', { taints: [t], unschedulable: true }), ds()).shouldRun, true, t.key);
    }
  });

  test('network-unavailable is tolerated only by host-network daemon pods', () => {
    const n = node('a', { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] });
    assert.equal(nodeShouldRunDaemonPod(n, ds()).shouldRun, false);
    assert.equal(nodeShouldRunDaemonPod(n, ds({}, { hostNetwork: true })).shouldRun, true);
  });

  test('a template nodeName limits the set to that node', () => {
    assert.equal(nodeShouldRunDaemonPod(node('a'), ds({}, { nodeName: 'b' })).shouldRun, false);
    assert.equal(nodeShouldRunDaemonPod(node('b'), ds({}, { nodeName: 'b' })).shouldRun, true);
  });
});

describe('daemon pods', () => {
  test('a pod is pinned to its node by a metadata.name node affinity and carries the daemon tolerations', () => {
    const withAffinity = ds({}, {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }] } } },
    });
    const p = newDaemonPod(withAffinity, 'node-7', 'h1');
    assert.deepEqual(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, {
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-7'] }] }],
    });
    assert.equal(p.spec?.nodeName, undefined);
    assert.equal(targetNodeName(p), 'node-7');
    assert.equal(p.metadata.generateName, 'agent-');
    assert.deepEqual(p.metadata.labels, { app: 'agent', [CONTROLLER_REVISION_HASH_LABEL]: 'h1', 'pod-template-generation': '1' });
    assert.ok(p.spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/unschedulable' && t.effect === 'NoSchedule' && t.operator === 'Exists'));
  });

  test('placement follows nodes: new nodes get a pod, excluded nodes lose theirs, extra pods go', () => {
    const all = nodes(node('a'), node('b'), node('c'));
    assert.deepEqual(planDaemonSet(ds(), all, [], 'old').createOn.sort(), ['a', 'b', 'c']);
    const pods = [pod('a', 'old'), pod('b', 'old')];
    assert.deepEqual(planDaemonSet(ds(), all, pods, 'old').createOn, ['c']);
    const selective = ds({}, { nodeSelector: { run: 'yes' } });
    const labelled = nodes(node('a', { labels: { run: 'yes' } }), node('b'));
    const plan = planDaemonSet(selective, labelled, pods, 'old');
    assert.deepEqual([plan.createOn, onNodes(plan.delete)], [[], ['b']]);
    const twice = [pod('a', 'old'), pod('a', 'old')];
    assert.deepEqual(planDaemonSet(ds(), nodes(node('a')), twice, 'old').delete.map((p) => p.metadata.name), [twice[1]!.metadata.name]);
  });

  test('a pod not yet bound to a node that is gone is deleted; a cordoned node keeps its pod', () => {
    const gone = pod('x', 'old', false, { bound: false });
    assert.deepEqual(planDaemonSet(ds(), nodes(node('a')), [pod('a', 'old'), gone], 'old').delete, [gone]);
    const cordoned = node('a', { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] });
    const plan = planDaemonSet(ds(), nodes(cordoned), [pod('a', 'old')], 'old');
    assert.deepEqual([plan.createOn, plan.delete], [[], []]);
  });
});

describe('daemon rolling update', () => {
  const three = nodes(node('a'), node('b'), node('c'));

  test('maxUnavailable 1: one old pod at a time, none while a node is unavailable', () => {
    assert.equal(planDaemonSet(ds(), three, [pod('a', 'old'), pod('b', 'old'), pod('c', 'old')], 'new').delete.length, 1);
    assert.deepEqual(planDaemonSet(ds(), three, [pod('a', 'new', false), pod('b', 'old'), pod('c', 'old')], 'new').delete, []);
    assert.deepEqual(onNodes(planDaemonSet(ds(), three, [pod('a', 'new'), pod('b', 'old', false), pod('c', 'old')], 'new').delete), ['b']);
  });

  test('maxUnavailable 100% replaces every node at once', () => {
    const all = ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '100%', maxSurge: 0 } } });
    assert.equal(planDaemonSet(all, three, [pod('a', 'old'), pod('b', 'old'), pod('c', 'old')], 'new').delete.length, 3);
  });

  test('maxSurge 1: a new pod next to the old one, the old one deleted once the new is available', () => {
    const surge = ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    const first = planDaemonSet(surge, three, [pod('a', 'old'), pod('b', 'old'), pod('c', 'old')], 'new');
    assert.deepEqual([first.createOn.length, first.delete.length], [1, 0]);
    const waiting = planDaemonSet(surge, three, [pod('a', 'old'), pod('a', 'new', false), pod('b', 'old'), pod('c', 'old')], 'new');
    assert.deepEqual([waiting.createOn, waiting.delete], [[], []]);
    const old = pod('a', 'old');
    const done = planDaemonSet(surge, three, [old, pod('a', 'new'), pod('b', 'old'), pod('c', 'old')], 'new');
    assert.deepEqual(done.delete, [old]);
  });

  test('OnDelete replaces nothing', () => {
    const onDelete = ds({ updateStrategy: { type: 'OnDelete' } });
    const plan = planDaemonSet(onDelete, three, [pod('a', 'old'), pod('b', 'old'), pod('c', 'old')], 'new');
    assert.deepEqual([plan.createOn, plan.delete], [[], []]);
  });
});

describe('daemon set status', () => {
  test('counts desired, scheduled, ready, available, updated and misscheduled nodes', () => {
    const selective = ds({}, { nodeSelector: { run: 'yes' } });
    const all = nodes(node('a', { labels: { run: 'yes' } }), node('b', { labels: { run: 'yes' } }), node('c', { labels: { run: 'yes' } }), node('d'));
    const s = daemonSetStatus(selective, all, [pod('a', 'new'), pod('b', 'old', false), pod('d', 'old'), pod('c', 'new', true, { terminating: true })], 'new');
    assert.deepEqual(s, {
      observedGeneration: 1,
      desiredNumberScheduled: 3,
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      numberReady: 1,
      numberAvailable: 1,
      updatedNumberScheduled: 1,
      numberUnavailable: 2,
    });
  });
});

describe('DaemonSet sync against a fake apiserver', () => {
  test('one pod per node, pinned to it; expectations keep a second sync from creating them again', async () => {
    let n = 0;
    const fake = fakeContext((req) => {
      const body = req.body as { metadata?: Record<string, unknown> } | undefined;
      if (req.method === 'POST') return { status: 201, body: { ...body, metadata: { ...body?.metadata, name: `${String(body?.metadata?.['generateName'] ?? body?.metadata?.['name'])}${n++}`, uid: `uid-${n}` } } };
      return { status: 200, body: body ?? {} };
    });
    const ctl = new DaemonSetsController(fake.ctx);
    await ctl.init();
    fake.ctx.informers.informerFor<DaemonSetObject>(DAEMONSETS).indexer.upsert(ds());
    for (const n of nodes(node('a'), node('b'), node('c'))) fake.ctx.informers.informerFor<NodeObject>(NODES).indexer.upsert(n);
    await ctl.syncDaemonSet('default/agent');
    const podCreates = () => fake.requests((r) => r.method === 'POST' && r.path.endsWith('/pods'));
    const pinned = podCreates().map((r) => targetNodeName(r.body as PodObject)).sort();
    assert.deepEqual(pinned, ['a', 'b', 'c']);
    assert.equal(fake.requests((r) => r.method === 'POST' && r.path.endsWith('/controllerrevisions')).length, 1);
    const status = fake.requests((r) => r.path.endsWith('/daemonsets/agent/status'))[0]!.body!['status'] as { desiredNumberScheduled: number; currentNumberScheduled: number };
    assert.deepEqual([status.desiredNumberScheduled, status.currentNumberScheduled], [3, 0]);
    // The informer has not delivered the three pods: nothing is created again.
    await ctl.syncDaemonSet('default/agent');
    assert.equal(podCreates().length, 3);
    assert.equal(ctl.expectations.satisfiedExpectations('default/agent'), false);
  });
});
