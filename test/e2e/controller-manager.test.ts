/**
 * End-to-end: `k8ts controller-manager --kubeconfig` as its own processes against `k8ts up --disable
 * controller-manager`, and `k8ts sim` as a separate node process. Two controller managers take turns through
 * the kube-system/kube-controller-manager Lease; the leader runs the Deployment; when it stops, the other
 * takes over. A simulated node whose `k8ts sim` process is killed stops heartbeating: it becomes NotReady with
 * the unreachable taint, and its Deployment pods are evicted and started again on the other nodes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { ConfigMap, Node, Pod } from 'kubernetes-types/core/v1.js';
import { k8tsBin, startCluster, type TestCluster } from '../helpers/cluster.js';
import { manifest, ok } from '../helpers/kubectl-e2e.js';
import { until } from '../helpers/wait.js';

/** Longer than the simulated nodes' 10 s lease renewal interval (they must stay Ready), shorter than kube's 40 s. */
const GRACE = '15s';

interface Child {
  proc: ChildProcess;
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function start(args: string[]): Child {
  let stderr = '';
  const proc = spawn(process.execPath, [k8tsBin, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, K8TS_LOG_LEVEL: 'info' } });
  proc.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-50_000)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    stderr: () => stderr,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

describe('k8ts controller-manager and k8ts sim as their own processes', () => {
  let cluster: TestCluster;
  const managers: Child[] = [];
  let remote: Child | undefined;
  const get = async <T>(...args: string[]): Promise<T> => JSON.parse(ok(await cluster.kubectl(['get', ...args, '-o', 'json']))) as T;
  const holder = async (): Promise<string | undefined> => {
    const r = await cluster.kubectl(['get', 'lease', '-n', 'kube-system', 'kube-controller-manager', '-o', 'json']);
    return r.code === 0 ? ((JSON.parse(r.stdout) as Lease).spec?.holderIdentity ?? undefined) : undefined;
  };

  before(async () => {
    cluster = await startCluster({ args: ['--sim-nodes', '2', '--sim-pod-start-delay', '150ms'] });
    for (let i = 0; i < 2; i++) {
      managers.push(
        start(['controller-manager', '--kubeconfig', cluster.kubeconfig, '--service-account-private-key-file', join(cluster.dataDir, 'pki', 'sa.key'), '--node-monitor-grace-period', GRACE]),
      );
    }
  });
  after(async () => {
    await Promise.all([...managers, ...(remote ? [remote] : [])].map((c) => c.stop('SIGKILL')));
    await cluster?.stop();
  });

  test('one of two controller managers leads and runs the controllers; the other takes over when it stops', async () => {
    const leader = await until('a controller manager holds the Lease', holder, 30_000, 250);
    assert.match(leader, /_[0-9a-f-]{36}$/);
    // The leader publishes the cluster CA (from the kubeconfig) to every namespace, and makes default ServiceAccounts.
    const ca = await until('kube-root-ca.crt in default', async () => {
      const r = await cluster.kubectl(['get', 'configmap', 'kube-root-ca.crt', '-o', 'json']);
      return r.code === 0 ? (JSON.parse(r.stdout) as ConfigMap) : undefined;
    });
    assert.match(ca.data?.['ca.crt'] ?? '', /^-----BEGIN CERTIFICATE-----/);
    await until('default ServiceAccount', async () => (await cluster.kubectl(['get', 'serviceaccount', 'default'])).code === 0);

    ok(await cluster.kubectl(['create', 'deployment', 'web', '--image=nginx', '--replicas=3']));
    assert.match(ok(await cluster.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'])), /successfully rolled out/);

    // Stopping the leader releases the Lease; the other manager takes it and keeps the Deployment in step.
    // Each manager prints its identity when it starts.
    const stopping = managers.find((m) => m.stderr().includes(leader));
    assert.ok(stopping, `no manager printed ${leader}: ${managers.map((m) => m.stderr()).join('\n')}`);
    await stopping.stop('SIGTERM');
    const next = await until('the other controller manager holds the Lease', async () => {
      const h = await holder();
      return h && h !== leader ? h : undefined;
    }, 30_000, 250);
    assert.notEqual(next, leader);
    ok(await cluster.kubectl(['scale', 'deployment/web', '--replicas=5']));
    assert.match(ok(await cluster.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'])), /successfully rolled out/);
    const pods = (await get<{ items: Pod[] }>('pods', '-l', 'app=web')).items;
    assert.equal(pods.length, 5, 'no duplicate pods after the handover');
  });

  test('a node whose k8ts sim process dies goes NotReady and its pods are evicted and rescheduled', async () => {
    remote = start(['sim', '--kubeconfig', cluster.kubeconfig, '--nodes', '1', '--sim-name-prefix', 'remote-', '--sim-labels', 'pool=remote', '--sim-pod-start-delay', '150ms']);
    await until('remote-0 Ready', async () => {
      const r = await cluster.kubectl(['get', 'node', 'remote-0', '-o', 'json']);
      return r.code === 0 && (JSON.parse(r.stdout) as Node).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, 20_000, 250);
    // Preferring the remote node puts the pods there; tolerating unreachable for 2 s evicts them soon after it is lost.
    const deployment: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'movable', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'movable' } },
        template: {
          metadata: { labels: { app: 'movable' } },
          spec: {
            affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'pool', operator: 'In', values: ['remote'] }] } }] } },
            tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }],
            containers: [{ name: 'app', image: 'nginx' }],
          },
        },
      },
    };
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: manifest(deployment) }));
    assert.match(ok(await cluster.kubectl(['rollout', 'status', 'deployment/movable', '--timeout=60s'])), /successfully rolled out/);
    const onRemote = (await get<{ items: Pod[] }>('pods', '-l', 'app=movable')).items;
    assert.deepEqual(onRemote.map((p) => p.spec?.nodeName), ['remote-0', 'remote-0']);

    // kill -9: no more Lease renewals or status posts from the node.
    await remote.stop('SIGKILL');
    const lost = await until('remote-0 NotReady', async () => {
      const row = ok(await cluster.kubectl(['get', 'node', 'remote-0', '--no-headers']));
      return /^remote-0\s+NotReady\s/.test(row) ? row : undefined;
    }, 60_000, 500);
    assert.match(lost, /NotReady/);
    const taints = (await get<Node>('node', 'remote-0')).spec?.taints ?? [];
    assert.ok(taints.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute'), JSON.stringify(taints));
    // The evicted pods are replaced on the nodes still heartbeating.
    const moved = await until('two movable pods Running elsewhere', async () => {
      const pods = (await get<{ items: Pod[] }>('pods', '-l', 'app=movable')).items.filter((p) => !p.metadata?.deletionTimestamp);
      return pods.length === 2 && pods.every((p) => p.spec?.nodeName !== 'remote-0' && p.status?.phase === 'Running') ? pods : undefined;
    }, 30_000, 250);
    assert.ok(moved.every((p) => p.spec?.nodeName?.startsWith('sim-node-')));
    for (const p of onRemote) {
      const r = await cluster.kubectl(['get', 'pod', p.metadata!.name!, '-o', 'json']);
      // Evicted: deleted outright, or terminating until the lost node confirms (it never will).
      if (r.code === 0) assert.ok((JSON.parse(r.stdout) as Pod).metadata?.deletionTimestamp, `${p.metadata!.name} not evicted`);
    }
    assert.match(ok(await cluster.kubectl(['rollout', 'status', 'deployment/movable', '--timeout=30s'])), /successfully rolled out/);
  });
});
