import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { writeKubeconfig } from '../../src/pki/kubeconfig.js';
import { ensureClusterPKI } from '../../src/pki/pki.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);

test('first start creates a CA, a serving certificate for the cluster names, and an admin client certificate', async () => {
  const dir = await tempDir();
  try {
    const pki = await ensureClusterPKI(join(dir.path, 'pki'), { sans: ['api.example.test', '10.1.2.3'] });
    const ca = new X509Certificate(pki.ca.cert);
    const serving = new X509Certificate(pki.serving.cert);
    const admin = new X509Certificate(pki.admin.cert);
    assert.ok(ca.ca, 'the CA is a CA');
    for (const leaf of [serving, admin]) {
      assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'signed by the cluster CA');
      assert.ok(!leaf.ca);
    }
    for (const host of ['localhost', 'kubernetes', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'api.example.test']) {
      assert.equal(serving.checkHost(host), host, `serving certificate valid for ${host}`);
    }
    for (const ip of ['127.0.0.1', '10.96.0.1', '10.1.2.3']) assert.equal(serving.checkIP(ip), ip, `serving certificate valid for ${ip}`);
    assert.match(admin.subject, /CN=kubernetes-admin/);
    assert.match(admin.subject, /O=system:masters/);
    assert.equal((await stat(join(dir.path, 'pki', 'ca.key'))).mode & 0o777, 0o600, 'private keys are private');

    const again = await ensureClusterPKI(join(dir.path, 'pki'), { sans: ['api.example.test', '10.1.2.3'] });
    assert.equal(again.ca.cert, pki.ca.cert, 'a restart keeps the CA');
    assert.equal(again.serving.cert, pki.serving.cert, 'and the serving certificate while its names still hold');
    assert.equal(again.admin.cert, pki.admin.cert);
    const widened = await ensureClusterPKI(join(dir.path, 'pki'), { sans: ['new.example.test'] });
    assert.equal(widened.ca.cert, pki.ca.cert);
    assert.equal(new X509Certificate(widened.serving.cert).checkHost('new.example.test'), 'new.example.test', 'a new name re-issues the serving certificate');
  } finally {
    await dir.remove();
  }
});

test('kubectl trusts the serving certificate and presents the admin certificate from admin.kubeconfig', async () => {
  const dir = await tempDir();
  let server: Server | undefined;
  try {
    const pki = await ensureClusterPKI(join(dir.path, 'pki'));
    const seen: string[] = [];
    server = createServer({ cert: pki.serving.cert, key: pki.serving.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      seen.push(`${peer.subject.CN}/${String(peer.subject.O)}`);
      res.setHeader('Content-Type', 'application/json');
      // Just enough of /version for `kubectl version` to print the server side.
      res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0-k8ts', platform: 'linux/amd64' }));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const kubeconfig = join(dir.path, 'admin.kubeconfig');
    await writeKubeconfig(kubeconfig, { server: `https://127.0.0.1:${port}`, caCert: pki.ca.cert, client: pki.admin });
    const { stdout } = await run('kubectl', ['--kubeconfig', kubeconfig, 'version', '-o', 'json']);
    assert.equal(JSON.parse(stdout).serverVersion.gitVersion, 'v1.32.0-k8ts');
    assert.ok(seen.includes('kubernetes-admin/system:masters'), `the server saw the admin identity: ${seen.join(', ')}`);
    // By the name `localhost` too: the certificate covers it.
    await writeKubeconfig(kubeconfig, { server: `https://localhost:${port}`, caCert: pki.ca.cert, client: pki.admin });
    await run('kubectl', ['--kubeconfig', kubeconfig, 'version', '-o', 'json']);
  } finally {
    server?.close();
    await dir.remove();
  }
});
