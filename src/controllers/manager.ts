/**
 * The controller manager (kube-controller-manager): builds the shared informers and the controllers on one
 * client, lets every controller ask for its informers, starts the informers once, and runs each controller
 * when its caches have synced. `k8ts up` runs it in-process over the in-process transport.
 */
import type { Logger } from 'pino';
import type { Client } from '../client/client.js';
import { Discovery } from '../client/discovery.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { LeaderElector } from '../client/leader-election.js';
import { componentLogger } from '../util/log.js';
import type { ControllerContext, ManagedController } from './context.js';
import { GarbageCollector } from './garbagecollector/garbagecollector.js';
import { DisruptionController } from './disruption/disruption.js';
import { EndpointController } from './endpoint/endpoint-controller.js';
import { EndpointSliceController } from './endpointslice/endpointslice.js';
import { EndpointSliceMirroringController } from './endpointslicemirroring/mirroring.js';
import { NamespaceController } from './namespace/namespace.js';
import { NodeLifecycleController } from './nodelifecycle/nodelifecycle.js';
import { TaintEvictionController } from './nodelifecycle/taint-eviction.js';
import { DeploymentController } from './deployment/deployment.js';
import { REPLICATIONCONTROLLER_KIND, ReplicaSetController } from './replicaset/replicaset.js';
import { RootCAPublisher } from './root-ca-publisher/root-ca-publisher.js';
import { StatefulSetController } from './statefulset/statefulset.js';
import { DaemonSetsController } from './daemonset/daemonset.js';
import { ServiceAccountsController } from './serviceaccount/serviceaccount.js';
import { TokensController } from './serviceaccount-token/tokens-controller.js';
import { JobController } from './job/job.js';
import { CronJobController } from './cronjob/cronjob.js';
import { TTLAfterFinishedController } from './ttlafterfinished/ttlafterfinished.js';
import { PodGCController } from './podgc/podgc.js';
import { ResourceQuotaController } from './resourcequota/resourcequota.js';
import { HorizontalController } from './podautoscaler/podautoscaler.js';

/** Every controller by its kube-controller-manager name, in start order. */
export const CONTROLLERS: Record<string, (ctx: ControllerContext) => ManagedController> = {
  namespace: (ctx) => new NamespaceController(ctx),
  garbagecollector: (ctx) => new GarbageCollector(ctx),
  'root-ca-cert-publisher': (ctx) => new RootCAPublisher(ctx),
  serviceaccount: (ctx) => new ServiceAccountsController(ctx),
  'serviceaccount-token': (ctx) => new TokensController(ctx),
  statefulset: (ctx) => new StatefulSetController(ctx),
  daemonset: (ctx) => new DaemonSetsController(ctx),
  nodelifecycle: (ctx) => new NodeLifecycleController(ctx),
  'taint-eviction-controller': (ctx) => new TaintEvictionController(ctx),
  disruption: (ctx) => new DisruptionController(ctx),
  endpoint: (ctx) => new EndpointController(ctx),
  endpointslice: (ctx) => new EndpointSliceController(ctx),
  endpointslicemirroring: (ctx) => new EndpointSliceMirroringController(ctx),
  replicaset: (ctx) => new ReplicaSetController(ctx),
  replicationcontroller: (ctx) => new ReplicaSetController(ctx, REPLICATIONCONTROLLER_KIND),
  deployment: (ctx) => new DeploymentController(ctx),
  job: (ctx) => new JobController(ctx),
  cronjob: (ctx) => new CronJobController(ctx),
  'ttl-after-finished': (ctx) => new TTLAfterFinishedController(ctx),
  podgc: (ctx) => new PodGCController(ctx),
  resourcequota: (ctx) => new ResourceQuotaController(ctx),
  horizontalpodautoscaling: (ctx) => new HorizontalController(ctx),
};

/**
 * The controllers `--controllers` selects, as kube-controller-manager reads it: `*` is every controller, `foo`
 * adds one, `-foo` removes one (`*,-garbagecollector`). Throws on a name it does not know.
 */
export function selectControllers(spec: readonly string[]): string[] {
  const known = Object.keys(CONTROLLERS);
  const chosen = new Set<string>();
  const disabled = new Set<string>();
  for (const raw of spec) {
    const item = raw.trim();
    if (item === '') continue;
    if (item === '*') {
      for (const n of known) chosen.add(n);
      continue;
    }
    const name = item.startsWith('-') ? item.slice(1) : item;
    if (!known.includes(name)) throw new Error(`"${name}" is not in the list of known controllers (${known.join(', ')})`);
    if (item.startsWith('-')) disabled.add(name);
    else chosen.add(name);
  }
  return known.filter((n) => chosen.has(n) && !disabled.has(n));
}

export interface ControllerManagerOptions {
  client: Client;
  /** The cluster CA certificate (PEM). */
  rootCA: string;
  /** `--service-account-private-key-file` (PEM) for the token controller; without it token Secrets stay empty. */
  serviceAccountPrivateKey?: string;
  logger?: Logger;
  /** Controllers to run (default: all). */
  controllers?: string[];
  /**
   * Run only while holding the kube-system/kube-controller-manager Lease, as this identity (for several
   * controller managers against one apiserver). The all-in-one `k8ts up` has one and does not need it.
   */
  leaderElection?: { identity: string };
  /**
   * Informers shared with the process's other components (`k8ts up` gives the scheduler, the controllers and
   * simulated nodes one factory, so each resource is listed, watched and held once); their owner stops them.
   */
  informers?: SharedInformerFactory;
  /** `--node-monitor-grace-period` for the node lifecycle controller. */
  nodeMonitorGracePeriodMs?: number;
  /** `--terminated-pod-gc-threshold` for the pod garbage collector. */
  terminatedPodGCThreshold?: number;
}

export class ControllerManager {
  readonly informers: SharedInformerFactory;
  private readonly ownsInformers: boolean;
  private readonly controllers: ManagedController[];
  private readonly log: Logger;
  private readonly elector: LeaderElector | undefined;

  constructor(opts: ControllerManagerOptions) {
    this.log = opts.logger ?? componentLogger('controller-manager');
    this.ownsInformers = !opts.informers;
    this.informers = opts.informers ?? new SharedInformerFactory(opts.client, { logger: this.log.child({ component: 'informers' }) });
    const ctx: ControllerContext = {
      client: opts.client,
      informers: this.informers,
      discovery: new Discovery(opts.client),
      logger: this.log,
      rootCA: opts.rootCA,
      ...(opts.serviceAccountPrivateKey !== undefined ? { serviceAccountPrivateKey: opts.serviceAccountPrivateKey } : {}),
      ...(opts.nodeMonitorGracePeriodMs !== undefined ? { nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs } : {}),
      ...(opts.terminatedPodGCThreshold !== undefined ? { terminatedPodGCThreshold: opts.terminatedPodGCThreshold } : {}),
    };
    const names = opts.controllers ?? Object.keys(CONTROLLERS);
    this.controllers = names.map((n) => {
      const make = CONTROLLERS[n];
      if (!make) throw new Error(`unknown controller ${n} (known: ${Object.keys(CONTROLLERS).join(', ')})`);
      return make(ctx);
    });
    if (opts.leaderElection) {
      this.elector = new LeaderElector(opts.client, {
        namespace: 'kube-system',
        name: 'kube-controller-manager',
        identity: opts.leaderElection.identity,
        logger: this.log.child({ component: 'leader-election' }),
        onStartedLeading: () => void this.startControllers().catch((err: unknown) => this.log.error({ err }, 'controllers failed to start')),
        // kube-controller-manager exits when it loses the lease; here the controllers stop.
        onStoppedLeading: () => void this.stopControllers(),
      });
    }
  }

  /** Starts every controller (once leading, with leader election); resolves once they run or the campaign began. */
  async start(): Promise<void> {
    if (this.elector) {
      this.elector.run();
      return;
    }
    await this.startControllers();
  }

  private async startControllers(): Promise<void> {
    const started = performance.now();
    for (const c of this.controllers) await c.init();
    this.informers.start();
    await Promise.all(this.controllers.map((c) => c.run()));
    this.log.info({ controllers: this.controllers.map((c) => c.name), ms: Math.round(performance.now() - started) }, 'controllers running');
  }

  /** Stops the workers (waiting a little for syncs in flight) and the informers, and leaves the election. */
  async stop(): Promise<void> {
    await this.elector?.stop();
    await this.stopControllers();
  }

  private async stopControllers(): Promise<void> {
    if (this.ownsInformers) this.informers.shutdown();
    await Promise.race([Promise.all(this.controllers.map((c) => c.stop())), new Promise((r) => setTimeout(r, 5000).unref())]);
  }
}
