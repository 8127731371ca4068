/**
 * End-to-end: the real kubectl 1.32 with bearer tokens from `k8ts up --token-auth-file`, and what is served
 * without credentials.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Status } from 'kubernetes-types/meta/v1.js';
import { kubectl, startCluster, type KubectlResult, type TestCluster } from '../helpers/cluster.js';
import { APIClient } from '../helpers/api-client.js';
import { configMap, failed, lines, manifest, ok } from '../helpers/kubectl-e2e.js';
import { tempDir } from '../helpers/tmp.js';

describe('kubectl with a token from --token-auth-file', () => {
  const TOKEN = 'k8ts-e2e-token-31415';
  let cluster: TestCluster;
  let files: Awaited<ReturnType<typeof tempDir>>;
  let ca: string;
  /** A kubeconfig with nothing in it, so only the flags say where to go and who is asking. */
  let emptyKubeconfig: string;

  before(async () => {
    files = await tempDir('k8ts-token-');
    const tokenFile = join(files.path, 'tokens.csv');
    await writeFile(tokenFile, `${TOKEN},alice,1001,"devs,ops"\n`);
    emptyKubeconfig = join(files.path, 'empty.kubeconfig');
    await writeFile(emptyKubeconfig, 'apiVersion: v1\nkind: Config\n');
    cluster = await startCluster({ args: ['--token-auth-file', tokenFile] });
    ca = join(cluster.dataDir, 'pki', 'ca.crt');
  });
  after(async () => {
    await cluster?.stop();
    await files?.remove();
  });

  const withFlags = (args: string[], input?: string): Promise<KubectlResult> =>
    kubectl(emptyKubeconfig, ['--server', cluster.url, '--certificate-authority', ca, ...args], input === undefined ? {} : { input });

  test('kubectl --token with --server and --certificate-authority is let in', async () => {
    const names = lines(ok(await withFlags(['--token', TOKEN, 'get', 'ns', '-o', 'name'])));
    assert.ok(names.includes('namespace/default'), names.join(' '));
    assert.equal(ok(await withFlags(['--token', TOKEN, '-n', 'default', 'apply', '-f', '-'], manifest(configMap('by-token')))), 'configmap/by-token created\n');
    // The admin client certificate still works next to the token file.
    assert.equal(ok(await cluster.kubectl(['get', 'ns', 'kube-system', '-o', 'name'])), 'namespace/kube-system\n');
  });

  test('a wrong token is Unauthorized', async () => {
    assert.match(failed(await withFlags(['--token', 'not-the-token', 'get', 'ns'])), /error: You must be logged in to the server \(Unauthorized\)/);
  });

  test('health and version answer without credentials; the API refuses them with a 401 Status', async () => {
    // The admin kubeconfig only for the server and its CA: every request here goes without the certificate.
    const api = await APIClient.fromKubeconfig(cluster.kubeconfig);
    const anonymous = async (path: string): Promise<{ status: number; contentType: string; body: string }> => {
      const r = await api.request('GET', path, { anonymous: true });
      return { status: r.status, contentType: String(r.headers['content-type'] ?? ''), body: r.body.toString('utf8') };
    };
    for (const path of ['/healthz', '/readyz', '/livez']) {
      const r = await anonymous(path);
      assert.equal(r.status, 200, path);
      assert.equal(r.body, 'ok', path);
    }
    const version = await anonymous('/version');
    assert.equal(version.status, 200);
    assert.match((JSON.parse(version.body) as { gitVersion: string }).gitVersion, /^v1\.32\./);

    const refused = await anonymous('/api/v1/namespaces');
    assert.equal(refused.status, 401);
    assert.match(refused.contentType, /^application\/json/);
    const status = JSON.parse(refused.body) as Status;
    assert.equal(status.kind, 'Status');
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'Unauthorized');
    assert.equal(status.code, 401);
  });
});
