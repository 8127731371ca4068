/**
 * End-to-end: service account tokens with the real `k8ts up` and kubectl 1.32. `kubectl create token` asks
 * the TokenRequest API for a signed JWT; kubectl then authenticates with it (and only it: an empty kubeconfig
 * and flags, so no client certificate speaks for it). Expired, forged and foreign-audience tokens get 401, a
 * pod-bound token dies with its pod, and the token controller fills `kubernetes.io/service-account-token`
 * Secrets with a legacy token that authenticates until its account is deleted. A restart keeps the key.
 */
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { TokenRequest } from 'kubernetes-types/authentication/v1.js';
import type { APIResourceList } from 'kubernetes-types/meta/v1.js';
import { kubectl, startCluster, type KubectlResult, type TestCluster } from '../helpers/cluster.js';
import { failed, manifest, ok } from '../helpers/kubectl-e2e.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/wait.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const UNAUTHORIZED = /error: You must be logged in to the server \(Unauthorized\)/;

function claimsOf(jwt: string): Record<string, unknown> {
  const parts = jwt.split('.');
  assert.equal(parts.length, 3, `not a JWT: ${jwt}`);
  return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('service account tokens', () => {
  let cluster: TestCluster;
  /** The first process, which owns the data dir (the restart test starts a second one on it). */
  let first: TestCluster | undefined;
  let files: Awaited<ReturnType<typeof tempDir>>;
  let emptyKubeconfig: string;

  before(async () => {
    files = await tempDir('k8ts-satoken-');
    emptyKubeconfig = join(files.path, 'empty.kubeconfig');
    await writeFile(emptyKubeconfig, 'apiVersion: v1\nkind: Config\n');
    cluster = await startCluster({ controllerManager: true });
    first = cluster;
    await until('the default service account', async () => (await cluster.kubectl(['get', 'sa', 'default'])).code === 0);
  });
  after(async () => {
    await cluster?.stop();
    if (first && first !== cluster) await first.stop();
    await files?.remove();
  });

  /** kubectl as the holder of `token` alone. */
  const asToken = (token: string, args: string[]): Promise<KubectlResult> =>
    kubectl(emptyKubeconfig, ['--server', cluster.url, '--certificate-authority', join(cluster.dataDir, 'pki', 'ca.crt'), '--token', token, ...args]);
  const createToken = async (args: string[]): Promise<string> => ok(await cluster.kubectl(['create', 'token', ...args])).trim();
  const uidOf = async (kind: string, name: string): Promise<string> => ok(await cluster.kubectl(['get', kind, name, '-o', 'jsonpath={.metadata.uid}']));

  test('discovery lists serviceaccounts/token with the create verb', async () => {
    const list = JSON.parse(ok(await cluster.kubectl(['get', '--raw', '/api/v1']))) as APIResourceList;
    const token = list.resources.find((r) => r.name === 'serviceaccounts/token');
    assert.ok(token, 'serviceaccounts/token is not in /api/v1');
    assert.deepEqual(token.verbs, ['create']);
    assert.equal(token.kind, 'TokenRequest');
    assert.equal(token.group, 'authentication.k8s.io');
  });

  test('kubectl create token --duration 10m prints a JWT for the account, and kubectl can use it', async () => {
    const jwt = await createToken(['default', '--duration', '10m']);
    const claims = claimsOf(jwt);
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.sub, 'system:serviceaccount:default:default');
    assert.deepEqual(claims.aud, [ISSUER]);
    assert.equal((claims.exp as number) - (claims.iat as number), 600);
    assert.equal(claims.nbf, claims.iat);
    assert.deepEqual(claims['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'default', uid: await uidOf('sa', 'default') } });
    const header = JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as { alg: string; kid: string };
    assert.equal(header.alg, 'RS256');
    const pub = createPublicKey(await readFile(join(cluster.dataDir, 'pki', 'sa.pub'), 'utf8'));
    assert.equal(header.kid, createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('base64url'));

    assert.match(ok(await asToken(jwt, ['get', 'pods'])), /^$|No resources found/);
    ok(await asToken(jwt, ['get', 'sa', 'default', '-o', 'name']));
    // -o json shows the TokenRequest the server answered: the defaulted spec and the status.
    const before = Math.floor(Date.now() / 1000) * 1000;
    const answered = JSON.parse(ok(await cluster.kubectl(['create', 'token', 'default', '--duration', '10m', '-o', 'json']))) as TokenRequest;
    assert.equal(answered.kind, 'TokenRequest');
    assert.equal(answered.apiVersion, 'authentication.k8s.io/v1');
    assert.equal(answered.metadata?.name, 'default');
    assert.equal(answered.metadata?.namespace, 'default');
    assert.deepEqual(answered.spec.audiences, [ISSUER]);
    assert.equal(answered.spec.expirationSeconds, 600);
    const expires = Date.parse(answered.status!.expirationTimestamp);
    assert.ok(expires >= before + 600_000 && expires <= Date.now() + 600_000, answered.status!.expirationTimestamp);
    assert.equal(claimsOf(answered.status!.token).exp, expires / 1000);
    // Without --duration the server's default applies: an hour.
    const hour = claimsOf(await createToken(['default']));
    assert.equal((hour.exp as number) - (hour.iat as number), 3600);
  });

  test('the TokenRequest API refuses what kube refuses, with its messages', async () => {
    assert.match(
      failed(await cluster.kubectl(['create', 'token', 'default', '--duration', '1m'])),
      /error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes/,
    );
    assert.match(failed(await cluster.kubectl(['create', 'token', 'nosuch'])), /error: failed to create token: serviceaccounts "nosuch" not found/);
    assert.match(
      failed(await cluster.kubectl(['create', 'token', 'default', '--bound-object-kind', 'Pod', '--bound-object-name', 'ghost'])),
      /error: failed to create token: pods "ghost" not found/,
    );
  });

  test('garbage, forged, expired and foreign-audience tokens get 401', async () => {
    assert.match(failed(await asToken('garbage', ['get', 'pods'])), UNAUTHORIZED);
    const jwt = await createToken(['default', '--duration', '10m']);
    const [h, p, s] = jwt.split('.');
    const tampered = JSON.stringify({ ...claimsOf(jwt), sub: 'system:serviceaccount:kube-system:default' });
    assert.match(failed(await asToken(`${h}.${Buffer.from(tampered).toString('base64url')}.${s}`, ['get', 'pods'])), UNAUTHORIZED);
    assert.match(failed(await asToken(`${h}.${p}.${s!.slice(0, -4)}AAAA`, ['get', 'pods'])), UNAUTHORIZED);

    // A correctly signed token (made here with the cluster's sa.key) whose lifetime ended an hour ago.
    const key = createPrivateKey(await readFile(join(cluster.dataDir, 'pki', 'sa.key'), 'utf8'));
    const kid = createHash('sha256').update(createPublicKey(key).export({ type: 'spki', format: 'der' })).digest('base64url');
    const now = Math.floor(Date.now() / 1000);
    const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const expiredClaims = { ...claimsOf(jwt), iat: now - 7200, nbf: now - 7200, exp: now - 3600 };
    const input = `${b64({ alg: 'RS256', kid })}.${b64(expiredClaims)}`;
    const expired = `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
    assert.match(failed(await asToken(expired, ['get', 'pods'])), UNAUTHORIZED);
    // The same claims with a live lifetime pass: what failed above was the expiry alone.
    const liveInput = `${b64({ alg: 'RS256', kid })}.${b64({ ...expiredClaims, exp: now + 600 })}`;
    ok(await asToken(`${liveInput}.${sign('sha256', Buffer.from(liveInput), key).toString('base64url')}`, ['get', 'pods']));

    const vault = await createToken(['default', '--duration', '10m', '--audience', 'vault']);
    assert.deepEqual(claimsOf(vault).aud, ['vault']);
    assert.match(failed(await asToken(vault, ['get', 'pods'])), UNAUTHORIZED);
  });

  test('a token bound to a pod works while the pod exists and stops when it is deleted', async () => {
    ok(await cluster.kubectl(['run', 'bound', '--image', 'busybox:1.36', '--restart', 'Never']));
    const podUID = await uidOf('pod', 'bound');
    const jwt = await createToken(['default', '--duration', '10m', '--bound-object-kind', 'Pod', '--bound-object-name', 'bound']);
    const k = claimsOf(jwt)['kubernetes.io'] as { pod?: { name: string; uid: string } };
    assert.deepEqual(k.pod, { name: 'bound', uid: podUID });
    ok(await asToken(jwt, ['get', 'pod', 'bound', '-o', 'name']));
    assert.match(
      failed(await cluster.kubectl(['create', 'token', 'default', '--bound-object-kind', 'Pod', '--bound-object-name', 'bound', '--bound-object-uid', 'not-the-uid'])),
      /Operation cannot be fulfilled on Pod "bound": the UID in the bound object reference \(not-the-uid\) does not match the UID in record\. The object might have been deleted and then recreated/,
    );
    ok(await cluster.kubectl(['create', 'sa', 'other']));
    assert.match(
      failed(await cluster.kubectl(['create', 'token', 'other', '--bound-object-kind', 'Pod', '--bound-object-name', 'bound'])),
      /cannot bind token for serviceaccount "other" to pod running with different serviceaccount name\./,
    );

    ok(await cluster.kubectl(['delete', 'pod', 'bound', '--grace-period', '0', '--force']));
    await until('the pod to be gone', async () => (await cluster.kubectl(['get', 'pod', 'bound'])).code !== 0);
    assert.match(failed(await asToken(jwt, ['get', 'pods'])), UNAUTHORIZED);
    // Recreated under the same name, it is another pod: the old token stays dead.
    ok(await cluster.kubectl(['run', 'bound', '--image', 'busybox:1.36', '--restart', 'Never']));
    assert.match(failed(await asToken(jwt, ['get', 'pods'])), UNAUTHORIZED);
  });

  test('the token controller fills a service-account-token Secret; its token works until the account is deleted', async () => {
    ok(await cluster.kubectl(['create', 'sa', 'robot']));
    const saUID = await uidOf('sa', 'robot');
    const secret: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'robot-token', annotations: { 'kubernetes.io/service-account.name': 'robot' } },
      type: 'kubernetes.io/service-account-token',
    };
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: manifest(secret) }));
    const filled = await until('the token controller to fill robot-token', async () => {
      const s = JSON.parse(ok(await cluster.kubectl(['get', 'secret', 'robot-token', '-o', 'json']))) as Secret;
      return s.data?.token ? s : undefined;
    });
    const data = (key: string): string => Buffer.from(filled.data![key]!, 'base64').toString('utf8');
    assert.equal(data('ca.crt'), await readFile(join(cluster.dataDir, 'pki', 'ca.crt'), 'utf8'));
    assert.equal(data('namespace'), 'default');
    assert.equal(filled.metadata?.annotations?.['kubernetes.io/service-account.uid'], saUID);
    const token = data('token');
    const claims = claimsOf(token);
    assert.equal(claims.iss, 'kubernetes/serviceaccount');
    assert.equal(claims.sub, 'system:serviceaccount:default:robot');
    assert.equal(claims['kubernetes.io/serviceaccount/secret.name'], 'robot-token');
    assert.equal(claims['kubernetes.io/serviceaccount/service-account.uid'], saUID);
    assert.equal(claims.exp, undefined);
    ok(await asToken(token, ['get', 'secrets', '-o', 'name']));
    // `kubectl describe` shows the token and its data as users know it.
    assert.match(ok(await cluster.kubectl(['describe', 'secret', 'robot-token'])), /Type:\s+kubernetes\.io\/service-account-token/);

    ok(await cluster.kubectl(['delete', 'sa', 'robot']));
    await until('the controller to delete robot-token', async () => (await cluster.kubectl(['get', 'secret', 'robot-token'])).code !== 0);
    assert.match(failed(await asToken(token, ['get', 'pods'])), UNAUTHORIZED);
  });

  test('a token Secret naming no existing account is deleted', async () => {
    const orphan: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'orphan-token', annotations: { 'kubernetes.io/service-account.name': 'nobody' } },
      type: 'kubernetes.io/service-account-token',
    };
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: manifest(orphan) }));
    await until('the controller to delete orphan-token', async () => (await cluster.kubectl(['get', 'secret', 'orphan-token'])).code !== 0);
  });

  test('a restart keeps the signing key: tokens issued before still authenticate', async () => {
    const jwt = await createToken(['default', '--duration', '10m']);
    const key = await readFile(join(cluster.dataDir, 'pki', 'sa.key'), 'utf8');
    const sa = JSON.parse(ok(await cluster.kubectl(['get', 'sa', 'default', '-o', 'json']))) as ServiceAccount;
    assert.equal(await cluster.shutdown('SIGTERM'), 0);
    cluster = await startCluster({ dataDir: cluster.dataDir, controllerManager: true });
    assert.equal(await readFile(join(cluster.dataDir, 'pki', 'sa.key'), 'utf8'), key);
    assert.equal(await uidOf('sa', 'default'), sa.metadata?.uid);
    ok(await asToken(jwt, ['get', 'pods']));
  });
});
