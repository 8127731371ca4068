/**
 * `k8ts controller-manager --kubeconfig <file>`: the controllers `k8ts up` runs in-process, as their own
 * process against any cluster over HTTPS (kube-controller-manager). Several may run against one cluster: they
 * take turns through the kube-system/kube-controller-manager Lease, so only one acts at a time.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Client } from '../client/client.js';
import { transportFromKubeconfig } from '../client/https-transport.js';
import { ControllerManager, selectControllers } from '../controllers/manager.js';
import { readKubeconfig } from '../pki/kubeconfig.js';
import { componentLogger } from '../util/log.js';
import { KUBERNETES_VERSION, K8TS_VERSION } from '../version.js';
import { parseDuration } from './duration.js';
import { withFlag } from './flag.js';

/** The controller manager's flags `up` takes too (declared once in main.ts). */
export interface SharedControllerManagerFlags {
  /** `--controllers`: which controllers run (`*`, `foo`, `-foo`), as kube-controller-manager's flag. */
  controllers: string[];
  /** `--node-monitor-grace-period`: a Go duration (default 40s). */
  nodeMonitorGracePeriod?: string;
  /** `--terminated-pod-gc-threshold`: terminated pods kept before the pod GC deletes the oldest (default 12500). */
  terminatedPodGcThreshold?: number;
}

/** What the shared flags ask for; throws a message naming the bad flag. */
export function controllerManagerSettings(flags: SharedControllerManagerFlags): { controllers: string[]; nodeMonitorGracePeriodMs?: number; terminatedPodGCThreshold?: number } {
  const controllers = withFlag('--controllers', () => selectControllers(flags.controllers));
  const grace = flags.nodeMonitorGracePeriod;
  const nodeMonitorGracePeriodMs = grace === undefined ? undefined : withFlag('--node-monitor-grace-period', () => parseDuration(grace));
  const threshold = flags.terminatedPodGcThreshold;
  if (threshold !== undefined && (!Number.isInteger(threshold) || threshold < 0)) {
    throw new Error(`--terminated-pod-gc-threshold: must be a non-negative integer, not ${threshold}`);
  }
  return {
    controllers,
    ...(nodeMonitorGracePeriodMs !== undefined ? { nodeMonitorGracePeriodMs } : {}),
    ...(threshold !== undefined ? { terminatedPodGCThreshold: threshold } : {}),
  };
}

export interface ControllerManagerFlags extends SharedControllerManagerFlags {
  kubeconfig: string;
  /** kube's --root-ca-file; the kubeconfig's CA when not given, as kube-controller-manager falls back to. */
  rootCaFile?: string;
  /** kube's --service-account-private-key-file; without it the token controller leaves token Secrets empty. */
  serviceAccountPrivateKeyFile?: string;
  /** kube's --leader-elect (default true). */
  leaderElect: boolean;
}

function fail(message: string): never {
  console.error(`k8ts: ${message}`);
  process.exit(1);
}

/** Reads a flag's file, exiting with a message naming the flag if it cannot. */
function readFlagFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    fail(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** `k8ts controller-manager`: runs until SIGINT/SIGTERM. */
export async function controllerManager(flags: ControllerManagerFlags): Promise<void> {
  const log = componentLogger('controller-manager');
  let settings: ReturnType<typeof controllerManagerSettings>;
  try {
    settings = controllerManagerSettings(flags);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const { controllers } = settings;
  let rootCA: string;
  try {
    rootCA = flags.rootCaFile ? readFlagFile('--root-ca-file', flags.rootCaFile) : readKubeconfig(flags.kubeconfig).ca.toString();
  } catch (err) {
    fail(`--kubeconfig: ${err instanceof Error ? err.message : String(err)}`);
  }
  const serviceAccountPrivateKey = flags.serviceAccountPrivateKeyFile ? readFlagFile('--service-account-private-key-file', flags.serviceAccountPrivateKeyFile) : undefined;
  if (!serviceAccountPrivateKey) log.warn('no --service-account-private-key-file: the token controller leaves service account token Secrets empty');
  const client = new Client(
    transportFromKubeconfig(flags.kubeconfig, { maxSockets: 64 }),
    `kube-controller-manager/v${KUBERNETES_VERSION.major}.${KUBERNETES_VERSION.minor}.${KUBERNETES_VERSION.patch} k8ts/${K8TS_VERSION}`,
  );
  // kube's identity: the host and a fresh UUID, so two managers on one machine are told apart.
  const identity = `${hostname()}_${randomUUID()}`;
  log.info({ identity, leaderElect: flags.leaderElect }, 'controller manager starting');
  const manager = new ControllerManager({
    client,
    ...settings,
    rootCA,
    ...(serviceAccountPrivateKey !== undefined ? { serviceAccountPrivateKey } : {}),
    logger: log,
    ...(flags.leaderElect ? { leaderElection: { identity } } : {}),
  });
  const stop = async (): Promise<void> => {
    await manager.stop();
    client.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  await manager.start();
  console.error(
    `k8ts: controller manager ${identity} running ${controllers.length} controllers against ${readKubeconfig(flags.kubeconfig).server.origin}${flags.leaderElect ? ' while it holds the kube-system/kube-controller-manager Lease' : ''}; press Ctrl-C to stop`,
  );
}
