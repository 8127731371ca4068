/**
 * `npm run bench -- apiserver`: the real `k8ts up` process over HTTPS, once on SQLite and once on etcd, driven
 * by a separate client process (bench/apiserver-client.ts) that reports raw timings as JSON.
 *
 * Environment: K8TS_BENCH_BACKENDS=sqlite,etcd chooses backends; K8TS_BENCH_CPU_PROF=<dir> runs the server
 * with `node --cpu-prof` and leaves its profile there; K8TS_BENCH_FILL=<n> changes the 100,000 of the RSS step.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startEtcd } from '../test/helpers/etcd-server.js';
import { tempDir } from '../test/helpers/tmp.js';
import type { ClientReport, StepTiming } from './apiserver-client.js';
import { percentile, type BenchRow, type Check } from './report.js';
import { rssMB, runClient, startServer, type RunningServer } from './server.js';

const clientScript = fileURLToPath(new URL('./apiserver-client.js', import.meta.url));

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
    const work = await runClient<ClientReport>(clientScript, 'workload', server, log);
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
    const filled = await runClient<ClientReport>(clientScript, 'fill', server, log, [String(fillCount)]);
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
