/**
 * End-to-end: the node lifecycle and taint eviction controllers with real kubectl. A node whose Lease stops
 * being renewed goes Ready=Unknown with the unreachable taints and its pods are evicted after their
 * tolerationSeconds (a ReplicaSet's pod replaced on another node); a node that comes back loses the taints;
 * Ready=False brings the not-ready taint; `kubectl cordon` shows SchedulingDisabled and taints the node,
 * `uncordon` undoes both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { APIClient } from '../helpers/api-client.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { manifest, ok } from '../helpers/kubectl-e2e.js';
import { until } from '../helpers/wait.js';

/** Longer than the simulated nodes' 10 s lease renewal interval (they must stay Ready), shorter than kube's 40 s. */
const GRACE_MS = 15_000;
const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const micro = (): string => new Date().toISOString().replace('Z', '000Z');

describe('node lifecycle', () => {
  let cluster: TestCluster;
  let api: APIClient;
  const get = async <T>(...args: string[]): Promise<T> => JSON.parse(ok(await cluster.kubectl(['get', ...args, '-o', 'json']))) as T;
  const taintsOf = async (node: string): Promise<string[]> =>
    ((await get<Node>('node', node)).spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();

  /** Posts the node's status as a kubelet would: capacity, every condition fresh, Ready as given. */
  const postStatus = async (node: string, ready: 'True' | 'False'): Promise<void> => {
    const t = now();
    const resources = { cpu: '4', memory: '8Gi', pods: '110' };
    const conditions = [
      { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'ok', lastHeartbeatTime: t, lastTransitionTime: t },
      { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'ok', lastHeartbeatTime: t, lastTransitionTime: t },
      { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'ok', lastHeartbeatTime: t, lastTransitionTime: t },
      { type: 'Ready', status: ready, reason: ready === 'True' ? 'KubeletReady' : 'KubeletNotReady', message: 'posted by the test', lastHeartbeatTime: t, lastTransitionTime: t },
    ];
    ok(await cluster.kubectl(['patch', 'node', node, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { capacity: resources, allocatable: resources, conditions } })]));
  };

  /** Renews the node's Lease the way a kubelet does, until the returned function stops it. */
  const heartbeat = (node: string): (() => Promise<void>) => {
    let running = true;
    const loop = (async () => {
      while (running) {
        const body = JSON.stringify({ spec: { renewTime: micro() } });
        const r = await api.request('PATCH', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`, { body, headers: { 'Content-Type': 'application/merge-patch+json' } });
        assert.equal(r.status, 200, r.body.toString());
        await new Promise((res) => setTimeout(res, 300));
      }
    })();
    return async () => {
      running = false;
      await loop;
    };
  };

  before(async () => {
    cluster = await startCluster({ controllerManager: true, args: ['--sim-nodes', '2', '--sim-pod-start-delay', '150ms', '--node-monitor-grace-period', `${GRACE_MS / 1000}s`] });
    api = await APIClient.fromKubeconfig(cluster.kubeconfig);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('a node whose lease stops being renewed goes NotReady, gets the unreachable taints, and its pods are evicted', async () => {
    const node = 'lost-node';
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: manifest({ apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels: { 'kubernetes.io/hostname': node, pool: 'lifecycle' } } }) }));
    ok(
      await cluster.kubectl(['apply', '-f', '-'], {
        input: manifest({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: node, namespace: 'kube-node-lease' }, spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime: micro() } }),
      }),
    );
    await postStatus(node, 'True');
    const stop = heartbeat(node);
    const pod = (name: string, tolerationSeconds?: number): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: {
        nodeName: node,
        containers: [{ name: 'app', image: 'nginx' }],
        tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', ...(tolerationSeconds !== undefined ? { tolerationSeconds } : {}) }],
      },
    });
    // A ReplicaSet's pod on the node, to be evicted and replaced elsewhere.
    const replicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'movable', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'movable' } },
        template: {
          metadata: { labels: { app: 'movable' } },
          spec: {
            nodeSelector: { pool: 'lifecycle' },
            tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }],
            containers: [{ name: 'app', image: 'nginx' }],
          },
        },
      },
    };
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: manifest(replicaSet) }));
    const movable = await until('the ReplicaSet pod on the node', async () => (await get<{ items: Pod[] }>('pods', '-l', 'app=movable')).items.find((p) => p.spec?.nodeName === node));
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: manifest(pod('short', 2), pod('forever'), { ...pod('defaulted'), spec: { nodeName: node, containers: [{ name: 'app', image: 'nginx' }] } }) }));

    // The DefaultTolerationSeconds admission gave the pod without tolerations 300 s for both taints.
    const defaulted = await get<Pod>('pod', 'defaulted');
    assert.deepEqual(
      (defaulted.spec?.tolerations ?? []).map((t) => `${t.key}:${t.effect}:${t.tolerationSeconds}`).sort(),
      ['node.kubernetes.io/not-ready:NoExecute:300', 'node.kubernetes.io/unreachable:NoExecute:300'],
    );

    // Renewing the lease alone keeps the node Ready past the grace period, though its status is never posted again.
    await new Promise((r) => setTimeout(r, GRACE_MS + 1500));
    let status = await get<Node>('node', node);
    assert.equal(status.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.deepEqual(await taintsOf(node), []);

    await stop();
    const unknown = await until(
      'node Ready=Unknown',
      async () => {
        const n = await get<Node>('node', node);
        const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'Unknown' ? n : undefined;
      },
      GRACE_MS + 15_000,
      250,
    );
    for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      const c = unknown.status?.conditions?.find((x) => x.type === type);
      assert.equal(c?.status, 'Unknown', type);
      assert.equal(c?.reason, 'NodeStatusUnknown', type);
      assert.equal(c?.message, 'Kubelet stopped posting node status.', type);
    }
    const row = ok(await cluster.kubectl(['get', 'node', node, '--no-headers']));
    assert.match(row, /^lost-node\s+NotReady\s/);
    await until('unreachable taints', async () => {
      const t = await taintsOf(node);
      return t.includes('node.kubernetes.io/unreachable:NoExecute') && t.includes('node.kubernetes.io/unreachable:NoSchedule');
    });
    const noExecute = (await get<Node>('node', node)).spec?.taints?.find((t) => t.effect === 'NoExecute');
    assert.ok(noExecute?.timeAdded, 'a NoExecute taint records when it was added');

    // The pod tolerating it for 2 s is evicted (marked, then deleted); the others stay.
    const evicted = await until(
      'pod short evicted',
      async () => {
        const r = await cluster.kubectl(['get', 'pod', 'short', '-o', 'json']);
        if (r.code !== 0) return { gone: true, pod: undefined };
        const p = JSON.parse(r.stdout) as Pod;
        return p.metadata?.deletionTimestamp ? { gone: false, pod: p } : undefined;
      },
      15_000,
      250,
    );
    if (evicted.pod) {
      const target = evicted.pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
      assert.equal(target?.reason, 'DeletionByTaintManager');
    }
    const events = ok(await cluster.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=short', '-o', 'jsonpath={.items[*].reason}']));
    assert.match(events, /TaintManagerEviction/);
    // The ReplicaSet's pod is evicted too, and its replacement runs on a node that can take it.
    await until('the ReplicaSet pod evicted', async () => {
      const r = await cluster.kubectl(['get', 'pod', movable.metadata!.name!, '-o', 'json']);
      return r.code !== 0 || (JSON.parse(r.stdout) as Pod).metadata?.deletionTimestamp !== undefined;
    });
    const other = (await get<{ items: Node[] }>('nodes')).items.find((n) => n.metadata?.name !== node)!.metadata!.name!;
    ok(await cluster.kubectl(['label', 'node', other, 'pool=lifecycle']));
    const replacement = await until(
      'a replacement pod running elsewhere',
      async () =>
        (await get<{ items: Pod[] }>('pods', '-l', 'app=movable')).items.find((p) => !p.metadata?.deletionTimestamp && p.spec?.nodeName === other && p.status?.phase === 'Running'),
      20_000,
      250,
    );
    assert.notEqual(replacement.metadata?.name, movable.metadata?.name);
    ok(await cluster.kubectl(['delete', 'rs', 'movable', '--wait=false']));
    ok(await cluster.kubectl(['label', 'node', other, 'pool-']));

    for (const name of ['forever', 'defaulted']) {
      const p = await get<Pod>('pod', name);
      assert.equal(p.metadata?.deletionTimestamp, undefined, `${name} is kept`);
    }

    // The node comes back: lease renewed and status posted; the taints go.
    const stop2 = heartbeat(node);
    await postStatus(node, 'True');
    await until('taints removed', async () => (await taintsOf(node)).length === 0, 15_000, 250);
    status = await get<Node>('node', node);
    assert.equal(status.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');

    // Ready=False (a kubelet that posts it is not ready) brings the not-ready taints.
    await postStatus(node, 'False');
    await until('not-ready taints', async () => {
      const t = await taintsOf(node);
      return t.includes('node.kubernetes.io/not-ready:NoExecute') && t.includes('node.kubernetes.io/not-ready:NoSchedule') && !t.some((x) => x.startsWith('node.kubernetes.io/unreachable'));
    });
    await postStatus(node, 'True');
    await until('not-ready taints removed', async () => (await taintsOf(node)).length === 0, 15_000, 250);
    await stop2();
  });

  test('kubectl cordon shows SchedulingDisabled and taints the node; uncordon undoes both', async () => {
    const simNode = (await get<{ items: Node[] }>('nodes')).items.find((n) => n.metadata?.name !== 'lost-node')!.metadata!.name!;
    assert.match(ok(await cluster.kubectl(['cordon', simNode])), /cordoned/);
    const row = ok(await cluster.kubectl(['get', 'node', simNode, '--no-headers']));
    assert.match(row, /\sReady,SchedulingDisabled\s/);
    await until('unschedulable taint', async () => (await taintsOf(simNode)).includes('node.kubernetes.io/unschedulable:NoSchedule'));
    assert.match(ok(await cluster.kubectl(['uncordon', simNode])), /uncordoned/);
    await until('unschedulable taint removed', async () => !(await taintsOf(simNode)).includes('node.kubernetes.io/unschedulable:NoSchedule'));
    assert.match(ok(await cluster.kubectl(['get', 'node', simNode, '--no-headers'])), /\sReady\s/);
  });
});
