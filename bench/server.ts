/**
 * The server side of the benchmarks that run the real `k8ts up` process: start it on a free port, wait for
 * /readyz, read its RSS, stop it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const k8tsBin = fileURLToPath(new URL('../../bin/k8ts.js', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

export interface RunningServer extends RunningComponent {
  kubeconfig: string;
  /** Spawn to the first `/readyz` 200 "ok", polled every 10 ms. */
  readyMs: number;
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

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name in parentheses, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100) ticks
}

/** RSS of a process in MB (VmRSS, or another /proc/<pid>/status field). */
export function rssMB(pid: number, field = 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

/** Spawns `k8ts up` on a port chosen here (so /readyz can be polled from the first moment). */
export async function startServer(dataDir: string, args: string[], opts: { kubelet?: boolean } = {}): Promise<RunningServer> {
  const port = await freePort();
  // The node agent (real containers) only runs in the kubelet benchmark; the others measure the control plane.
  if (!opts.kubelet) {
    const i = args.indexOf('--disable');
    args = i < 0 ? [...args, '--disable', 'kubelet'] : args.map((a, j) => (j === i + 1 ? `${a},kubelet` : a));
  }
  const t0 = performance.now();
  const component = startComponent(['up', '--data-dir', dataDir, '--port', String(port), ...args]);
  const { proc, stderr } = component;
  let announced = false;
  proc.stderr!.on('data', () => {
    if (/apiserver ready at/.test(stderr())) announced = true;
  });
  let readyMs = NaN;
  for (;;) {
    const tick = performance.now();
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`k8ts up exited (${proc.exitCode ?? proc.signalCode}): ${stderr()}`);
    if (tick - t0 > READY_TIMEOUT_MS) throw new Error(`k8ts up not ready in ${READY_TIMEOUT_MS} ms: ${stderr()}`);
    if (await readyz(port)) {
      readyMs = performance.now() - t0;
      break;
    }
    const wait = 10 - (performance.now() - tick);
    if (wait > 0) await sleep(wait);
  }
  // The kubeconfig is written just after the server starts answering.
  while (!announced) {
    if (performance.now() - t0 > READY_TIMEOUT_MS) throw new Error(`k8ts up never said it was ready: ${stderr()}`);
    await sleep(5);
  }
  return { ...component, kubeconfig: join(dataDir, 'admin.kubeconfig'), readyMs };
}

/** Another k8ts command (`controller-manager`, `sim`) as its own process, profiled like the server when asked. */
export interface RunningComponent {
  proc: ChildProcess;
  pid: number;
  stderr(): string;
  stop(): Promise<void>;
}

export function startComponent(args: string[]): RunningComponent {
  const prof = process.env.K8TS_BENCH_CPU_PROF;
  const nodeArgs = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  let stderr = '';
  const proc = spawn(process.execPath, [...nodeArgs, k8tsBin, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, K8TS_LOG_LEVEL: process.env.K8TS_LOG_LEVEL ?? 'warn' } });
  proc.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    pid: proc.pid!,
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

/** Runs a benchmark client process (`node <script> <mode> <kubeconfig> <server pid> ...extra`) and resolves to the JSON it prints. */
export function runClient<R>(script: string, mode: string, server: RunningServer, log: (s: string) => void, extra: string[] = []): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, mode, server.kubeconfig, String(server.pid), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
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
        resolve(JSON.parse(Buffer.concat(out).toString()) as R);
      } catch (err) {
        reject(err);
      }
    });
  });
}
