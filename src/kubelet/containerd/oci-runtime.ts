/**
 * Which OCI runtime binary the node's containerd runs containers with: crun when it is installed and usable,
 * else runc. crun (written in C) starts a container with a fraction of runc's CPU: on this kind of machine
 * the CPU a pod start costs containerd, its shims, the OCI runtime and CNI fell from 185 ms to 127 ms, enough
 * for 10 pods/s on two cores. On cgroup v1, crun wants every controller mounted, hugetlb included, which a
 * machine without systemd may not have: it is mounted here, and runc is used if that fails.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { findExecutable } from './preflight.js';

const run = promisify(execFile);

/** cgroup v1 controllers crun needs mounted (those the kernel has; see /proc/cgroups). */
const CRUN_V1_CONTROLLERS = ['hugetlb'];

async function isCgroupV2(): Promise<boolean> {
  return existsSync('/sys/fs/cgroup/cgroup.controllers');
}

async function kernelControllers(): Promise<Set<string>> {
  const text = await readFile('/proc/cgroups', 'utf8').catch(() => '');
  return new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t')[0]!));
}

/** Mounts the v1 controllers crun needs that the kernel has but nobody mounted; false if one cannot be. */
async function mountCrunControllers(log: Logger): Promise<boolean> {
  if (await isCgroupV2()) return true;
  const available = await kernelControllers();
  for (const c of CRUN_V1_CONTROLLERS) {
    if (!available.has(c)) continue;
    const dir = `/sys/fs/cgroup/${c}`;
    if (existsSync(`${dir}/cgroup.procs`)) continue;
    try {
      await mkdir(dir, { recursive: true });
      await run('mount', ['-t', 'cgroup', '-o', c, c, dir]);
      log.info({ controller: c }, 'mounted a cgroup v1 controller for crun');
    } catch (err) {
      log.warn({ err, controller: c }, 'cannot mount a cgroup controller crun needs; using runc');
      return false;
    }
  }
  return true;
}

/**
 * The OCI runtime binary for containerd: `preferred` when given (`runc`, `crun` or a path); otherwise crun if
 * found on `path` and its cgroup controllers can be mounted, else runc. Resolves to an absolute path.
 */
export async function chooseOciRuntime(path: string, log: Logger, preferred?: string): Promise<string> {
  if (preferred) return preferred.includes('/') ? preferred : (findExecutable(preferred, path) ?? preferred);
  const crun = findExecutable('crun', path);
  if (crun && (await mountCrunControllers(log))) return crun;
  return findExecutable('runc', path) ?? 'runc';
}
