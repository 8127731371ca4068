/**
 * End-to-end with the official JavaScript client (@kubernetes/client-node) against the real `k8ts up`:
 * typed CRUD and patches, paged and selected lists, watches (resumed, with initial events and bookmarks,
 * expired), and an informer that stays right across a restart of the server.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { clientFor, eventually, failureOf, freePort, recordWatch, type Client } from '../helpers/client-node.js';
import { inParallel } from '../helpers/parallel.js';
import { tempDir } from '../helpers/tmp.js';

const rvOf = (o: k8s.KubernetesObject): number => Number(o.metadata?.resourceVersion);
const namesOf = (items: k8s.KubernetesObject[]): string[] => items.map((o) => o.metadata!.name!).sort();

let cluster: TestCluster;
let client: Client;

before(async () => {
  cluster = await startCluster();
  client = clientFor(cluster.kubeconfig);
});

after(async () => {
  await cluster?.stop();
});

async function createNamespace(name: string): Promise<void> {
  const ns = await client.core.createNamespace({ body: { metadata: { name } } });
  assert.equal(ns.metadata?.name, name);
}

test('configmaps: create, get, replace, json and merge patch, conflicts and delete through client-node', async () => {
  const { core } = client;
  const namespace = 'cn-crud';
  await createNamespace(namespace);

  const created = await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: 'settings', labels: { app: 'web' } }, data: { mode: 'fast' } },
  });
  assert.equal(created.metadata?.namespace, namespace);
  assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
  assert.ok(rvOf(created) > 0);
  assert.ok(created.metadata?.creationTimestamp instanceof Date, 'creationTimestamp deserializes to a Date');
  assert.deepEqual(created.data, { mode: 'fast' });

  const got = await core.readNamespacedConfigMap({ name: 'settings', namespace });
  assert.deepEqual(got, created);

  const duplicate = await failureOf(core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' } } }));
  assert.equal(duplicate.code, 409);
  assert.equal(duplicate.status.reason, 'AlreadyExists');

  const replaced = await core.replaceNamespacedConfigMap({ name: 'settings', namespace, body: { ...got, data: { mode: 'safe', level: '3' } } });
  assert.deepEqual(replaced.data, { mode: 'safe', level: '3' });
  assert.equal(replaced.metadata?.uid, created.metadata?.uid);
  assert.ok(rvOf(replaced) > rvOf(created));

  // Replacing with the resourceVersion that was read before the replace is a lost update: 409 Conflict.
  const stale = await failureOf(core.replaceNamespacedConfigMap({ name: 'settings', namespace, body: { ...got, data: { mode: 'lost' } } }));
  assert.equal(stale.code, 409);
  assert.equal(stale.status.reason, 'Conflict');

  // client-node's default patch type is a JSON patch (RFC 6902).
  const jsonPatched = await core.patchNamespacedConfigMap({
    name: 'settings',
    namespace,
    body: [
      { op: 'replace', path: '/data/mode', value: 'patched' },
      { op: 'add', path: '/metadata/labels/tier', value: 'front' },
    ],
  });
  assert.deepEqual(jsonPatched.data, { mode: 'patched', level: '3' });
  assert.deepEqual(jsonPatched.metadata?.labels, { app: 'web', tier: 'front' });
  assert.ok(rvOf(jsonPatched) > rvOf(replaced));

  // A merge patch (RFC 7386): null removes a key, other keys merge.
  const merged = await core.patchNamespacedConfigMap(
    { name: 'settings', namespace, body: { metadata: { labels: { tier: null, team: 'blue' } }, data: { level: null, extra: 'x' } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  assert.deepEqual(merged.data, { mode: 'patched', extra: 'x' });
  assert.deepEqual(merged.metadata?.labels, { app: 'web', team: 'blue' });
  assert.ok(rvOf(merged) > rvOf(jsonPatched));

  // A JSON patch whose test fails changes nothing.
  const failedTest = await failureOf(
    core.patchNamespacedConfigMap({ name: 'settings', namespace, body: [{ op: 'test', path: '/data/mode', value: 'other' }, { op: 'remove', path: '/data/mode' }] }),
  );
  assert.equal(failedTest.code, 422);
  assert.equal(failedTest.status.reason, 'Invalid');
  assert.deepEqual((await core.readNamespacedConfigMap({ name: 'settings', namespace })).data, { mode: 'patched', extra: 'x' });

  const deleted = await core.deleteNamespacedConfigMap({ name: 'settings', namespace });
  assert.equal((deleted as k8s.V1Status).status ?? 'Success', 'Success');
  const gone = await failureOf(core.readNamespacedConfigMap({ name: 'settings', namespace }));
  assert.equal(gone.code, 404);
  assert.equal(gone.status.reason, 'NotFound');
  assert.equal(gone.status.details?.name, 'settings');
  assert.equal((await failureOf(core.deleteNamespacedConfigMap({ name: 'settings', namespace }))).code, 404);
});

test('a pod: create (Pending), get, list by field, merge patch, replace and delete through client-node', async () => {
  const { core } = client;
  const namespace = 'cn-pod';
  await createNamespace(namespace);
  const pod = await core.createNamespacedPod({
    namespace,
    body: { metadata: { name: 'web', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] } },
  });
  assert.equal(pod.status?.phase, 'Pending');
  assert.equal(pod.spec?.containers[0]?.image, 'nginx:1.27');
  assert.equal(pod.spec?.containers[0]?.ports?.[0]?.containerPort, 80);

  const read = await core.readNamespacedPod({ name: 'web', namespace });
  assert.equal(read.metadata?.uid, pod.metadata?.uid);
  const pending = await core.listNamespacedPod({ namespace, fieldSelector: 'status.phase=Pending' });
  assert.deepEqual(namesOf(pending.items), ['web']);
  assert.deepEqual((await core.listNamespacedPod({ namespace, fieldSelector: 'status.phase=Running' })).items, []);

  const patched = await core.patchNamespacedPod(
    { name: 'web', namespace, body: { metadata: { annotations: { owner: 'team-a' } } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  assert.deepEqual(patched.metadata?.annotations, { owner: 'team-a' });
  assert.equal(patched.status?.phase, 'Pending');

  const replaced = await core.replaceNamespacedPod({ name: 'web', namespace, body: { ...patched, metadata: { ...patched.metadata, labels: { app: 'web', v: '2' } } } });
  assert.deepEqual(replaced.metadata?.labels, { app: 'web', v: '2' });
  assert.ok(rvOf(replaced) > rvOf(patched));
  assert.deepEqual(namesOf((await core.listNamespacedPod({ namespace, labelSelector: 'v=2' })).items), ['web']);

  // Not bound to a node, so the delete is immediate (no kubelet to wait for).
  await core.deleteNamespacedPod({ name: 'web', namespace });
  assert.equal((await failureOf(core.readNamespacedPod({ name: 'web', namespace }))).code, 404);
  assert.deepEqual((await core.listNamespacedPod({ namespace })).items, []);
});

test('lists: a labelSelector selects exactly, and limit+continue pages return every object exactly once, as of the first page', async () => {
  const { core } = client;
  const namespace = 'cn-list';
  await createNamespace(namespace);
  const names = Array.from({ length: 30 }, (_, i) => `cm-${String(i).padStart(2, '0')}`);
  await inParallel(names.length, 8, (i) =>
    core.createNamespacedConfigMap({ namespace, body: { metadata: { name: names[i]!, labels: { tier: i % 3 === 0 ? 'a' : 'b' } }, data: { i: String(i) } } }),
  );

  const all = await core.listNamespacedConfigMap({ namespace });
  assert.deepEqual(namesOf(all.items), names);
  const tierA = await core.listNamespacedConfigMap({ namespace, labelSelector: 'tier=a' });
  assert.deepEqual(namesOf(tierA.items), names.filter((_, i) => i % 3 === 0));
  const notA = await core.listNamespacedConfigMap({ namespace, labelSelector: 'tier!=a,tier' });
  assert.deepEqual(namesOf(notA.items), names.filter((_, i) => i % 3 !== 0));
  assert.deepEqual((await core.listNamespacedConfigMap({ namespace, labelSelector: 'tier in (c)' })).items, []);

  // Pages of 7; between pages, one object is added and one from a later page deleted. Pages are served at
  // the first page's revision, so neither change shows.
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  let firstRV = '';
  do {
    const page = await core.listNamespacedConfigMap({ namespace, limit: 7, _continue: token });
    pages++;
    assert.ok(page.items.length <= 7);
    if (pages === 1) {
      firstRV = page.metadata?.resourceVersion ?? '';
      assert.equal(page.metadata?.remainingItemCount, names.length - 7);
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'cm-15a' } } });
      await core.deleteNamespacedConfigMap({ name: 'cm-29', namespace });
    } else {
      assert.equal(page.metadata?.resourceVersion, firstRV, 'every page is at the first page\'s revision');
    }
    seen.push(...page.items.map((o) => o.metadata!.name!));
    token = page.metadata?._continue || undefined;
  } while (token);
  assert.equal(pages, 5);
  assert.deepEqual(seen, names, 'every object exactly once, in order');

  // Paging a selected list.
  const selected: string[] = [];
  token = undefined;
  do {
    const page = await core.listNamespacedConfigMap({ namespace, labelSelector: 'tier=b', limit: 4, _continue: token });
    selected.push(...page.items.map((o) => o.metadata!.name!));
    token = page.metadata?._continue || undefined;
  } while (token);
  assert.deepEqual(selected, names.filter((_, i) => i % 3 !== 0 && i !== 29));
});

test('watch from a list resourceVersion: ADDED, MODIFIED, DELETED in order with increasing resourceVersions', async () => {
  const { core, kc } = client;
  const namespace = 'cn-watch';
  await createNamespace(namespace);
  await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'before' } } });
  const listed = await core.listNamespacedConfigMap({ namespace });
  const watch = await recordWatch(kc, `/api/v1/namespaces/${namespace}/configmaps`, { resourceVersion: listed.metadata!.resourceVersion });
  try {
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'w' }, data: { v: '1' } } });
    await core.patchNamespacedConfigMap(
      { name: 'w', namespace, body: { data: { v: '2' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cn-watch-elsewhere' } } });
    await core.deleteNamespacedConfigMap({ name: 'w', namespace });
    await core.deleteNamespacedConfigMap({ name: 'before', namespace });
    await watch.received(4);
    assert.deepEqual(
      watch.events.map((e) => [e.type, e.object.metadata?.name]),
      [['ADDED', 'w'], ['MODIFIED', 'w'], ['DELETED', 'w'], ['DELETED', 'before']],
    );
    assert.deepEqual((watch.events[1]!.object as k8s.V1ConfigMap).data, { v: '2' });
    const rvs = watch.events.map((e) => rvOf(e.object));
    assert.ok(rvs[0]! > Number(listed.metadata!.resourceVersion));
    for (let i = 1; i < rvs.length; i++) assert.ok(rvs[i]! > rvs[i - 1]!, `resourceVersions increase: ${rvs.join(', ')}`);
  } finally {
    watch.abort();
  }
});

test('watch with sendInitialEvents: the current objects as ADDED, then a BOOKMARK marking the initial events end, then changes', async () => {
  const { core, kc } = client;
  const namespace = 'cn-initial';
  await createNamespace(namespace);
  await inParallel(5, 5, (i) => core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `init-${i}` } } }));
  const watch = await recordWatch(kc, `/api/v1/namespaces/${namespace}/configmaps`, {
    allowWatchBookmarks: true,
    sendInitialEvents: true,
    resourceVersionMatch: 'NotOlderThan',
  });
  try {
    await watch.received(6);
    const initial = watch.events.slice(0, 5);
    assert.deepEqual(initial.map((e) => e.type), Array(5).fill('ADDED'));
    assert.deepEqual(namesOf(initial.map((e) => e.object)), ['init-0', 'init-1', 'init-2', 'init-3', 'init-4']);
    const bookmark = watch.events[5]!;
    assert.equal(bookmark.type, 'BOOKMARK');
    assert.equal(bookmark.object.kind, 'ConfigMap');
    assert.deepEqual(bookmark.object.metadata?.annotations, { 'k8s.io/initial-events-end': 'true' });
    const bookmarkRV = rvOf(bookmark.object);
    assert.ok(bookmarkRV >= Math.max(...initial.map((e) => rvOf(e.object))));

    const later = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'later' } } });
    await watch.received(7);
    assert.equal(watch.events[6]!.type, 'ADDED');
    assert.equal(watch.events[6]!.object.metadata?.name, 'later');
    assert.ok(rvOf(later) > bookmarkRV);
  } finally {
    watch.abort();
  }

  // The request is refused (not streamed) without resourceVersionMatch=NotOlderThan.
  const refused = await recordWatch(kc, `/api/v1/namespaces/${namespace}/configmaps`, { allowWatchBookmarks: true, sendInitialEvents: true });
  const err = (await refused.done) as { statusCode?: number };
  assert.equal(err?.statusCode, 422);
  assert.deepEqual(refused.events, []);
});

/** Starts a cluster on a fixed port (so its URL survives restarts) in `dataDir`. */
async function startPinned(dataDir: string, port: number): Promise<TestCluster> {
  return startCluster({ dataDir, args: ['--port', String(port)] });
}

test('a watch from a resourceVersion the restarted server no longer has gets an ERROR event with a 410 Expired Status', async () => {
  const dir = await tempDir();
  const port = await freePort();
  let server = await startPinned(dir.path, port);
  try {
    const { core, kc } = clientFor(server.kubeconfig);
    const namespace = 'cn-expired';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const old = (await core.listNamespacedConfigMap({ namespace })).metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'after-old' } } });
    assert.equal(await server.shutdown(), 0);
    server = await startPinned(dir.path, port);
    assert.equal(server.port, port);

    // The restarted watch cache holds no history before its start: `old` is too old.
    const watch = await recordWatch(kc, `/api/v1/namespaces/${namespace}/configmaps`, { resourceVersion: old });
    assert.equal(await watch.done, null, 'the server ends the stream after the ERROR event');
    assert.equal(watch.events.length, 1);
    const { type, object } = watch.events[0]!;
    assert.equal(type, 'ERROR');
    const status = object as k8s.V1Status;
    assert.equal(status.kind, 'Status');
    assert.equal(status.code, 410);
    assert.equal(status.reason, 'Expired');
    assert.equal(status.status, 'Failure');

    // The way out, as informers do: relist and watch from the list's resourceVersion.
    const relisted = await core.listNamespacedConfigMap({ namespace });
    assert.deepEqual(namesOf(relisted.items), ['after-old']);
    const resumed = await recordWatch(kc, `/api/v1/namespaces/${namespace}/configmaps`, { resourceVersion: relisted.metadata!.resourceVersion });
    try {
      await core.deleteNamespacedConfigMap({ name: 'after-old', namespace });
      await resumed.received(1);
      assert.equal(resumed.events[0]!.type, 'DELETED');
    } finally {
      resumed.abort();
    }
  } finally {
    await server.kill();
    await dir.remove();
  }
});

test('an informer converges to exactly the server\'s configmaps across a restart of k8ts up', async () => {
  const dir = await tempDir();
  const port = await freePort();
  let server = await startPinned(dir.path, port);
  let informer: (k8s.Informer<k8s.V1ConfigMap> & k8s.ObjectCache<k8s.V1ConfigMap>) | undefined;
  let stopped = false;
  try {
    const { core, kc } = clientFor(server.kubeconfig);
    const namespace = 'cn-informer';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    informer = makeConfigMapInformer(kc, core, namespace);
    const errors: unknown[] = [];
    // What client-node's README asks of its users: an informer stops on an error and must be restarted.
    informer.on('error', (err) => {
      errors.push(err);
      setTimeout(() => {
        if (!stopped) void informer!.start().catch(() => undefined);
      }, 100);
    });
    await informer.start();

    const N = 20;
    await inParallel(N, 5, (i) => core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `cm-${i}` }, data: { i: String(i) } } }));
    await converged(informer, core, namespace, N);
    // A write elsewhere, so the informer's last resourceVersion is older than the restarted cache's start.
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cn-informer-elsewhere' } } });

    assert.equal(await server.shutdown(), 0);
    server = await startPinned(dir.path, port);
    // Right after the restart, from another client (kubectl): some created, some deleted, some changed.
    const created = Array.from({ length: 5 }, (_, i) => `cm-new-${i}`);
    for (const name of created) assert.equal((await server.kubectl(['create', 'configmap', name, '-n', namespace, '--from-literal=k=v'])).code, 0);
    assert.equal((await server.kubectl(['delete', 'configmap', '-n', namespace, 'cm-0', 'cm-1', 'cm-2', 'cm-3'])).code, 0);
    assert.equal((await server.kubectl(['label', 'configmap', '-n', namespace, 'cm-4', 'cm-5', 'changed=yes'])).code, 0);

    await converged(informer, core, namespace, N - 4 + created.length);
    const labeled = informer.list(namespace).filter((cm) => cm.metadata?.labels?.changed === 'yes');
    assert.deepEqual(namesOf(labeled), ['cm-4', 'cm-5']);
    assert.ok(errors.length > 0, 'the informer noticed the server was gone');

    // And it keeps following the restarted server.
    await core.deleteNamespacedConfigMap({ name: 'cm-new-0', namespace });
    await converged(informer, core, namespace, N - 4 + created.length - 1);
  } finally {
    // No restart after this: a pending one would revive the stopped informer.
    stopped = true;
    await informer?.stop();
    await server.kill();
    await dir.remove();
  }
});

function makeConfigMapInformer(kc: k8s.KubeConfig, core: k8s.CoreV1Api, namespace: string): k8s.Informer<k8s.V1ConfigMap> & k8s.ObjectCache<k8s.V1ConfigMap> {
  return k8s.makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`, () => core.listNamespacedConfigMap({ namespace }));
}

/**
 * Waits until the informer's cache holds exactly the configmaps the server lists (names and resourceVersions),
 * and that there are `count` of them.
 */
async function converged(informer: k8s.ObjectCache<k8s.V1ConfigMap>, core: k8s.CoreV1Api, namespace: string, count: number): Promise<void> {
  const snapshot = (items: readonly k8s.V1ConfigMap[]): string =>
    items.map((cm) => `${cm.metadata!.name}@${cm.metadata!.resourceVersion}`).sort().join(' ');
  let server = '';
  let cached = '';
  await eventually(
    async () => {
      const listed = await core.listNamespacedConfigMap({ namespace });
      server = snapshot(listed.items);
      cached = snapshot(informer.list(namespace));
      return listed.items.length === count && server === cached;
    },
    () => `informer cache\n  ${cached}\nserver (want ${count})\n  ${server}`,
    15_000,
  );
}
