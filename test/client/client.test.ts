/**
 * The client against a real apiserver, over HTTPS and over the in-process transport: every verb, and the same
 * answers (objects, Status errors, dry run, admission, watch) whichever transport carries them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUILTIN_RESOURCES } from '../../src/api/resources.js';
import type { Client } from '../../src/client/client.js';
import { APIError, isAlreadyExists, isConflict, isNotFound } from '../../src/client/errors.js';
import type { KubeObject, WatchEvent } from '../../src/client/types.js';
import { startAPIServer, type Harness } from './harness.js';

const CONFIGMAPS = BUILTIN_RESOURCES.find((r) => r.group === '' && r.resource === 'configmaps')!;
const NAMESPACES = BUILTIN_RESOURCES.find((r) => r.group === '' && r.resource === 'namespaces')!;
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true };

type ConfigMap = KubeObject & { data?: Record<string, string> };

let h: Harness;
before(async () => {
  h = await startAPIServer();
});
after(async () => {
  await h?.stop();
});

for (const transport of ['https', 'inProcess'] as const) {
  describe(`client over ${transport}`, () => {
    const ns = `client-${transport.toLowerCase()}`;
    let client: Client;
    const cms = () => client.resource<ConfigMap>(CONFIGMAPS).namespace(ns);

    before(async () => {
      client = h.clients[transport];
      await client.resource(NAMESPACES).create({ metadata: { name: ns } });
    });

    test('create, get, update, patch (merge, strategic, json) and updateStatus-less kinds keep kube semantics', async () => {
      const created = await cms().create({ metadata: { name: 'a', labels: { app: 'x' } }, data: { k: 'v' } });
      assert.equal(created.kind, 'ConfigMap');
      assert.ok(created.metadata.uid && created.metadata.resourceVersion);
      const got = await cms().get('a');
      assert.deepEqual(got.data, { k: 'v' });
      const updated = await cms().update({ ...got, data: { k: 'v2' } });
      assert.notEqual(updated.metadata.resourceVersion, got.metadata.resourceVersion);
      // A stale resourceVersion is a Conflict.
      await assert.rejects(cms().update({ ...got, data: { k: 'v3' } }), (err) => isConflict(err));
      assert.deepEqual((await cms().patch('a', 'merge', { data: { m: '1' } })).data, { k: 'v2', m: '1' });
      assert.deepEqual((await cms().patch('a', 'strategic', { data: { s: '1' } })).data, { k: 'v2', m: '1', s: '1' });
      assert.deepEqual((await cms().patch('a', 'json', [{ op: 'remove', path: '/data/k' }])).data, { m: '1', s: '1' });
    });

    test('errors carry the server Status: NotFound, AlreadyExists, Invalid with causes', async () => {
      const notFound = await cms().get('missing').catch((e: unknown) => e);
      assert.ok(notFound instanceof APIError && isNotFound(notFound));
      assert.equal(notFound.message, 'configmaps "missing" not found');
      await cms().create({ metadata: { name: 'dup' } });
      await assert.rejects(cms().create({ metadata: { name: 'dup' } }), (err) => isAlreadyExists(err));
      const invalid = await cms().create({ metadata: { name: 'Bad_Name' } }).catch((e: unknown) => e);
      assert.ok(invalid instanceof APIError);
      assert.equal(invalid.code, 422);
      assert.equal(invalid.reason, 'Invalid');
      assert.equal(invalid.status.details?.causes?.[0]?.field, 'metadata.name');
    });

    test('admission and dry run apply: a missing namespace is a 404, a dry-run create stores nothing', async () => {
      const err = await client.resource<ConfigMap>(CONFIGMAPS).namespace('nowhere').create({ metadata: { name: 'x' } }).catch((e: unknown) => e);
      assert.ok(err instanceof APIError);
      assert.equal(err.message, 'namespaces "nowhere" not found');
      const dry = await cms().create({ metadata: { name: 'dry' } }, { dryRun: true });
      assert.equal(dry.metadata.name, 'dry');
      await assert.rejects(cms().get('dry'), (e) => isNotFound(e));
      // Defaulting applies too: a deployment gets its strategy and revision history defaults.
      const dep = await client.resource(DEPLOYMENTS).namespace(ns).create(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'd' },
          spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
        },
        { dryRun: true },
      );
      assert.equal((dep.spec as { revisionHistoryLimit?: number }).revisionHistoryLimit, 10);
    });

    test('list with selectors and paging; deleteCollection; delete with preconditions and propagation', async () => {
      for (let i = 0; i < 5; i++) await cms().create({ metadata: { name: `page-${i}`, labels: { page: 'yes', odd: String(i % 2) } } });
      const first = await cms().list({ labelSelector: 'page=yes', limit: 2 });
      assert.equal(first.items.length, 2);
      assert.ok(first.metadata.continue);
      const all = await cms().listAll({ labelSelector: 'page=yes', pageSize: 2 });
      assert.deepEqual(all.items.map((o) => o.metadata.name), ['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
      assert.equal((await cms().list({ fieldSelector: 'metadata.name=page-3' })).items.length, 1);
      const gone = await cms().deleteCollection({ labelSelector: 'odd=1' });
      assert.deepEqual(gone.items.map((o) => o.metadata.name).sort(), ['page-1', 'page-3']);
      const victim = await cms().get('page-0');
      await assert.rejects(cms().delete('page-0', { preconditions: { uid: 'not-the-uid' } }), (e) => isConflict(e));
      // Foreground propagation keeps the object, marked, with the finalizer the garbage collector removes.
      const marked = (await cms().delete('page-0', { preconditions: { uid: victim.metadata.uid! }, propagationPolicy: 'Foreground' })) as ConfigMap;
      assert.ok(marked.metadata.deletionTimestamp);
      assert.deepEqual(marked.metadata.finalizers, ['foregroundDeletion']);
    });

    test('watch from a resourceVersion sees later changes, with bookmarks allowed', async () => {
      const start = await cms().list();
      const watch = await cms().watch({ resourceVersion: start.metadata.resourceVersion!, fieldSelector: 'metadata.name=watched' });
      const seen: WatchEvent<ConfigMap>[] = [];
      const done = (async () => {
        for await (const ev of watch) {
          seen.push(ev);
          if (ev.type === 'DELETED') break;
        }
      })();
      await cms().create({ metadata: { name: 'watched' }, data: { n: '1' } });
      await cms().patch('watched', 'merge', { data: { n: '2' } });
      await cms().delete('watched');
      await done;
      watch.stop();
      assert.deepEqual(seen.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
      assert.equal((seen[1]!.object as ConfigMap).data?.n, '2');
    });
  });
}
