/**
 * The k8ts apiserver: HTTPS, authentication, authorization, routing to the generic REST handlers,
 * discovery, health and metrics. Only this component touches storage; everything else is its client.
 */
import { createServer, type Server } from 'node:https';
import { createServer as createPlainServer, type IncomingMessage, type Server as PlainServer, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ResourceRegistry } from '../api/registry.js';
import { goQuote, isValidPathSegmentName } from '../apimachinery/names.js';
import { badRequest, notAcceptable, resourceNotFound, StatusError, toStatusError, unauthorized, forbidden, methodNotSupported } from '../apimachinery/status.js';
import { Cacher } from '../storage/cacher/cacher.js';
import type { Store } from '../storage/interface.js';
import { K8TS_VERSION, KUBERNETES_VERSION } from '../version.js';
import { AdmissionChain } from './admission/admission.js';
import { NamespaceLifecycle, SYSTEM_NAMESPACES } from './admission/namespace-lifecycle.js';
import { CacheObjectReader } from './admission/cache-reader.js';
import { admissionPlugins } from './admission/plugins.js';
import { SYSTEM_PRIORITY_CLASSES } from './admission/priority.js';
import type { QuotaRecalculator } from './admission/quota-recalculator.js';
import { DEFAULT_EVENT_TTL_SECONDS, EventExpiry } from './registry/core/event-expiry.js';
import type { Authenticator, UserInfo } from './auth/authenticator.js';
import type { Authorizer } from './auth/authorizer.js';
import { AGGREGATED_DISCOVERY_TYPE, Discovery } from './discovery.js';
import { negotiate, writeObject, writeStatus, type Negotiated } from './http.js';
import { getObject, listObjects } from './handlers/read.js';
import { getScale } from './handlers/scale.js';
import { newScope, type RequestScope } from './handlers/scope.js';
import { openWatches, watchObjects } from './handlers/watch.js';
import { createObject, deleteCollection, deleteObject, patchObject, updateObject, type WriteContext } from './handlers/write.js';
import { APIServerMetrics } from './metrics.js';
import { createBinding } from './handlers/binding.js';
import { createEviction } from './handlers/eviction.js';
import { createTokenRequest, type TokenRequestContext } from './handlers/token-request.js';
import type { ObjectReader } from './admission/admission.js';
import { OpenAPI } from './openapi.js';
import { cacheDecoder, resourcePrefix } from './registry/object.js';
import { GenericRegistry } from './registry/generic.js';
import { builtinResources } from './registry/index.js';
import { ServiceAllocator } from './registry/core/service-allocator.js';
import type { Resource } from './registry/strategy.js';
import { storageVersionOf } from './registry/conversion.js';
import { requestInfo, type ResourceRequest } from './request-info.js';
import { isConnectRequest, NodeProxy } from './proxy/node-proxy.js';
import type { Duplex } from 'node:stream';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';

/**
 * Resources served from storage rather than the watch cache, as kube-apiserver's default watch cache sizes
 * leave events out: there are many of them, each read rarely, and caching them would cost the apiserver
 * memory for every pod ever scheduled or started within the event TTL.
 */
const UNCACHED_RESOURCES = new Set(['/events']);

export interface APIServerOptions {
  /** The client certificate the apiserver shows kubelets (logs, exec, attach, port-forward, nodes/proxy). */
  kubeletClient?: { cert: string; key: string };
  /** Verify kubelets' serving certificates with this CA; unset = not verified (kube's default). */
  kubeletCA?: string;
  store: Store;
  tls: { key: string; cert: string; ca: string };
  authenticator: Authenticator;
  authorizer: Authorizer;
  logger: Logger;
  /** The address clients reach the server at (discovery's serverAddressByClientCIDRs). */
  advertiseAddress: string;
  /** `--service-cluster-ip-range`: where Services' cluster IPs come from (default 10.96.0.0/12). */
  serviceClusterIPRange?: string;
  /** `--service-node-port-range`: where NodePort Services' ports come from (default 30000-32767). */
  serviceNodePortRange?: string;
  /** `--event-ttl` in seconds: events not observed for this long are deleted (default 1 h). */
  eventTTLSeconds?: number;
  /**
   * Whether the serviceaccount controller runs beside this apiserver, creating each namespace's `default`
   * account: then ServiceAccount admission waits briefly for it and refuses pods when it never comes, as
   * kube-apiserver does. Default false until `k8ts up` runs the controller manager.
   */
  serviceAccountController?: boolean;
  /**
   * Service account token issuing (`--service-account-issuer`, `--service-account-signing-key-file`,
   * `--api-audiences`): serves serviceaccounts/<name>/token. Without it the subresource answers 404.
   */
  serviceAccountTokens?: Pick<TokenRequestContext, 'generator' | 'audiences' | 'maxExpirationSeconds' | 'extendExpiration'>;
}


const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/healthz/ping', '/livez/ping', '/readyz/ping']);

export class APIServer {
  readonly registry = new ResourceRegistry();
  readonly metrics: APIServerMetrics;
  private readonly resources = new Map<string, Resource>();
  private readonly registries = new Map<string, GenericRegistry>();
  private readonly cacher: Cacher;
  private readonly store: Store;
  private readonly serviceAllocator: ServiceAllocator;
  private readonly discovery: Discovery;
  private readonly openapi: OpenAPI;
  private readonly write: WriteContext;
  private readonly quotaRecalculator: QuotaRecalculator;
  private readonly eventExpiry: EventExpiry;
  private readonly log: Logger;
  private readonly nodeProxy: NodeProxy;
  /** Connections handed to the node proxy (exec, port-forward): ended on shutdown. */
  private readonly upgraded = new Set<Duplex>();
  /** The watch caches as admission reads them; authenticators look objects up here too (service account tokens). */
  readonly objects: ObjectReader;
  private server: Server | undefined;
  private ready = false;
  private stopping = false;
  private inFlight = 0;
  private drained: (() => void) | undefined;

  constructor(private readonly opts: APIServerOptions) {
    this.log = opts.logger;
    this.metrics = new APIServerMetrics(() =>
      [...this.registries.values()].map((r) => ({ group: r.gr.group, resource: r.gr.resource, count: r.cache?.watcherCount ?? 0 })),
    );
    this.store = this.metrics.instrument(opts.store);
    this.serviceAllocator = new ServiceAllocator(this.store, {
      ...(opts.serviceClusterIPRange ? { serviceClusterIPRange: opts.serviceClusterIPRange } : {}),
      ...(opts.serviceNodePortRange ? { serviceNodePortRange: opts.serviceNodePortRange } : {}),
    });
    const all = builtinResources({ serviceAllocator: this.serviceAllocator });
    for (const r of all) {
      this.registry.register(r.info);
      this.resources.set(`${r.info.group}/${r.info.version}/${r.info.resource}`, r);
    }
    const stored = all.filter((r) => !r.info.storage);
    const cached = (r: Resource): boolean => !UNCACHED_RESOURCES.has(`${r.info.group}/${r.info.resource}`);
    this.cacher = new Cacher(this.store, {
      root: '/registry/',
      logger: this.log.child({ component: 'watch-cache' }),
      resources: stored.filter(cached).map((r) => ({ prefix: resourcePrefix(r.info.group, r.info.resource), decode: cacheDecoder(r) })),
    });
    for (const r of stored) {
      this.registries.set(resourcePrefix(r.info.group, r.info.resource), new GenericRegistry(r, this.store, this.cacher, cached(r)));
    }
    this.discovery = new Discovery(this.registry, opts.advertiseAddress);
    this.openapi = new OpenAPI(this.registry);
    const namespaces = this.registryFor(this.resources.get('/v1/namespaces')!);
    const quotas = this.registryFor(this.resources.get('/v1/resourcequotas')!);
    this.objects = new CacheObjectReader(
      (gr) => this.registries.get(resourcePrefix(gr.group, gr.resource)),
      () => this.registries.values(),
    );
    const admission = admissionPlugins({
      objects: this.objects,
      writeQuotaStatus: async (namespace, name, status) => {
        await quotas.update(namespace, name, (quota) => ({ ...quota, status }), { subresource: 'status' });
      },
      logger: this.log.child({ component: 'admission' }),
      defaultAccountsManaged: opts.serviceAccountController ?? false,
      namespaceLifecycle: new NamespaceLifecycle(async (name) => {
        const cached = await namespaces.find(undefined, name);
        if (!cached) return undefined;
        const ns = JSON.parse(cached.json) as { status?: { phase?: string } };
        return { phase: ns.status?.phase ?? '' };
      }),
    });
    this.quotaRecalculator = admission.quotaRecalculator;
    this.write = {
      // Objects are defaulted before admission, as kube-apiserver defaults what it decodes.
      admission: new AdmissionChain(admission.plugins, (attrs) => {
        if (attrs.resource.storage || !attrs.object) return;
        this.resources.get(`${attrs.resource.group}/${attrs.resource.version}/${attrs.resource.resource}`)?.strategy.defaults?.(attrs.object);
      }),
    };
    this.nodeProxy = new NodeProxy({
      getPod: async (namespace, name) => (await this.registryFor(this.resources.get('/v1/pods')!).getObject(namespace, name)) as Pod,
      getNode: async (name) => (await this.registryFor(this.resources.get('/v1/nodes')!).getObject(undefined, name)) as Node,
      ...(opts.kubeletClient ? { kubeletClient: opts.kubeletClient } : {}),
      ...(opts.kubeletCA ? { kubeletCA: opts.kubeletCA } : {}),
    });
    this.eventExpiry = new EventExpiry(this.registryFor(this.resources.get('/v1/events')!), {
      ttlSeconds: opts.eventTTLSeconds ?? DEFAULT_EVENT_TTL_SECONDS,
      logger: this.log.child({ component: 'event-expiry' }),
    });
  }

  /** Fills the watch cache, creates the system namespaces and starts serving. */
  async start(port: number, host: string): Promise<void> {
    await this.cacher.start();
    await this.bootstrap();
    this.quotaRecalculator.start();
    this.eventExpiry.start();
    this.server = createServer(
      {
        key: this.opts.tls.key,
        cert: this.opts.tls.cert,
        ca: this.opts.tls.ca,
        requestCert: true,
        rejectUnauthorized: false,
        keepAlive: true,
      },
      (req, res) => void this.handle(req, res),
    );
    // exec, attach and port-forward upgrade the connection (SPDY, WebSocket) and are piped to the kubelet.
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.handleUpgrade(req, socket, head));
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 70_000;
    this.server.requestTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => {
        this.server!.off('error', reject);
        resolve();
      });
    });
    // The bound port is known only now (tests ask for port 0).
    await this.bootstrapKubernetesService();
    this.ready = true;
  }

  /** The port actually bound (for tests that ask for port 0). */
  get port(): number {
    const addr = this.server?.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  /** Stops accepting, lets in-flight requests finish (writes included), closes watches. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    this.ready = false;
    const server = this.server;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    server?.closeIdleConnections();
    if (this.inFlight > 0) {
      await Promise.race([new Promise<void>((r) => (this.drained = r)), new Promise((r) => setTimeout(r, 10_000).unref())]);
    }
    for (const res of openWatches) res.end();
    this.quotaRecalculator.stop();
    await this.eventExpiry.stop();
    await this.cacher.stop();
    server?.closeAllConnections();
    for (const socket of this.upgraded) socket.destroy();
    await closed;
  }

  private registryFor(resource: Resource): GenericRegistry {
    const sv = storageVersionOf(resource.info);
    const prefix = resourcePrefix(sv.group, resource.info.resource);
    const registry = this.registries.get(prefix);
    if (!registry) throw new Error(`no registry for ${prefix}`);
    return registry;
  }

  private async bootstrap(): Promise<void> {
    const namespaces = this.registryFor(this.resources.get('/v1/namespaces')!);
    for (const name of SYSTEM_NAMESPACES) {
      try {
        await namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 409)) throw err;
      }
    }
    // The built-in priority classes, as kube-apiserver's bootstrap creates them.
    const priorityClasses = this.registryFor(this.resources.get('scheduling.k8s.io/v1/priorityclasses')!);
    for (const pc of SYSTEM_PRIORITY_CLASSES) {
      try {
        await priorityClasses.create({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: pc.name }, value: pc.value, description: pc.description });
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 409)) throw err;
      }
    }
  }

  /**
   * The `kubernetes` Service in `default` (the first IP of the service range, 443 -> the apiserver's port) and
   * its Endpoints (the advertise address), as kube-apiserver's controlplane reconciler keeps them.
   */
  private async bootstrapKubernetesService(): Promise<void> {
    const services = this.registryFor(this.resources.get('/v1/services')!);
    const endpoints = this.registryFor(this.resources.get('/v1/endpoints')!);
    const port = this.port;
    const ip = advertiseHost(this.opts.advertiseAddress);
    const servicePorts = [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }];
    const metadata = { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } };
    // Kept from an earlier run (its IP is then already reserved): only follow the apiserver's port if it moved.
    const existing = await services.getObject('default', 'kubernetes').catch((err: unknown) => {
      if (err instanceof StatusError && err.code === 404) return undefined;
      throw err;
    });
    if (!existing) {
      await services.create({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { ...metadata },
        spec: { type: 'ClusterIP', clusterIP: this.serviceAllocator.firstIP, sessionAffinity: 'None', ports: servicePorts },
      });
    } else if (JSON.stringify((existing.spec as { ports?: unknown } | undefined)?.ports) !== JSON.stringify(servicePorts)) {
      await services.update('default', 'kubernetes', (svc) => {
        const spec = (svc.spec ?? {}) as { ports?: unknown };
        spec.ports = servicePorts;
        svc.spec = spec;
        return svc;
      });
    }
    const subsets = [{ addresses: [{ ip }], ports: [{ name: 'https', port, protocol: 'TCP' }] }];
    try {
      await endpoints.create({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets });
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 409)) throw err;
      await endpoints.update('default', 'kubernetes', (ep) => (JSON.stringify(ep.subsets) === JSON.stringify(subsets) ? ep : { ...ep, subsets }));
    }
  }

  /**
   * A server for in-process clients (src/client/in-process-transport.ts): it never listens; the client hands it
   * in-memory connections. Its requests go through `handle` like HTTPS ones (authorization, admission,
   * defaulting, validation, dry run, watch) with `user` as the authenticated user, which is what a client
   * certificate would have said; only TLS and the kernel's sockets are skipped.
   */
  loopbackServer(user: UserInfo): PlainServer {
    const server = createPlainServer((req, res) => void this.handle(req, res, user));
    server.keepAliveTimeout = 0;
    server.requestTimeout = 0;
    server.headersTimeout = 0;
    return server;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, loopbackUser?: UserInfo): Promise<void> {
    const started = performance.now();
    this.inFlight++;
    let scope: RequestScope | undefined;
    let info: ReturnType<typeof requestInfo> | undefined;
    // Read once: the answer's form, for the handlers and for any error written.
    const accept = negotiate(req.headers.accept);
    try {
      const url = new URL(req.url ?? '/', 'https://k8ts');
      const path = requestPath(req.url, url);
      if (PUBLIC_PATHS.has(path) || path.startsWith('/readyz/') || path.startsWith('/livez/') || path.startsWith('/healthz/')) {
        this.serveHealth(req, res, path, url.searchParams);
        return;
      }
      const user = loopbackUser ?? this.opts.authenticator.authenticate(req);
      if (!user) throw unauthorized();
      info = requestInfo(req.method ?? 'GET', path, url.searchParams);
      const decision = await this.opts.authorizer.authorize({
        user,
        verb: info.verb,
        isResourceRequest: info.isResourceRequest,
        ...(info.isResourceRequest
          ? { group: info.group, version: info.version, resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name }
          : { path }),
      });
      if (!decision.allowed) {
        const gr = info.isResourceRequest ? { group: info.group, resource: info.resource } : { group: '', resource: '' };
        throw forbidden(user.name, info.verb, gr, info.isResourceRequest ? info.namespace : undefined, decision.reason);
      }
      // A client that accepts none of the forms the server writes gets a 406 (health and metrics are plain text).
      if (!accept.acceptable && path !== '/metrics') throw notAcceptable();
      if (!info.isResourceRequest) {
        await this.serveNonResource(req, res, path, accept);
        return;
      }
      scope = this.scopeFor(req, res, url.searchParams, info, user, accept);
      await this.dispatch(scope);
    } catch (err) {
      const status = toStatusError(err);
      if (status.code >= 500) this.log.error({ err, method: req.method, url: req.url }, 'request failed');
      if (scope) scope.code = status.code;
      writeStatus(req, res, status, accept.type);
      if (!scope && info?.isResourceRequest) this.metrics.requests.inc({ verb: info.verb.toUpperCase(), group: info.group, version: info.version, resource: info.resource, subresource: info.subresource, scope: '', code: String(status.code) });
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.drained) this.drained();
      if (scope) this.observe(scope, started);
    }
  }

  /**
   * An upgrade request: authenticated and authorized as any other, then only the connect subresources
   * (pods/exec, attach, portforward; nodes/proxy) are served, by piping to the kubelet.
   */
  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    this.upgraded.add(socket);
    socket.once('close', () => this.upgraded.delete(socket));
    try {
      const url = new URL(req.url ?? '/', 'https://k8ts');
      const path = requestPath(req.url, url);
      const user = this.opts.authenticator.authenticate(req);
      if (!user) throw unauthorized();
      const info = requestInfo(req.method ?? 'GET', path, url.searchParams);
      if (!info.isResourceRequest || !isConnectRequest(info)) throw badRequest('upgrade is only supported for pods/exec, pods/attach, pods/portforward and nodes/proxy');
      const decision = await this.opts.authorizer.authorize({ user, verb: info.verb, isResourceRequest: true, group: info.group, version: info.version, resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name });
      if (!decision.allowed) throw forbidden(user.name, info.verb, { group: info.group, resource: info.resource }, info.namespace, decision.reason);
      // Not counted in flight: a long exec must not hold up shutdown (it ends with the connections).
      await this.nodeProxy.serveUpgrade(info, req, socket, head, url.searchParams, path);
    } catch (err) {
      const status = toStatusError(err);
      if (status.code >= 500) this.log.error({ err, method: req.method, url: req.url }, 'upgrade request failed');
      const body = JSON.stringify(status.status);
      if (!socket.destroyed) socket.end(`HTTP/1.1 ${status.code} ${status.reason ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
  }

  private scopeFor(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, info: ResourceRequest, user: UserInfo, accept: Negotiated): RequestScope {
    const resource = this.resources.get(`${info.group}/${info.version}/${info.resource}`);
    if (!resource) throw resourceNotFound();
    // As kube's registry key functions: a name or namespace from the path is one segment of a storage key.
    for (const [what, value] of [['Namespace', info.namespace], ['Name', info.name]] as const) {
      const problems = value ? isValidPathSegmentName(value) : [];
      if (problems.length > 0) throw badRequest(`${what} parameter invalid: ${goQuote(value)}: ${problems.join(';')}`);
    }
    const namespaced = resource.info.namespaced;
    // A cluster-scoped resource under /namespaces/<ns>/ (other than namespaces themselves) does not exist.
    if (!namespaced && info.namespace && !(info.resource === 'namespaces' && info.namespace === info.name)) throw resourceNotFound();
    if (!namespaced) info.namespace = '';
    if (namespaced && !info.namespace && (info.name || info.verb === 'create')) throw resourceNotFound();
    // kube serves only list and watch across namespaces: DELETE /api/v1/configmaps does not empty every namespace.
    if (namespaced && !info.namespace && info.verb === 'deletecollection') throw methodNotSupported({ group: info.group, resource: info.resource }, 'deletecollection');
    if (info.subresource && !resource.info.subresources?.includes(info.subresource)) throw resourceNotFound();
    return newScope(req, res, query, info, resource, this.registryFor(resource), user, accept);
  }

  private async dispatch(scope: RequestScope): Promise<void> {
    const { info } = scope;
    if (!(scope.resource.info.verbs as readonly string[]).includes(info.verb) && !info.subresource) {
      throw methodNotSupported(scope.registry.gr, info.verb);
    }
    // A namespace's finalize is written with PUT only.
    if (info.subresource === 'finalize' && info.verb !== 'update') throw methodNotSupported(scope.registry.gr, info.verb);
    // A binding is only ever created (the scheduler's POST).
    if (info.subresource === 'binding' && info.verb !== 'create') throw methodNotSupported(scope.registry.gr, info.verb);
    if (info.subresource === 'eviction' && info.verb !== 'create') throw methodNotSupported(scope.registry.gr, info.verb);
    if (isConnectRequest(info)) {
      const path = requestPath(scope.req.url, new URL(scope.req.url ?? '/', 'https://k8ts'));
      return this.nodeProxy.serve(info, scope.req, scope.res, scope.query, path, (status) => {
        scope.code = status.code;
        writeStatus(scope.req, scope.res, status, scope.accept.type);
      });
    }
    if (info.subresource === 'token' && info.verb !== 'create') throw methodNotSupported(scope.registry.gr, info.verb);
    switch (info.verb) {
      case 'get':
        if (info.subresource === 'scale') return getScale(scope);
        return getObject(scope);
      case 'list':
        return listObjects(scope);
      case 'watch':
        if (scope.req.method !== 'GET' && scope.req.method !== 'HEAD') throw methodNotSupported(scope.registry.gr, String(scope.req.method).toLowerCase());
        return watchObjects(scope);
      case 'create':
        if (info.subresource === 'binding') return createBinding(scope);
        if (info.subresource === 'eviction') return createEviction(scope, this.registryFor(this.resources.get('policy/v1/poddisruptionbudgets')!));
        if (info.subresource === 'token') return this.createToken(scope);
        return createObject(scope, this.write);
      case 'update':
        return updateObject(scope, this.write);
      case 'patch':
        return patchObject(scope, this.write);
      case 'delete':
        return deleteObject(scope, this.write);
      case 'deletecollection':
        return deleteCollection(scope, this.write);
    }
  }

  /** serviceaccounts/<name>/token, when this server issues service account tokens. */
  private createToken(scope: RequestScope): Promise<void> {
    const tokens = this.opts.serviceAccountTokens;
    if (!tokens) throw resourceNotFound();
    const registry = (key: string): GenericRegistry => this.registryFor(this.resources.get(key)!);
    return createTokenRequest(scope, { ...tokens, pods: registry('/v1/pods'), secrets: registry('/v1/secrets'), nodes: registry('/v1/nodes') });
  }

  private observe(scope: RequestScope, started: number): void {
    const { info } = scope;
    const labels = {
      verb: info.verb === 'watch' ? 'WATCH' : info.verb.toUpperCase(),
      group: info.group,
      version: info.version,
      resource: info.resource,
      subresource: info.subresource,
      scope: scope.resource.info.namespaced ? (info.namespace ? 'namespace' : info.name ? 'resource' : 'cluster') : 'cluster',
    };
    this.metrics.requests.inc({ ...labels, code: String(scope.code ?? 200) });
    if (info.verb !== 'watch') this.metrics.requestDuration.observe(labels, (performance.now() - started) / 1000);
  }

  private serveHealth(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): void {
    if (path === '/version') {
      const { major, minor, patch } = KUBERNETES_VERSION;
      writeObject(req, res, {
        major,
        minor,
        gitVersion: `v${major}.${minor}.${patch}+k8ts-${K8TS_VERSION}`,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: `node${process.versions.node}`,
        compiler: 'k8ts',
        platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
      });
      return;
    }
    const kind = path.split('/')[1]!;
    const checks: Array<[string, boolean]> = [['ping', true]];
    if (kind !== 'livez') {
      checks.push(['etcd', !this.stopping]);
      checks.push(['informer-sync', this.ready]);
    }
    if (kind === 'readyz') checks.push(['shutdown', !this.stopping]);
    const sub = path.split('/')[2];
    const selected = sub ? checks.filter(([name]) => name === sub) : checks;
    if (sub && selected.length === 0) {
      writeStatus(req, res, resourceNotFound());
      return;
    }
    const ok = selected.every(([, passed]) => passed);
    let body = ok ? 'ok' : `${kind} check failed`;
    if (query.has('verbose') || !ok) {
      body = selected.map(([name, passed]) => `[${passed ? '+' : '-'}]${name} ${passed ? 'ok' : 'failed'}`).join('\n') + `\n${kind} check ${ok ? 'passed' : 'failed'}\n`;
    }
    res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end(body);
  }

  private async serveNonResource(req: IncomingMessage, res: ServerResponse, path: string, accept: Negotiated): Promise<void> {
    if (path === '/metrics') {
      const text = await this.metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType });
      res.end(text);
      return;
    }
    if (path.startsWith('/openapi/')) {
      const doc = this.openapi.document(path);
      if (doc === undefined) throw resourceNotFound();
      writeObject(req, res, undefined, { json: doc });
      return;
    }
    const doc = this.discovery.document(path, accept.aggregatedDiscovery);
    if (doc === undefined) throw resourceNotFound();
    const aggregated = accept.aggregatedDiscovery && (path === '/api' || path === '/apis' || path === '/api/' || path === '/apis/');
    writeObject(req, res, undefined, { json: doc, headers: aggregated ? { 'Content-Type': AGGREGATED_DISCOVERY_TYPE } : {} });
  }
}

/**
 * The path as sent, without the WHATWG URL normalization that resolves `..` and `%2e%2e` segments and turns
 * `\` into `/`: kube-apiserver routes the path segments it was given, so `configmaps/%2e%2e` names a
 * configmap (an invalid name), never the namespace above it.
 */
function requestPath(raw: string | undefined, parsed: URL): string {
  if (!raw?.startsWith('/')) return parsed.pathname;
  const end = raw.search(/[?#]/);
  return end < 0 ? raw : raw.slice(0, end);
}

/** The host part of an advertise address (`127.0.0.1:6443`, `[::1]:6443`). */
function advertiseHost(address: string): string {
  const bracketed = /^\[(.*)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  const colon = address.lastIndexOf(':');
  return colon > 0 && address.indexOf(':') === colon ? address.slice(0, colon) : address;
}
