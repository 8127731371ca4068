/**
 * End-to-end namespace lifecycle with the real kubectl against `k8ts up` (controller manager in-process):
 * every new namespace gets kube-root-ca.crt and the default ServiceAccount (and gets them back); deleting a
 * namespace with a thousand objects shows Terminating, refuses new content as kube does, removes everything
 * and then the namespace itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import type { Status } from 'kubernetes-types/meta/v1.js';
import { readKubeconfig } from '../../src/pki/kubeconfig.js';
import { APIClient } from '../helpers/api-client.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { failed, manifest, ok } from '../helpers/kubectl-e2e.js';
import { inParallel } from '../helpers/parallel.js';
import { until } from '../helpers/wait.js';

describe('namespace lifecycle', () => {
  let cluster: TestCluster;
  let api: APIClient;
  const k = (args: string[], input?: string) => cluster.kubectl(args, input === undefined ? {} : { input });
  const getJSON = async <T>(path: string): Promise<{ status: number; object: T }> => api.json<T>('GET', path);

  before(async () => {
    cluster = await startCluster({ controllerManager: true });
    api = await APIClient.fromKubeconfig(cluster.kubeconfig, { maxSockets: 32 });
  });
  after(async () => {
    api?.close();
    await cluster?.stop();
  });

  test('a new namespace gets kube-root-ca.crt and the default ServiceAccount, put back when deleted or edited', async () => {
    ok(await k(['create', 'namespace', 'fresh']));
    const ca = readKubeconfig(cluster.kubeconfig).ca;
    const rootCA = async (): Promise<ConfigMap | undefined> => {
      const r = await k(['get', 'configmap', 'kube-root-ca.crt', '-n', 'fresh', '-o', 'json']);
      return r.code === 0 ? (JSON.parse(r.stdout) as ConfigMap) : undefined;
    };
    const first = await until('kube-root-ca.crt', rootCA);
    assert.equal(first.data?.['ca.crt'], ca, 'the cluster CA, as in the kubeconfig');
    await until('the default ServiceAccount', async () => (await k(['get', 'serviceaccount', 'default', '-n', 'fresh'])).code === 0);

    ok(await k(['delete', 'configmap', 'kube-root-ca.crt', '-n', 'fresh']));
    const recreated = await until('kube-root-ca.crt again', async () => {
      const cm = await rootCA();
      return cm && cm.metadata?.uid !== first.metadata?.uid ? cm : undefined;
    });
    assert.equal(recreated.data?.['ca.crt'], ca);
    ok(await k(['patch', 'configmap', 'kube-root-ca.crt', '-n', 'fresh', '--type=merge', '-p', '{"data":{"ca.crt":"tampered","extra":"x"}}']));
    await until('the edit undone', async () => {
      const cm = await rootCA();
      return cm?.data?.['ca.crt'] === ca && cm.data.extra === undefined;
    });
    ok(await k(['delete', 'serviceaccount', 'default', '-n', 'fresh']));
    await until('the default ServiceAccount again', async () => (await k(['get', 'serviceaccount', 'default', '-n', 'fresh'])).code === 0);
  });

  test('creating in a namespace that does not exist is a 404', async () => {
    const err = failed(await k(['create', 'configmap', 'x', '-n', 'no-such-ns']));
    assert.match(err, /namespaces "no-such-ns" not found/);
  });

  test('deleting a namespace with 1,000 objects: Terminating meanwhile, new content refused, then nothing left and the namespace gone', async (t) => {
    const ns = 'big';
    ok(await k(['create', 'namespace', ns]));
    // Pods need the default ServiceAccount, which the controller creates (as in kube).
    await until('the default ServiceAccount', async () => (await getJSON(`/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200);
    const kinds = [
      { path: 'configmaps', body: (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: name } }) },
      { path: 'secrets', body: (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { n: name } }) },
      { path: 'services', body: (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], selector: { app: name } } }) },
      { path: 'pods', body: (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } }) },
    ];
    const started = Date.now();
    const codes = await inParallel(1000, 32, async (i) => {
      const kind = kinds[i % kinds.length]!;
      const r = await api.json('POST', `/api/v1/namespaces/${ns}/${kind.path}`, kind.body(`obj-${i}`));
      return r.status;
    });
    assert.deepEqual([...new Set(codes)], [201]);
    // One object held by a finalizer keeps the namespace Terminating long enough to look at it.
    ok(await k(['apply', '-n', ns, '-f', '-'], manifest({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['e2e.k8ts.io/hold'] } })));
    t.diagnostic(`created 1,001 objects in ${Date.now() - started} ms`);

    const deleting = Date.now();
    assert.match(ok(await k(['delete', 'namespace', ns, '--wait=false'])), /namespace "big" deleted/);
    assert.match(ok(await k(['get', 'namespace', ns])), /^big\s+Terminating\s+/m);
    const refused = failed(await k(['create', 'configmap', 'late', '-n', ns]));
    assert.match(refused, /configmaps "late" is forbidden: unable to create new content in namespace big because it is being terminated/);
    const status = await api.json<Status>('POST', `/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { generateName: 'late-' } });
    assert.equal(status.status, 403);
    assert.equal(status.object.reason, 'Forbidden');
    assert.equal(status.object.message, 'secrets "late-" is forbidden: unable to create new content in namespace big because it is being terminated');
    assert.deepEqual(status.object.details?.causes, [{ reason: 'NamespaceTerminating', message: 'namespace big is being terminated', field: 'metadata.namespace' }]);
    // Deleting again while content is being removed is kube's Conflict.
    assert.match(failed(await k(['delete', 'namespace', ns, '--wait=false'])), /Operation cannot be fulfilled on namespaces "big": The system is ensuring all content is removed from this namespace/);

    // Everything but the held object goes; the conditions say what is left and why.
    const conditions = await until('only the held object left', async () => {
      const { object } = await getJSON<Namespace>(`/api/v1/namespaces/${ns}`);
      const remaining = object.status?.conditions?.find((c) => c.type === 'NamespaceContentRemaining');
      return remaining?.message === 'Some resources are remaining: configmaps. has 1 resource instances' ? object.status!.conditions! : undefined;
    });
    t.diagnostic(`1,000 objects removed in ${Date.now() - deleting} ms`);
    const byType = new Map(conditions.map((c) => [c.type, c]));
    assert.deepEqual(
      { status: byType.get('NamespaceFinalizersRemaining')?.status, reason: byType.get('NamespaceFinalizersRemaining')?.reason, message: byType.get('NamespaceFinalizersRemaining')?.message },
      { status: 'True', reason: 'SomeFinalizersRemain', message: 'Some content in the namespace has finalizers remaining: e2e.k8ts.io/hold in 1 resource instances' },
    );
    assert.equal(byType.get('NamespaceDeletionDiscoveryFailure')?.reason, 'ResourcesDiscovered');
    assert.equal(byType.get('NamespaceDeletionContentFailure')?.reason, 'ContentDeleted');
    for (const kind of kinds) assert.deepEqual((await getJSON<{ items: unknown[] }>(`/api/v1/namespaces/${ns}/${kind.path}`)).object.items.length, kind.path === 'configmaps' ? 1 : 0, kind.path);
    assert.match(ok(await k(['get', 'namespace', ns])), /^big\s+Terminating\s+/m);

    // The last finalizer goes: the object, then the namespace.
    ok(await k(['patch', 'configmap', 'held', '-n', ns, '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']));
    await until('the namespace gone', async () => (await getJSON(`/api/v1/namespaces/${ns}`)).status === 404);
    assert.match(failed(await k(['get', 'namespace', ns])), /namespaces "big" not found/);
    for (const kind of [...kinds.map((x) => x.path), 'serviceaccounts', 'endpoints']) {
      assert.equal((await getJSON<{ items: unknown[] }>(`/api/v1/namespaces/${ns}/${kind}`)).object.items.length, 0, `${kind} left behind`);
    }
  });

  test('an empty namespace goes at once; kubectl delete waits for it', async () => {
    ok(await k(['create', 'namespace', 'brief']));
    ok(await k(['delete', 'namespace', 'brief', '--timeout=30s']));
    assert.equal((await getJSON(`/api/v1/namespaces/brief`)).status, 404);
  });
});
