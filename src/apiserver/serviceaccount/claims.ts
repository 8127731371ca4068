/**
 * The claims of service account tokens, as kube-apiserver writes and reads them: bound tokens (TokenRequest:
 * audience, expiry, the `kubernetes.io` private claim naming the account and the pod, secret or node the token
 * is bound to) and legacy tokens (the non-expiring ones the token controller puts in
 * `kubernetes.io/service-account-token` Secrets), and the usernames and groups they stand for.
 */
import { randomUUID } from 'node:crypto';
import { signJWT, type JWTClaims, type SigningKey } from './jwt.js';

/** The issuer of legacy (secret-based) tokens. */
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
/** `--service-account-issuer` when none is given (kubeadm's choice); `--api-audiences` default to it. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/**
 * The lifetime ServiceAccount admission asks for in projected volumes (an hour and 7 s): such pod-bound tokens
 * for the apiserver's audiences are made valid for a year but carry `warnafter` at the hour, so clients that
 * never reload their token keep working while it shows (kube's --service-account-extend-token-expiration).
 */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 60 * 60 + 7;
export const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60;
/** How far clocks may disagree: tokens are accepted this long past exp and before nbf/iat (go-jose's leeway). */
export const LEEWAY_SECONDS = 60;

const USERNAME_PREFIX = 'system:serviceaccount:';
export const ALL_SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

/** Keys of user.Info's extra that service account tokens fill. */
export const EXTRA_POD_NAME = 'authentication.kubernetes.io/pod-name';
export const EXTRA_POD_UID = 'authentication.kubernetes.io/pod-uid';
export const EXTRA_NODE_NAME = 'authentication.kubernetes.io/node-name';
export const EXTRA_NODE_UID = 'authentication.kubernetes.io/node-uid';
export const EXTRA_CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';

/** The private claims of legacy tokens. */
export const LEGACY_CLAIMS = {
  namespace: 'kubernetes.io/serviceaccount/namespace',
  secretName: 'kubernetes.io/serviceaccount/secret.name',
  serviceAccountName: 'kubernetes.io/serviceaccount/service-account.name',
  serviceAccountUID: 'kubernetes.io/serviceaccount/service-account.uid',
} as const;

/** `system:serviceaccount:<namespace>:<name>`. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `${USERNAME_PREFIX}${namespace}:${name}`;
}

/** The namespace and name of a service account username, or undefined for another user. */
export function splitServiceAccountUsername(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(USERNAME_PREFIX)) return undefined;
  const parts = username.slice(USERNAME_PREFIX.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

/** The groups every service account of `namespace` is in (system:authenticated is added by authentication). */
export function serviceAccountGroups(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS_GROUP, `${ALL_SERVICE_ACCOUNTS_GROUP}:${namespace}`];
}

/** A name and uid, as the `kubernetes.io` claim records accounts and bound objects. */
export interface ObjectRef {
  name: string;
  uid?: string;
}

/** The `kubernetes.io` private claim of bound tokens. */
export interface KubernetesClaim {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  /** NumericDate after which using the token is reported stale (extended projected tokens). */
  warnafter?: number;
}

export interface BoundTokenRequest {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  /** At most one of pod/secret, or node alone; a pod may come with the node it runs on. */
  pod?: { name: string; uid: string };
  secret?: { name: string; uid: string };
  node?: { name: string; uid?: string };
  audiences: string[];
  expirationSeconds: number;
  /** Set for extended tokens: seconds after which `warnafter` says the token is stale. */
  warnAfterSeconds?: number;
  /** Milliseconds since the epoch (default now). */
  now?: number;
}

/** The claims of a bound token, without `iss` (the generator adds it). */
export function boundClaims(req: BoundTokenRequest): JWTClaims {
  if (req.secret && (req.pod || req.node)) throw new Error('internal error, token can only be bound to one object type');
  const now = Math.floor((req.now ?? Date.now()) / 1000);
  const ref = (o: { name: string; uid?: string | undefined }): ObjectRef => (o.uid ? { name: o.name, uid: o.uid } : { name: o.name });
  const kubernetes: KubernetesClaim = { namespace: req.namespace, serviceaccount: ref(req.serviceAccount) };
  if (req.pod) kubernetes.pod = ref(req.pod);
  if (req.secret) kubernetes.secret = ref(req.secret);
  if (req.node) kubernetes.node = ref(req.node);
  if (req.warnAfterSeconds) kubernetes.warnafter = now + req.warnAfterSeconds;
  return {
    aud: req.audiences,
    exp: now + req.expirationSeconds,
    iat: now,
    // The credential id (ServiceAccountTokenJTI): lets audit logs tie requests to the token issued.
    jti: randomUUID(),
    'kubernetes.io': kubernetes,
    nbf: now,
    sub: serviceAccountUsername(req.namespace, req.serviceAccount.name),
  };
}

/** The claims of a legacy token for a service account's token Secret (no expiry, no audience). */
export function legacyClaims(sa: { namespace: string; name: string; uid: string }, secretName: string): JWTClaims {
  return {
    [LEGACY_CLAIMS.namespace]: sa.namespace,
    [LEGACY_CLAIMS.secretName]: secretName,
    [LEGACY_CLAIMS.serviceAccountName]: sa.name,
    [LEGACY_CLAIMS.serviceAccountUID]: sa.uid,
    sub: serviceAccountUsername(sa.namespace, sa.name),
  };
}

/** Signs tokens as one issuer (kube's TokenGenerator): the issuer goes into `iss`. */
export class TokenGenerator {
  constructor(
    readonly issuer: string,
    private readonly key: SigningKey,
  ) {}

  generate(claims: JWTClaims): string {
    return signJWT({ ...claims, iss: this.issuer }, this.key);
  }
}

/** Reads the `kubernetes.io` claim of a bound token; undefined when it is missing or malformed. */
export function kubernetesClaim(claims: JWTClaims): KubernetesClaim | undefined {
  const k = claims['kubernetes.io'];
  if (typeof k !== 'object' || k === null) return undefined;
  const c = k as Record<string, unknown>;
  const ref = (v: unknown): ObjectRef | undefined => {
    if (typeof v !== 'object' || v === null) return undefined;
    const r = v as Record<string, unknown>;
    if (typeof r.name !== 'string') return undefined;
    return typeof r.uid === 'string' ? { name: r.name, uid: r.uid } : { name: r.name };
  };
  const serviceaccount = ref(c.serviceaccount);
  if (typeof c.namespace !== 'string' || !serviceaccount) return undefined;
  const out: KubernetesClaim = { namespace: c.namespace, serviceaccount };
  const pod = ref(c.pod);
  const secret = ref(c.secret);
  const node = ref(c.node);
  if (pod) out.pod = pod;
  if (secret) out.secret = secret;
  if (node) out.node = node;
  if (typeof c.warnafter === 'number') out.warnafter = c.warnafter;
  return out;
}
