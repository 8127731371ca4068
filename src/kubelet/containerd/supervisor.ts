/**
 * Runs the node's own containerd: writes its config and CNI network under one directory, starts
 * `containerd --config <dir>/config.toml` with its log in `<dir>/containerd.log`, waits until the CRI answers,
 * restarts it with back-off if it dies, and stops it with SIGTERM then SIGKILL. Containers outlive a
 * containerd restart (their shims keep running), so a restart does not disturb running pods.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { componentLogger } from '../../util/log.js';
import { connectCri } from '../cri/client.js';
import { ensurePodNetworkMasquerade, writeCniConfig } from './cni.js';
import { chooseOciRuntime } from './oci-runtime.js';
import { containerdPaths, renderContainerdConfig, type ContainerdConfigOptions, type ContainerdPaths } from './config.js';
import { preflight } from './preflight.js';

const log = componentLogger('containerd');
const run = promisify(execFile);

/** The directories a node's binaries live in; containerd and the CNI plugins look up runc and iptables on PATH. */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ContainerdSupervisorOptions extends Omit<ContainerdConfigOptions, 'snapshotter' | 'streamServerPort' | 'ociRuntimeBinary'> {
  /** `runc`, `crun` or a path; default crun when installed and usable, else runc (see oci-runtime.ts). */
  ociRuntime?: string;
  /** The node's pod CIDR for the CNI bridge network; default 10.244.0.0/24. */
  podCIDR?: string;
  /** The CNI bridge (<= 15 chars); default `k8ts0`. */
  bridge?: string;
  /** The CNI network name; default `k8ts`. */
  cniNetworkName?: string;
  /** `auto` (default) uses overlayfs when a test mount works in `dir`, else native. */
  snapshotter?: 'overlayfs' | 'native' | 'auto';
  /** How long to wait for the CRI to answer after a start; default 20 s. */
  startTimeoutMs?: number;
  /** The PATH to find containerd and runc on; default the process PATH plus the system directories. */
  path?: string;
}

/** Whether an overlay mount works on the filesystem of `dir` (it does not on overlay or some tmpfs setups). */
export async function overlayfsSupported(dir: string): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  const base = await mkdtemp(join(dir, '.overlay-check-'));
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => join(base, d));
  try {
    for (const d of [lower, upper, work, merged]) await mkdir(d);
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged]);
    await run('umount', [merged]);
    return true;
  } catch {
    return false;
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

/** A free TCP port on 127.0.0.1 (for the CRI streaming server, whose URLs must carry the real port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The last `lines` lines of a log file, for error messages. */
export async function logTail(file: string, lines = 20): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts, watches and stops one containerd whose files all live under `options.dir`. */
export class ContainerdSupervisor {
  readonly paths: ContainerdPaths;
  private child: ChildProcess | undefined;
  private stopping = false;
  /** Set once start() succeeded: only then does an exit mean "restart" rather than "start failed". */
  private running = false;
  private restartDelayMs = 1000;
  private restartTimer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private readonly pidFile: string;

  constructor(private readonly options: ContainerdSupervisorOptions) {
    this.paths = containerdPaths(options.dir);
    this.pidFile = join(options.dir, 'containerd.pid');
  }

  /** The running containerd's process ID, if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The CRI endpoint (`unix://<socket>`). */
  get endpoint(): string {
    return `unix://${this.paths.socket}`;
  }

  /** Checks prerequisites, writes the config, starts containerd and resolves with its CRI endpoint once it answers. */
  async start(): Promise<string> {
    const path = this.options.path ?? `${process.env.PATH ?? ''}:${SYSTEM_PATH}`;
    const found = preflight({ path, cniBinDir: this.options.cniBinDir });
    const { dir } = this.options;
    for (const d of [dir, this.paths.root, this.paths.state, dirname(this.paths.socket)]) await mkdir(d, { recursive: true });
    await this.killLeftover();

    const requested = this.options.snapshotter ?? 'auto';
    const snapshotter = requested === 'auto' ? ((await overlayfsSupported(this.paths.root)) ? 'overlayfs' : 'native') : requested;
    const streamServerPort = await freePort();
    const ociRuntimeBinary = await chooseOciRuntime(path, log, this.options.ociRuntime);
    await writeFile(this.paths.config, renderContainerdConfig({ ...this.options, snapshotter, streamServerPort, ociRuntimeBinary }));
    await writeCniConfig(this.paths.cniConfDir, {
      podCIDR: this.options.podCIDR ?? '10.244.0.0/24',
      bridge: this.options.bridge,
      name: this.options.cniNetworkName,
      ipamDataDir: join(dir, 'cni', 'networks'),
    });
    await enableNodeSysctls();
    await ensurePodNetworkMasquerade(this.options.podCIDR ?? '10.244.0.0/24').catch((err: unknown) => log.warn({ err }, 'pod network masquerade rule could not be added: pods may not reach the outside'));

    this.stopping = false;
    log.info({ dir, socket: this.paths.socket, snapshotter, streamServerPort, containerd: found.containerd, ociRuntime: ociRuntimeBinary }, 'starting containerd');
    try {
      await this.spawnAndWait(found.containerd, path);
    } catch (err) {
      // A containerd that never answered is not left behind.
      await this.stop(2000);
      throw err;
    }
    this.running = true;
    return this.endpoint;
  }

  /** Stops containerd: SIGTERM, then SIGKILL after `graceMs`. Containers keep running in their shims. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        log.warn({ pid: child.pid }, 'containerd did not stop after SIGTERM; sending SIGKILL');
        child.kill('SIGKILL');
        await exited;
      }
    }
    await unlink(this.pidFile).catch(() => undefined);
    // containerd leaves its ttrpc socket behind; under /run/k8ts nobody else would clean it up.
    for (const f of [this.paths.socket, `${this.paths.socket}.ttrpc`]) await unlink(f).catch(() => undefined);
    log.info({ dir: this.options.dir }, 'containerd stopped');
  }

  /** A containerd left running from an earlier process over the same directory would hold its database lock. */
  private async killLeftover(): Promise<void> {
    const pid = Number((await readFile(this.pidFile, 'utf8').catch(() => '')).trim());
    if (!pid || !isAlive(pid)) return;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(this.paths.config)) return;
    log.warn({ pid }, 'stopping a containerd left over from an earlier run');
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }

  private async spawnAndWait(binary: string, path: string): Promise<void> {
    const out = openSync(this.paths.log, 'a');
    let child: ChildProcess;
    try {
      child = spawn(binary, ['--config', this.paths.config], {
        stdio: ['ignore', out, out],
        env: { ...process.env, PATH: path },
      });
    } finally {
      closeSync(out);
    }
    this.child = child;
    this.startedAt = Date.now();
    // Listen before any await: an exit emitted while nobody listens would be lost.
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.once('error', (err) => log.error({ err }, 'containerd failed to start'));
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      this.onExit(child, code, signal);
    });
    if (child.pid) await writeFile(this.pidFile, `${child.pid}\n`);
    await this.waitForCri(() => exit);
  }

  private async waitForCri(exited: () => { code: number | null; signal: NodeJS.Signals | null } | undefined): Promise<void> {
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 20_000);
    const cri = connectCri(this.paths.socket, { timeoutMs: 1000 });
    try {
      let lastError = '';
      while (Date.now() < deadline) {
        // stop() while a restarted containerd comes up: nothing to wait for any more.
        if (this.stopping) return;
        const gone = exited();
        if (gone) {
          throw new Error(
            `containerd exited (code ${gone.code}, signal ${gone.signal}) before its CRI answered; ` +
              `last lines of ${this.paths.log}:\n${await logTail(this.paths.log)}`,
          );
        }
        try {
          const v = await cri.runtime.version();
          log.info({ runtime: v.runtimeName, version: v.runtimeVersion, api: v.runtimeApiVersion }, 'containerd is ready');
          return;
        } catch (err) {
          lastError = err instanceof Error ? err.message : String(err);
          await sleep(100);
        }
      }
      throw new Error(
        `containerd's CRI did not answer on ${this.paths.socket} within ${(this.options.startTimeoutMs ?? 20_000) / 1000}s ` +
          `(${lastError}); last lines of ${this.paths.log}:\n${await logTail(this.paths.log)}`,
      );
    } finally {
      cri.close();
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || !this.running || this.child !== child) return;
    this.child = undefined;
    // A containerd that ran for a while before dying starts again promptly; one that keeps dying backs off.
    if (Date.now() - this.startedAt > 60_000) this.restartDelayMs = 1000;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(this.restartDelayMs * 2, 30_000);
    log.error({ code, signal, restartInMs: delay, log: this.paths.log }, 'containerd exited; restarting');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      const path = this.options.path ?? `${process.env.PATH ?? ''}:${SYSTEM_PATH}`;
      let binary: string;
      try {
        binary = preflight({ path, cniBinDir: this.options.cniBinDir }).containerd;
      } catch (err) {
        log.error({ err }, 'cannot restart containerd');
        return;
      }
      this.spawnAndWait(binary, path).catch((err: unknown) => log.error({ err }, 'containerd restart failed'));
    }, delay);
  }
}

/**
 * Pods reach Service VIPs and the outside through the node: IPv4 forwarding must be on, and bridged pod
 * traffic must pass iptables (br_netfilter) so that a pod reaching a Service backed by a pod on the same
 * bridge is translated too.
 */
async function enableNodeSysctls(): Promise<void> {
  for (const [file, why] of [
    ['/proc/sys/net/ipv4/ip_forward', 'pods may not reach Service VIPs or the outside'],
    ['/proc/sys/net/bridge/bridge-nf-call-iptables', 'pod-to-Service traffic on the same bridge may bypass iptables'],
  ]) {
    try {
      const current = (await readFile(file, 'utf8')).trim();
      if (current !== '1') await writeFile(file, '1\n');
    } catch (err) {
      log.warn({ err, file }, `could not set ${file} to 1: ${why}`);
    }
  }
}
