/**
 * `npm run bench -- scheduler`: the scheduler, then end to end against the real `k8ts up` (endToEnd below); first
 * in process (no HTTP): scheduling cycles per second on 5,000 nodes
 * (32 cpu, 256Gi, 110 pods, 3 zones) already running 10,000 pods, for plain pods, pods with required
 * anti-affinity on the hostname, and pods spread over zones (maxSkew 1, DoNotSchedule). The binder is an
 * in-memory fake that confirms each binding as the informer would.
 *
 * Environment: K8TS_BENCH_SCHED_NODES, K8TS_BENCH_SCHED_EXISTING and K8TS_BENCH_SCHED_PODS change the sizes;
 * K8TS_BENCH_SCHED_CASES=plain,anti-affinity,topology spread,replicaset pods picks cases ("" none). The last case (pods
 * owned by ReplicaSets, so kube's default zone/host spreading scores them) has no target in the issue.
 * K8TS_BENCH_SCHED_SCALE=5000x150000 is the `k8ts up --sim-nodes` scale case (nodes x pods; "" skips it), with
 * K8TS_BENCH_SCHED_SETTLE_SECONDS (60) of quiet before the RSS is read.
 */
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { tempDir } from '../test/helpers/tmp.js';
import type { SchedulerE2EReport, SchedulerScaleReport } from './scheduler-client.js';
import { rssMB, runClient, startServer, type RunningServer } from './server.js';
import { percentile, type BenchRow, type Check } from './report.js';

const schedulerClient = fileURLToPath(new URL('./scheduler-client.js', import.meta.url));

const NODES = Number(process.env.K8TS_BENCH_SCHED_NODES ?? 5000);
const EXISTING = Number(process.env.K8TS_BENCH_SCHED_EXISTING ?? 10_000);
const PODS = Number(process.env.K8TS_BENCH_SCHED_PODS ?? 5000);
const ZONES = ['zone-a', 'zone-b', 'zone-c'];

function node(i: number): Node {
  const name = `node-${i}`;
  return {
    metadata: { name, uid: `n-${i}`, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': ZONES[i % 3]! } },
    spec: {},
    status: { allocatable: { cpu: '32', memory: '256Gi', pods: '110' }, capacity: { cpu: '32', memory: '256Gi', pods: '110' } },
  };
}

let uid = 0;
function pod(name: string, labels: Record<string, string>, extra: Pod['spec'] = { containers: [] }): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `p-${++uid}`, labels },
    spec: {
      ...extra,
      containers: [{ name: 'c', image: 'registry.local/app:1', resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
    },
  };
}

type Kind = 'plain' | 'anti-affinity' | 'topology spread' | 'replicaset pods';

function workload(kind: Kind, i: number): Pod {
  if (kind === 'plain') return pod(`plain-${i}`, { app: `web-${i % 50}` });
  if (kind === 'replicaset pods') {
    // Owned by one of 50 ReplicaSets, so the cluster default spreading constraints apply when scoring.
    const p = pod(`rs-${i}`, { app: `web-${i % 50}` });
    p.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `web-${i % 50}`, uid: `rs-${i % 50}`, controller: true }];
    return p;
  }
  if (kind === 'anti-affinity') {
    const labels = { app: 'anti' };
    return pod(`anti-${i}`, labels, {
      containers: [],
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' }] } },
    });
  }
  const labels = { app: 'spread' };
  return pod(`spread-${i}`, labels, {
    containers: [],
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } }],
  });
}

interface CaseResult {
  perSecond: number;
  bound: number;
  failed: number;
  cycleMs: number[];
}

const replicaSets = Array.from({ length: 50 }, (_, i) => ({
  metadata: { name: `web-${i}`, namespace: 'default' },
  spec: { selector: { matchLabels: { app: `web-${i}` } }, template: {} },
}));

async function runCase(kind: Kind, count: number, log: (s: string) => void): Promise<CaseResult> {
  let sched!: Scheduler;
  let boundCount = 0;
  let failed = 0;
  sched = new Scheduler({
    binder: {
      async bind(p, nodeName) {
        boundCount++;
        sched.onPodUpdate(p, { ...p, spec: { ...p.spec!, nodeName } });
      },
    },
    onFailure: () => failed++,
    listers: {
      replicaSets: () => replicaSets,
    },
  });
  for (let i = 0; i < NODES; i++) sched.onNodeAdd(node(i));
  // Existing pods: bound directly, spread round-robin, with the label sets the workload pods do not use.
  for (let i = 0; i < EXISTING; i++) sched.onPodAdd({ ...pod(`existing-${i}`, { app: `old-${i % 50}` }), spec: { ...pod('x', {}).spec!, nodeName: `node-${i % NODES}` } });
  for (let i = 0; i < count; i++) sched.onPodAdd(workload(kind, i));
  log(`${kind}: ${NODES} nodes, ${EXISTING} existing pods, scheduling ${count}`);
  const cycleMs: number[] = [];
  const t0 = performance.now();
  let n = 0;
  for (;;) {
    const c0 = performance.now();
    if (!sched.scheduleOne()) break;
    cycleMs.push(performance.now() - c0);
    // Let the binding cycles (and the confirming updates) run, as the event loop would between pods.
    if (++n % 100 === 0) await sched.waitForBindings();
  }
  await sched.waitForBindings();
  const elapsed = (performance.now() - t0) / 1000;
  sched.stop();
  return { perSecond: count / elapsed, bound: boundCount, failed, cycleMs };
}

/** The scheduler benchmark suite. */
export async function schedulerBench(log: (s: string) => void): Promise<{ rows: BenchRow[]; checks: Check[] }> {
  const rows: BenchRow[] = [];
  const checks: Check[] = [];
  const targets: Partial<Record<Kind, number>> = { plain: 5000, 'anti-affinity': 1000, 'topology spread': 1000 };
  const kinds = (process.env.K8TS_BENCH_SCHED_CASES ?? 'plain,anti-affinity,topology spread,replicaset pods').split(',').filter(Boolean) as Kind[];
  for (const kind of kinds) {
    // Anti-affinity on hostname allows one pod per node.
    const count = kind === 'anti-affinity' ? Math.min(PODS, NODES) : PODS;
    const r = await runCase(kind, count, log);
    rows.push({
      suite: 'scheduler',
      backend: 'in-process',
      step: `${kind} (${NODES} nodes, ${EXISTING} existing)`,
      value: r.perSecond,
      unit: 'pods/s',
      p50: percentile(r.cycleMs, 50),
      p99: percentile(r.cycleMs, 99),
      note: `${r.bound}/${count} bound${r.failed ? `, ${r.failed} failed attempts` : ''}`,
    });
    const target = targets[kind];
    if (target !== undefined) checks.push({ target: `in process ${kind} >= ${target.toLocaleString('en-US')} pods/s`, actual: `${r.perSecond.toFixed(0)}/s (${r.bound}/${count} bound)`, ok: r.perSecond >= target && r.bound === count });
  }
  await endToEnd(rows, checks, log);
  await simScale(rows, checks, log);
  return { rows, checks };
}

/**
 * The end-to-end cases: the real `k8ts up` (scheduler and controllers in-process), nodes and pods created by a
 * separate client process over HTTPS (bench/scheduler-client.ts). K8TS_BENCH_SCHED_E2E=500x5000,5000x10000
 * chooses the nodes x pods cases ("" skips them).
 */
async function endToEnd(rows: BenchRow[], checks: Check[], log: (s: string) => void): Promise<void> {
  const cases = (process.env.K8TS_BENCH_SCHED_E2E ?? '500x5000,5000x10000').split(',').filter(Boolean).map((c) => c.split('x').map(Number) as [number, number]);
  const targets: Record<string, number> = { '500x5000': 600, '5000x10000': 250 };
  for (const [nodes, pods] of cases) {
    const dir = await tempDir('k8ts-bench-sched-');
    let server: RunningServer | undefined;
    try {
      server = await startServer(dir.path, []);
      log(`end to end: ${nodes} nodes, ${pods} pods`);
      const r = await runClient<SchedulerE2EReport>(schedulerClient, 'e2e', server, log, [String(nodes), String(pods)]);
      const perSecond = (pods / r.allBoundMs) * 1000;
      const step = `end to end ${nodes} nodes / ${pods} pods`;
      rows.push({ suite: 'scheduler', backend: 'k8ts up (sqlite)', step, value: perSecond, unit: 'pods/s', note: `all bound ${(r.allBoundMs / 1000).toFixed(1)} s after the first create; creates took ${(r.createMs / 1000).toFixed(1)} s; server CPU ${(r.serverCpuMs / 1000).toFixed(1)} s; RSS ${rssMB(server.pid).toFixed(0)} MB` });
      rows.push({ suite: 'scheduler', backend: 'k8ts up (sqlite)', step: `register ${nodes} nodes + leases`, value: (nodes / r.registerMs) * 1000, unit: 'nodes/s' });
      const target = targets[`${nodes}x${pods}`];
      if (target !== undefined) checks.push({ target: `end to end ${nodes} nodes / ${pods} pods >= ${target} pods/s`, actual: `${perSecond.toFixed(0)}/s`, ok: perSecond >= target });
    } finally {
      await server?.stop();
      await dir.remove();
    }
  }
}

/**
 * The scale case: `k8ts up --sim-nodes N` holding P pods (created over HTTPS by 32 clients, Running on the
 * simulated nodes), then quiet for a while: the server's RSS, and whether every node stayed Ready.
 */
async function simScale(rows: BenchRow[], checks: Check[], log: (s: string) => void): Promise<void> {
  const spec = process.env.K8TS_BENCH_SCHED_SCALE ?? '5000x150000';
  if (!spec) return;
  const [nodes, pods] = spec.split('x').map(Number) as [number, number];
  const settle = process.env.K8TS_BENCH_SCHED_SETTLE_SECONDS ?? '60';
  const dir = await tempDir('k8ts-bench-scale-');
  let server: RunningServer | undefined;
  try {
    server = await startServer(dir.path, ['--sim-nodes', String(nodes), '--sim-pod-start-delay', '1s']);
    log(`scale: --sim-nodes ${nodes}, ${pods} pods`);
    const r = await runClient<SchedulerScaleReport>(schedulerClient, 'scale', server, log, [String(nodes), String(pods), settle]);
    const backend = `k8ts up (sqlite, ${nodes} sim nodes)`;
    rows.push({ suite: 'scheduler', backend, step: `RSS with ${pods} pods Running`, value: r.rssMB, unit: 'MB', note: `after ${r.settleSeconds} s quiet; peak ${r.peakRssMB.toFixed(0)} MB; V8 heap ${r.heapUsedMB.toFixed(0)} MB used of ${r.heapTotalMB.toFixed(0)} MB; all Running ${(r.allRunningMs / 1000).toFixed(0)} s after the first create` });
    rows.push({ suite: 'scheduler', backend, step: `nodes Ready with ${pods} pods`, value: r.readyAtEnd, unit: 'nodes', note: `${r.notReadyEver} ever seen not Ready` });
    checks.push({ target: `--sim-nodes ${nodes} with ${pods} pods: RSS <= 2 GB`, actual: `${r.rssMB.toFixed(0)} MB (peak ${r.peakRssMB.toFixed(0)} MB)`, ok: r.rssMB <= 2048 });
    checks.push({ target: 'every node stays Ready', actual: `${r.readyAtEnd}/${nodes} Ready at the end, ${r.notReadyEver} ever not Ready`, ok: r.readyAtEnd === nodes && r.notReadyEver === 0 });
  } finally {
    await server?.stop();
    await dir.remove();
  }
}
