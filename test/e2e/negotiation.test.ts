/**
 * End-to-end: content negotiation of the real `k8ts up` over HTTPS — the forms a client may ask for in
 * `Accept` (JSON, YAML, Table, PartialObjectMetadata), gzip, and 406 for forms the server cannot write.
 */
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { parse as parseYAML } from 'yaml';
import { APIClient } from '../helpers/api-client.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

const CMS = '/api/v1/namespaces/default/configmaps';

describe('content negotiation', () => {
  let cluster: TestCluster;
  let api: APIClient;

  before(async () => {
    cluster = await startCluster();
    api = await APIClient.fromKubeconfig(cluster.kubeconfig);
    for (let i = 0; i < 200; i++) {
      const created = await api.json('POST', CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, labels: { app: 'neg' } }, data: { blob: 'x'.repeat(1000) } });
      assert.equal(created.status, 201);
    }
  });
  after(async () => {
    await cluster?.stop();
  });

  const get = (path: string, accept: string, extra: Record<string, string> = {}) => api.request('GET', path, { headers: { Accept: accept, ...extra } });

  test('an Accept header naming only forms the server cannot write gets 406 NotAcceptable', async () => {
    for (const accept of ['application/xml', 'application/vnd.kubernetes.protobuf', 'application/json;as=Table;v=v9;g=meta.k8s.io']) {
      const reply = await get(`${CMS}/cm-1`, accept);
      assert.equal(reply.status, 406, accept);
      const status = JSON.parse(reply.body.toString()) as { kind: string; code: number; reason: string };
      assert.deepEqual([status.kind, status.code, status.reason], ['Status', 406, 'NotAcceptable']);
    }
    // kubectl's own header lists protobuf first and JSON after it: JSON it is.
    const kubectlAccept = await get(`${CMS}/cm-1`, 'application/vnd.kubernetes.protobuf,application/json');
    assert.equal(kubectlAccept.status, 200);
    assert.equal(kubectlAccept.headers['content-type'], 'application/json');
  });

  test('YAML is written when asked for', async () => {
    const reply = await get(`${CMS}/cm-2`, 'application/yaml');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'application/yaml');
    const cm = parseYAML(reply.body.toString()) as { metadata: { name: string } };
    assert.equal(cm.metadata.name, 'cm-2');
  });

  test('PartialObjectMetadata and PartialObjectMetadataList carry metadata only', async () => {
    const accept = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
    const one = JSON.parse((await get(`${CMS}/cm-3`, accept)).body.toString()) as Record<string, unknown> & { metadata: { name: string; uid: string } };
    assert.equal(one.kind, 'PartialObjectMetadata');
    assert.equal(one.apiVersion, 'meta.k8s.io/v1');
    assert.equal(one.metadata.name, 'cm-3');
    assert.ok(one.metadata.uid);
    assert.equal(one.data, undefined);
    const listAccept = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
    const list = JSON.parse((await get(`${CMS}?labelSelector=app%3Dneg`, listAccept)).body.toString()) as {
      kind: string;
      metadata: { resourceVersion: string };
      items: Array<{ kind: string; metadata: { name: string }; data?: unknown }>;
    };
    assert.equal(list.kind, 'PartialObjectMetadataList');
    assert.ok(Number(list.metadata.resourceVersion) > 0);
    assert.equal(list.items.length, 200);
    assert.ok(list.items.every((i) => i.kind === 'PartialObjectMetadata' && i.data === undefined));
  });

  test('a Table row carries metadata by default, the object or nothing as includeObject asks', async () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    type Table = { kind: string; columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[]; object?: { kind: string; data?: unknown } }> };
    const byDefault = JSON.parse((await get(`${CMS}/cm-4`, accept)).body.toString()) as Table;
    assert.equal(byDefault.kind, 'Table');
    assert.deepEqual(byDefault.columnDefinitions.map((c) => c.name), ['Name', 'Data', 'Age']);
    assert.deepEqual(byDefault.rows[0]!.cells.slice(0, 2), ['cm-4', 1]);
    assert.equal(byDefault.rows[0]!.object?.kind, 'PartialObjectMetadata');
    const withObject = JSON.parse((await get(`${CMS}/cm-4?includeObject=Object`, accept)).body.toString()) as Table;
    assert.equal(withObject.rows[0]!.object?.kind, 'ConfigMap');
    assert.ok(withObject.rows[0]!.object?.data);
    const none = JSON.parse((await get(`${CMS}/cm-4?includeObject=None`, accept)).body.toString()) as Table;
    assert.equal(none.rows[0]!.object, undefined);
    assert.equal((await get(`${CMS}/cm-4?includeObject=Everything`, accept)).status, 400);
  });

  test('large answers are gzipped when the client accepts gzip, and only then', async () => {
    const zipped = await get(CMS, 'application/json', { 'Accept-Encoding': 'gzip' });
    assert.equal(zipped.status, 200);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    const list = JSON.parse(gunzipSync(zipped.body).toString()) as { items: unknown[] };
    assert.equal(list.items.length, 200);
    const plain = await get(CMS, 'application/json');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal((JSON.parse(plain.body.toString()) as { items: unknown[] }).items.length, 200);
  });

  test('a list of more than a thousand items is written piece by piece, gzipped or not, and reads the same', async () => {
    const ns = '/api/v1/namespaces';
    assert.equal((await api.json('POST', ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'big' } })).status, 201);
    const names = Array.from({ length: 1500 }, (_, i) => `big-${i}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map(async (name) => assert.equal((await api.json('POST', `${ns}/big/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { blob: 'y'.repeat(500) } })).status, 201)));
    }
    type List = { kind: string; metadata: { resourceVersion: string }; items: { metadata: { name: string; resourceVersion: string }; data?: { blob?: string } }[] };
    const zipped = await get(`${ns}/big/configmaps`, 'application/json', { 'Accept-Encoding': 'gzip' });
    assert.equal(zipped.status, 200);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    const plain = await get(`${ns}/big/configmaps`, 'application/json');
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    for (const list of [JSON.parse(gunzipSync(zipped.body).toString()) as List, JSON.parse(plain.body.toString()) as List]) {
      assert.equal(list.kind, 'ConfigMapList');
      assert.match(list.metadata.resourceVersion, /^\d+$/);
      const mine = list.items.filter((o) => o.metadata.name.startsWith('big-'));
      assert.deepEqual(mine.map((o) => o.metadata.name).sort(), [...names].sort());
      assert.ok(mine.every((o) => o.data?.blob === 'y'.repeat(500) && /^\d+$/.test(o.metadata.resourceVersion)));
    }
  });
});
