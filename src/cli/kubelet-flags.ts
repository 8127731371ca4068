/** The node agent's flags, shared by `k8ts up` and `k8ts agent`, named as the kubelet's. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';

/** `k8ts agent`'s default data dir. */
export const DEFAULT_AGENT_DATA_DIR = join(homedir(), '.k8ts-agent');

export interface KubeletFlags {
  /** `--container-runtime-endpoint`: a running CRI runtime; none: k8ts supervises its own containerd. */
  containerRuntimeEndpoint?: string;
  /** `--registry-mirror docker.io=http://127.0.0.1:5000` (repeatable). */
  registryMirror: string[];
  /** `--pod-cidr`: this node's pod network. */
  podCidr?: string;
  /** `--hostname-override`: the Node's name (default the host name). */
  hostnameOverride?: string;
  /** `--kubelet-port`: the node agent's HTTPS port. */
  kubeletPort: number;
  /** `--pod-infra-container-image`: the sandbox image. */
  podInfraContainerImage?: string;
  /** `--sync-frequency`: how often every pod is synced again and volume contents refreshed (Go duration). */
  syncFrequency: string;
  /** `--eviction-hard`: node-pressure eviction thresholds. */
  evictionHard: string;
  /** `--image-gc-high-threshold` / `--image-gc-low-threshold`: image filesystem usage percentages. */
  imageGcHighThreshold: number;
  imageGcLowThreshold: number;
}

export function addKubeletFlags(cmd: Command): Command {
  return cmd
    .option('--container-runtime-endpoint <endpoint>', 'a running CRI runtime (unix:///run/containerd/containerd.sock); default: k8ts starts its own containerd under the data dir')
    .addOption(
      new Option('--registry-mirror <host=endpoint>', 'a registry mirror for the node agent\'s containerd, e.g. docker.io=http://127.0.0.1:5000 (repeatable)')
        .default([])
        .argParser((v: string, prev: string[]) => [...prev, v]),
    )
    .option('--pod-cidr <cidr>', "this node's pod network (the CNI bridge's subnet)", '10.244.0.0/24')
    .option('--hostname-override <name>', 'the Node name (default: the host name)')
    .addOption(new Option('--kubelet-port <port>', "the node agent's HTTPS port (logs, exec, port-forward)").default(10250).argParser(Number))
    .option('--pod-infra-container-image <image>', 'the pod sandbox image', '127.0.0.1:5000/k8ts/pause:3.9')
    .option('--sync-frequency <duration>', 'how often running pods are synced again and configMap/secret volumes refreshed', '1m')
    .option('--eviction-hard <thresholds>', 'node-pressure eviction thresholds', 'memory.available<100Mi,nodefs.available<10%')
    .addOption(new Option('--image-gc-high-threshold <percent>', 'image filesystem usage above which unused images are removed').default(85).argParser(Number))
    .addOption(new Option('--image-gc-low-threshold <percent>', 'image filesystem usage image garbage collection frees down to').default(80).argParser(Number));
}
