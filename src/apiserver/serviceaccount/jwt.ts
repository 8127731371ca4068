/**
 * Compact JWS (JSON Web Tokens) as kube-apiserver signs service account tokens: RS256 for RSA keys, ES256 for
 * P-256 keys, the header's `kid` derived from the public key, claims serialized with sorted keys. Built on
 * node:crypto alone.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export type JWTAlgorithm = 'RS256' | 'ES256';

/** A JWT's claims: registered ones (iss, sub, aud, exp, iat, nbf, jti) and any private claims. */
export type JWTClaims = Record<string, unknown>;

/** A public key tokens are verified against. */
export interface VerificationKey {
  key: KeyObject;
  alg: JWTAlgorithm;
  kid: string;
}

/** The private key tokens are signed with, and the header it puts on them. */
export interface SigningKey extends VerificationKey {
  privateKey: KeyObject;
}

/** The algorithm kube picks for a key: RS256 for RSA, ES256 for ECDSA P-256; other keys are refused. */
function algorithmOf(key: KeyObject): JWTAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`unsupported service account key type ${key.asymmetricKeyType ?? 'unknown'} (want RSA or ECDSA P-256)`);
}

/**
 * The key ID kube-apiserver puts in a token's header: the unpadded base64url SHA-256 of the public key's
 * DER (PKIX) encoding, so verifiers can pick the key and it never changes for one key.
 */
export function keyIDFromPublicKey(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

/** A signing key from a PEM private key (PKCS#8, PKCS#1 or SEC1). */
export function signingKeyFromPEM(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  const key = createPublicKey(privateKey);
  return { privateKey, key, alg: algorithmOf(key), kid: keyIDFromPublicKey(key) };
}

/** A verification key from a PEM public key (SPKI) or private key (its public half). */
export function verificationKeyFromPEM(pem: string): VerificationKey {
  const key = createPublicKey(pem);
  return { key, alg: algorithmOf(key), kid: keyIDFromPublicKey(key) };
}

/** JSON with object keys sorted at every level, as Go's encoding/json writes the maps go-jose builds claims in. */
export function canonicalJSON(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJSON(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** Signs `claims` into a compact JWS: base64url(header).base64url(payload).base64url(signature). */
export function signJWT(claims: JWTClaims, key: SigningKey): string {
  const input = `${b64url(canonicalJSON({ alg: key.alg, kid: key.kid }))}.${b64url(canonicalJSON(claims))}`;
  // ES256 signatures are the raw r||s pair (IEEE P1363), not DER, in a JWS.
  const signature = sign('sha256', Buffer.from(input), key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey);
  return `${input}.${b64url(signature)}`;
}

/** A token's parts, decoded but not verified. */
export interface ParsedJWT {
  header: { alg?: unknown; kid?: unknown; typ?: unknown };
  claims: JWTClaims;
  signingInput: string;
  signature: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/** Decodes a compact JWS without checking its signature; undefined when it is not one. */
export function parseJWT(token: string): ParsedJWT | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p)) || !parts[0] || !parts[1]) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(claims)) return undefined;
    return { header, claims, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url') };
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Whether one of `keys` signed the token. Keys of another algorithm than the header's are skipped (no
 * algorithm confusion), and a header `kid` narrows the keys to that one when it names a known key.
 */
export function verifyJWT(parsed: ParsedJWT, keys: readonly VerificationKey[]): boolean {
  const alg = parsed.header.alg;
  if (alg !== 'RS256' && alg !== 'ES256') return false;
  const kid = typeof parsed.header.kid === 'string' ? parsed.header.kid : undefined;
  let candidates = keys.filter((k) => k.alg === alg);
  if (kid && candidates.some((k) => k.kid === kid)) candidates = candidates.filter((k) => k.kid === kid);
  const data = Buffer.from(parsed.signingInput);
  return candidates.some((k) => {
    try {
      return verify('sha256', data, alg === 'ES256' ? { key: k.key, dsaEncoding: 'ieee-p1363' } : k.key, parsed.signature);
    } catch {
      return false;
    }
  });
}
