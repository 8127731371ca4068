/**
 * End-to-end: server-side apply with the real kubectl (`kubectl apply --server-side`): field ownership in
 * managedFields per manager, conflicts worded as kube-apiserver words them, --force-conflicts taking fields
 * over, shared ownership of equal values, keyed lists (containers) owned item by item, fields a manager stops
 * applying removed unless someone else owns them, and updates (kubectl label) owning what they change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1.js';
import { APIClient } from '../helpers/api-client.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { failed, manifest, ok } from '../helpers/kubectl-e2e.js';

function owners(entries: readonly ManagedFieldsEntry[] | undefined): Record<string, unknown> {
  return Object.fromEntries((entries ?? []).map((e) => [`${e.manager}/${e.operation}`, e.fieldsV1]));
}

const cm = (name: string, data: Record<string, string>, labels?: Record<string, string>): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});

const deployment = (containers: { name: string; image: string }[]): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
  },
});

describe('server-side apply', () => {
  let cluster: TestCluster;
  let client: APIClient;
  const apply = (manager: string, obj: object, ...extra: string[]) =>
    cluster.kubectl(['apply', '--server-side', `--field-manager=${manager}`, ...extra, '-f', '-'], { input: manifest(obj) });
  const getJSON = async <T>(...args: string[]): Promise<T> => JSON.parse(ok(await cluster.kubectl(['get', ...args, '-o', 'json', '--show-managed-fields']))) as T;

  before(async () => {
    cluster = await startCluster();
    client = await APIClient.fromKubeconfig(cluster.kubeconfig);
  });
  after(async () => {
    client?.close();
    await cluster?.stop();
  });

  test('two managers applying different values conflict; --force-conflicts takes the field over', async () => {
    assert.match(ok(await apply('alice', cm('shared', { key: 'one', other: 'x' }))), /configmap\/shared serverside-applied/);
    const err = failed(await apply('bob', cm('shared', { key: 'two', other: 'x' })));
    assert.match(err, /^error: Apply failed with 1 conflict: conflict with "alice": \.data\.key$/m);
    assert.match(err, /--force-conflicts/);
    assert.equal((await getJSON<ConfigMap>('configmap', 'shared')).data!.key, 'one');

    ok(await apply('bob', cm('shared', { key: 'two', other: 'x' }), '--force-conflicts'));
    const live = await getJSON<ConfigMap>('configmap', 'shared');
    assert.equal(live.data!.key, 'two');
    // bob owns key now; both own `other`, which they applied with the same value (shared, no conflict).
    assert.deepEqual(owners(live.metadata!.managedFields), {
      'alice/Apply': { 'f:data': { '.': {}, 'f:other': {} } },
      'bob/Apply': { 'f:data': { '.': {}, 'f:key': {}, 'f:other': {} } },
    });
  });

  test('several conflicts are listed per manager', async () => {
    ok(await apply('alice', cm('many', { a: '1', b: '1' }, { tier: 'x' })));
    const err = failed(await apply('bob', cm('many', { a: '2', b: '2' }, { tier: 'y' })));
    assert.match(err, /^error: Apply failed with 3 conflicts: conflicts with "alice":\n- \.data\.a\n- \.data\.b\n- \.metadata\.labels\.tier$/m);
  });

  test('a field a manager stops applying is removed, unless another manager owns it', async () => {
    ok(await apply('alice', cm('prune', { mine: '1', ours: '1' })));
    ok(await apply('bob', cm('prune', { ours: '1' })));
    ok(await apply('alice', cm('prune', { keep: '1' })));
    const live = await getJSON<ConfigMap>('configmap', 'prune');
    assert.deepEqual(live.data, { ours: '1', keep: '1' });
  });

  test('containers are owned item by item: another manager\'s sidecar survives; dropping yours removes it', async () => {
    ok(await apply('app-team', deployment([{ name: 'app', image: 'app:1' }])));
    ok(await apply('mesh', deployment([{ name: 'proxy', image: 'proxy:1' }])));
    let live = await getJSON<Deployment>('deployment', 'web');
    assert.deepEqual(live.spec!.template.spec!.containers.map((c) => `${c.name}=${c.image}`), ['app=app:1', 'proxy=proxy:1']);
    const mesh = live.metadata!.managedFields!.find((e) => e.manager === 'mesh')!;
    const containers = (mesh.fieldsV1 as Record<string, Record<string, Record<string, Record<string, Record<string, Record<string, unknown>>>>>>)['f:spec']!['f:template']!['f:spec']!['f:containers']!;
    assert.deepEqual(Object.keys(containers), ['k:{"name":"proxy"}']);
    assert.deepEqual(containers['k:{"name":"proxy"}'], { '.': {}, 'f:image': {}, 'f:name': {} });

    const err = failed(await apply('mesh', deployment([{ name: 'app', image: 'app:2' }])));
    assert.match(err, /conflict with "app-team": \.spec\.template\.spec\.containers\[name="app"\]\.image/);

    ok(await apply('app-team', deployment([{ name: 'app', image: 'app:2' }, { name: 'worker', image: 'w:1' }])));
    ok(await apply('app-team', deployment([{ name: 'worker', image: 'w:1' }])));
    live = await getJSON<Deployment>('deployment', 'web');
    assert.deepEqual(live.spec!.template.spec!.containers.map((c) => c.name), ['proxy', 'worker']);
  });

  test('an update owns what it changes: kubectl label, then an apply changing that label conflicts with it', async () => {
    ok(await apply('alice', cm('labelled', { k: 'v' }, { env: 'dev' })));
    ok(await cluster.kubectl(['label', '--overwrite', 'configmap', 'labelled', 'env=prod']));
    const live = await getJSON<ConfigMap>('configmap', 'labelled');
    const label = live.metadata!.managedFields!.find((e) => e.manager === 'kubectl-label')!;
    assert.equal(label.operation, 'Update');
    assert.deepEqual(label.fieldsV1, { 'f:metadata': { 'f:labels': { 'f:env': {} } } });
    assert.deepEqual(owners(live.metadata!.managedFields)['alice/Apply'], { 'f:data': { '.': {}, 'f:k': {} }, 'f:metadata': { 'f:labels': {} } });
    const err = failed(await apply('alice', cm('labelled', { k: 'v' }, { env: 'dev' })));
    assert.match(err, /^error: Apply failed with 1 conflict: conflict with "kubectl-label" using v1 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: \.metadata\.labels\.env$/m);
  });

  test('kubectl create records its fields; apply of the same values shares them without conflict', async () => {
    ok(await cluster.kubectl(['create', 'configmap', 'created', '--from-literal=a=1']));
    const created = await getJSON<ConfigMap>('configmap', 'created');
    assert.deepEqual(owners(created.metadata!.managedFields), { 'kubectl-create/Update': { 'f:data': { '.': {}, 'f:a': {} } } });
    ok(await apply('alice', cm('created', { a: '1', b: '2' })));
  });

  test('apply creates a missing object (201), honours dry run, and requires a field manager', async () => {
    const dry = ok(await apply('alice', cm('dry', { a: '1' }), '--dry-run=server'));
    assert.match(dry, /configmap\/dry serverside-applied \(server dry run\)/);
    assert.equal((await cluster.kubectl(['get', 'configmap', 'dry'])).code, 1);

    const path = '/api/v1/namespaces/default/configmaps/raw';
    const body = JSON.stringify(cm('raw', { a: '1' }));
    const created = await client.request('PATCH', `${path}?fieldManager=raw`, { body, headers: { 'Content-Type': 'application/apply-patch+yaml' } });
    assert.equal(created.status, 201);
    const missing = await client.request('PATCH', path, { body, headers: { 'Content-Type': 'application/apply-patch+yaml' } });
    assert.equal(missing.status, 422);
    assert.equal(JSON.parse(missing.body.toString()).message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const forced = await client.request('PATCH', `${path}?force=true`, { body: '{}', headers: { 'Content-Type': 'application/merge-patch+json' } });
    assert.equal(forced.status, 422);
    assert.equal(JSON.parse(forced.body.toString()).message, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  });
});
