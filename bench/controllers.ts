/**
 * `npm run bench -- controllers`: the real `k8ts up` with simulated nodes, its controllers and scheduler
 * in-process, driven by a separate client process (bench/controllers-client.ts): D Deployments of R replicas
 * created at once until all are available, a rolling update of all of them until complete, then the server's
 * CPU while nothing changes.
 *
 * Environment: K8TS_BENCH_CTRL_NODES (1000), K8TS_BENCH_CTRL_DEPLOYMENTS (100), K8TS_BENCH_CTRL_REPLICAS (100),
 * K8TS_BENCH_CTRL_IDLE_SECONDS (30).
 *
 * Then the steady state (steadyState below): `k8ts up --sim-nodes 5000 --disable controller-manager` with
 * `k8ts controller-manager` as its own process, 100 Deployments of 1,000 pods, and the controller manager's
 * CPU and RSS while nothing changes. K8TS_BENCH_CTRL_STEADY=5000x100x1000 (nodes x deployments x replicas;
 * "" skips it).
 */
import { fileURLToPath } from 'node:url';
import { tempDir } from '../test/helpers/tmp.js';
import type { ControllersReport, SteadyReport } from './controllers-client.js';
import type { BenchRow, Check } from './report.js';
import { rssMB, runClient, startComponent, startServer, type RunningComponent, type RunningServer } from './server.js';

const client = fileURLToPath(new URL('./controllers-client.js', import.meta.url));

export async function controllersBench(log: (s: string) => void): Promise<{ rows: BenchRow[]; checks: Check[] }> {
  const nodes = Number(process.env.K8TS_BENCH_CTRL_NODES ?? 1000);
  const deployments = Number(process.env.K8TS_BENCH_CTRL_DEPLOYMENTS ?? 100);
  const replicas = Number(process.env.K8TS_BENCH_CTRL_REPLICAS ?? 100);
  const idle = Number(process.env.K8TS_BENCH_CTRL_IDLE_SECONDS ?? 30);
  const rows: BenchRow[] = [];
  const checks: Check[] = [];
  const dir = await tempDir('k8ts-bench-ctrl-');
  let server: RunningServer | undefined;
  try {
    server = await startServer(dir.path, ['--sim-nodes', String(nodes), '--sim-pod-start-delay', '1s']);
    log(`${deployments} deployments x ${replicas} replicas on ${nodes} simulated nodes`);
    const r = await runClient<ControllersReport>(client, 'rollout', server, log, [String(deployments), String(replicas), String(idle)]);
    const pods = deployments * replicas;
    const backend = `k8ts up (sqlite, ${nodes} sim nodes)`;
    rows.push({ suite: 'controllers', backend, step: `${deployments} deployments x ${replicas} available`, value: r.availableMs / 1000, unit: 's', note: `${pods} pods, ${(pods / (r.availableMs / 1000)).toFixed(0)} pods/s` });
    rows.push({ suite: 'controllers', backend, step: `rolling update of all ${deployments}`, value: r.rolloutMs / 1000, unit: 's' });
    rows.push({ suite: 'controllers', backend, step: `idle CPU with ${pods} pods`, value: r.idleCpuPercent, unit: '% core', note: `over ${r.idleSeconds} s, whole server (apiserver, controllers, scheduler, simulated nodes); RSS ${rssMB(server.pid).toFixed(0)} MB` });
    if (deployments === 100 && replicas === 100) checks.push({ target: '10,000 pods from 100 Deployments available <= 60 s', actual: `${(r.availableMs / 1000).toFixed(1)} s`, ok: r.availableMs <= 60_000 });
  } finally {
    await server?.stop();
    await dir.remove();
  }
  await steadyState(rows, checks, log, idle);
  return { rows, checks };
}

/** The steady state: the controller manager's own CPU and RSS with N nodes and D x R pods, all quiet. */
async function steadyState(rows: BenchRow[], checks: Check[], log: (s: string) => void, idle: number): Promise<void> {
  const spec = process.env.K8TS_BENCH_CTRL_STEADY ?? '5000x100x1000';
  if (!spec) return;
  const [nodes, deployments, replicas] = spec.split('x').map(Number) as [number, number, number];
  const dir = await tempDir('k8ts-bench-steady-');
  let server: RunningServer | undefined;
  let manager: RunningComponent | undefined;
  try {
    server = await startServer(dir.path, ['--sim-nodes', String(nodes), '--sim-pod-start-delay', '1s', '--disable', 'controller-manager']);
    manager = startComponent(['controller-manager', '--kubeconfig', server.kubeconfig, '--service-account-private-key-file', `${dir.path}/pki/sa.key`]);
    log(`steady state: ${deployments} deployments x ${replicas} replicas on ${nodes} simulated nodes, controller manager as its own process`);
    const r = await runClient<SteadyReport>(client, 'steady', server, log, [String(deployments), String(replicas), String(idle), String(manager.pid)]);
    const pods = deployments * replicas;
    const backend = `k8ts controller-manager + k8ts up (sqlite, ${nodes} sim nodes)`;
    rows.push({ suite: 'controllers', backend, step: `${deployments} deployments x ${replicas} available`, value: r.availableMs / 1000, unit: 's', note: `${pods} pods` });
    rows.push({ suite: 'controllers', backend, step: `idle controller-manager CPU with ${pods} pods`, value: r.controllerManagerCpuPercent, unit: '% core', note: `over ${r.idleSeconds} s; controller-manager RSS ${r.controllerManagerRssMB.toFixed(0)} MB; server ${r.serverCpuPercent.toFixed(1)}% core, RSS ${r.serverRssMB.toFixed(0)} MB` });
    checks.push({ target: `idle controller-manager CPU < 5% of a core (${nodes} nodes, ${pods} pods)`, actual: `${r.controllerManagerCpuPercent.toFixed(1)}%`, ok: r.controllerManagerCpuPercent < 5 });
  } finally {
    await manager?.stop();
    await server?.stop();
    await dir.remove();
  }
}
