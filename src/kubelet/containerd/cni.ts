/**
 * The CNI network of a k8ts node: one Linux bridge with host-local IPAM over the node's pod CIDR, masquerading
 * for traffic leaving the CIDR, and portmap for hostPort. containerd's CRI plugin reads the conflist from its
 * `conf_dir` and brings up the loopback interface itself.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const CNI_CONFLIST_NAME = '10-k8ts.conflist';
/** CNI plugins 1.1.1 (Debian 12) support spec versions up to 1.0.0; 0.4.0 is what containerd 1.6 handles best. */
export const CNI_VERSION = '0.4.0';

export interface CniNetworkOptions {
  /** The node's pod CIDR, e.g. 10.244.0.0/24. */
  podCIDR: string;
  /** The Linux bridge; at most 15 characters. Default `k8ts0`. */
  bridge?: string;
  /** The CNI network name (also the host-local IPAM's allocation directory name). Default `k8ts`. */
  name?: string;
  /** Where host-local records allocated IPs; default the CNI default /var/lib/cni/networks. */
  ipamDataDir?: string;
}

/** The conflist JSON for the node's network. */
export function renderCniConflist(opts: CniNetworkOptions): string {
  const bridge = opts.bridge ?? 'k8ts0';
  if (bridge.length > 15) throw new Error(`bridge name "${bridge}" is longer than 15 characters`);
  if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(opts.podCIDR)) throw new Error(`pod CIDR "${opts.podCIDR}" is not an IPv4 CIDR`);
  const ipam: Record<string, unknown> = {
    type: 'host-local',
    ranges: [[{ subnet: opts.podCIDR }]],
    routes: [{ dst: '0.0.0.0/0' }],
  };
  if (opts.ipamDataDir) ipam.dataDir = opts.ipamDataDir;
  const conflist = {
    cniVersion: CNI_VERSION,
    name: opts.name ?? 'k8ts',
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        // One node-wide masquerade rule for the pod CIDR (podNetworkMasquerade) instead of the bridge plugin's
        // chain per pod: that chain costs several iptables runs at every pod start and stop.
        ipMasq: false,
        // A pod reaching itself through a Service VIP or its hostPort comes back through the bridge.
        hairpinMode: true,
        ipam,
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
  return `${JSON.stringify(conflist, null, 2)}\n`;
}

/**
 * NATs traffic from the pod network to anywhere outside it (what the bridge plugin's ipMasq does per pod), as
 * one rule for the whole pod CIDR, added once per node start if it is not there yet.
 */
export async function ensurePodNetworkMasquerade(podCIDR: string): Promise<void> {
  const rule = ['-t', 'nat', 'POSTROUTING', '-s', podCIDR, '!', '-d', podCIDR, '-m', 'comment', '--comment', 'k8ts pod network masquerade', '-j', 'MASQUERADE'];
  const [table, tableName, chain, ...spec] = rule;
  try {
    await run('iptables', [table!, tableName!, '-C', chain!, ...spec]);
  } catch {
    await run('iptables', [table!, tableName!, '-A', chain!, ...spec]);
  }
}

/** Writes the conflist into `confDir` (created if needed) and returns its path. */
export async function writeCniConfig(confDir: string, opts: CniNetworkOptions): Promise<string> {
  await mkdir(confDir, { recursive: true });
  const path = join(confDir, CNI_CONFLIST_NAME);
  await writeFile(path, renderCniConflist(opts));
  return path;
}
