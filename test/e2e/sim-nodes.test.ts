/**
 * End-to-end: simulated nodes (`k8ts up --sim-nodes N`, and the standalone `k8ts sim`) seen through kubectl —
 * nodes Ready with their capacity, zones and taints, leases renewed, pods bound to them Running and Ready with
 * an IP from the node's CIDR, run-to-completion pods Succeeded, and deleted pods gone.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeList, Pod } from 'kubernetes-types/core/v1.js';
import { k8tsBin, startCluster, type TestCluster } from '../helpers/cluster.js';
import { manifest, ok } from '../helpers/kubectl-e2e.js';
import { until } from '../helpers/wait.js';

const pod = (name: string, nodeName: string, extra: { annotations?: Record<string, string>; restartPolicy?: string } = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
  spec: {
    nodeName,
    ...(extra.restartPolicy ? { restartPolicy: extra.restartPolicy } : {}),
    initContainers: [{ name: 'init', image: 'busybox' }],
    containers: [{ name: 'app', image: 'nginx' }, { name: 'sidecar', image: 'envoy' }],
  },
});

describe('simulated nodes', () => {
  let cluster: TestCluster;
  const get = async <T>(...args: string[]): Promise<T> => JSON.parse(ok(await cluster.kubectl(['get', ...args, '-o', 'json']))) as T;

  before(async () => {
    cluster = await startCluster({
      args: ['--sim-nodes', '4', '--sim-cpu', '8', '--sim-memory', '32Gi', '--sim-zones', '2', '--sim-taints', 'dedicated=sim:PreferNoSchedule', '--sim-pod-start-delay', '200ms'],
    });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('kubectl get nodes shows the simulated nodes Ready, with capacity, zones and taints', async () => {
    const out = ok(await cluster.kubectl(['get', 'nodes', '--no-headers']));
    const rows = out.trim().split('\n').map((l) => l.split(/\s+/));
    assert.deepEqual(rows.map((r) => [r[0], r[1]]), [0, 1, 2, 3].map((i) => [`sim-node-${i}`, 'Ready']));
    const nodes = await get<NodeList>('nodes');
    for (const [i, n] of nodes.items.entries()) {
      assert.equal(n.status!.capacity!.cpu, '8');
      assert.equal(n.status!.allocatable!.memory, '32Gi');
      assert.equal(n.metadata!.labels!['topology.kubernetes.io/zone'], `zone-${i % 2}`);
      assert.deepEqual(n.spec!.taints, [{ key: 'dedicated', value: 'sim', effect: 'PreferNoSchedule' }]);
      assert.equal(n.spec!.podCIDR, `10.64.${i}.0/24`);
    }
  });

  test('each node holds a Lease in kube-node-lease that the simulator renews', async () => {
    const first = await get<Lease>('-n', 'kube-node-lease', 'lease', 'sim-node-0');
    assert.equal(first.spec!.holderIdentity, 'sim-node-0');
    assert.equal(first.spec!.leaseDurationSeconds, 40);
    // Renewed every 10 s: wait for the renew time to move.
    await until(
      'a lease renewal',
      async () => ((await get<Lease>('-n', 'kube-node-lease', 'lease', 'sim-node-0')).spec!.renewTime !== first.spec!.renewTime ? true : undefined),
      15_000,
    );
  });

  test('a pod bound to a simulated node goes Running and Ready with an IP from the node CIDR; deleted, it is gone', async () => {
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: manifest(pod('web', 'sim-node-1')) }));
    const running = await until('web Running', async () => {
      const p = await get<Pod>('pod', 'web');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    assert.match(running.status!.podIP!, /^10\.64\.1\.\d+$/);
    assert.equal(running.status!.hostIP, '172.16.0.2');
    assert.deepEqual(running.status!.containerStatuses!.map((c) => [c.name, c.ready, Object.keys(c.state!)[0]]), [['app', true, 'running'], ['sidecar', true, 'running']]);
    assert.equal(running.status!.initContainerStatuses![0]!.state!.terminated!.reason, 'Completed');
    assert.equal(running.status!.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
    const row = ok(await cluster.kubectl(['get', 'pod', 'web', '--no-headers', '-o', 'wide'])).split(/\s+/);
    assert.deepEqual([row[1], row[2], row[6]], ['2/2', 'Running', 'sim-node-1']);
    // Graceful deletion: the simulator's kubelet confirms it, so --wait returns once the pod is gone.
    ok(await cluster.kubectl(['delete', 'pod', 'web', '--wait=true', '--timeout=20s']));
    assert.equal((await cluster.kubectl(['get', 'pod', 'web'])).code, 1);
  });

  test('a restartPolicy Never pod with a run time finishes Succeeded', async () => {
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: manifest(pod('batch', 'sim-node-2', { restartPolicy: 'Never', annotations: { 'sim.k8ts.io/run-seconds': '1' } })) }));
    const done = await until('batch Succeeded', async () => {
      const p = await get<Pod>('pod', 'batch');
      return p.status?.phase === 'Succeeded' ? p : undefined;
    });
    assert.deepEqual(done.status!.containerStatuses!.map((c) => c.state!.terminated!.reason), ['Completed', 'Completed']);
    const row = ok(await cluster.kubectl(['get', 'pod', 'batch', '--no-headers'])).split(/\s+/);
    assert.equal(row[2], 'Completed');
  });

  test('k8ts sim joins another cluster over HTTPS with its own nodes', async () => {
    const child: ChildProcess = spawn(process.execPath, [k8tsBin, 'sim', '--kubeconfig', cluster.kubeconfig, '--nodes', '2', '--sim-name-prefix', 'remote-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const nodes = await until('remote nodes', async () => {
        const list = await get<NodeList>('nodes');
        const remote = list.items.filter((n: Node) => n.metadata!.name!.startsWith('remote-'));
        return remote.length === 2 ? remote : undefined;
      });
      assert.deepEqual(nodes.map((n) => n.metadata!.name), ['remote-0', 'remote-1']);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
