import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { APIServer } from '../apiserver/server.js';
import { DEFAULT_SERVICE_CLUSTER_IP_RANGE, DEFAULT_SERVICE_NODE_PORT_RANGE, parseCIDR, parsePortRange } from '../apiserver/registry/core/service-allocator.js';
import { TokenFileAuthenticator, UnionAuthenticator, X509Authenticator, type Authenticator } from '../apiserver/auth/authenticator.js';
import { AlwaysAllowAuthorizer } from '../apiserver/auth/authorizer.js';
import { cacheTokenGetter, ServiceAccountTokenAuthenticator } from '../apiserver/auth/serviceaccount.js';
import { DEFAULT_ISSUER, TokenGenerator } from '../apiserver/serviceaccount/claims.js';
import { signingKeyFromPEM, verificationKeyFromPEM } from '../apiserver/serviceaccount/jwt.js';
import { writeKubeconfig } from '../pki/kubeconfig.js';
import { ensureClusterPKI } from '../pki/pki.js';
import { Compactor } from '../storage/compactor.js';
import { describeDatastore, openStore, parseDatastore, type Datastore } from '../storage/factory.js';
import type { Store } from '../storage/interface.js';
import { componentLogger } from '../util/log.js';
import { K8TS_VERSION, KUBERNETES_VERSION } from '../version.js';
import { Client } from '../client/client.js';
import { inProcessTransport } from '../client/in-process-transport.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { ControllerManager } from '../controllers/manager.js';
import { controllerManagerSettings, type SharedControllerManagerFlags } from './controller-manager.js';
import { parseDuration } from './duration.js';
import { boundHeapGrowth } from './heap.js';
import { COMPONENTS } from './components.js';
import { simulatorOptions, type SimFlags } from './sim.js';
import type { KubeletFlags } from './kubelet-flags.js';
import { createNodeAgent, startNodeAgent } from './node-agent.js';
import type { NodeAgent } from '../kubelet/app.js';
import { NodeSimulator, type SimulatorOptions } from '../sim/simulator.js';
import { SchedulerApp } from '../scheduler/app.js';
import { parseSchedulerConfig } from '../scheduler/config.js';

export interface UpOptions extends SimFlags, KubeletFlags, SharedControllerManagerFlags {
  /** `--sim-nodes`: simulated nodes run in-process (0: none). */
  simNodes: number;
  /** `--scheduler-config`: a KubeSchedulerConfiguration file. */
  schedulerConfig?: string;
  dataDir: string;
  datastore?: string;
  port: number;
  bindAddress: string;
  tokenAuthFile?: string;
  disable: string[];
  compactionInterval: number;
  compactionRetention: number;
  serviceClusterIpRange?: string;
  serviceNodePortRange?: string;
  /** `--event-ttl`: a Go duration (default 1h). */
  eventTtl?: string;
}

/**
 * `k8ts up`: brings up every component on this machine: the datastore (SQLite under the data dir, or etcd),
 * the cluster's certificates and admin kubeconfig, and the apiserver over HTTPS. SIGINT/SIGTERM stop
 * accepting requests, let in-flight writes finish, close watches and the store, and exit 0.
 */
export async function up(opts: UpOptions): Promise<void> {
  boundHeapGrowth();
  const log = componentLogger('up');
  const started = performance.now();
  const unknown = opts.disable.filter((c) => !(COMPONENTS as readonly string[]).includes(c));
  if (unknown.length > 0) fail(`unknown component(s) in --disable: ${unknown.join(', ')} (known: ${COMPONENTS.join(', ')})`);
  try {
    parseCIDR(opts.serviceClusterIpRange ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE);
  } catch (err) {
    fail(`--service-cluster-ip-range: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    parsePortRange(opts.serviceNodePortRange ?? DEFAULT_SERVICE_NODE_PORT_RANGE);
  } catch (err) {
    fail(`--service-node-port-range: ${err instanceof Error ? err.message : String(err)}`);
  }
  let eventTTLSeconds = 3600;
  try {
    if (opts.eventTtl !== undefined) eventTTLSeconds = parseDuration(opts.eventTtl) / 1000;
  } catch (err) {
    fail(`--event-ttl: ${err instanceof Error ? err.message : String(err)}`);
  }
  let schedulerConfig: string | undefined;
  try {
    if (opts.schedulerConfig) {
      schedulerConfig = await readFile(opts.schedulerConfig, 'utf8');
      // Checked now, so a bad file stops `up` with its message instead of a scheduler that never runs.
      parseSchedulerConfig(schedulerConfig);
    }
  } catch (err) {
    fail(`--scheduler-config: ${err instanceof Error ? err.message : String(err)}`);
  }
  let controllerSettings: ReturnType<typeof controllerManagerSettings>;
  try {
    controllerSettings = controllerManagerSettings(opts);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  let simulation: SimulatorOptions | undefined;
  try {
    if (opts.simNodes) simulation = simulatorOptions(opts.simNodes, opts);
  } catch (err) {
    fail(`--sim-nodes: ${err instanceof Error ? err.message : String(err)}`);
  }
  let datastore: Datastore;
  let store: Store;
  try {
    datastore = parseDatastore(opts.datastore, opts.dataDir);
    store = await openStore(datastore);
  } catch (err) {
    log.fatal({ err }, 'cannot open the datastore');
    fail(err instanceof Error ? err.message : String(err));
  }
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const pki = await ensureClusterPKI(join(opts.dataDir, 'pki'), opts.bindAddress && opts.bindAddress !== '0.0.0.0' ? { sans: [opts.bindAddress] } : {});
  const authenticators: Authenticator[] = [new X509Authenticator()];
  if (opts.tokenAuthFile) {
    try {
      authenticators.push(await TokenFileAuthenticator.load(opts.tokenAuthFile));
    } catch (err) {
      fail(`--token-auth-file: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // Service account tokens: signed with sa.key for the default issuer, whose name is also the API's audience.
  const serviceAccountAudiences = [DEFAULT_ISSUER];
  authenticators.push(
    new ServiceAccountTokenAuthenticator({
      issuers: [DEFAULT_ISSUER],
      audiences: serviceAccountAudiences,
      keys: [verificationKeyFromPEM(pki.serviceAccount.pub)],
      // The apiserver (built below) holds the watch caches the accounts and bound objects are read from.
      getter: cacheTokenGetter(() => apiserver.objects),
      logger: componentLogger('authentication'),
    }),
  );
  const host = opts.bindAddress === '0.0.0.0' || opts.bindAddress === '::' ? '127.0.0.1' : opts.bindAddress;
  const urlFor = (port: number): string => `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const apiserver = new APIServer({
    store,
    tls: { key: pki.serving.key, cert: pki.serving.cert, ca: pki.ca.cert },
    kubeletClient: pki.kubeletClient,
    authenticator: new UnionAuthenticator(authenticators),
    authorizer: new AlwaysAllowAuthorizer(),
    logger: componentLogger('apiserver'),
    advertiseAddress: `${host}:${opts.port}`,
    ...(opts.serviceClusterIpRange ? { serviceClusterIPRange: opts.serviceClusterIpRange } : {}),
    ...(opts.serviceNodePortRange ? { serviceNodePortRange: opts.serviceNodePortRange } : {}),
    eventTTLSeconds,
    // Its serviceaccount controller creates each namespace's `default` account, which pods then must have.
    serviceAccountController: !opts.disable.includes('controller-manager'),
    serviceAccountTokens: { generator: new TokenGenerator(DEFAULT_ISSUER, signingKeyFromPEM(pki.serviceAccount.key)), audiences: serviceAccountAudiences },
  });
  const compactor = new Compactor(store, {
    intervalMs: opts.compactionInterval * 1000,
    retentionMs: opts.compactionRetention * 1000,
    logger: componentLogger('storage'),
  });
  let controllerManager: ControllerManager | undefined;
  let simulator: NodeSimulator | undefined;
  let nodeAgent: NodeAgent | undefined;
  let scheduler: SchedulerApp | undefined;
  let informers: SharedInformerFactory | undefined;
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await simulator?.stop();
    await nodeAgent?.stop();
    await scheduler?.stop();
    await controllerManager?.stop();
    informers?.shutdown();
    await apiserver.shutdown();
    await compactor.stop();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', (s) => void shutdown(s));
  process.on('SIGTERM', (s) => void shutdown(s));
  try {
    await apiserver.start(opts.port, opts.bindAddress);
  } catch (err) {
    log.fatal({ err }, 'apiserver failed to start');
    fail(`apiserver: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!opts.disable.includes('compactor')) compactor.start();
  // In-process components reach the apiserver as their users would over HTTPS, through the same request
  // pipeline without TLS; they share one informer factory, so each resource is listed, watched and held once.
  const inProcessClient = (user: string, component: string): Client =>
    new Client(
      inProcessTransport(apiserver.loopbackServer({ name: user, groups: ['system:masters', 'system:authenticated'] }), { maxSockets: 64 }),
      `${component}/v${KUBERNETES_VERSION.major}.${KUBERNETES_VERSION.minor}.${KUBERNETES_VERSION.patch} k8ts/${K8TS_VERSION}`,
    );
  informers = new SharedInformerFactory(inProcessClient('system:k8ts-informers', 'k8ts-informers'), { logger: componentLogger('informers') });
  // The scheduler and the controllers lead through Leases, so servers sharing an etcd never both act. The
  // identity is this machine and data dir: a restarted server takes its leases back at once.
  const identity = `${hostname()}_${createHash('sha256').update(resolve(opts.dataDir)).digest('hex').slice(0, 10)}`;
  if (!opts.disable.includes('controller-manager')) {
    controllerManager = new ControllerManager({
      client: inProcessClient('system:kube-controller-manager', 'kube-controller-manager'),
      informers,
      ...controllerSettings,
      rootCA: pki.ca.cert,
      serviceAccountPrivateKey: pki.serviceAccount.key,
      logger: componentLogger('controller-manager'),
      leaderElection: { identity },
    });
    const manager = controllerManager;
    void manager.start().catch((err: unknown) => log.error({ err }, 'controller manager failed to start'));
  }
  if (!opts.disable.includes('scheduler')) {
    scheduler = new SchedulerApp({
      client: inProcessClient('system:kube-scheduler', 'kube-scheduler'),
      informers,
      identity,
      ...(schedulerConfig !== undefined ? { config: schedulerConfig } : {}),
      metricsRegistry: apiserver.metrics.registry,
      logger: componentLogger('scheduler'),
    });
    const s = scheduler;
    void s.start().catch((err: unknown) => log.error({ err }, 'scheduler failed to start'));
  }
  if (simulation) {
    simulator = new NodeSimulator(inProcessClient('system:node-simulator', 'k8ts-sim'), { ...simulation, informers, logger: componentLogger('sim') });
    // The nodes are registered before `ready` is printed, so a client that waits for it finds them.
    await simulator.start();
  }
  if (!opts.disable.includes('kubelet')) {
    try {
      nodeAgent = await createNodeAgent(opts, {
        client: inProcessClient(`system:node:${opts.hostnameOverride ?? hostname().toLowerCase()}`, 'kubelet'),
        dataDir: opts.dataDir,
        ca: pki.ca,
        informers,
        metricsRegistry: apiserver.metrics.registry,
      });
      await startNodeAgent(nodeAgent);
    } catch (err) {
      log.fatal({ err }, 'node agent failed to start');
      fail(`kubelet: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // The bound port, which differs from --port when it is 0 (tests ask the system for a free one).
  const url = urlFor(apiserver.port);
  const kubeconfig = join(opts.dataDir, 'admin.kubeconfig');
  await writeKubeconfig(kubeconfig, { server: url, caCert: pki.ca.cert, client: pki.admin });
  const revision = await store.currentRevision();
  log.info({ datastore: describeDatastore(datastore), revision, url, ms: Math.round(performance.now() - started) }, 'apiserver ready');
  console.error(`k8ts: apiserver ready at ${url} (${describeDatastore(datastore)}, revision ${revision}); press Ctrl-C to stop`);
  console.error(`k8ts: kubectl --kubeconfig ${kubeconfig} get nodes`);
}

function fail(message: string): never {
  console.error(`k8ts: ${message}`);
  process.exit(1);
}
