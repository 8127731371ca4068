/**
 * The client side of the end-to-end cases of `npm run bench -- scheduler`, run as its own process so the load
 * generator does not share the server's event loop. It registers N fake nodes (32 cpu, 256Gi, 110 pods, 3
 * zones) and renews their Leases every 10 s as kubelets would, then creates P pods (100m / 128Mi, 50 label
 * sets) from 32 concurrent clients over HTTPS, and measures from the first create until a watch has seen every
 * pod bound. Prints one JSON report on stdout; progress on stderr.
 *
 *   node dist/bench/scheduler-client.js e2e <kubeconfig> <server pid> <nodes> <pods>
 *
 * The `scale` mode is for a server started with `--sim-nodes N`: it creates P pods the same way, waits until
 * the simulated nodes have them all Running, lets the cluster settle, and reports the server's RSS and whether
 * every node stayed Ready throughout (a watch on Nodes sees every condition change).
 *
 *   node dist/bench/scheduler-client.js scale <kubeconfig> <server pid> <nodes> <pods> <settle seconds>
 */
import { cpuMs, rssMB } from './server.js';
import { performance } from 'node:perf_hooks';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { builtinResource } from '../src/client/resources.js';
import { Client } from '../src/client/client.js';
import { transportFromKubeconfig } from '../src/client/https-transport.js';
import type { KubeObject } from '../src/client/types.js';
import { inParallel } from '../test/helpers/parallel.js';
import { microTime, rfc3339 } from '../src/apimachinery/time.js';

export interface SchedulerE2EReport {
  nodes: number;
  pods: number;
  registerMs: number;
  createMs: number;
  /** First create to the last pod seen bound. */
  allBoundMs: number;
  serverCpuMs: number;
}

const CLIENTS = 32;
const LABEL_SETS = 50;
const [, , mode, kubeconfig, serverPid, nodeArg, podArg, settleArg] = process.argv;
const NODES = Number(nodeArg);
const PODS = Number(podArg);

const log = (s: string): void => void process.stderr.write(`${s}\n`);

function serverCpuMs(): number {
  return cpuMs(Number(serverPid));
}


function node(i: number): Node {
  const name = `bench-node-${i}`;
  const now = rfc3339();
  const resources = { cpu: '32', memory: '256Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${i % 3}`, 'kubernetes.io/os': 'linux' } },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  };
}

function pod(ns: string, i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, namespace: ns, labels: { app: `set-${i % LABEL_SETS}` } },
    spec: { containers: [{ name: 'app', image: 'registry.local/app:1', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
  };
}

async function e2e(): Promise<SchedulerE2EReport> {
  const client = new Client(transportFromKubeconfig(kubeconfig!, { maxSockets: CLIENTS * 2 }));
  const nodes = client.resource<Node & KubeObject>(builtinResource('', 'v1', 'nodes'));
  const leases = client.resource<Lease & KubeObject>(builtinResource('coordination.k8s.io', 'v1', 'leases')).namespace('kube-node-lease');
  const lease = (i: number): Lease & KubeObject =>
    ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: `bench-node-${i}`, namespace: 'kube-node-lease' }, spec: { holderIdentity: `bench-node-${i}`, leaseDurationSeconds: 40, renewTime: microTime() } }) as Lease & KubeObject;
  const t0 = performance.now();
  await inParallel(NODES, CLIENTS, async (i) => {
    await nodes.create(node(i) as Node & KubeObject);
    await leases.create(lease(i));
  });
  const registerMs = performance.now() - t0;
  log(`${NODES} nodes and leases registered in ${registerMs.toFixed(0)} ms`);
  // Kubelets renew every 10 s: spread the renewals over the interval.
  let next = 0;
  const renewer = setInterval(() => {
    const batch = Math.ceil(NODES / 100);
    for (let k = 0; k < batch; k++) {
      const i = next++ % NODES;
      void leases.update(lease(i)).catch(() => undefined);
    }
  }, 100);

  const ns = `sched-bench-${Date.now()}`;
  await client.resource(builtinResource('', 'v1', 'namespaces')).create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } as KubeObject);
  const pods = client.resource<Pod & KubeObject>(builtinResource('', 'v1', 'pods')).namespace(ns);
  const listed = await pods.list({ limit: 1 });
  const bound = new Set<string>();
  let allBound: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allBound = resolve));
  let lastBoundAt = 0;
  const watch = await pods.watch({ resourceVersion: listed.metadata?.resourceVersion ?? '0' });
  void (async () => {
    for await (const ev of watch) {
      const p = ev.object as Pod;
      if ((ev.type === 'ADDED' || ev.type === 'MODIFIED') && p.spec?.nodeName && !bound.has(p.metadata!.name!)) {
        bound.add(p.metadata!.name!);
        if (bound.size % 1000 === 0) log(`${bound.size} pods bound`);
        if (bound.size === PODS) {
          lastBoundAt = performance.now();
          allBound();
        }
      }
    }
  })();
  const cpu0 = serverCpuMs();
  const start = performance.now();
  await inParallel(PODS, CLIENTS, async (i) => {
    await pods.create(pod(ns, i) as Pod & KubeObject);
  });
  const createMs = performance.now() - start;
  log(`${PODS} pods created in ${createMs.toFixed(0)} ms`);
  await done;
  const report: SchedulerE2EReport = { nodes: NODES, pods: PODS, registerMs, createMs, allBoundMs: lastBoundAt - start, serverCpuMs: serverCpuMs() - cpu0 };
  clearInterval(renewer);
  watch.stop();
  client.close();
  return report;
}

export interface SchedulerScaleReport {
  nodes: number;
  pods: number;
  createMs: number;
  /** First create to every pod Running. */
  allRunningMs: number;
  settleSeconds: number;
  /** Server RSS after settling, and the highest seen during the run (MB). */
  rssMB: number;
  peakRssMB: number;
  /** The server's V8 heap after settling (its /metrics): what is in use (live and not yet collected) and its size (MB). */
  heapUsedMB: number;
  heapTotalMB: number;
  /** Nodes whose Ready condition was ever seen other than True, and how many are Ready at the end. */
  notReadyEver: number;
  readyAtEnd: number;
}

const isReady = (n: Node): boolean => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Pods not yet Running, up to `limit` of them and the server's count of the rest when it gives one. */
async function notRunning(pods: ReturnType<Client['resource']>): Promise<number> {
  const page = await pods.list({ fieldSelector: 'status.phase!=Running', limit: 500 });
  return page.items.length + (page.metadata?.remainingItemCount ?? 0);
}

/** The server's heap in use and its size, from the process metrics on /metrics. */
async function heapMB(client: Client): Promise<{ heapUsedMB: number; heapTotalMB: number }> {
  const res = await client.transport.request({ method: 'GET', path: '/metrics' });
  let text = '';
  for await (const chunk of res.body) text += String(chunk);
  const metric = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024;
  return { heapUsedMB: metric('nodejs_heap_size_used_bytes'), heapTotalMB: metric('nodejs_heap_size_total_bytes') };
}

async function scale(): Promise<SchedulerScaleReport> {
  const client = new Client(transportFromKubeconfig(kubeconfig!, { maxSockets: CLIENTS * 2 }));
  const settleSeconds = Number(settleArg ?? 60);
  let peakRssMB = 0;
  const sampler = setInterval(() => (peakRssMB = Math.max(peakRssMB, rssMB(Number(serverPid)))), 1000);
  // Every node's Ready condition as the watch last saw it; a node ever seen not Ready is remembered.
  const nodes = client.resource<Node & KubeObject>(builtinResource('', 'v1', 'nodes'));
  let nodeList = await nodes.list();
  // The simulator registers its nodes after the server is ready: start once they are all there and Ready.
  while (nodeList.items.filter(isReady).length < NODES) {
    await new Promise((r) => setTimeout(r, 1000));
    nodeList = await nodes.list();
  }
  const ready = new Map<string, boolean>();
  const notReadyEver = new Set<string>();
  const observe = (name: string, r: boolean): void => {
    ready.set(name, r);
    if (!r && !notReadyEver.has(name)) {
      notReadyEver.add(name);
      log(`node ${name} is not Ready`);
    }
  };
  for (const n of nodeList.items) observe(n.metadata.name!, isReady(n));
  let watching = true;
  let nodeWatch = await nodes.watch({ resourceVersion: nodeList.metadata?.resourceVersion ?? '0' });
  void (async () => {
    while (watching) {
      for await (const ev of nodeWatch) {
        // A watch that ends (an ERROR such as 410 Gone) is resumed by a fresh list below; bookmarks carry no node.
        if (ev.type === 'ERROR') break;
        if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') continue;
        const n = ev.object as Node;
        observe(n.metadata!.name!, ev.type !== 'DELETED' && isReady(n));
      }
      if (!watching) return;
      nodeWatch.stop();
      const relisted = await nodes.list();
      for (const n of relisted.items) observe(n.metadata.name!, isReady(n));
      nodeWatch = await nodes.watch({ resourceVersion: relisted.metadata?.resourceVersion ?? '0' });
    }
  })();
  log(`${ready.size} nodes, ${[...ready.values()].filter(Boolean).length} Ready`);

  const ns = `sched-scale-${Date.now()}`;
  await client.resource(builtinResource('', 'v1', 'namespaces')).create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } as KubeObject);
  const pods = client.resource<Pod & KubeObject>(builtinResource('', 'v1', 'pods')).namespace(ns);
  const start = performance.now();
  let created = 0;
  await inParallel(PODS, CLIENTS, async (i) => {
    await pods.create(pod(ns, i) as Pod & KubeObject);
    if (++created % 10_000 === 0) log(`${created} pods created, server RSS ${rssMB(Number(serverPid)).toFixed(0)} MB`);
  });
  const createMs = performance.now() - start;
  log(`${PODS} pods created in ${(createMs / 1000).toFixed(1)} s`);
  for (;;) {
    const left = await notRunning(pods);
    if (left === 0) break;
    log(`${left} pods not Running yet, server RSS ${rssMB(Number(serverPid)).toFixed(0)} MB`);
    await new Promise((r) => setTimeout(r, 5000));
  }
  const allRunningMs = performance.now() - start;
  log(`all ${PODS} pods Running after ${(allRunningMs / 1000).toFixed(1)} s; settling for ${settleSeconds} s`);
  await new Promise((r) => setTimeout(r, settleSeconds * 1000));
  const report: SchedulerScaleReport = {
    nodes: NODES,
    pods: PODS,
    createMs,
    allRunningMs,
    settleSeconds,
    rssMB: rssMB(Number(serverPid)),
    peakRssMB,
    ...(await heapMB(client)),
    notReadyEver: notReadyEver.size,
    readyAtEnd: [...ready.values()].filter(Boolean).length,
  };
  clearInterval(sampler);
  watching = false;
  nodeWatch.stop();
  client.close();
  return report;
}

if (mode === 'e2e') process.stdout.write(JSON.stringify(await e2e()));
else if (mode === 'scale') process.stdout.write(JSON.stringify(await scale()));
else {
  log(`unknown mode ${mode}`);
  process.exit(2);
}
process.exit(0);
