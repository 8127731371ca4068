/**
 * Cleaning up after a test cluster that ran real containers: its pods' sandboxes and containers removed through
 * CRI (containerd keeps them running after `k8ts up` stops, as a real node does), mounts under its data dir
 * undone, and stray shims stopped, so the next test finds a clean machine. Needs root.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectCri } from '../../src/kubelet/cri/client.js';
import type { RuntimeService } from '../../src/kubelet/cri/types.js';
import { containerdPaths, containerdSocketPath } from '../../src/kubelet/containerd/config.js';
import { bridgeFor } from '../../src/kubelet/app.js';

const run = promisify(execFile);

/**
 * Cleans the node of a stopped node agent: starts its containerd again from the config it left under
 * `<dataDir>/containerd` (so CNI tears the pod networks down properly), removes every sandbox, stops it, and
 * releases what is left (mounts, shims, bridge, NAT rules). Call it after the agent's process has exited: a
 * running agent would start the pods again.
 */
export async function cleanNode(dataDir: string, podCIDR?: string): Promise<void> {
  const paths = containerdPaths(join(dataDir, 'containerd'));
  if (existsSync(paths.config)) {
    const containerd = spawn('containerd', ['--config', paths.config], { stdio: 'ignore', env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
    try {
      const cri = connectCri(`unix://${paths.socket}`, { timeoutMs: 5000 });
      try {
        for (let i = 0; i < 100; i++) {
          try {
            await cri.runtime.version();
            break;
          } catch {
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      } finally {
        cri.close();
      }
      await removeAllSandboxes(dataDir);
    } finally {
      const exited = new Promise((r) => containerd.once('exit', r));
      containerd.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (containerd.exitCode === null) containerd.kill('SIGKILL');
    }
  }
  await releaseDataDir(dataDir, podCIDR);
}

/** Stops and removes every container and sandbox a runtime holds. */
export async function clearRuntime(runtime: RuntimeService): Promise<void> {
  for (const c of await runtime.listContainers().catch(() => [])) {
    await runtime.stopContainer(c.id, 0).catch(() => undefined);
    await runtime.removeContainer(c.id).catch(() => undefined);
  }
  for (const s of await runtime.listPodSandbox().catch(() => [])) {
    await runtime.stopPodSandbox(s.id).catch(() => undefined);
    await runtime.removePodSandbox(s.id).catch(() => undefined);
  }
}

/** Removes every sandbox the node agent of `dataDir` made (while its containerd still runs). */
export async function removeAllSandboxes(dataDir: string): Promise<void> {
  const cri = connectCri(`unix://${containerdSocketPath(join(dataDir, 'containerd'))}`, { timeoutMs: 20_000 });
  try {
    await clearRuntime(cri.runtime);
  } finally {
    cri.close();
  }
}

/**
 * Unmounts whatever is still mounted under `dataDir` (deepest first), kills shims serving it, and deletes the
 * CNI bridge of its pod network (containerd leaves it behind).
 */
export async function releaseDataDir(dataDir: string, podCIDR?: string): Promise<void> {
  const mounts = (await readFile('/proc/mounts', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => p.startsWith(`${dataDir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run('umount', ['-l', m]).catch(() => undefined);
  await run('pkill', ['-9', '-f', `containerd-shim.*${dataDir}`]).catch(() => undefined);
  if (podCIDR) await removePodNetwork(bridgeFor(podCIDR), podCIDR);
}

/** Deletes a node's pod network from the host: its CNI bridge, its masquerade rule and its host-port NAT rules. */
export async function removePodNetwork(bridge: string, podCIDR: string): Promise<void> {
  await run('ip', ['link', 'del', bridge]).catch(() => undefined);
  await removeHostPortRules(podCIDR);
  await run('iptables', ['-t', 'nat', '-D', 'POSTROUTING', '-s', podCIDR, '!', '-d', podCIDR, '-m', 'comment', '--comment', 'k8ts pod network masquerade', '-j', 'MASQUERADE']).catch(() => undefined);
}

/**
 * Drops the portmap plugin's NAT rules for pods of `podCIDR` that were never torn down through CNI (a node
 * killed with its sandboxes): a stale DNAT for a host port would send the next test's traffic to a dead IP.
 */
export async function removeHostPortRules(podCIDR: string): Promise<void> {
  const { stdout } = await run('iptables', ['-t', 'nat', '-S']).catch(() => ({ stdout: '' }));
  const chains = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = /^-A (CNI-DN-\S+) -s (\S+) /.exec(line);
    if (m && m[2] === podCIDR) chains.add(m[1]!);
  }
  for (const line of stdout.split('\n')) {
    const m = /^-A (CNI-HOSTPORT-DNAT .* -j (CNI-DN-\S+))$/.exec(line);
    if (!m || !chains.has(m[2]!)) continue;
    await run('sh', ['-c', `iptables -t nat -D ${m[1]}`]).catch(() => undefined);
  }
  for (const chain of chains) {
    await run('iptables', ['-t', 'nat', '-F', chain]).catch(() => undefined);
    await run('iptables', ['-t', 'nat', '-X', chain]).catch(() => undefined);
  }
}
