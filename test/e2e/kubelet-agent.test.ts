/**
 * The node agent as its own process, `k8ts agent --server --token`, joining a `k8ts up` that runs no node agent
 * of its own; and node-pressure eviction with a memory threshold the machine is always under. Both need root,
 * containerd, runc and the CNI plugins (CI installs them).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { k8tsBin, startCluster, type TestCluster } from '../helpers/cluster.js';
import { ensureTestImages, testImage } from '../helpers/images.js';
import { ok } from '../helpers/kubectl-e2e.js';
import { cleanNode } from '../helpers/node-cleanup.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/wait.js';

const IMAGE = testImage('k8ts/webserver', '1.0');

async function pod(cluster: TestCluster, name: string): Promise<Pod> {
  return JSON.parse(ok(await cluster.kubectl(['get', 'pod', name, '-o', 'json']))) as Pod;
}

describe('k8ts agent joins a cluster (root, containerd)', () => {
  let cluster: TestCluster;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let agent: ChildProcess;
  let agentErr = '';
  const agentDir = (): string => join(dir.path, 'agent');

  before(async () => {
    await ensureTestImages();
    dir = await tempDir('k8ts-agent-');
    const tokens = join(dir.path, 'tokens.csv');
    await writeFile(tokens, 'agent-token,system:node:joined,node-joined,"system:nodes,system:masters"\n');
    cluster = await startCluster({ controllerManager: true, args: ['--token-auth-file', tokens] });
    agent = spawn(
      process.execPath,
      [k8tsBin, 'agent', '--server', cluster.url, '--token', 'agent-token', '--certificate-authority', join(cluster.dataDir, 'pki', 'ca.crt'), '--data-dir', agentDir(), '--hostname-override', 'joined', '--pod-cidr', '10.250.10.0/24', '--kubelet-port', '0'],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, K8TS_LOG_LEVEL: 'warn' } },
    );
    agent.stderr!.on('data', (c: Buffer) => (agentErr += c.toString()));
  });
  after(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await cluster?.stop();
    await cleanNode(agentDir(), '10.250.10.0/24');
    await dir?.remove();
  });

  test('the joined node registers Ready and runs a pod whose logs kubectl reads through it', async () => {
    const node = await until('node joined Ready', async () => {
      const r = await cluster.kubectl(['get', 'node', 'joined', '-o', 'json']);
      const n = r.code === 0 ? (JSON.parse(r.stdout) as Node) : undefined;
      return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && n;
    }, 30_000, 200).catch((err: Error) => {
      throw new Error(`${err.message}; agent: ${agentErr}`);
    });
    assert.ok((node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0) > 0);
    assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], 'joined');
    const lease = JSON.parse(ok(await cluster.kubectl(['get', 'lease', 'joined', '-n', 'kube-node-lease', '-o', 'json']))) as { spec: { holderIdentity: string } };
    assert.equal(lease.spec.holderIdentity, 'joined');

    ok(await cluster.kubectl(['run', 'hello', `--image=${IMAGE}`, '--restart=Never', '--', 'sh', '-c', 'echo hello from $(hostname)']));
    const done = await until('hello Succeeded', async () => {
      const p = await pod(cluster, 'hello');
      return p.status?.phase === 'Succeeded' && p;
    }, 60_000, 250);
    assert.equal(done.spec?.nodeName, 'joined');
    assert.equal(ok(await cluster.kubectl(['logs', 'hello'])), 'hello from hello\n');
  });
});

describe('node-pressure eviction (root, containerd)', () => {
  let cluster: TestCluster;

  before(async () => {
    await ensureTestImages();
    // A threshold above any machine's free memory: the node is under memory pressure from its first round.
    cluster = await startCluster({ kubelet: true, args: ['--pod-cidr', '10.250.11.0/24', '--kubelet-port', '0', '--eviction-hard', 'memory.available<1000Ti'] });
    await until('the node is registered', async () => (await cluster.kubectl(['get', 'nodes', '-o', 'name'])).stdout.trim(), 30_000);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('pods are evicted one by one, the one using more than it requested first, with the kubelet\'s message', async () => {
    const nodeName = (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const manifest = (name: string, resources: object): object => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { nodeName, terminationGracePeriodSeconds: 1, automountServiceAccountToken: false, containers: [{ name: 'app', image: IMAGE, command: ['sleep', '3600'], resources }] },
    });
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest('guaranteed', { requests: { memory: '64Mi', cpu: '10m' }, limits: { memory: '64Mi', cpu: '10m' } })) }));
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest('besteffort', {})) }));
    const first = await until('one pod evicted', async () => {
      for (const name of ['besteffort', 'guaranteed']) {
        const p = await pod(cluster, name);
        if (p.status?.reason === 'Evicted') return p;
      }
      return undefined;
    }, 40_000, 250);
    assert.equal(first.metadata?.name, 'besteffort');
    assert.equal(first.status?.phase, 'Failed');
    assert.match(first.status?.message ?? '', /^The node was low on resource: memory\. Threshold quantity: 1000Ti, available: \d+Ki\. /);
    assert.equal(first.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason, 'TerminationByKubelet');
    await until('MemoryPressure in describe node', async () => /MemoryPressure\s+True\s+.*KubeletHasInsufficientMemory/.test((await cluster.kubectl(['describe', 'node', nodeName])).stdout), 20_000, 500);
  });
});
