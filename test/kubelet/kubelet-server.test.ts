/**
 * The kubelet's HTTPS server over real TLS: client-certificate (and token) authentication, /healthz,
 * /containerLogs with PodLogOptions and the kubelet's error wording, and the errors of streaming requests.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RuntimeService } from '../../src/kubelet/cri/types.js';
import { formatCRILogLine } from '../../src/kubelet/logs/cri-log.js';
import type { ServedContainer } from '../../src/kubelet/server/host.js';
import { KubeletServer } from '../../src/kubelet/server/server.js';
import { ensureClusterPKI, issueCertificate, type KeyPair } from '../../src/pki/pki.js';
import { componentLogger } from '../../src/util/log.js';
import { tempDir } from '../helpers/tmp.js';

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

describe('KubeletServer', () => {
  let dir: { path: string; remove(): Promise<void> };
  let kubelet: KubeletServer;
  let client: KeyPair;
  const containers: Record<string, ServedContainer> = {};

  function get(path: string, opts: { cert?: boolean; token?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: kubelet.port,
          path,
          rejectUnauthorized: false,
          ...(opts.cert === false ? {} : { cert: client.cert, key: client.key }),
          headers: { ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
          agent: false,
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        },
      );
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, body: '', headers: res.headers });
      });
      req.on('error', reject);
      req.end();
    });
  }

  before(async () => {
    dir = await tempDir('k8ts-kubelet-server-');
    const pki = await ensureClusterPKI(join(dir.path, 'pki'));
    client = await issueCertificate(pki.ca, { subject: 'CN=kube-apiserver-kubelet-client, O=system:masters', usage: 'client' });
    const serving = await issueCertificate(pki.ca, { subject: 'CN=node', usage: 'server', sans: ['127.0.0.1'] });
    const log = join(dir.path, '0.log');
    const t = (s: number): Date => new Date(Date.parse('2026-11-25T10:00:00Z') + s * 1000);
    await writeFile(log, formatCRILogLine(t(0), 'stdout', 'first') + formatCRILogLine(t(1), 'stderr', 'second') + formatCRILogLine(t(2), 'stdout', 'third'));
    const previous = join(dir.path, 'prev.log');
    await writeFile(previous, formatCRILogLine(t(0), 'stdout', 'from the last run'));
    containers.app = { id: 'c1', logPath: log, previousLogPath: previous, running: false };
    containers.waiting = { running: false, waitingReason: 'ImagePullBackOff' };
    containers.fresh = { id: 'c3', logPath: log, running: true };
    kubelet = new KubeletServer({
      host: {
        runtime: {} as RuntimeService,
        findPod: (ns, name) => (ns === 'default' && name === 'web' ? { uid: 'u1', containers } : undefined),
      },
      tls: { cert: serving.cert, key: serving.key, clientCA: pki.ca.cert },
      port: 0,
      address: '127.0.0.1',
      authenticateToken: (token) => token === 'good-token',
      logger: componentLogger('test'),
    });
    await kubelet.start();
  });
  after(async () => {
    await kubelet.stop();
    await dir.remove();
  });

  test('clients need a certificate signed by the cluster CA or an accepted token', async () => {
    assert.equal((await get('/healthz', { cert: false })).status, 401);
    assert.equal((await get('/healthz', { cert: false, token: 'bad' })).status, 401);
    assert.deepEqual(await get('/healthz', { cert: false, token: 'good-token' }).then((a) => [a.status, a.body]), [200, 'ok']);
    assert.deepEqual(await get('/healthz').then((a) => [a.status, a.body]), [200, 'ok']);
    assert.equal((await get('/nothing-here')).status, 404);
  });

  test('containerLogs serves the log as text/plain with PodLogOptions', async () => {
    const all = await get('/containerLogs/default/web/app');
    assert.equal(all.status, 200);
    assert.equal(all.headers['content-type'], 'text/plain');
    assert.equal(all.body, 'first\nsecond\nthird\n');
    assert.equal((await get('/containerLogs/default/web/app?tailLines=1&timestamps=true')).body, '2026-11-25T10:00:02.000000000Z third\n');
    assert.equal((await get('/containerLogs/default/web/app?sinceTime=2026-11-25T10:00:01Z&limitBytes=3')).body, 'sec');
    assert.equal((await get('/containerLogs/default/web/app?previous=true')).body, 'from the last run\n');
    // follow of an exited container ends with what it wrote.
    assert.equal((await get('/containerLogs/default/web/app?follow=true')).body, 'first\nsecond\nthird\n');
  });

  test('containerLogs errors are worded as the kubelet words them', async () => {
    assert.deepEqual(await get('/containerLogs/default/nope/app').then((a) => [a.status, a.body]), [404, 'pod "nope" does not exist']);
    assert.deepEqual(await get('/containerLogs/default/web/other').then((a) => [a.status, a.body]), [404, 'container "other" not found in pod "web"']);
    assert.deepEqual(await get('/containerLogs/default/web/waiting').then((a) => [a.status, a.body]), [400, 'container "waiting" in pod "web" is waiting to start: ImagePullBackOff']);
    assert.deepEqual(await get('/containerLogs/default/web/fresh?previous=true').then((a) => [a.status, a.body]), [400, 'previous terminated container "fresh" in pod "web" not found']);
    assert.equal((await get('/containerLogs/default/web/app?tailLines=x')).status, 400);
  });

  test('streaming requests need an upgrade, a known pod and a running container', async () => {
    assert.deepEqual(await get('/exec/default/web/fresh?command=true&output=1').then((a) => [a.status, a.body]), [400, 'Upgrade request required']);
    const upgrade = { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' };
    assert.deepEqual(await get('/exec/default/nope/app?command=true&output=1', { headers: upgrade }).then((a) => [a.status, a.body]), [404, 'pod "nope" does not exist']);
    assert.deepEqual(await get('/exec/default/web/app?command=true&output=1', { headers: upgrade }).then((a) => [a.status, a.body]), [500, 'container not found ("app")']);
    assert.deepEqual(await get('/exec/default/web/fresh?output=1', { headers: upgrade }).then((a) => [a.status, a.body]), [400, 'you must specify at least 1 command']);
    assert.deepEqual(await get('/portForward/default/web', { headers: upgrade }).then((a) => [a.status, a.body]), [500, 'pod sandbox for pod "web" not found']);
  });
});
