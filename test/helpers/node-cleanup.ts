/**
 * Cleaning up after a test cluster that ran real containers: its pods' sandboxes and containers removed through
 * CRI (containerd keeps them running after `k8ts up` stops, as a real node does), mounts under its data dir
 * undone, and stray shims stopped, so the next test finds a clean machine. Needs root.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectCri } from '../../src/kubelet/cri/client.js';
import { containerdSocketPath } from '../../src/kubelet/containerd/config.js';
import { bridgeFor } from '../../src/kubelet/app.js';

const run = promisify(execFile);

/** Removes every sandbox the node agent of `dataDir` made (while its containerd still runs). */
export async function removeAllSandboxes(dataDir: string): Promise<void> {
  const cri = connectCri(`unix://${containerdSocketPath(join(dataDir, 'containerd'))}`, { timeoutMs: 20_000 });
  try {
    for (const s of await cri.runtime.listPodSandbox()) {
      await cri.runtime.stopPodSandbox(s.id).catch(() => undefined);
      await cri.runtime.removePodSandbox(s.id).catch(() => undefined);
    }
  } catch {
    // containerd already gone: the shims are killed below.
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
  if (podCIDR) {
    await run('ip', ['link', 'del', bridgeFor(podCIDR)]).catch(() => undefined);
    await removeHostPortRules(podCIDR);
  }
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
