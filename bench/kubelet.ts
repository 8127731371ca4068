/**
 * `npm run bench -- kubelet`: the node agent on real containers (root, containerd). `k8ts up` runs the control
 * plane (`--disable kubelet`); the node agent runs as its own process (`k8ts agent`), so its CPU and RSS are its
 * own. Pods (image present) are created at 10/s on the one node; a watch records when each is Running and Ready.
 * Then, with 100 pods running, the agent's CPU and RSS while nothing changes.
 *
 * Environment: K8TS_BENCH_KUBELET_PODS (100), K8TS_BENCH_KUBELET_COMPLEX_PODS (30), K8TS_BENCH_KUBELET_IDLE_SECONDS (30);
 * K8TS_BENCH_CPU_PROF=<dir> writes CPU profiles of the server and the agent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { Client } from '../src/client/client.js';
import { transportFromKubeconfig } from '../src/client/https-transport.js';
import { NODES, PODS } from '../src/client/resources.js';
import type { KubeObject } from '../src/client/types.js';
import { ensureTestImages, testImage } from '../test/helpers/images.js';
import { cleanNode } from '../test/helpers/node-cleanup.js';
import { tempDir } from '../test/helpers/tmp.js';
import type { BenchRow, Check } from './report.js';
import { cpuMs, rssMB, startServer, type RunningServer } from './server.js';
import { machineCpuNanos } from '../src/kubelet/stats/summary.js';

const k8tsBin = fileURLToPath(new URL('../../bin/k8ts.js', import.meta.url));
const NODE = 'bench-node';
const TOKEN = 'kubelet-bench-token';

type PodObject = Pod & KubeObject;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function podSpec(name: string, complex: boolean): PodObject {
  const image = testImage('k8ts/webserver', '1.0');
  const c = (n: string, command: string[]): Container => ({ name: n, image, imagePullPolicy: 'IfNotPresent', command });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { bench: 'kubelet' } },
    spec: {
      nodeName: NODE,
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      ...(complex ? { initContainers: [c('init-a', ['true']), c('init-b', ['true'])] } : {}),
      containers: complex ? [c('main', ['sleep', '3600']), c('helper', ['sleep', '3600'])] : [c('main', ['sleep', '3600'])],
    },
  } as PodObject;
}

/** Creates `count` pods at `perSecond` and resolves with each one's create->Running and create->Ready in ms. */
async function startupLatency(client: Client, prefix: string, count: number, perSecond: number, complex: boolean): Promise<{ running: number[]; ready: number[] }> {
  const pods = client.resource<PodObject>(PODS).namespace('default');
  const created = new Map<string, number>();
  const running = new Map<string, number>();
  const ready = new Map<string, number>();
  const list = await pods.list({ labelSelector: 'bench=kubelet' });
  const watch = await pods.watch({ labelSelector: 'bench=kubelet', resourceVersion: list.metadata.resourceVersion });
  const done = (async () => {
    for await (const ev of watch) {
      const p = ev.object as PodObject;
      const name = p.metadata?.name ?? '';
      const t0 = created.get(name);
      if (t0 === undefined) continue;
      const now = performance.now();
      if (p.status?.phase === 'Running' && !running.has(name)) running.set(name, now - t0);
      if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !ready.has(name)) ready.set(name, now - t0);
      if (ready.size === count) break;
    }
  })();
  const began = performance.now();
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${i}`;
    await sleep(Math.max(0, began + (i * 1000) / perSecond - performance.now()));
    created.set(name, performance.now());
    await pods.create(podSpec(name, complex));
  }
  await Promise.race([done, sleep(120_000).then(() => Promise.reject(new Error(`only ${ready.size}/${count} pods became Ready in 120 s`)))]);
  watch.stop();
  return { running: [...running.values()].sort((a, b) => a - b), ready: [...ready.values()].sort((a, b) => a - b) };
}

async function waitNodeReady(client: Client): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const node = await client.resource(NODES).get(NODE);
      if ((node as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    } catch {
      // not registered yet
    }
    await sleep(100);
  }
  throw new Error('the bench node did not become Ready in 30 s');
}

export async function kubeletBench(log: (s: string) => void): Promise<{ rows: BenchRow[]; checks: Check[] }> {
  const simple = Number(process.env.K8TS_BENCH_KUBELET_PODS ?? 100);
  const complexCount = Number(process.env.K8TS_BENCH_KUBELET_COMPLEX_PODS ?? 30);
  const idleSeconds = Number(process.env.K8TS_BENCH_KUBELET_IDLE_SECONDS ?? 30);
  const rows: BenchRow[] = [];
  const checks: Check[] = [];
  const dir = await tempDir('k8ts-bench-kubelet-');
  const agentDir = join(dir.path, 'agent');
  let server: RunningServer | undefined;
  let agent: ChildProcess | undefined;
  let client: Client | undefined;
  try {
    await ensureTestImages();
    const tokens = join(dir.path, 'tokens.csv');
    await writeFile(tokens, `${TOKEN},system:node:${NODE},node-${NODE},"system:nodes,system:masters"\n`);
    server = await startServer(dir.path, ['--token-auth-file', tokens]);
    const url = /apiserver ready at (https:\/\/\S+)/.exec(server.stderr())![1]!;
    const prof = process.env.K8TS_BENCH_CPU_PROF;
    agent = spawn(
      process.execPath,
      [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), k8tsBin, 'agent', '--server', url, '--token', TOKEN, '--certificate-authority', join(dir.path, 'pki', 'ca.crt'), '--data-dir', agentDir, '--hostname-override', NODE, '--pod-cidr', '10.250.9.0/24', '--kubelet-port', '0'],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, K8TS_LOG_LEVEL: process.env.K8TS_LOG_LEVEL ?? 'warn' } },
    );
    let agentErr = '';
    agent.stderr!.on('data', (c: Buffer) => (agentErr = (agentErr + c.toString()).slice(-8000)));
    client = new Client(transportFromKubeconfig(server.kubeconfig, { maxSockets: 16 }), 'kubelet-bench');
    await waitNodeReady(client).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}: ${agentErr}`);
    });
    log('node Ready; warming up (image pull)');
    await startupLatency(client, 'warmup', 2, 10, true);

    // One at a time: what a pod's start costs when containerd is not queueing behind other pods.
    const oneAtATime = async (prefix: string, n: number, complex: boolean): Promise<number[]> => {
      const ready: number[] = [];
      for (let i = 0; i < n; i++) ready.push(...(await startupLatency(client!, `${prefix}${i}`, 1, 10, complex)).ready);
      return ready.sort((x, y) => x - y);
    };
    const serial = { ready: await oneAtATime('serial', 20, false) };
    const serialComplex = await oneAtATime('serial-complex', 10, true);

    log(`${simple} pods at 10/s`);
    const cpu0 = { machine: machineCpuNanos() / 1e6, agent: cpuMs(agent.pid!), server: cpuMs(server.pid) };
    const plain = await startupLatency(client, 'plain', simple, 10, false);
    const used = { machine: machineCpuNanos() / 1e6 - cpu0.machine, agent: cpuMs(agent.pid!) - cpu0.agent, server: cpuMs(server.pid) - cpu0.server };
    log(`CPU per pod started: machine ${(used.machine / simple).toFixed(0)} ms (agent ${(used.agent / simple).toFixed(0)} ms, apiserver+controllers ${(used.server / simple).toFixed(0)} ms, containerd/shims/runc/CNI ${((used.machine - used.agent - used.server) / simple).toFixed(0)} ms)`);
    log(`${complexCount} pods with 2 init containers and 2 containers at 10/s`);
    const complex = await startupLatency(client, 'complex', complexCount, 10, true);
    const backend = 'k8ts agent (containerd 1.6, one node)';
    const report = (what: string, ms: number[], n: number): void => {
      rows.push({ suite: 'kubelet', backend, step: `${what} p50`, value: percentile(ms, 50), unit: 'ms', note: `${n} pods created at 10/s` });
      rows.push({ suite: 'kubelet', backend, step: `${what} p99`, value: percentile(ms, 99), unit: 'ms' });
    };
    rows.push({ suite: 'kubelet', backend, step: 'one pod at a time: create -> Ready p50', value: percentile(serial.ready, 50), unit: 'ms', note: '20 pods, each created once the previous was Ready' });
    rows.push({ suite: 'kubelet', backend, step: 'one pod at a time: create -> Ready p99', value: percentile(serial.ready, 99), unit: 'ms' });
    rows.push({ suite: 'kubelet', backend, step: '2 init + 2 containers, one at a time: create -> Ready p50', value: percentile(serialComplex, 50), unit: 'ms', note: '10 pods' });
    rows.push({ suite: 'kubelet', backend, step: '2 init + 2 containers, one at a time: create -> Ready p99', value: percentile(serialComplex, 99), unit: 'ms' });
    rows.push({ suite: 'kubelet', backend, step: 'CPU per pod started, whole machine', value: used.machine / simple, unit: 'ms', note: `node agent ${(used.agent / simple).toFixed(0)} ms, apiserver+controllers ${(used.server / simple).toFixed(0)} ms, containerd+shims+runc+CNI ${((used.machine - used.agent - used.server) / simple).toFixed(0)} ms` });
    report('create -> Running', plain.running, simple);
    report('create -> Ready', plain.ready, simple);
    report('2 init + 2 containers: create -> Running', complex.running, complexCount);
    report('2 init + 2 containers: create -> Ready', complex.ready, complexCount);
    checks.push({ target: 'pod startup p50 <= 300 ms', actual: `${percentile(plain.ready, 50).toFixed(0)} ms (create -> Ready)`, ok: percentile(plain.ready, 50) <= 300 });
    checks.push({ target: 'pod startup p99 <= 1 s', actual: `${percentile(plain.ready, 99).toFixed(0)} ms (create -> Ready)`, ok: percentile(plain.ready, 99) <= 1000 });

    // Steady state: the plain pods (and the complex ones) keep running; nothing changes.
    const runningPods = simple + complexCount + 2 + 20 + 10;
    await sleep(5000);
    const c0 = cpuMs(agent.pid!);
    const t0 = performance.now();
    await sleep(idleSeconds * 1000);
    const cpu = ((cpuMs(agent.pid!) - c0) / (performance.now() - t0)) * 100;
    const rss = rssMB(agent.pid!);
    rows.push({ suite: 'kubelet', backend, step: `idle CPU with ${runningPods} running pods`, value: cpu, unit: '% core', note: `over ${idleSeconds} s` });
    rows.push({ suite: 'kubelet', backend, step: `RSS with ${runningPods} running pods`, value: rss, unit: 'MB' });
    checks.push({ target: 'node agent idle CPU < 3% of a core (100 pods)', actual: `${cpu.toFixed(1)}%`, ok: cpu < 3 });
    checks.push({ target: 'node agent RSS <= 150 MB (100 pods)', actual: `${rss.toFixed(0)} MB`, ok: rss <= 150 });
  } finally {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
    }
    client?.close();
    await server?.stop();
    await cleanNode(agentDir, '10.250.9.0/24');
    await dir.remove();
  }
  return { rows, checks };
}
