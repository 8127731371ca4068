/**
 * `k8ts sim --nodes N --kubeconfig <file>`: simulated nodes against any cluster (`k8ts up --sim-nodes N` runs
 * the same simulator in-process). Options shared by both commands are declared once here.
 */
import type { Taint } from 'kubernetes-types/core/v1.js';
import { Client } from '../client/client.js';
import { transportFromKubeconfig } from '../client/https-transport.js';
import { NodeSimulator, type SimulatorOptions } from '../sim/simulator.js';
import { componentLogger } from '../util/log.js';
import { parseDuration } from './duration.js';
import { withFlag } from './flag.js';
import { addSimFlags, type SimFlags } from './sim-flags.js';

/** `key=value[:Effect]` as kubectl taint writes taints. */
function parseTaint(spec: string): Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(spec);
  if (!m) throw new Error(`invalid taint ${JSON.stringify(spec)}: want key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
  return { key: m[1]!, ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3]! };
}

function parseLabels(spec: string): Record<string, string> {
  return Object.fromEntries(
    spec
      .split(',')
      .filter(Boolean)
      .map((kv) => {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new Error(`invalid label ${JSON.stringify(kv)}: want key=value`);
        return [kv.slice(0, eq), kv.slice(eq + 1)];
      }),
  );
}

/** Raw values of the simulator flags as commander hands them over. */
export { addSimFlags, type SimFlags };

/** Simulator options from the flags; throws a message naming the bad flag. */
export function simulatorOptions(count: number, flags: SimFlags): SimulatorOptions {
  if (!Number.isInteger(count) || count < 0) throw new Error(`the node count must be a non-negative integer, not ${count}`);
  return {
    count,
    namePrefix: flags.simNamePrefix,
    cpu: flags.simCpu,
    memory: flags.simMemory,
    pods: flags.simPods,
    zones: flags.simZones,
    labels: withFlag('--sim-labels', () => parseLabels(flags.simLabels ?? '')),
    taints: withFlag('--sim-taints', () => (flags.simTaints ?? []).map(parseTaint)),
    podStartDelayMs: withFlag('--sim-pod-start-delay', () => parseDuration(flags.simPodStartDelay)),
  };
}

/** `k8ts sim`: runs until SIGINT/SIGTERM. */
export async function sim(flags: SimFlags & { nodes: number; kubeconfig: string }): Promise<void> {
  const log = componentLogger('sim');
  let options: SimulatorOptions;
  try {
    options = simulatorOptions(flags.nodes, flags);
  } catch (err) {
    console.error(`k8ts: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  const client = new Client(transportFromKubeconfig(flags.kubeconfig, { maxSockets: 64 }));
  const simulator = new NodeSimulator(client, { ...options, logger: log });
  const stop = async (): Promise<void> => {
    await simulator.stop();
    client.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  await simulator.start();
  console.error(`k8ts: ${options.count} simulated nodes running; press Ctrl-C to stop`);
}
