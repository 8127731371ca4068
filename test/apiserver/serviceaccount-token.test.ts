/**
 * Service account tokens without a server: JWT signing and verification (RS256 and ES256, kid, tampering),
 * the claims kube writes, and the authenticator's checks over a fake object getter (expiry with leeway,
 * audience, the account and the bound pod/secret/node still existing with their uids, legacy tokens).
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Node, Pod, Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { ServiceAccountTokenAuthenticator, type ServiceAccountTokenGetter, type TokenResult } from '../../src/apiserver/auth/serviceaccount.js';
import {
  boundClaims,
  DEFAULT_ISSUER,
  legacyClaims,
  LEGACY_ISSUER,
  serviceAccountGroups,
  splitServiceAccountUsername,
  TokenGenerator,
} from '../../src/apiserver/serviceaccount/claims.js';
import { canonicalJSON, keyIDFromPublicKey, parseJWT, signingKeyFromPEM, signJWT, verificationKeyFromPEM, verifyJWT } from '../../src/apiserver/serviceaccount/jwt.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (k: typeof rsa.privateKey): string => k.export({ type: 'pkcs8', format: 'pem' }) as string;
const pub = (k: typeof rsa.publicKey): string => k.export({ type: 'spki', format: 'pem' }) as string;

function decodePart(token: string, i: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[i]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('JWT signing and verification', () => {
  test('an RSA key signs RS256 with kid = base64url(sha256(SPKI DER)); its public key verifies it', () => {
    const key = signingKeyFromPEM(pem(rsa.privateKey));
    const token = signJWT({ sub: 'x', aud: ['a'] }, key);
    const header = decodePart(token, 0);
    const expectedKid = createHash('sha256').update(rsa.publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
    assert.deepEqual(header, { alg: 'RS256', kid: expectedKid });
    assert.equal(keyIDFromPublicKey(rsa.publicKey), expectedKid);
    assert.equal(verifyJWT(parseJWT(token)!, [verificationKeyFromPEM(pub(rsa.publicKey))]), true);
  });

  test('a P-256 key signs ES256 (raw r||s, 64 bytes) and verifies', () => {
    const token = signJWT({ sub: 'x' }, signingKeyFromPEM(pem(ec.privateKey)));
    assert.equal(decodePart(token, 0).alg, 'ES256');
    assert.equal(Buffer.from(token.split('.')[2]!, 'base64url').length, 64);
    assert.equal(verifyJWT(parseJWT(token)!, [verificationKeyFromPEM(pub(ec.publicKey))]), true);
  });

  test('a changed payload, another key or a garbage token does not verify', () => {
    const key = signingKeyFromPEM(pem(rsa.privateKey));
    const token = signJWT({ sub: 'alice' }, key);
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from('{"sub":"mallory"}').toString('base64url')}.${s}`;
    const keys = [verificationKeyFromPEM(pub(rsa.publicKey))];
    assert.equal(verifyJWT(parseJWT(forged)!, keys), false);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    assert.equal(verifyJWT(parseJWT(token)!, [verificationKeyFromPEM(pub(other.publicKey))]), false);
    assert.equal(parseJWT('not-a-jwt'), undefined);
    assert.equal(parseJWT('a.b'), undefined);
    // alg "none" is never accepted, whatever the signature part says.
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`;
    assert.equal(verifyJWT(parseJWT(none)!, keys), false);
  });

  test('claims are serialized with sorted keys at every level, as Go writes maps', () => {
    assert.equal(canonicalJSON({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 'x' } }), '{"a":{"c":"x","d":[2,{"y":2,"z":1}]},"b":1}');
  });
});

describe('service account token claims', () => {
  test('bound claims: sub, aud, iat = nbf, exp = iat + lifetime, jti, and the kubernetes.io claim', () => {
    const now = Date.UTC(2026, 0, 1);
    const claims = boundClaims({
      namespace: 'ns',
      serviceAccount: { name: 'robot', uid: 'sa-uid' },
      pod: { name: 'p', uid: 'pod-uid' },
      node: { name: 'n1', uid: 'node-uid' },
      audiences: ['api'],
      expirationSeconds: 600,
      warnAfterSeconds: 300,
      now,
    });
    const t = now / 1000;
    assert.equal(claims.sub, 'system:serviceaccount:ns:robot');
    assert.deepEqual(claims.aud, ['api']);
    assert.equal(claims.iat, t);
    assert.equal(claims.nbf, t);
    assert.equal(claims.exp, t + 600);
    assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
    assert.deepEqual(claims['kubernetes.io'], {
      namespace: 'ns',
      serviceaccount: { name: 'robot', uid: 'sa-uid' },
      pod: { name: 'p', uid: 'pod-uid' },
      node: { name: 'n1', uid: 'node-uid' },
      warnafter: t + 300,
    });
    assert.throws(() => boundClaims({ namespace: 'ns', serviceAccount: { name: 'a', uid: 'u' }, pod: { name: 'p', uid: 'x' }, secret: { name: 's', uid: 'y' }, audiences: [], expirationSeconds: 600 }), /only be bound to one object type/);
  });

  test('legacy claims and the generator: issuer kubernetes/serviceaccount, no exp', () => {
    const gen = new TokenGenerator(LEGACY_ISSUER, signingKeyFromPEM(pem(rsa.privateKey)));
    const payload = decodePart(gen.generate(legacyClaims({ namespace: 'ns', name: 'robot', uid: 'u1' }, 'robot-token')), 1);
    assert.deepEqual(Object.keys(payload), [
      'iss',
      'kubernetes.io/serviceaccount/namespace',
      'kubernetes.io/serviceaccount/secret.name',
      'kubernetes.io/serviceaccount/service-account.name',
      'kubernetes.io/serviceaccount/service-account.uid',
      'sub',
    ]);
    assert.equal(payload.iss, 'kubernetes/serviceaccount');
    assert.equal(payload['kubernetes.io/serviceaccount/secret.name'], 'robot-token');
    assert.equal(payload.exp, undefined);
  });

  test('usernames and groups', () => {
    assert.deepEqual(splitServiceAccountUsername('system:serviceaccount:ns:robot'), { namespace: 'ns', name: 'robot' });
    assert.equal(splitServiceAccountUsername('system:serviceaccount:ns'), undefined);
    assert.equal(splitServiceAccountUsername('alice'), undefined);
    assert.deepEqual(serviceAccountGroups('ns'), ['system:serviceaccounts', 'system:serviceaccounts:ns']);
  });
});

/** An in-memory getter: the objects a test puts in it (a fake inside a unit test). */
class FakeGetter implements ServiceAccountTokenGetter {
  accounts = new Map<string, ServiceAccount>();
  pods = new Map<string, Pod>();
  secrets = new Map<string, Secret>();
  nodes = new Map<string, Node>();
  getServiceAccount = (ns: string, name: string): ServiceAccount | undefined => this.accounts.get(`${ns}/${name}`);
  getPod = (ns: string, name: string): Pod | undefined => this.pods.get(`${ns}/${name}`);
  getSecret = (ns: string, name: string): Secret | undefined => this.secrets.get(`${ns}/${name}`);
  getNode = (name: string): Node | undefined => this.nodes.get(name);
}

describe('ServiceAccountTokenAuthenticator', () => {
  const signing = signingKeyFromPEM(pem(rsa.privateKey));
  const bound = new TokenGenerator(DEFAULT_ISSUER, signing);
  const legacy = new TokenGenerator(LEGACY_ISSUER, signing);
  let clock = Date.UTC(2026, 5, 1);

  function setup(): { getter: FakeGetter; auth: ServiceAccountTokenAuthenticator } {
    const getter = new FakeGetter();
    getter.accounts.set('ns/robot', { metadata: { name: 'robot', namespace: 'ns', uid: 'sa-1' } });
    getter.pods.set('ns/web', { metadata: { name: 'web', namespace: 'ns', uid: 'pod-1' }, spec: { serviceAccountName: 'robot', containers: [] } });
    const auth = new ServiceAccountTokenAuthenticator({
      issuers: [DEFAULT_ISSUER],
      keys: [verificationKeyFromPEM(pub(rsa.publicKey))],
      getter,
      now: () => clock,
    });
    return { getter, auth };
  }
  const token = (extra: Partial<Parameters<typeof boundClaims>[0]> = {}): string =>
    bound.generate(boundClaims({ namespace: 'ns', serviceAccount: { name: 'robot', uid: 'sa-1' }, audiences: [DEFAULT_ISSUER], expirationSeconds: 600, now: clock, ...extra }));
  const error = (r: TokenResult): string => (r && 'error' in r ? r.error : `no error: ${JSON.stringify(r)}`);

  test('a valid bound token is the service account, in its groups, with the credential id', () => {
    const { auth } = setup();
    const t = token();
    const r = auth.authenticateToken(t);
    assert.ok(r && 'user' in r, JSON.stringify(r));
    const jti = decodePart(t, 1).jti as string;
    assert.deepEqual(r.user, {
      name: 'system:serviceaccount:ns:robot',
      uid: 'sa-1',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${jti}`] },
    });
  });

  test('tokens of other issuers or not JWTs at all are left to other authenticators', () => {
    const { auth } = setup();
    assert.equal(auth.authenticateToken('some-static-token'), undefined);
    const foreign = new TokenGenerator('https://elsewhere', signing).generate({ sub: 'x' });
    assert.equal(auth.authenticateToken(foreign), undefined);
  });

  test('a forged signature is refused', () => {
    const { auth } = setup();
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = new TokenGenerator(DEFAULT_ISSUER, signingKeyFromPEM(pem(other.privateKey))).generate(
      boundClaims({ namespace: 'ns', serviceAccount: { name: 'robot', uid: 'sa-1' }, audiences: [DEFAULT_ISSUER], expirationSeconds: 600 }),
    );
    assert.equal(error(auth.authenticateToken(forged)), 'invalid signature');
  });

  test('expiry: accepted within a minute of leeway past exp, refused after; not before nbf', () => {
    const { auth } = setup();
    const t = token();
    const issued = clock;
    try {
      clock = issued + 600_000 + 59_000;
      assert.ok(auth.authenticateToken(t) && 'user' in auth.authenticateToken(t)!);
      clock = issued + 600_000 + 61_000;
      assert.equal(error(auth.authenticateToken(t)), 'service account token has expired');
      clock = issued - 120_000;
      assert.equal(error(auth.authenticateToken(t)), 'service account token is not valid yet');
    } finally {
      clock = issued;
    }
  });

  test('a token for another audience is refused', () => {
    const { auth } = setup();
    assert.equal(
      error(auth.authenticateToken(token({ audiences: ['vault'] }))),
      'token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]',
    );
  });

  test('the service account must still exist with the same uid', () => {
    const { auth, getter } = setup();
    const t = token();
    getter.accounts.set('ns/robot', { metadata: { name: 'robot', namespace: 'ns', uid: 'sa-2' } });
    assert.equal(error(auth.authenticateToken(t)), 'service account UID (sa-2) does not match claim (sa-1)');
    getter.accounts.delete('ns/robot');
    assert.equal(error(auth.authenticateToken(t)), 'serviceaccounts "robot" not found');
  });

  test('a pod-bound token lives as long as the pod (same uid), and records the pod and node', () => {
    const { auth, getter } = setup();
    const t = token({ pod: { name: 'web', uid: 'pod-1' }, node: { name: 'n1', uid: 'node-1' } });
    const r = auth.authenticateToken(t);
    assert.ok(r && 'user' in r);
    assert.deepEqual(r.user.extra?.['authentication.kubernetes.io/pod-name'], ['web']);
    assert.deepEqual(r.user.extra?.['authentication.kubernetes.io/pod-uid'], ['pod-1']);
    assert.deepEqual(r.user.extra?.['authentication.kubernetes.io/node-name'], ['n1']);
    // Being deleted gracefully (deletionTimestamp in the future) still counts as existing.
    getter.pods.set('ns/web', { metadata: { name: 'web', namespace: 'ns', uid: 'pod-1', deletionTimestamp: new Date(clock + 30_000).toISOString() } });
    assert.ok(auth.authenticateToken(t) && 'user' in auth.authenticateToken(t)!);
    getter.pods.set('ns/web', { metadata: { name: 'web', namespace: 'ns', uid: 'pod-2' } });
    assert.equal(error(auth.authenticateToken(t)), 'pod UID (pod-2) does not match service account pod ref claim (pod-1)');
    getter.pods.delete('ns/web');
    assert.equal(error(auth.authenticateToken(t)), 'service account token has been invalidated');
  });

  test('secret- and node-bound tokens end with their object', () => {
    const { auth, getter } = setup();
    getter.secrets.set('ns/s', { metadata: { name: 's', namespace: 'ns', uid: 'sec-1' } });
    getter.nodes.set('n1', { metadata: { name: 'n1', uid: 'node-1' } });
    const bySecret = token({ secret: { name: 's', uid: 'sec-1' } });
    const byNode = token({ node: { name: 'n1', uid: 'node-1' } });
    assert.ok(auth.authenticateToken(bySecret) && 'user' in auth.authenticateToken(bySecret)!);
    assert.ok(auth.authenticateToken(byNode) && 'user' in auth.authenticateToken(byNode)!);
    getter.secrets.delete('ns/s');
    getter.nodes.delete('n1');
    assert.equal(error(auth.authenticateToken(bySecret)), 'service account token has been invalidated');
    assert.equal(error(auth.authenticateToken(byNode)), 'service account token has been invalidated');
  });

  test('a legacy token is valid while its Secret holds it and the account keeps its uid', () => {
    const { auth, getter } = setup();
    const t = legacy.generate(legacyClaims({ namespace: 'ns', name: 'robot', uid: 'sa-1' }, 'robot-token'));
    const secret: Secret = { metadata: { name: 'robot-token', namespace: 'ns', uid: 's1' }, type: 'kubernetes.io/service-account-token', data: { token: Buffer.from(t).toString('base64') } };
    getter.secrets.set('ns/robot-token', secret);
    const r = auth.authenticateToken(t);
    assert.ok(r && 'user' in r, JSON.stringify(r));
    assert.deepEqual(r.user, { name: 'system:serviceaccount:ns:robot', uid: 'sa-1', groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'] });
    // Legacy tokens never expire.
    const now = clock;
    clock = now + 10 * 365 * 86400_000;
    assert.ok(auth.authenticateToken(t) && 'user' in auth.authenticateToken(t)!);
    clock = now;
    secret.data = { token: Buffer.from('another').toString('base64') };
    assert.equal(error(auth.authenticateToken(t)), "Token does not match server's copy");
    getter.secrets.delete('ns/robot-token');
    assert.equal(error(auth.authenticateToken(t)), 'Token has been invalidated');
  });
});
