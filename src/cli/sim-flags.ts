/** The flags that shape simulated nodes, shared by `k8ts up --sim-nodes` and `k8ts sim`. */
import { Command, Option } from 'commander';

export interface SimFlags {
  simCpu: string;
  simMemory: string;
  simPods: number;
  simZones: number;
  simLabels?: string;
  simTaints?: string[];
  simPodStartDelay: string;
  simNamePrefix: string;
}

/** Adds the flags that shape simulated nodes to a command. */
export function addSimFlags(cmd: Command): Command {
  return cmd
    .option('--sim-cpu <quantity>', 'cpu capacity of each simulated node', '32')
    .option('--sim-memory <quantity>', 'memory capacity of each simulated node', '256Gi')
    .addOption(new Option('--sim-pods <n>', 'pod capacity of each simulated node').default(110).argParser(Number))
    .addOption(new Option('--sim-zones <n>', 'zones the simulated nodes spread over (topology.kubernetes.io/zone)').default(3).argParser(Number))
    .option('--sim-labels <k=v,...>', 'extra labels on every simulated node')
    .addOption(new Option('--sim-taints <key=value:Effect...>', 'taints on every simulated node').argParser((v: string, prev: string[] = []) => [...prev, v]))
    .option('--sim-pod-start-delay <duration>', 'how long a pod bound to a simulated node takes to be Running and Ready', '1s')
    .option('--sim-name-prefix <prefix>', 'simulated node names are <prefix><index>', 'sim-node-');
}

