/**
 * Service account tokens for projected volumes, cached like the kubelet's token manager
 * (pkg/kubelet/token): one token per (namespace, service account, audiences, expiry, bound pod), fetched again
 * once 80% of its lifetime has passed (or after 24 hours), so the resync rewrites the file before it expires.
 */
import type { TokenRequestSpec } from 'kubernetes-types/authentication/v1.js';
import { VolumeError, type TokenRequester } from './types.js';

/** kube's maxTTL: a token is refreshed at least this often whatever its expiry. */
const MAX_TTL_MS = 24 * 60 * 60 * 1000;

interface CachedToken {
  token: string;
  issuedAt: number;
  expiresAt: number;
  podUid: string | undefined;
}

/** Caches and refreshes tokens; `now` is injectable so tests can move time. */
export class TokenManager {
  private readonly cache = new Map<string, CachedToken>();

  constructor(
    private readonly requester: TokenRequester | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** A valid token for the request, from the cache unless it needs a refresh. */
  async getServiceAccountToken(namespace: string, serviceAccountName: string, spec: TokenRequestSpec): Promise<string> {
    const key = JSON.stringify([namespace, serviceAccountName, spec.audiences ?? [], spec.expirationSeconds ?? null, spec.boundObjectRef ?? null]);
    const cached = this.cache.get(key);
    if (cached && !this.requiresRefresh(cached)) return cached.token;
    if (!this.requester) throw new VolumeError('failed to fetch token: no token requester configured');
    const issuedAt = this.now();
    let status;
    try {
      status = await this.requester(namespace, serviceAccountName, spec);
    } catch (err) {
      // A token that is still valid is better than none while the apiserver is unreachable.
      if (cached && cached.expiresAt > this.now()) return cached.token;
      throw new VolumeError(`failed to fetch token: ${(err as Error).message}`);
    }
    const parsed = Date.parse(status.expirationTimestamp);
    const expiresAt = Number.isNaN(parsed) ? issuedAt + (spec.expirationSeconds ?? 3600) * 1000 : parsed;
    this.cache.set(key, { token: status.token, issuedAt, expiresAt, podUid: spec.boundObjectRef?.uid });
    return status.token;
  }

  private requiresRefresh(t: CachedToken): boolean {
    const now = this.now();
    if (now >= t.issuedAt + MAX_TTL_MS) return true;
    return now >= t.expiresAt - (t.expiresAt - t.issuedAt) * 0.2;
  }

  /** Forgets the tokens bound to a pod that is gone. */
  deleteServiceAccountTokens(podUid: string): void {
    for (const [key, t] of this.cache) if (t.podUid === podUid) this.cache.delete(key);
  }
}
