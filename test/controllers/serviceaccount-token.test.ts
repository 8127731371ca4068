/**
 * The token controller on fake caches: a token Secret of an existing account gets a legacy token signed with
 * the controller's key (verified here with the public half), the CA, the namespace and the account's uid; a
 * filled one is left alone; a stale view is not written over; Secrets of missing or replaced accounts are
 * deleted with a uid precondition.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { SECRETS, SERVICEACCOUNTS } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { parseJWT, verificationKeyFromPEM, verifyJWT } from '../../src/apiserver/serviceaccount/jwt.js';
import { TokensController } from '../../src/controllers/serviceaccount-token/tokens-controller.js';
import { fakeContext, statusAnswer } from './fake-client.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const PUBLIC = keys.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const CA = '-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

type SecretObject = Secret & KubeObject;

function account(name: string, uid: string): ServiceAccount & KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'ns', uid } };
}

function tokenSecret(name: string, sa: string, opts: { uid?: string; data?: Record<string, string>; rv?: string } = {}): SecretObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/service-account-token',
    metadata: {
      name,
      namespace: 'ns',
      uid: `${name}-uid`,
      resourceVersion: opts.rv ?? '5',
      annotations: { 'kubernetes.io/service-account.name': sa, ...(opts.uid ? { 'kubernetes.io/service-account.uid': opts.uid } : {}) },
    },
    ...(opts.data ? { data: opts.data } : {}),
  };
}

/** A controller over fake caches; GETs of secrets answer `live` (by name), GETs of accounts 404. */
async function setup(accounts: Array<ServiceAccount & KubeObject>, secrets: SecretObject[], live: Record<string, SecretObject> = {}) {
  const { ctx, requests } = fakeContext((req) => {
    const get = /\/namespaces\/ns\/(secrets|serviceaccounts)\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && get) {
      const found = get[1] === 'secrets' ? live[get[2]!] : undefined;
      return found ? { status: 200, body: found } : statusAnswer(404, 'NotFound', `${get[1]} "${get[2]}" not found`);
    }
    return { status: 200, body: req.body ?? {} };
  });
  ctx.rootCA = CA;
  ctx.serviceAccountPrivateKey = PRIVATE;
  const controller = new TokensController(ctx);
  await controller.init();
  for (const a of accounts) ctx.informers.informerFor(SERVICEACCOUNTS).indexer.upsert(a);
  for (const s of secrets) ctx.informers.informerFor(SECRETS).indexer.upsert(s);
  return { controller, writes: () => requests((r) => r.method !== 'GET') };
}

describe('the token controller', () => {
  test("fills a token Secret with a legacy token, the CA, the namespace and the account's uid", async () => {
    const secret = tokenSecret('robot-token', 'robot');
    const { controller, writes } = await setup([account('robot', 'sa-1')], [secret], { 'robot-token': secret });
    await controller.syncSecret('ns/robot-token');
    const [put] = writes();
    assert.equal(put?.method, 'PUT');
    assert.equal(put.path, '/api/v1/namespaces/ns/secrets/robot-token');
    const body = put.body as SecretObject;
    assert.equal(body.metadata.annotations?.['kubernetes.io/service-account.uid'], 'sa-1');
    assert.equal(body.data?.['ca.crt'], b64(CA));
    assert.equal(body.data?.namespace, b64('ns'));
    const jwt = parseJWT(Buffer.from(body.data!.token!, 'base64').toString('utf8'))!;
    assert.equal(verifyJWT(jwt, [verificationKeyFromPEM(PUBLIC)]), true);
    assert.deepEqual(jwt.claims, {
      iss: 'kubernetes/serviceaccount',
      'kubernetes.io/serviceaccount/namespace': 'ns',
      'kubernetes.io/serviceaccount/secret.name': 'robot-token',
      'kubernetes.io/serviceaccount/service-account.name': 'robot',
      'kubernetes.io/serviceaccount/service-account.uid': 'sa-1',
      sub: 'system:serviceaccount:ns:robot',
    });
  });

  test('a filled Secret is left alone; a cached view older than the server is not written over', async () => {
    const filled = tokenSecret('a', 'robot', { uid: 'sa-1', data: { token: b64('t'), 'ca.crt': b64(CA), namespace: b64('ns') } });
    const stale = tokenSecret('b', 'robot', { rv: '5' });
    const { controller, writes } = await setup([account('robot', 'sa-1')], [filled, stale], { b: { ...stale, metadata: { ...stale.metadata, resourceVersion: '9' } } });
    await controller.syncSecret('ns/a');
    await controller.syncSecret('ns/b');
    assert.deepEqual(writes(), []);
  });

  test('a token Secret whose account does not exist (confirmed by a GET) is deleted with its uid as precondition', async () => {
    const { controller, writes } = await setup([], [tokenSecret('orphan', 'nobody')]);
    await controller.syncSecret('ns/orphan');
    const [del] = writes();
    assert.equal(del?.method, 'DELETE');
    assert.equal(del.path, '/api/v1/namespaces/ns/secrets/orphan');
    assert.deepEqual((del.body as { preconditions?: unknown }).preconditions, { uid: 'orphan-uid' });
  });

  test("a deleted account's token Secrets go, and so do those of an earlier account of the same name", async () => {
    const secrets = [tokenSecret('old', 'robot', { uid: 'sa-0' }), tokenSecret('current', 'robot', { uid: 'sa-1' }), tokenSecret('other', 'someone-else')];
    const replaced = await setup([account('robot', 'sa-1')], secrets);
    await replaced.controller.syncServiceAccount('ns/robot');
    assert.deepEqual(replaced.writes().map((r) => `${r.method} ${r.path}`), ['DELETE /api/v1/namespaces/ns/secrets/old']);

    const gone = await setup([], secrets);
    await gone.controller.syncServiceAccount('ns/robot');
    assert.deepEqual(gone.writes().map((r) => `${r.method} ${r.path}`).sort(), ['DELETE /api/v1/namespaces/ns/secrets/current', 'DELETE /api/v1/namespaces/ns/secrets/old']);
  });
});
