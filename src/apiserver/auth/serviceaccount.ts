/**
 * Service account token authentication (kube's JWT token authenticator with its two validators): a bearer
 * token signed by a service account key is the account `system:serviceaccount:<ns>:<name>`, in the groups
 * `system:serviceaccounts`, `system:serviceaccounts:<ns>` and `system:authenticated`, as long as
 * - bound tokens (TokenRequest, issuer `--service-account-issuer`): the signature verifies, the token is
 *   within exp/nbf (one minute of leeway), one of its audiences is the apiserver's, and the account and the
 *   pod, secret or node it is bound to still exist with the uids the token names;
 * - legacy tokens (issuer `kubernetes/serviceaccount`, filled into Secrets by the token controller): the
 *   signature verifies, the Secret still holds exactly this token, and the account still exists with its uid.
 * Objects are read from the apiserver's watch cache, as kube reads them from informers.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Node, Pod, Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ObjectReader } from '../admission/admission.js';
import {
  EXTRA_CREDENTIAL_ID,
  EXTRA_NODE_NAME,
  EXTRA_NODE_UID,
  EXTRA_POD_NAME,
  EXTRA_POD_UID,
  kubernetesClaim,
  LEEWAY_SECONDS,
  LEGACY_CLAIMS,
  LEGACY_ISSUER,
  serviceAccountGroups,
  serviceAccountUsername,
  splitServiceAccountUsername,
} from '../serviceaccount/claims.js';
import { parseJWT, verifyJWT, type JWTClaims, type VerificationKey } from '../serviceaccount/jwt.js';
import type { Authenticator, UserInfo } from './authenticator.js';

const AUTHENTICATED = 'system:authenticated';
/** Set on legacy token Secrets the cleaner invalidated (kube ≥1.29): such tokens no longer authenticate. */
export const LEGACY_TOKEN_INVALID_SINCE_LABEL = 'kubernetes.io/legacy-token-invalid-since';

/** Reads the objects a token may name (kube's ServiceAccountTokenGetter); undefined when missing. */
export interface ServiceAccountTokenGetter {
  getServiceAccount(namespace: string, name: string): ServiceAccount | undefined;
  getPod(namespace: string, name: string): Pod | undefined;
  getSecret(namespace: string, name: string): Secret | undefined;
  getNode(name: string): Node | undefined;
}

/** A getter over the apiserver's watch caches (`objects` is a function: the apiserver is built after this). */
export function cacheTokenGetter(objects: () => ObjectReader): ServiceAccountTokenGetter {
  const core = (resource: string) => ({ group: '', resource });
  return {
    getServiceAccount: (ns, name) => objects().get(core('serviceaccounts'), ns, name) as ServiceAccount | undefined,
    getPod: (ns, name) => objects().get(core('pods'), ns, name) as Pod | undefined,
    getSecret: (ns, name) => objects().get(core('secrets'), ns, name) as Secret | undefined,
    getNode: (name) => objects().get(core('nodes'), undefined, name) as Node | undefined,
  };
}

export interface ServiceAccountAuthenticatorOptions {
  /** `--service-account-issuer`: the issuers of bound tokens (legacy tokens are always accepted too). */
  issuers: readonly string[];
  /** `--api-audiences`: a bound token must be for one of these (default the issuers). */
  audiences?: readonly string[];
  /** `--service-account-key-file`: the public keys tokens may be signed with. */
  keys: readonly VerificationKey[];
  getter: ServiceAccountTokenGetter;
  logger?: Logger;
  /** The clock, in milliseconds (tests). */
  now?: () => number;
}

/** The outcome of checking one token: the user, or why it was refused (kube's error wording). */
export type TokenResult = { user: UserInfo } | { error: string } | undefined;

export class ServiceAccountTokenAuthenticator implements Authenticator {
  private readonly issuers: Set<string>;
  private readonly audiences: readonly string[];
  private readonly now: () => number;

  constructor(private readonly opts: ServiceAccountAuthenticatorOptions) {
    this.issuers = new Set(opts.issuers);
    this.audiences = opts.audiences && opts.audiences.length > 0 ? opts.audiences : opts.issuers;
    this.now = opts.now ?? Date.now;
  }

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const result = this.authenticateToken(m[1]!);
    if (result && 'error' in result) this.opts.logger?.debug({ reason: result.error }, 'service account token refused');
    return result && 'user' in result ? result.user : undefined;
  }

  /** Checks one token: undefined when it is not a service account token at all (another method may know it). */
  authenticateToken(token: string): TokenResult {
    const parsed = parseJWT(token);
    if (!parsed) return undefined;
    const iss = parsed.claims.iss;
    const legacy = iss === LEGACY_ISSUER;
    if (typeof iss !== 'string' || (!legacy && !this.issuers.has(iss))) return undefined;
    if (!verifyJWT(parsed, this.opts.keys)) return { error: 'invalid signature' };
    const error = this.checkTimes(parsed.claims);
    if (error) return { error };
    return legacy ? this.validateLegacy(token, parsed.claims) : this.validateBound(parsed.claims);
  }

  private checkTimes(claims: JWTClaims): string | undefined {
    const now = this.now() / 1000;
    const { exp, nbf, iat } = claims;
    if (exp !== undefined && (typeof exp !== 'number' || now >= exp + LEEWAY_SECONDS)) return 'service account token has expired';
    if (nbf !== undefined && (typeof nbf !== 'number' || now + LEEWAY_SECONDS < nbf)) return 'service account token is not valid yet';
    if (iat !== undefined && (typeof iat !== 'number' || now + LEEWAY_SECONDS < iat)) return 'service account token is issued in the future';
    return undefined;
  }

  /** Whether the object was deleted before now minus the leeway (a graceful deletion in progress still counts). */
  private deletedBefore(meta: { deletionTimestamp?: string } | undefined): boolean {
    if (!meta?.deletionTimestamp) return false;
    return Date.parse(meta.deletionTimestamp) < this.now() - LEEWAY_SECONDS * 1000;
  }

  private validateBound(claims: JWTClaims): TokenResult {
    const k = kubernetesClaim(claims);
    if (!k) return { error: 'service account token claims could not be validated due to unexpected private claim' };
    const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.filter((a): a is string => typeof a === 'string') : [];
    if (!aud.some((a) => this.audiences.includes(a))) {
      return { error: `token audiences ${goStrings(aud)} is invalid for the target audiences ${goStrings(this.audiences)}` };
    }
    const { namespace, serviceaccount: saRef } = k;
    const sa = this.opts.getter.getServiceAccount(namespace, saRef.name);
    if (!sa) return { error: `serviceaccounts "${saRef.name}" not found` };
    if (this.deletedBefore(sa.metadata)) return { error: `service account ${namespace}/${saRef.name} has been deleted` };
    if (sa.metadata?.uid !== saRef.uid) return { error: `service account UID (${sa.metadata?.uid ?? ''}) does not match claim (${saRef.uid ?? ''})` };
    const extra: Record<string, string[]> = {};
    if (k.secret) {
      const secret = this.opts.getter.getSecret(namespace, k.secret.name);
      if (!secret || this.deletedBefore(secret.metadata)) return { error: 'service account token has been invalidated' };
      if (secret.metadata?.uid !== k.secret.uid) return { error: `secret UID (${secret.metadata?.uid ?? ''}) does not match service account secret ref claim (${k.secret.uid ?? ''})` };
    }
    if (k.pod) {
      const pod = this.opts.getter.getPod(namespace, k.pod.name);
      if (!pod || this.deletedBefore(pod.metadata)) return { error: 'service account token has been invalidated' };
      if (pod.metadata?.uid !== k.pod.uid) return { error: `pod UID (${pod.metadata?.uid ?? ''}) does not match service account pod ref claim (${k.pod.uid ?? ''})` };
      extra[EXTRA_POD_NAME] = [k.pod.name];
      extra[EXTRA_POD_UID] = [k.pod.uid ?? ''];
    }
    if (k.node) {
      // A node-bound token lives as long as its node; a pod-bound one only records where the pod ran.
      if (!k.pod) {
        const node = this.opts.getter.getNode(k.node.name);
        if (!node || this.deletedBefore(node.metadata)) return { error: 'service account token has been invalidated' };
        if (node.metadata?.uid !== k.node.uid) return { error: `node UID (${node.metadata?.uid ?? ''}) does not match service account node ref claim (${k.node.uid ?? ''})` };
      }
      extra[EXTRA_NODE_NAME] = [k.node.name];
      if (k.node.uid) extra[EXTRA_NODE_UID] = [k.node.uid];
    }
    if (typeof claims.jti === 'string' && claims.jti) extra[EXTRA_CREDENTIAL_ID] = [`JTI=${claims.jti}`];
    return { user: this.user(namespace, saRef.name, saRef.uid ?? '', extra) };
  }

  private validateLegacy(token: string, claims: JWTClaims): TokenResult {
    const str = (key: string): string => (typeof claims[key] === 'string' ? (claims[key] as string) : '');
    const sub = str('sub');
    if (!sub) return { error: 'sub claim is missing' };
    const namespace = str(LEGACY_CLAIMS.namespace);
    if (!namespace) return { error: 'namespace claim is missing' };
    const secretName = str(LEGACY_CLAIMS.secretName);
    if (!secretName) return { error: 'secretName claim is missing' };
    const saName = str(LEGACY_CLAIMS.serviceAccountName);
    if (!saName) return { error: 'serviceAccountName claim is missing' };
    const saUID = str(LEGACY_CLAIMS.serviceAccountUID);
    if (!saUID) return { error: 'serviceAccountUID claim is missing' };
    const subject = splitServiceAccountUsername(sub);
    if (!subject || subject.namespace !== namespace || subject.name !== saName) return { error: 'sub claim is invalid' };
    // Legacy tokens never expire: they live exactly as long as their Secret keeps them.
    const secret = this.opts.getter.getSecret(namespace, secretName);
    if (!secret || secret.metadata?.deletionTimestamp) return { error: 'Token has been invalidated' };
    const stored = secret.data?.token;
    if (stored === undefined || Buffer.from(stored, 'base64').toString('utf8') !== token) return { error: "Token does not match server's copy" };
    if (secret.metadata?.labels?.[LEGACY_TOKEN_INVALID_SINCE_LABEL] !== undefined) return { error: 'Token has been invalidated' };
    const sa = this.opts.getter.getServiceAccount(namespace, saName);
    if (!sa) return { error: `serviceaccounts "${saName}" not found` };
    if (sa.metadata?.deletionTimestamp) return { error: `ServiceAccount ${namespace}/${saName} has been deleted` };
    if (sa.metadata?.uid !== saUID) return { error: `ServiceAccount UID (${sa.metadata?.uid ?? ''}) does not match claim (${saUID})` };
    return { user: this.user(namespace, saName, saUID, {}) };
  }

  private user(namespace: string, name: string, uid: string, extra: Record<string, string[]>): UserInfo {
    const user: UserInfo = { name: serviceAccountUsername(namespace, name), uid, groups: [...serviceAccountGroups(namespace), AUTHENTICATED] };
    if (Object.keys(extra).length > 0) user.extra = extra;
    return user;
  }
}

/** A string list as Go's %q prints one: `["a" "b"]`. */
function goStrings(list: readonly string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}
