/**
 * End-to-end garbage collection with the real kubectl against `k8ts up`: foreground deletion keeps the owner
 * until its blocking dependents are gone, background deletion removes dependents after the owner, orphaning
 * strips the owner references, ownerless objects are collected, cycles do not block, and work left at a
 * kill -9 is finished after the restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { APIClient } from '../helpers/api-client.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { ok } from '../helpers/kubectl-e2e.js';
import { inParallel } from '../helpers/parallel.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/wait.js';

const cmPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;

/** ConfigMap helpers over the raw API client (fast parallel creates). */
function configMaps(api: () => APIClient) {
  const create = async (ns: string, name: string, extra: { owners?: ConfigMap[]; block?: boolean; finalizers?: string[]; refs?: OwnerReference[] } = {}): Promise<ConfigMap> => {
    const ownerReferences = [
      ...(extra.owners ?? []).map((o) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata!.name!, uid: o.metadata!.uid!, ...(extra.block ? { blockOwnerDeletion: true } : {}) })),
      ...(extra.refs ?? []),
    ];
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(ownerReferences.length ? { ownerReferences } : {}), ...(extra.finalizers ? { finalizers: extra.finalizers } : {}) } };
    const r = await api().json<ConfigMap>('POST', cmPath(ns), body);
    assert.equal(r.status, 201, JSON.stringify(r.object));
    return r.object;
  };
  const get = async (ns: string, name: string): Promise<ConfigMap | undefined> => {
    const r = await api().json<ConfigMap>('GET', cmPath(ns, name));
    return r.status === 200 ? r.object : undefined;
  };
  const names = async (ns: string, prefix: string): Promise<string[]> =>
    (await api().json<{ items: ConfigMap[] }>('GET', cmPath(ns))).object.items.map((c) => c.metadata!.name!).filter((n) => n.startsWith(prefix));
  return { create, get, names };
}

describe('garbage collector', () => {
  let cluster: TestCluster;
  let api: APIClient;
  const cms = configMaps(() => api);
  const k = (args: string[]) => cluster.kubectl(args);
  const ns = 'gc';

  before(async () => {
    cluster = await startCluster({ controllerManager: true });
    api = await APIClient.fromKubeconfig(cluster.kubeconfig, { maxSockets: 32 });
    ok(await k(['create', 'namespace', ns]));
  });
  after(async () => {
    api?.close();
    await cluster?.stop();
  });

  test('foreground: the owner stays, marked, until its 100 blocking dependents are gone', async () => {
    const owner = await cms.create(ns, 'fg-owner');
    await inParallel(99, 16, (i) => cms.create(ns, `fg-dep-${i}`, { owners: [owner], block: true }));
    // One dependent is held by a finalizer of its own, so the owner must visibly wait for it.
    await cms.create(ns, 'fg-dep-held', { owners: [owner], block: true, finalizers: ['e2e.k8ts.io/hold'] });
    ok(await k(['delete', 'configmap', 'fg-owner', '-n', ns, '--cascade=foreground', '--wait=false']));
    await until('the other 99 dependents gone', async () => (await cms.names(ns, 'fg-dep-')).join() === 'fg-dep-held');
    const waiting = await cms.get(ns, 'fg-owner');
    assert.ok(waiting?.metadata?.deletionTimestamp, 'the owner is still there, marked for deletion');
    assert.deepEqual(waiting.metadata.finalizers, ['foregroundDeletion']);
    assert.ok((await cms.get(ns, 'fg-dep-held'))?.metadata?.deletionTimestamp, 'the held dependent is being deleted');
    ok(await k(['patch', 'configmap', 'fg-dep-held', '-n', ns, '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']));
    await until('the owner gone', async () => (await cms.get(ns, 'fg-owner')) === undefined);
    assert.deepEqual(await cms.names(ns, 'fg-dep-'), []);
  });

  test('foreground with kubectl waiting: when kubectl returns, the owner and every dependent are gone', async () => {
    const owner = await cms.create(ns, 'fgw-owner');
    await inParallel(100, 16, (i) => cms.create(ns, `fgw-dep-${i}`, { owners: [owner], block: true }));
    ok(await k(['delete', 'configmap', 'fgw-owner', '-n', ns, '--cascade=foreground']));
    assert.equal(await cms.get(ns, 'fgw-owner'), undefined);
    assert.deepEqual(await cms.names(ns, 'fgw-dep-'), []);
  });

  test('background: the owner goes at once and its dependents after it', async () => {
    const owner = await cms.create(ns, 'bg-owner');
    await inParallel(50, 16, (i) => cms.create(ns, `bg-dep-${i}`, { owners: [owner] }));
    ok(await k(['delete', 'configmap', 'bg-owner', '-n', ns]));
    assert.equal(await cms.get(ns, 'bg-owner'), undefined);
    await until('the dependents gone', async () => (await cms.names(ns, 'bg-dep-')).length === 0);
  });

  test('orphan: the owner goes, its dependents stay without the reference to it', async () => {
    const owner = await cms.create(ns, 'or-owner');
    const other = await cms.create(ns, 'or-other');
    await inParallel(20, 16, (i) => cms.create(ns, `or-dep-${i}`, { owners: i === 0 ? [owner, other] : [owner], block: true }));
    ok(await k(['delete', 'configmap', 'or-owner', '-n', ns, '--cascade=orphan']));
    assert.equal(await cms.get(ns, 'or-owner'), undefined);
    const deps = await cms.names(ns, 'or-dep-');
    assert.equal(deps.length, 20);
    for (const name of deps) {
      const refs = (await cms.get(ns, name))?.metadata?.ownerReferences;
      if (name === 'or-dep-0') assert.deepEqual(refs?.map((r) => r.name), ['or-other'], 'other owners are kept');
      else assert.equal(refs, undefined, `${name} still names an owner`);
    }
  });

  test('an object whose owners are all missing is collected; one with an owner left only loses the missing reference', async () => {
    const alive = await cms.create(ns, 'live-owner');
    const ghost = { apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-0000-0000-0000-000000000001' };
    await cms.create(ns, 'orphaned', { refs: [ghost] });
    await cms.create(ns, 'half-owned', { owners: [alive], refs: [ghost] });
    await until('the ownerless object collected', async () => (await cms.get(ns, 'orphaned')) === undefined);
    const half = await until('the missing reference dropped', async () => {
      const cm = await cms.get(ns, 'half-owned');
      return cm?.metadata?.ownerReferences?.length === 1 ? cm : undefined;
    });
    assert.equal(half.metadata?.ownerReferences?.[0]?.uid, alive.metadata?.uid);
  });

  test('a dependency cycle does not block foreground deletion', async () => {
    const a = await cms.create(ns, 'cycle-a');
    const b = await cms.create(ns, 'cycle-b', { owners: [a], block: true });
    const r = await api.request('PATCH', cmPath(ns, 'cycle-a'), {
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cycle-b', uid: b.metadata!.uid, blockOwnerDeletion: true }] } }),
    });
    assert.equal(r.status, 200);
    ok(await k(['delete', 'configmap', 'cycle-a', '-n', ns, '--cascade=foreground', '--wait=false']));
    await until('both gone', async () => (await cms.get(ns, 'cycle-a')) === undefined && (await cms.get(ns, 'cycle-b')) === undefined);
  });
});

describe('garbage collector across a kill -9', () => {
  test('work left when the process was killed is finished after the restart', async () => {
    const dir = await tempDir();
    let api: APIClient | undefined;
    const servers: TestCluster[] = [];
    const cms = configMaps(() => api!);
    try {
      // First run without the controller manager: deletes leave all the collector's work undone.
      const first = await startCluster({ dataDir: dir.path, controllerManager: false });
      servers.push(first);
      api = await APIClient.fromKubeconfig(first.kubeconfig, { maxSockets: 32 });
      ok(await first.kubectl(['create', 'namespace', 'gc-restart']));
      const bg = await cms.create('gc-restart', 'bg-owner');
      const fg = await cms.create('gc-restart', 'fg-owner');
      await inParallel(200, 16, (i) => cms.create('gc-restart', `dep-${i}`, { owners: [i % 2 ? bg : fg], block: true }));
      ok(await first.kubectl(['delete', 'configmap', 'bg-owner', '-n', 'gc-restart', '--wait=false']));
      ok(await first.kubectl(['delete', 'configmap', 'fg-owner', '-n', 'gc-restart', '--cascade=foreground', '--wait=false']));
      assert.equal((await cms.names('gc-restart', 'dep-')).length, 200, 'nothing collected without the collector');
      assert.deepEqual((await cms.get('gc-restart', 'fg-owner'))?.metadata?.finalizers, ['foregroundDeletion']);
      await first.kill();
      api.close();

      const second = await startCluster({ dataDir: dir.path, controllerManager: true });
      servers.push(second);
      api = await APIClient.fromKubeconfig(second.kubeconfig, { maxSockets: 32 });
      await until('every dependent collected', async () => (await cms.names('gc-restart', 'dep-')).length === 0);
      await until('the foreground owner gone', async () => (await cms.get('gc-restart', 'fg-owner')) === undefined);
    } finally {
      api?.close();
      for (const s of servers) await s.kill();
      await dir.remove();
    }
  });
});
