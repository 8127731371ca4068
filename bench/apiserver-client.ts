/**
 * The client side of `npm run bench -- apiserver`, run as its own process (dist/bench/apiserver-client.js) so
 * that the server under test and the load generator do not share an event loop. It reads the admin
 * kubeconfig (client certificate and key, CA), talks HTTPS with keep-alive, and prints one JSON report of raw
 * timings on stdout; progress goes to stderr.
 *
 *   node dist/bench/apiserver-client.js workload <kubeconfig> <server pid>
 *   node dist/bench/apiserver-client.js fill <kubeconfig> <server pid> [count]
 */
import { cpuMs } from './server.js';
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { performance } from 'node:perf_hooks';
import { readKubeconfig } from '../src/pki/kubeconfig.js';
import { inParallel } from '../test/helpers/parallel.js';

/** One measured step: raw per-operation latencies (ms) and the wall time of the whole step. */
export interface StepTiming {
  name: string;
  /** Operations done (or, for watch delivery, events expected). */
  count: number;
  wallMs: number;
  latencies: number[];
  /** CPU the server process used during the step (from /proc/<pid>/stat), and this process. */
  serverCpuMs: number;
  clientCpuMs: number;
  /** CLOCK_MONOTONIC (ms) at the start and end, to line the step up with a server CPU profile's samples. */
  monoStartMs: number;
  monoEndMs: number;
  extra?: Record<string, number>;
}

export interface ClientReport {
  mode: string;
  namespace: string;
  steps: StepTiming[];
}

const CLIENTS = 32;
const PODS = 5_000;
const GROUPS = 10; // label `group=g0..g9`: each selector matches PODS / GROUPS = 500 pods
const WATCHERS = 50;
const WATCH_CREATES = 500;
const CONFIGMAPS = 5_000;
const LIST_REPS = 10;
const SMALL_LIST_REPS = 20;
const FILL = 100_000;
const FILL_CLIENTS = 64;

const log = (s: string): void => void process.stderr.write(`${s}\n`);

// ---- connection -------------------------------------------------------------------------------------------

const [mode = '', kubeconfigPath = '', serverPidText = '0', countText] = process.argv.slice(2);
const { server, ...tls } = readKubeconfig(kubeconfigPath);
const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS, ...tls });
/** Watches hold their connection for as long as they run: they get their own, outside the request pool. */
const watchAgent = new Agent({ keepAlive: false, maxSockets: Infinity, ...tls });
const fillAgent = new Agent({ keepAlive: true, maxSockets: FILL_CLIENTS, ...tls });
const base: RequestOptions = { host: server.hostname.replace(/^\[|\]$/g, ''), port: Number(server.port) };

interface Response {
  status: number;
  body: Buffer;
}

function send(method: string, path: string, body?: string, contentType = 'application/json', via: Agent = agent): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const req = httpsRequest({ ...base, agent: via, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function call(method: string, path: string, body?: string, contentType?: string, via?: Agent): Promise<Response> {
  const r = await send(method, path, body, contentType, via);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: HTTP ${r.status}: ${r.body.toString().slice(0, 400)}`);
  return r;
}

// ---- measuring --------------------------------------------------------------------------------------------

const serverPid = Number(serverPidText);

/** CPU time (ms) the server process has used so far; 0 when /proc is not there. */
function serverCpu(): number {
  try {
    return cpuMs(serverPid);
  } catch {
    return 0;
  }
}

function clientCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

class Meter {
  private readonly t = performance.now();
  private readonly mono = monotonicMs();
  private readonly s = serverCpu();
  private readonly c = clientCpu();
  finish(name: string, count: number, latencies: number[], extra?: Record<string, number>, end = performance.now()): StepTiming {
    const step: StepTiming = {
      name,
      count,
      wallMs: Math.max(end - this.t, 0.001),
      latencies: latencies.map((l) => Math.round(l * 1000) / 1000),
      serverCpuMs: serverCpu() - this.s,
      clientCpuMs: clientCpu() - this.c,
      monoStartMs: this.mono,
      monoEndMs: this.mono + (end - this.t),
    };
    if (extra) step.extra = extra;
    const rate = (count / step.wallMs) * 1000;
    log(`${name}: ${count} in ${step.wallMs.toFixed(0)} ms (${rate.toFixed(0)}/s)`);
    return step;
  }
}

/** `total` operations from `concurrency` clients; per-operation latency of each. */
async function drive(name: string, total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<StepTiming> {
  const latencies: number[] = new Array(total);
  const meter = new Meter();
  await inParallel(total, concurrency, async (i) => {
    const t = performance.now();
    await op(i);
    latencies[i] = performance.now() - t;
  });
  return meter.finish(name, total, latencies);
}

/** `reps` sequential requests of one kind; each must pass `check` (done outside the timing). */
async function repeat(name: string, reps: number, op: () => Promise<Response>, check: (r: Response) => void): Promise<StepTiming> {
  const latencies: number[] = [];
  const meter = new Meter();
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const r = await op();
    latencies.push(performance.now() - t);
    if (i === 0) check(r);
  }
  return meter.finish(name, reps, latencies);
}

// ---- objects ----------------------------------------------------------------------------------------------

const ENV_VALUE = 'e'.repeat(200);
const CM_DATA = 'c'.repeat(1024);

function pod(ns: string, name: string, group: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'bench', group } },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'registry.local/bench:1.0',
          env: [{ name: 'PAYLOAD', value: ENV_VALUE }],
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
        },
      ],
    },
  });
}

const configMap = (ns: string, name: string, data: Record<string, string>): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data });

const podName = (i: number): string => `pod-${String(i).padStart(5, '0')}`;

interface ListBody {
  metadata: { resourceVersion: string; continue?: string };
  items: unknown[];
}

function expectItems(want: number, wantContinue = false): (r: Response) => void {
  return (r) => {
    const list = JSON.parse(r.body.toString()) as ListBody;
    if (list.items.length !== want) throw new Error(`list returned ${list.items.length} items, want ${want}`);
    if (wantContinue && !list.metadata.continue) throw new Error('a page of a longer list came without a continue token');
  };
}

async function createNamespace(prefix: string): Promise<string> {
  const ns = `${prefix}-${Date.now().toString(36)}`;
  await call('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
  return ns;
}

// ---- watch ------------------------------------------------------------------------------------------------

interface Watch {
  close(): void;
  failed: Promise<never>;
}

/**
 * The type and object name of one watch event line. The server writes `{"type":"…","object":{…"metadata":
 * {"name":"…"`; reading just that keeps this single-threaded client from spending the watch window in
 * JSON.parse of 25,000 pods (anything else falls back to a full parse).
 */
function peekEvent(line: string): { type: string; name: string } {
  const typeEnd = line.startsWith('{"type":"') ? line.indexOf('"', 9) : -1;
  const meta = line.indexOf('"metadata":{"name":"');
  if (typeEnd > 0 && meta > 0) {
    const start = meta + 20;
    return { type: line.slice(9, typeEnd), name: line.slice(start, line.indexOf('"', start)) };
  }
  const ev = JSON.parse(line) as { type: string; object: { metadata?: { name?: string } } };
  return { type: ev.type, name: ev.object.metadata?.name ?? '' };
}

/** Opens a watch; `onEvent` gets each event's type, object name, and the time its chunk arrived. */
function openWatch(path: string, onEvent: (type: string, name: string, at: number) => void): Watch {
  let fail: (err: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  let closing = false;
  const req = httpsRequest({ ...base, agent: watchAgent, method: 'GET', path, headers: { Accept: 'application/json' } }, (res) => {
    if (res.statusCode !== 200) {
      fail(new Error(`watch ${path}: HTTP ${res.statusCode}`));
      res.resume();
      return;
    }
    res.setEncoding('utf8');
    let buf = '';
    res.on('data', (chunk: string) => {
      const at = performance.now();
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const ev = peekEvent(line);
        onEvent(ev.type, ev.name, at);
      }
    });
    res.on('end', () => {
      if (!closing) fail(new Error(`watch ${path} ended early`));
    });
  });
  req.on('error', (err) => {
    if (!closing) fail(err);
  });
  req.end();
  return {
    close: () => {
      closing = true;
      req.destroy();
    },
    failed,
  };
}

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function watchStep(ns: string): Promise<StepTiming[]> {
  const pods = `/api/v1/namespaces/${ns}/pods`;
  const listed = JSON.parse((await call('GET', `${pods}?limit=1`)).body.toString()) as ListBody;
  const rv = listed.metadata.resourceVersion;
  const selector = encodeURIComponent('group=watch');
  const sentAt = new Map<string, number>();
  const delays: number[] = [];
  let delivered = 0;
  let lastDelivery = 0;
  const seen: number[] = new Array(WATCHERS).fill(0);
  const sentinelSeen: boolean[] = new Array(WATCHERS).fill(false);
  let onProgress: () => void = () => undefined;
  const watches = Array.from({ length: WATCHERS }, (_, w) =>
    openWatch(`${pods}?watch=1&labelSelector=${selector}&resourceVersion=${rv}`, (type, name, at) => {
      if (type !== 'ADDED') return;
      if (name === 'wsentinel') sentinelSeen[w] = true;
      else {
        const sent = sentAt.get(name);
        if (sent === undefined) throw new Error(`watch got ${name}, which was never sent`);
        delays.push(at - sent);
        seen[w]!++;
        delivered++;
        lastDelivery = at;
      }
      onProgress();
    }),
  );
  const failed = Promise.race(watches.map((w) => w.failed));
  const until = (cond: () => boolean): Promise<void> =>
    new Promise<void>((resolve) => {
      onProgress = () => {
        if (cond()) resolve();
      };
      onProgress();
    });
  try {
    // A first event through every watch shows each is established before the measured creates start.
    await call('POST', pods, pod(ns, 'wsentinel', 'watch'));
    await within(30_000, 'every watcher to see the sentinel', Promise.race([until(() => sentinelSeen.every(Boolean)), failed]));
    const everyone = until(() => delivered === WATCHERS * WATCH_CREATES);
    const meter = new Meter();
    const creates = await drive('watch: creates', WATCH_CREATES, CLIENTS, async (i) => {
      const name = `wpod-${String(i).padStart(3, '0')}`;
      sentAt.set(name, performance.now());
      await call('POST', pods, pod(ns, name, 'watch'));
    });
    await within(30_000, 'every watcher to see every create', Promise.race([everyone, failed])).catch((err: Error) => log(String(err.message)));
    // Over the whole span from the first create sent to the last event received.
    const delivery = meter.finish('watch: delivery', WATCHERS * WATCH_CREATES, delays, { delivered, slowestWatcher: Math.min(...seen) }, lastDelivery);
    return [creates, delivery];
  } finally {
    for (const w of watches) w.close();
    // The watched pods leave (untimed) so that deletecollection below deletes exactly the 5,000.
    await call('DELETE', `${pods}?labelSelector=${selector}`);
  }
}

// ---- the workloads ----------------------------------------------------------------------------------------

async function workload(): Promise<ClientReport> {
  const ns = await createNamespace('bench');
  log(`namespace ${ns}`);
  const pods = `/api/v1/namespaces/${ns}/pods`;
  const cms = `/api/v1/namespaces/${ns}/configmaps`;
  const steps: StepTiming[] = [];

  steps.push(await drive('pods: create', PODS, CLIENTS, (i) => call('POST', pods, pod(ns, podName(i), `g${i % GROUPS}`))));
  steps.push(await drive('pods: get', PODS, CLIENTS, (i) => call('GET', `${pods}/${podName(i)}`)));
  steps.push(await repeat('pods: list all', LIST_REPS, () => call('GET', pods), expectItems(PODS)));
  steps.push(await repeat('pods: list selector', SMALL_LIST_REPS, () => call('GET', `${pods}?labelSelector=${encodeURIComponent('group=g3')}`), expectItems(PODS / GROUPS)));
  steps.push(await repeat('pods: list page', SMALL_LIST_REPS, () => call('GET', `${pods}?limit=500`), expectItems(500, true)));
  const patch = JSON.stringify({ metadata: { labels: { patched: 'true' } } });
  steps.push(await drive('pods: merge-patch', PODS, CLIENTS, (i) => call('PATCH', `${pods}/${podName(i)}`, patch, 'application/merge-patch+json')));
  steps.push(...(await watchStep(ns)));

  const meter = new Meter();
  const t = performance.now();
  const r = await call('DELETE', pods);
  const ms = performance.now() - t;
  const deleted = (JSON.parse(r.body.toString()) as ListBody).items.length;
  steps.push(meter.finish('pods: deletecollection', 1, [ms], { deleted }));
  const left = (JSON.parse((await call('GET', pods)).body.toString()) as ListBody).items.length;
  if (deleted !== PODS || left !== 0) throw new Error(`deletecollection deleted ${deleted} pods and left ${left}; want ${PODS} and 0`);

  steps.push(await drive('configmaps: create', CONFIGMAPS, CLIENTS, (i) => call('POST', cms, configMap(ns, `cm-${i}`, { payload: CM_DATA }))));
  steps.push(await drive('configmaps: get', CONFIGMAPS, CLIENTS, (i) => call('GET', `${cms}/cm-${i}`)));
  return { mode, namespace: ns, steps };
}

async function fill(): Promise<ClientReport> {
  const count = countText ? Number(countText) : FILL;
  const ns = await createNamespace('fill');
  const cms = `/api/v1/namespaces/${ns}/configmaps`;
  let done = 0;
  const progress = setInterval(() => log(`fill: ${done}/${count}`), 10_000);
  try {
    const step = await drive('fill: configmaps create', count, FILL_CLIENTS, async (i) => {
      await call('POST', cms, configMap(ns, `f-${i}`, { k: `v${i}` }), undefined, fillAgent);
      done++;
    });
    return { mode, namespace: ns, steps: [step] };
  } finally {
    clearInterval(progress);
  }
}

try {
  const report = mode === 'workload' ? await workload() : mode === 'fill' ? await fill() : undefined;
  if (!report) throw new Error(`unknown mode ${JSON.stringify(mode)}: use workload or fill`);
  process.stdout.write(JSON.stringify(report) + '\n', () => process.exit(0));
} catch (err) {
  log(`client failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}
