/**
 * Starting the node agent: in `k8ts up` with the cluster CA at hand, and as `k8ts agent --server URL --token T`
 * joining a cluster from another machine.
 */
import { readFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:https';
import type { Registry } from 'prom-client';
import { Client } from '../client/client.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import { AgentTransport, type Transport, type TransportRequest, type TransportResponse } from '../client/transport.js';
import { NodeAgent } from '../kubelet/app.js';
import { nodeInternalIP } from '../kubelet/nodestatus.js';
import { createCA, issueCertificate, type KeyPair } from '../pki/pki.js';
import { componentLogger } from '../util/log.js';
import { K8TS_VERSION, KUBERNETES_VERSION } from '../version.js';
import type { KubeletFlags } from './kubelet-flags.js';
import { parseDuration } from './duration.js';
import { parseEvictionHard } from '../kubelet/eviction/manager.js';
import { DEFAULT_IMAGE_GC_POLICY } from '../kubelet/images/gc.js';

export interface NodeAgentContext {
  client: Client;
  dataDir: string;
  /** Signs the kubelet's serving certificate and its clients' (the apiserver's) certificates. */
  ca: KeyPair;
  /** Only the CA's certificate is known (a joining node): the serving certificate is signed by a CA of its own. */
  caKeyUnknown?: boolean;
  informers?: SharedInformerFactory;
  metricsRegistry?: Registry;
}

/**
 * The node agent for these flags, not started yet: the caller holds it before starting it, so a signal during
 * the start (containerd up, the node not registered yet) still stops what was started.
 */
export async function createNodeAgent(flags: KubeletFlags, ctx: NodeAgentContext): Promise<NodeAgent> {
  const nodeName = flags.hostnameOverride ?? hostname().toLowerCase();
  const signer = ctx.caKeyUnknown ? await createCA() : ctx.ca;
  const serving = await issueCertificate(signer, { subject: `CN=${nodeName}`, usage: 'server', sans: [nodeName, nodeInternalIP(), '127.0.0.1', 'localhost'] });
  const agent = new NodeAgent({
    client: ctx.client,
    dataDir: ctx.dataDir,
    nodeName,
    ...(flags.containerRuntimeEndpoint ? { containerRuntimeEndpoint: flags.containerRuntimeEndpoint } : {}),
    registryMirrors: flags.registryMirror,
    ...(flags.podInfraContainerImage ? { sandboxImage: flags.podInfraContainerImage } : {}),
    ...(flags.podCidr ? { podCIDR: flags.podCidr } : {}),
    kubeletPort: flags.kubeletPort,
    syncFrequencyMs: parseDuration(flags.syncFrequency),
    evictionHard: parseEvictionHard(flags.evictionHard),
    imageGCPolicy: { ...DEFAULT_IMAGE_GC_POLICY, highThresholdPercent: flags.imageGcHighThreshold, lowThresholdPercent: flags.imageGcLowThreshold },
    tls: { cert: serving.cert, key: serving.key, clientCA: ctx.ca.cert },
    ...(ctx.informers ? { informers: ctx.informers } : {}),
    ...(ctx.metricsRegistry ? { metricsRegistry: ctx.metricsRegistry } : {}),
    logger: componentLogger('kubelet'),
  });
  return agent;
}

/** Starts `agent`; on failure everything it started is stopped again before the error is thrown. */
export async function startNodeAgent(agent: NodeAgent): Promise<void> {
  try {
    await agent.start();
  } catch (err) {
    await agent.stop().catch(() => undefined);
    throw err;
  }
}

/** Sends a bearer token with every request (the agent's credentials). */
class BearerTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly token: string,
  ) {}

  request(req: TransportRequest): Promise<TransportResponse> {
    return this.inner.request({ ...req, headers: { ...req.headers, Authorization: `Bearer ${this.token}` } });
  }

  close(): void {
    this.inner.close();
  }
}

export interface AgentOptions extends KubeletFlags {
  server: string;
  token: string;
  /** The cluster CA's certificate (PEM file); it verifies the apiserver and the clients of the kubelet server. */
  certificateAuthority: string;
  dataDir: string;
}

/** `k8ts agent`: a node joining a cluster with a bearer token. */
export async function agent(opts: AgentOptions): Promise<void> {
  const log = componentLogger('agent');
  const ca = await readFile(opts.certificateAuthority, 'utf8');
  const server = new URL(opts.server);
  const https = new Agent({ keepAlive: true, ca });
  const transport = new BearerTransport(new AgentTransport(https, { protocol: 'https:', host: server.hostname, port: server.port || '443' }), opts.token);
  const client = new Client(transport, `kubelet/v${KUBERNETES_VERSION.major}.${KUBERNETES_VERSION.minor}.${KUBERNETES_VERSION.patch} k8ts/${K8TS_VERSION}`);
  const nodeAgent = await createNodeAgent(opts, { client, dataDir: opts.dataDir, ca: { cert: ca, key: '' }, caKeyUnknown: true });
  const stop = async (): Promise<void> => {
    await nodeAgent.stop();
    client.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  try {
    await startNodeAgent(nodeAgent);
  } catch (err) {
    console.error(`k8ts: kubelet: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  log.info({ node: nodeAgent.nodeName, server: opts.server }, 'node agent joined');
  console.error(`k8ts: node ${nodeAgent.nodeName} joined ${opts.server}`);
}
