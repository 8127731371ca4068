/**
 * End-to-end: the scheduler `k8ts up` runs, on simulated nodes, seen through kubectl: pods bound through
 * pods/binding and Running, an unsatisfiable nodeSelector reported with kube's FailedScheduling message in
 * `kubectl describe`, tainted nodes repelling pods without a toleration, topology spread over zones, and a
 * high-priority pod preempting a low-priority one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Pod, PodList } from 'kubernetes-types/core/v1.js';
import { APIClient } from '../helpers/api-client.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { manifest, ok } from '../helpers/kubectl-e2e.js';
import { until } from '../helpers/wait.js';

function pod(name: string, spec: Partial<NonNullable<Pod['spec']>> = {}, labels: Record<string, string> = {}, cpu = '100m'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu } } }], ...spec },
  };
}

describe('scheduler on simulated nodes', () => {
  let cluster: TestCluster;
  let api: APIClient;
  const getPod = async (ns: string, name: string): Promise<Pod> => JSON.parse(ok(await cluster.kubectl(['-n', ns, 'get', 'pod', name, '-o', 'json']))) as Pod;
  const podsIn = async (ns: string): Promise<Pod[]> => (JSON.parse(ok(await cluster.kubectl(['-n', ns, 'get', 'pods', '-o', 'json']))) as PodList).items;
  const create = async (ns: string, ...objs: object[]): Promise<void> => {
    ok(await cluster.kubectl(['-n', ns, 'create', '-f', '-'], { input: manifest(...objs) }));
  };
  const allRunning = (ns: string, count: number) =>
    until(`${count} pods Running in ${ns}`, async () => {
      const pods = await podsIn(ns);
      return pods.length === count && pods.every((p) => p.status?.phase === 'Running') ? pods : undefined;
    });

  before(async () => {
    cluster = await startCluster({ args: ['--sim-nodes', '3', '--sim-cpu', '2', '--sim-zones', '3', '--sim-pod-start-delay', '100ms'] });
    api = await APIClient.fromKubeconfig(cluster.kubeconfig);
    for (const ns of ['plain', 'picky', 'taints', 'spread', 'preempt']) ok(await cluster.kubectl(['create', 'namespace', ns]));
  });
  after(async () => {
    api?.close();
    await cluster?.stop();
  });

  test('pods are bound to nodes and run; a second binding of a bound pod is a 409', async () => {
    await create('plain', pod('a'), pod('b'), pod('c'));
    const pods = await allRunning('plain', 3);
    for (const p of pods) {
      assert.match(p.spec!.nodeName!, /^sim-node-\d$/);
      assert.equal(p.status!.conditions!.find((c) => c.type === 'PodScheduled')!.status, 'True');
    }
    const again = await api.request('POST', '/api/v1/namespaces/plain/pods/a/binding', {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'a' }, target: { kind: 'Node', name: 'sim-node-0' } }),
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(again.status, 409);
    assert.equal(JSON.parse(again.body.toString()).message, `Operation cannot be fulfilled on pods/binding "a": pod a is already assigned to node "${pods.find((p) => p.metadata!.name === 'a')!.spec!.nodeName}"`);
  });

  test('an unsatisfiable nodeSelector shows kube\'s FailedScheduling message in kubectl describe', async () => {
    await create('picky', pod('picky', { nodeSelector: { disk: 'ssd' } }));
    const message = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    const described = await until('the FailedScheduling event', async () => {
      const out = ok(await cluster.kubectl(['-n', 'picky', 'describe', 'pod', 'picky']));
      return out.includes('FailedScheduling') ? out : undefined;
    });
    assert.match(described, /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/3 nodes are available/);
    assert.ok(described.includes(message), described);
    const p = await getPod('picky', 'picky');
    const condition = p.status!.conditions!.find((c) => c.type === 'PodScheduled')!;
    assert.deepEqual([condition.status, condition.reason, condition.message], ['False', 'Unschedulable', message]);
    // Labelling a node makes it fit: the node update moves the pod back to the active queue.
    ok(await cluster.kubectl(['label', 'node', 'sim-node-2', 'disk=ssd']));
    const bound = await until('picky bound', async () => (await getPod('picky', 'picky')).spec?.nodeName);
    assert.equal(bound, 'sim-node-2');
    ok(await cluster.kubectl(['label', 'node', 'sim-node-2', 'disk-']));
  });

  test('tainted nodes repel pods without a matching toleration', async () => {
    ok(await cluster.kubectl(['taint', 'node', 'sim-node-0', 'dedicated=gpu:NoSchedule']));
    ok(await cluster.kubectl(['taint', 'node', 'sim-node-1', 'dedicated=gpu:NoSchedule']));
    try {
      await create('taints', ...[1, 2, 3, 4].map((i) => pod(`plain-${i}`)));
      const pods = await allRunning('taints', 4);
      assert.deepEqual([...new Set(pods.map((p) => p.spec!.nodeName))], ['sim-node-2']);
      await create('taints', pod('gpu', { nodeSelector: { 'kubernetes.io/hostname': 'sim-node-0' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }));
      assert.equal(await until('gpu bound', async () => (await getPod('taints', 'gpu')).spec?.nodeName), 'sim-node-0');
      await create('taints', pod('refused', { nodeSelector: { 'kubernetes.io/hostname': 'sim-node-1' } }));
      const p = await until('refused reported', async () => {
        const got = await getPod('taints', 'refused');
        return got.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False') ? got : undefined;
      });
      assert.match(p.status!.conditions!.find((c) => c.type === 'PodScheduled')!.message!, /^0\/3 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector, 2 node\(s\) had untolerated taint \{dedicated: gpu\}\./);
    } finally {
      ok(await cluster.kubectl(['taint', 'node', 'sim-node-0', 'dedicated-']));
      ok(await cluster.kubectl(['taint', 'node', 'sim-node-1', 'dedicated-']));
    }
  });

  test('pods with a zone topology spread constraint land evenly over the zones', async () => {
    const spread = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }] };
    await create('spread', ...[1, 2, 3, 4, 5, 6].map((i) => pod(`s-${i}`, spread, { app: 'spread' })));
    const pods = await allRunning('spread', 6);
    const perNode = new Map<string, number>();
    for (const p of pods) perNode.set(p.spec!.nodeName!, (perNode.get(p.spec!.nodeName!) ?? 0) + 1);
    // One node per zone here: two pods on each.
    assert.deepEqual([...perNode.values()], [2, 2, 2]);
  });

  test('a high-priority pod preempts a low-priority one when no node has room', async () => {
    ok(await cluster.kubectl(['create', 'priorityclass', 'low', '--value=10']));
    ok(await cluster.kubectl(['create', 'priorityclass', 'high', '--value=1000']));
    // Each node has 2 cpus, and the other tests' pods hold some: 1500m each leaves no room for another 1500m.
    await create('preempt', ...[0, 1, 2].map((i) => pod(`low-${i}`, { priorityClassName: 'low', nodeSelector: { 'kubernetes.io/hostname': `sim-node-${i}` } }, {}, '1500m')));
    await allRunning('preempt', 3);
    await create('preempt', pod('urgent', { priorityClassName: 'high' }, {}, '1500m'));
    const urgent = await until(
      'urgent running',
      async () => {
        const p = await getPod('preempt', 'urgent');
        return p.status?.phase === 'Running' ? p : undefined;
      },
      30_000,
    );
    const survivors = (await podsIn('preempt')).filter((p) => p.metadata!.name!.startsWith('low-'));
    assert.equal(survivors.length, 2);
    assert.ok(!survivors.some((p) => p.spec!.nodeName === urgent.spec!.nodeName), 'the victim was on the preemptor\'s node');
    const events = ok(await cluster.kubectl(['-n', 'preempt', 'get', 'events', '--field-selector', 'reason=Preempted', '-o', 'name']));
    assert.equal(events.trim().split('\n').length, 1);
  });
});
