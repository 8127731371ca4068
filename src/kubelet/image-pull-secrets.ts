/**
 * Registry credentials from a pod's imagePullSecrets (kubernetes.io/dockerconfigjson or the older
 * kubernetes.io/dockercfg), matched to an image's registry as the kubelet's credential keyring matches them.
 */
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { AuthConfig } from './cri/types.js';

interface DockerConfigEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** The registry host of an image reference (`docker.io` when it names none). */
export function registryOf(image: string): string {
  const first = image.split('/')[0]!;
  if (!image.includes('/') || !(first.includes('.') || first.includes(':') || first === 'localhost')) return 'docker.io';
  return first;
}

function normalizeKey(key: string): string {
  const host = key.replace(/^https?:\/\//, '').split('/')[0]!;
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

function entries(secret: Secret): Record<string, DockerConfigEntry> {
  const decode = (v: string | undefined): unknown => (v ? JSON.parse(Buffer.from(v, 'base64').toString('utf8')) : undefined);
  try {
    if (secret.type === 'kubernetes.io/dockerconfigjson') {
      return ((decode(secret.data?.['.dockerconfigjson']) as { auths?: Record<string, DockerConfigEntry> } | undefined)?.auths ?? {});
    }
    if (secret.type === 'kubernetes.io/dockercfg') return (decode(secret.data?.['.dockercfg']) as Record<string, DockerConfigEntry> | undefined) ?? {};
  } catch {
    // A malformed secret gives no credentials, as the kubelet skips it.
  }
  return {};
}

/** The first credentials of `secrets` for the image's registry. */
export function credentialsFor(image: string, secrets: Secret[]): AuthConfig | undefined {
  const registry = registryOf(image);
  for (const s of secrets) {
    for (const [key, e] of Object.entries(entries(s))) {
      if (normalizeKey(key) !== registry) continue;
      let { username, password } = e;
      if (e.auth && !username) {
        const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        username = decoded.slice(0, i);
        password = decoded.slice(i + 1);
      }
      return { username, password, serverAddress: registry, ...(e.identitytoken ? { identityToken: e.identitytoken } : {}) };
    }
  }
  return undefined;
}
