import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import type { KeyPair } from './pki.js';

export interface KubeconfigParams {
  /** The apiserver URL, e.g. https://127.0.0.1:6443. */
  server: string;
  caCert: string;
  client: KeyPair;
  cluster?: string;
  user?: string;
}

const b64 = (pem: string): string => Buffer.from(pem).toString('base64');

/** A kubeconfig (v1 Config) that kubectl and client libraries use to reach the cluster with a client certificate. */
export function buildKubeconfig(params: KubeconfigParams): string {
  const cluster = params.cluster ?? 'k8ts';
  const user = params.user ?? 'k8ts-admin';
  const context = `${user}@${cluster}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: params.server, 'certificate-authority-data': b64(params.caCert) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(params.client.cert), 'client-key-data': b64(params.client.key) } }],
    contexts: [{ name: context, context: { cluster, user } }],
    'current-context': context,
    preferences: {},
  });
}

/** Writes a kubeconfig readable only by its owner (it holds a private key). */
export async function writeKubeconfig(path: string, params: KubeconfigParams): Promise<void> {
  await writeFile(path, buildKubeconfig(params), { mode: 0o600 });
}

/** What a client needs from a kubeconfig's current context: the server and the client-certificate TLS material. */
export interface KubeconfigCredentials {
  server: URL;
  ca: string;
  cert: string;
  key: string;
}

interface KubeconfigFile {
  'current-context'?: string;
  clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data': string } }>;
  users: Array<{ name: string; user: { 'client-certificate-data': string; 'client-key-data': string } }>;
  contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
}

const fromB64 = (data: string): string => Buffer.from(data, 'base64').toString('utf8');

/** Reads the current context (or the first one) of a kubeconfig such as `buildKubeconfig` writes. */
export function readKubeconfig(path: string): KubeconfigCredentials {
  const config = parse(readFileSync(path, 'utf8')) as KubeconfigFile;
  const context = (config.contexts.find((c) => c.name === config['current-context']) ?? config.contexts[0]!).context;
  const cluster = config.clusters.find((c) => c.name === context.cluster)!.cluster;
  const user = config.users.find((u) => u.name === context.user)!.user;
  return {
    server: new URL(cluster.server),
    ca: fromB64(cluster['certificate-authority-data']),
    cert: fromB64(user['client-certificate-data']),
    key: fromB64(user['client-key-data']),
  };
}
