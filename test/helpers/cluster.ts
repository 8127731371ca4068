/**
 * Starts the real `k8ts up` process in a temporary data dir (on a free port) for end-to-end tests, and runs
 * the real kubectl against it.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './tmp.js';
import { cleanNode } from './node-cleanup.js';

/** The k8ts CLI entry point, for tests that start other commands (`k8ts sim`). */
export const k8tsBin = fileURLToPath(new URL('../../../bin/k8ts.js', import.meta.url));

/** kubectl 1.32 as installed on every machine here. */
export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ClusterOptions {
  /** Reuse a data dir (restart tests); default a fresh temporary one, removed by `stop`. */
  dataDir?: string;
  /** Extra `k8ts up` arguments (`--datastore etcd://...`, `--token-auth-file ...`). */
  args?: string[];
  /**
   * Run the controller manager (namespace lifecycle, garbage collector, kube-root-ca.crt, default
   * ServiceAccounts). Off by default: like kube's apiserver integration tests, the apiserver suites expect a
   * namespace to hold exactly what they put there.
   */
  controllerManager?: boolean;
  /**
   * Run the node agent (kubelet) on containerd: needs root and the Debian packages hack/setup.sh installs. Off
   * by default; tests of real containers ask for it.
   */
  kubelet?: boolean;
}

/** `args` with `components` added to `--disable` (one `--disable` flag: a second would replace the first). */
function withDisabled(args: string[], components: string[]): string[] {
  if (components.length === 0) return args;
  const i = args.indexOf('--disable');
  if (i < 0) return [...args, '--disable', components.join(',')];
  const out = [...args];
  out[i + 1] = [out[i + 1] ?? '', ...components].filter(Boolean).join(',');
  return out;
}

export interface TestCluster {
  dataDir: string;
  kubeconfig: string;
  url: string;
  port: number;
  process: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Runs kubectl with this cluster's kubeconfig. */
  kubectl(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<KubectlResult>;
  /** Stops the process with `signal` (SIGTERM) and resolves to its exit code; keeps the data dir. */
  shutdown(signal?: NodeJS.Signals): Promise<number | null>;
  /** kill -9. */
  kill(): Promise<void>;
  /** Stops the process and removes the data dir if the cluster created it. */
  stop(): Promise<void>;
}

/** Starts `k8ts up --port 0` and waits until it says it is ready. */
export async function startCluster(opts: ClusterOptions = {}): Promise<TestCluster> {
  const owned = opts.dataDir ? undefined : await tempDir('k8ts-e2e-');
  const dataDir = opts.dataDir ?? owned!.path;
  const args = withDisabled(opts.args ?? [], [...(opts.controllerManager ? [] : ['controller-manager']), ...(opts.kubelet ? [] : ['kubelet'])]);
  const child = spawn(process.execPath, [k8tsBin, 'up', '--data-dir', dataDir, '--port', '0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, K8TS_LOG_LEVEL: process.env.K8TS_LOG_LEVEL ?? 'warn' },
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`k8ts up did not get ready in 20 s: ${stderr}`)), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`k8ts up exited with ${code}: ${stderr}`));
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /apiserver ready at (https:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  const kubeconfig = join(dataDir, 'admin.kubeconfig');
  let running = true;
  exited.then(() => (running = false));
  const cluster: TestCluster = {
    dataDir,
    kubeconfig,
    url,
    port: Number(new URL(url).port),
    process: child,
    stderr: () => stderr,
    kubectl: (args, o = {}) => kubectl(kubeconfig, args, o),
    async shutdown(signal = 'SIGTERM') {
      if (!running) return exited;
      child.kill(signal);
      return exited;
    },
    async kill() {
      if (!running) return;
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      await cluster.shutdown('SIGTERM');
      // Real containers outlive `k8ts up` (as they outlive a kubelet): tear them down once it has stopped.
      if (opts.kubelet) {
        const i = args.indexOf('--pod-cidr');
        await cleanNode(dataDir, i >= 0 ? args[i + 1] : undefined);
      }
      await owned?.remove();
    },
  };
  return cluster;
}

/** Runs kubectl with `kubeconfig`; never rejects (tests assert on code and output). */
export function kubectl(
  kubeconfig: string,
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      // A discovery cache beside the kubeconfig, so runs on random ports do not pile up in ~/.kube/cache.
      ['--kubeconfig', kubeconfig, '--cache-dir', join(dirname(kubeconfig), '.kube-cache'), ...args],
      { env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}
