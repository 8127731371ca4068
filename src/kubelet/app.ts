/**
 * The node agent as `k8ts up` and `k8ts agent` run it: a supervised containerd (unless a runtime endpoint is
 * given), the CRI connection, the volume manager, the kubelet's HTTPS server and the kubelet itself.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TokenRequest } from 'kubernetes-types/authentication/v1.js';
import type { Client } from '../client/client.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import { componentLogger } from '../util/log.js';
import { ContainerdSupervisor } from './containerd/supervisor.js';
import { connectCri, type CriConnection } from './cri/client.js';
import { Kubelet } from './kubelet.js';
import { KubeletServer } from './server/server.js';
import { VolumeManager } from './volumes/manager.js';
import { resolveSubPath } from './volumes/subpath.js';
import { DEFAULT_SANDBOX_IMAGE, parseRegistryMirror } from './containerd/config.js';
import type { Threshold } from './eviction/manager.js';
import type { ImageGCPolicy } from './images/gc.js';
import { defaultNodeName } from './nodestatus.js';

export interface NodeAgentOptions {
  client: Client;
  /** `<dataDir>`: the kubelet's state under `kubelet/`, the supervised containerd's under `containerd/`. */
  dataDir: string;
  nodeName?: string;
  /** A running CRI runtime (`unix:///run/containerd/containerd.sock`); none: k8ts starts its own containerd. */
  containerRuntimeEndpoint?: string;
  /** `docker.io=http://127.0.0.1:5000` style mirrors for the supervised containerd. */
  registryMirrors?: string[];
  sandboxImage?: string;
  podCIDR?: string;
  /** The CNI bridge of the supervised containerd (default `k8ts0`). */
  cniBridge?: string;
  kubeletPort?: number;
  /** How often every pod is synced again and volume contents refreshed (default 1 min). */
  syncFrequencyMs?: number;
  evictionHard?: readonly Threshold[];
  imageGCPolicy?: ImageGCPolicy;
  /** The kubelet server's TLS: its serving pair, and the CA its clients' certificates are signed by. */
  tls: { cert: string; key: string; clientCA: string };
  informers?: SharedInformerFactory;
  metricsRegistry?: Registry;
  logger?: Logger;
}

export const DEFAULT_POD_CIDR = '10.244.0.0/24';

/**
 * The CNI bridge of a pod network: `k8ts0` for the default one, a name derived from the CIDR otherwise, so that
 * nodes on one machine (tests, several agents) with different pod networks never share a bridge.
 */
export function bridgeFor(podCIDR: string): string {
  if (podCIDR === DEFAULT_POD_CIDR) return 'k8ts0';
  return `k8ts${createHash('sha256').update(podCIDR).digest('hex').slice(0, 8)}`;
}

export class NodeAgent {
  private containerd: ContainerdSupervisor | undefined;
  private cri: CriConnection | undefined;
  private volumes: VolumeManager | undefined;
  private server: KubeletServer | undefined;
  private kubelet: Kubelet | undefined;
  private readonly log: Logger;

  constructor(private readonly o: NodeAgentOptions) {
    this.log = o.logger ?? componentLogger('kubelet');
  }

  get nodeName(): string {
    return this.o.nodeName ?? defaultNodeName();
  }

  async start(): Promise<void> {
    const podCIDR = this.o.podCIDR ?? DEFAULT_POD_CIDR;
    let endpoint = this.o.containerRuntimeEndpoint;
    if (!endpoint) {
      this.containerd = new ContainerdSupervisor({
        dir: join(this.o.dataDir, 'containerd'),
        podCIDR,
        bridge: this.o.cniBridge ?? bridgeFor(podCIDR),
        ...(this.o.sandboxImage ? { sandboxImage: this.o.sandboxImage } : {}),
        registryMirrors: (this.o.registryMirrors ?? []).map(parseRegistryMirror),
      });
      endpoint = await this.containerd.start();
    }
    this.cri = connectCri(endpoint);
    const rootDir = join(this.o.dataDir, 'kubelet');
    const client = this.o.client;
    let kubelet: Kubelet | undefined;
    this.volumes = new VolumeManager(
      {
        rootDir,
        getConfigMap: (ns, name) => kubelet!.getConfigMap(ns, name),
        getSecret: (ns, name) => kubelet!.getSecret(ns, name),
        getPVC: (ns, name) => kubelet!.getPVC(ns, name),
        getPV: (name) => kubelet!.getPV(name),
        requestToken: async (ns, sa, spec) => {
          const body: TokenRequest = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec };
          const res = await client.requestJSON<TokenRequest>('POST', `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`, body);
          return res.status!;
        },
        nodeAllocatable: () => kubelet?.allocatable() ?? {},
      },
      { logger: this.log.child({ part: 'volumes' }), resyncIntervalMs: this.o.syncFrequencyMs ?? 60_000 },
    );
    const volumes = this.volumes;
    kubelet = new Kubelet({
      client,
      runtime: this.cri.runtime,
      images: this.cri.images,
      nodeName: this.o.nodeName,
      rootDir,
      podCIDR,
      informers: this.o.informers,
      volumes: {
        setUpPod: (pod) => volumes.setUpPod(pod),
        tearDownPod: (uid) => volumes.tearDownPod(uid),
        resolveSubPath: (hostPath, subPath, owner) => resolveSubPath(hostPath, subPath, owner),
        cleanupOrphanedPods: (active) => volumes.cleanupOrphanedPods(active),
      },
      metricsRegistry: this.o.metricsRegistry,
      syncFrequencyMs: this.o.syncFrequencyMs,
      ...(this.o.evictionHard ? { evictionHard: this.o.evictionHard } : {}),
      ...(this.o.imageGCPolicy ? { imageGCPolicy: this.o.imageGCPolicy } : {}),
      pinnedImages: [this.o.sandboxImage ?? DEFAULT_SANDBOX_IMAGE],
      logger: this.log,
    });
    this.kubelet = kubelet;
    this.server = new KubeletServer({ host: kubelet.serverHost(), tls: this.o.tls, port: this.o.kubeletPort ?? 10250, logger: this.log.child({ part: 'server' }) });
    await this.server.start();
    kubelet.kubeletPort = this.server.port;
    await kubelet.start();
    this.volumes.start();
  }

  async stop(): Promise<void> {
    await this.kubelet?.stop();
    this.volumes?.stop();
    await this.server?.stop();
    this.cri?.close();
    // containerd stops; the containers keep running in their shims, and a restarted agent adopts them.
    await this.containerd?.stop();
  }
}
