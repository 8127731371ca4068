import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
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
