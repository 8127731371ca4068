import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EtcdStore } from '../src/storage/etcd/store.js';
import type { Store } from '../src/storage/interface.js';
import { SQLiteStore } from '../src/storage/sqlite/store.js';
import { startEtcd } from '../test/helpers/etcd-server.js';
import { inParallel } from '../test/helpers/parallel.js';
import { tempDir } from '../test/helpers/tmp.js';
import { percentile, type BenchRow, type Check } from './report.js';

const WRITERS = 32;
const CREATES = 20_000;
const GETS = 50_000;
const LIST_KEYS = 10_000;
const WATCHERS = 100;
const WATCH_WRITES = 1_000;
const REOPEN_KEYS = 100_000;
const VALUE = Buffer.alloc(1024, 'v');

/** One backend under test: how to open it (again, on the same data) and how to tear it down. */
interface Backend {
  name: string;
  open(): Promise<Store>;
  /** Closes the store and whatever serves it, then brings both back on the same data; resolves to the store. */
  reopen(store: Store): Promise<Store>;
  dispose(): Promise<void>;
}

async function sqliteBackend(): Promise<Backend> {
  const dir = await tempDir('k8ts-bench-sqlite-');
  const path = join(dir.path, 'state.db');
  return {
    name: 'sqlite',
    open: async () => SQLiteStore.open({ path }),
    reopen: async (store) => {
      await store.close();
      return SQLiteStore.open({ path });
    },
    dispose: () => dir.remove(),
  };
}

async function etcdBackend(): Promise<Backend> {
  const etcd = await startEtcd();
  return {
    name: 'etcd',
    open: () => EtcdStore.open({ endpoints: [etcd.endpoint] }),
    reopen: async (store) => {
      await store.close();
      await etcd.restart();
      return EtcdStore.open({ endpoints: [etcd.endpoint] });
    },
    dispose: () => etcd.stop(),
  };
}

/** Runs `total` operations from `concurrency` workers; returns ops/s and per-op latencies (ms). */
async function drive(total: number, concurrency: number, op: (i: number) => Promise<unknown>) {
  const latencies = new Float64Array(total);
  const started = performance.now();
  await inParallel(total, concurrency, async (i) => {
    const t = performance.now();
    await op(i);
    latencies[i] = performance.now() - t;
  });
  const seconds = (performance.now() - started) / 1000;
  return { rate: total / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function measure(backend: Backend, rows: BenchRow[], log: (s: string) => void): Promise<Record<string, number>> {
  const r: Record<string, number> = {};
  const row = (step: string, value: number, unit: string, extra: Partial<BenchRow> = {}) => {
    rows.push({ suite: 'storage', backend: backend.name, step, value, unit, ...extra });
    r[step] = value;
  };
  let store = await backend.open();

  log(`${backend.name}: ${CREATES} creates from ${WRITERS} writers`);
  const creates = await drive(CREATES, WRITERS, (i) => store.create(`/registry/bench/creates/k${i}`, VALUE));
  row('create', creates.rate, 'ops/s', { p50: creates.p50, p99: creates.p99 });

  log(`${backend.name}: ${GETS} gets`);
  const gets = await drive(GETS, WRITERS, (i) => store.get(`/registry/bench/creates/k${(i * 7919) % CREATES}`));
  row('get', gets.rate, 'ops/s', { p50: gets.p50, p99: gets.p99 });

  log(`${backend.name}: list of ${LIST_KEYS} keys at a revision`);
  await drive(LIST_KEYS, WRITERS, (i) => store.create(`/registry/bench/list/k${i}`, VALUE));
  const revision = await store.currentRevision();
  await drive(2_000, WRITERS, (i) => store.guaranteedUpdate(`/registry/bench/list/k${i}`, () => Buffer.alloc(1024, 'w')));
  const listTimes: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    const listed = await store.list('/registry/bench/list/', { revision });
    listTimes.push(performance.now() - t);
    if (listed.items.length !== LIST_KEYS) throw new Error(`list returned ${listed.items.length} keys, want ${LIST_KEYS}`);
  }
  row('list 10k at revision', percentile(listTimes, 50), 'ms', { p99: Math.max(...listTimes) });

  log(`${backend.name}: ${WATCHERS} watchers x ${WATCH_WRITES} writes`);
  const from = await store.currentRevision();
  const watchers = Array.from({ length: WATCHERS }, () => store.watch('/registry/bench/watch/', { fromRevision: from }));
  const delays: number[] = [];
  let received = 0;
  const watchStart = performance.now();
  const consumers = watchers.map(async (w) => {
    let n = 0;
    for await (const e of w) {
      delays.push(performance.now() - Number(e.value.subarray(0, 20).toString()));
      received++;
      if (++n === WATCH_WRITES) break;
    }
  });
  await drive(WATCH_WRITES, WRITERS, (i) =>
    store.create(`/registry/bench/watch/k${i}`, Buffer.from(String(performance.now()).padEnd(20, ' ') + 'x'.repeat(1000))),
  );
  await Promise.all(consumers);
  const watchSeconds = (performance.now() - watchStart) / 1000;
  row('watch delivery', received / watchSeconds, 'events/s', { p50: percentile(delays, 50), p99: percentile(delays, 99) });
  row('watch events lost', WATCHERS * WATCH_WRITES - received, 'events');

  log(`${backend.name}: reopen with ${REOPEN_KEYS} keys`);
  const have = await store.count('/registry/bench/');
  await drive(REOPEN_KEYS - have, 64, (i) => store.create(`/registry/bench/reopen/k${i}`, VALUE));
  const keys = await store.count('/registry/bench/');
  const t = performance.now();
  store = await backend.reopen(store);
  await store.get('/registry/bench/creates/k1');
  row('reopen', performance.now() - t, 'ms', { note: `${keys} keys` });
  await store.close();
  return r;
}

/** `npm run bench -- storage`: every backend, the same steps, then the targets checked. */
export async function storageBench(log: (s: string) => void): Promise<{ rows: BenchRow[]; checks: Check[] }> {
  const rows: BenchRow[] = [];
  const results: Record<string, Record<string, number>> = {};
  for (const make of [sqliteBackend, etcdBackend]) {
    const backend = await make();
    try {
      results[backend.name] = await measure(backend, rows, log);
    } finally {
      await backend.dispose();
    }
  }
  const sqlite = results.sqlite!;
  const etcd = results.etcd!;
  const watchP99 = (name: string) => rows.find((r) => r.backend === name && r.step === 'watch delivery')!.p99!;
  const checks: Check[] = [
    { target: 'sqlite create >= 2x etcd create', actual: `${(sqlite.create! / etcd.create!).toFixed(1)}x`, ok: sqlite.create! >= 2 * etcd.create! },
    { target: 'sqlite list 10k at revision < 60 ms', actual: `${sqlite['list 10k at revision']!.toFixed(1)} ms`, ok: sqlite['list 10k at revision']! < 60 },
    { target: 'sqlite reopen with 100k keys < 1 s', actual: `${sqlite.reopen!.toFixed(0)} ms`, ok: sqlite.reopen! < 1000 },
  ];
  for (const name of ['sqlite', 'etcd']) {
    checks.push({ target: `${name} watch: none lost`, actual: `${results[name]!['watch events lost']} lost`, ok: results[name]!['watch events lost'] === 0 });
    checks.push({ target: `${name} watch p99 delivery < 50 ms`, actual: `${watchP99(name).toFixed(1)} ms`, ok: watchP99(name) < 50 });
  }
  return { rows, checks };
}
