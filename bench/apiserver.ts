/**
 * `npm run bench -- apiserver`: the real `k8ts up` process over HTTPS, once on SQLite and once on etcd, driven
 * by a separate client process (bench/apiserver-client.ts) that reports raw timings as JSON.
 *
 * Environment: K8TS_BENCH_BACKENDS=sqlite,etcd chooses backends; K8TS_BENCH_CPU_PROF=<dir> runs the server
 * with `node --cpu-prof` and leaves its profile there; K8TS_BENCH_FILL=<n> changes the 100,000 of the RSS step.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startEtcd } from '../test/helpers/etcd-server.js';
import { tempDir } from '../test/helpers/tmp.js';
import type { ClientReport, StepTiming } from './apiserver-client.js';
import { percentile, type BenchRow, type Check } from './report.js';

const k8tsBin = fileURLToPath(new URL('../../bin/k8ts.js', import.meta.url));
const clientScript = fileURLToPath(new URL('./apiserver-client.js', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

interface RunningServer {
  proc: ChildProcess;
  pid: number;
  kubeconfig: string;
  /** Spawn to the first `/readyz` 200 "ok", polled every 10 ms. */
  readyMs: number;
  stderr(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** One `/readyz` probe: true on 200 "ok". No pool and no CA check: the CA may not exist yet. */
function readyz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsGet({ host: '127.0.0.1', port, path: '/readyz', agent: false, rejectUnauthorized: false, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && body === 'ok'));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** RSS of a process in MB (VmRSS, or another /proc/<pid>/status field). */
function rssMB(pid: number, field = 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

/** Spawns `k8ts up` on a port chosen here (so /readyz can be polled from the first moment). */
async function startServer(dataDir: string, args: string[]): Promise<RunningServer> {
  const port = await freePort();
  const prof = process.env.K8TS_BENCH_CPU_PROF;
  const nodeArgs = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  let stderr = '';
  const t0 = performance.now();
  const proc = spawn(process.execPath, [...nodeArgs, k8tsBin, 'up', '--data-dir', dataDir, '--port', String(port), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, K8TS_LOG_LEVEL: process.env.K8TS_LOG_LEVEL ?? 'warn' },
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let announced = false;
  proc.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
    if (/apiserver ready at/.test(stderr)) announced = true;
  });
  let readyMs = NaN;
  for (;;) {
    const tick = performance.now();
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`k8ts up exited (${proc.exitCode ?? proc.signalCode}): ${stderr}`);
    if (tick - t0 > READY_TIMEOUT_MS) throw new Error(`k8ts up not ready in ${READY_TIMEOUT_MS} ms: ${stderr}`);
    if (await readyz(port)) {
      readyMs = performance.now() - t0;
      break;
    }
    const wait = 10 - (performance.now() - tick);
    if (wait > 0) await sleep(wait);
  }
  // The kubeconfig is written just after the server starts answering.
  while (!announced) {
    if (performance.now() - t0 > READY_TIMEOUT_MS) throw new Error(`k8ts up never said it was ready: ${stderr}`);
    await sleep(5);
  }
  return {
    proc,
    pid: proc.pid!,
    kubeconfig: join(dataDir, 'admin.kubeconfig'),
    readyMs,
    stderr: () => stderr,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs the client process in `mode` and resolves to its report. */
function runClient(mode: string, server: RunningServer, log: (s: string) => void, extra: string[] = []): Promise<ClientReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [clientScript, mode, server.kubeconfig, String(server.pid), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let errText = '';
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => {
      errText = (errText + c.toString()).slice(-20_000);
      for (const line of c.toString().split('\n')) if (line.trim()) log(`  client: ${line}`);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`client (${mode}) exited ${code}: ${errText}\nserver stderr: ${server.stderr().slice(-4000)}`));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString()) as ClientReport);
      } catch (err) {
        reject(err);
      }
    });
  });
}

type Results = Record<string, BenchRow>;

async function measure(backend: string, args: string[], rows: BenchRow[], log: (s: string) => void): Promise<Results> {
  const r: Results = {};
  const row = (step: string, value: number, unit: string, extra: Partial<BenchRow> = {}): void => {
    const b: BenchRow = { suite: 'apiserver', backend, step, value, unit, ...extra };
    rows.push(b);
    r[step] = b;
  };
  const cpuNote = (s: StepTiming): string =>
    `server cpu ${((s.serverCpuMs / s.wallMs) * 100).toFixed(0)}%, client cpu ${((s.clientCpuMs / s.wallMs) * 100).toFixed(0)}%`;
  const rateRow = (step: string, s: StepTiming, note = ''): void =>
    row(step, (s.count / s.wallMs) * 1000, 'ops/s', { p50: percentile(s.latencies, 50), p99: percentile(s.latencies, 99), note: [`n=${s.count}`, note, cpuNote(s)].filter(Boolean).join(', ') });
  const latencyRow = (step: string, s: StepTiming, note = ''): void =>
    row(step, percentile(s.latencies, 50), 'ms', { p50: percentile(s.latencies, 50), p99: percentile(s.latencies, 99), note: [`median of ${s.count}`, note, cpuNote(s)].filter(Boolean).join(', ') });

  const dir = await tempDir(`k8ts-bench-apiserver-${backend}-`);
  let server: RunningServer | undefined;
  try {
    log(`${backend}: starting k8ts up`);
    server = await startServer(dir.path, args);
    row('start to /readyz', server.readyMs, 'ms', { note: 'fresh data dir (PKI generated), polled every 10 ms' });
    row('idle RSS', rssMB(server.pid), 'MB', { note: 'VmRSS right after ready' });

    log(`${backend}: workload`);
    const work = await runClient('workload', server, log);
    const prof = process.env.K8TS_BENCH_CPU_PROF;
    if (prof) writeFileSync(join(prof, `client-${backend}-workload.json`), JSON.stringify(work));
    const step = (name: string): StepTiming => {
      const s = work.steps.find((x) => x.name === name);
      if (!s) throw new Error(`the client reported no step ${name}`);
      return s;
    };
    rateRow('pods create', step('pods: create'));
    rateRow('pods get', step('pods: get'));
    latencyRow('pods list 5000', step('pods: list all'));
    latencyRow('pods list selector (500)', step('pods: list selector'));
    latencyRow('pods list limit=500 (page 1)', step('pods: list page'));
    rateRow('pods merge-patch', step('pods: merge-patch'));
    rateRow('pods create (while watched)', step('watch: creates'));
    const w = step('watch: delivery');
    const delivered = w.extra!.delivered!;
    row('watch delivery', (delivered / w.wallMs) * 1000, 'events/s', {
      p50: percentile(w.latencies, 50),
      p99: percentile(w.latencies, 99),
      note: `${delivered}/${w.count} delivered, 50 watchers x 500 creates, slowest watcher ${w.extra!.slowestWatcher}; send-to-receipt latency`,
    });
    row('watch events lost', w.count - delivered, 'events');
    const dc = step('pods: deletecollection');
    row('pods deletecollection 5000', dc.latencies[0]!, 'ms', { note: `${dc.extra!.deleted} deleted, ${cpuNote(dc)}` });
    rateRow('configmaps create', step('configmaps: create'), '1 KB data');
    rateRow('configmaps get', step('configmaps: get'));
    row('RSS after workload', rssMB(server.pid), 'MB');

    const fillCount = Number(process.env.K8TS_BENCH_FILL ?? 100_000);
    log(`${backend}: ${fillCount} small configmaps`);
    const filled = await runClient('fill', server, log, [String(fillCount)]);
    rateRow(`fill ${fillCount} configmaps`, filled.steps[0]!, '64 clients');
    row(`RSS with ${fillCount / 1000}k objects`, rssMB(server.pid), 'MB', {
      note: `VmRSS after the fill (+ ~5k configmaps of the workload), peak VmHWM ${rssMB(server.pid, 'VmHWM').toFixed(0)} MB`,
    });
    return r;
  } finally {
    await server?.stop();
    await dir.remove();
  }
}

/** `npm run bench -- apiserver`: both backends, the same workload, then the targets checked. */
export async function apiserverBench(log: (s: string) => void): Promise<{ rows: BenchRow[]; checks: Check[] }> {
  const rows: BenchRow[] = [];
  const wanted = (process.env.K8TS_BENCH_BACKENDS ?? 'sqlite,etcd').split(',').map((s) => s.trim());
  const results: Record<string, Results> = {};
  for (const backend of wanted) {
    if (backend === 'sqlite') results.sqlite = await measure('sqlite', [], rows, log);
    else if (backend === 'etcd') {
      log('etcd: starting etcd');
      const etcd = await startEtcd();
      try {
        results.etcd = await measure('etcd', ['--datastore', `etcd://${new URL(etcd.endpoint).host}`], rows, log);
      } finally {
        await etcd.stop();
      }
    } else throw new Error(`unknown backend ${JSON.stringify(backend)} in K8TS_BENCH_BACKENDS`);
  }

  const checks: Check[] = [];
  const ms = (n: number): string => `${n.toFixed(1)} ms`;
  const perS = (n: number): string => `${n.toFixed(0)}/s`;
  for (const [backend, r] of Object.entries(results)) {
    const add = (target: string, actual: string, ok: boolean): void => void checks.push({ target: `${backend} ${target}`, actual, ok });
    const v = (step: string): BenchRow => r[step]!;
    const create = v('pods create');
    add('pods create >= 3,000/s and p99 <= 40 ms', `${perS(create.value)}, p99 ${ms(create.p99!)}`, create.value >= 3000 && create.p99! <= 40);
    add('pods get >= 9,000/s', perS(v('pods get').value), v('pods get').value >= 9000);
    add('list 5,000 pods <= 80 ms (median)', ms(v('pods list 5000').value), v('pods list 5000').value <= 80);
    add('selector list of 500 <= 25 ms (median)', ms(v('pods list selector (500)').value), v('pods list selector (500)').value <= 25);
    add('page of 500 <= 15 ms (median)', ms(v('pods list limit=500 (page 1)').value), v('pods list limit=500 (page 1)').value <= 15);
    add('merge-patch >= 2,500/s', perS(v('pods merge-patch').value), v('pods merge-patch').value >= 2500);
    const lost = v('watch events lost').value;
    const watch = v('watch delivery');
    add('watch: all 25,000 delivered, p99 <= 40 ms', `${25_000 - lost} delivered, p99 ${ms(watch.p99!)}`, lost === 0 && watch.p99! <= 40);
    add('deletecollection of 5,000 <= 3 s', ms(v('pods deletecollection 5000').value), v('pods deletecollection 5000').value <= 3000);
    add('configmaps create >= 5,000/s', perS(v('configmaps create').value), v('configmaps create').value >= 5000);
    add('configmaps get >= 12,000/s', perS(v('configmaps get').value), v('configmaps get').value >= 12000);
    add('idle RSS <= 120 MB', `${v('idle RSS').value.toFixed(0)} MB`, v('idle RSS').value <= 120);
    add('start to /readyz <= 1.5 s', ms(v('start to /readyz').value), v('start to /readyz').value <= 1500);
  }
  return { rows, checks };
}
