import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Cacher, TooOldError, type CacheEvent, type CachedObject } from '../../src/storage/cacher/cacher.js';
import { ResourceCache } from '../../src/storage/cacher/resource-cache.js';
import { SQLiteStore } from '../../src/storage/sqlite/store.js';
import type { KeyValue } from '../../src/storage/interface.js';
import { componentLogger } from '../../src/util/log.js';
import { tempDir } from '../helpers/tmp.js';

const PODS = '/registry/core/pods/';
const CMS = '/registry/core/configmaps/';

function decode(kv: KeyValue): CachedObject {
  const obj = JSON.parse(kv.value.toString()) as { name: string; ns: string; labels?: Record<string, string> };
  return {
    key: kv.key,
    namespace: obj.ns,
    name: obj.name,
    revision: kv.modRevision,
    json: JSON.stringify({ ...obj, rv: kv.modRevision }),
    labels: obj.labels ?? {},
    fields: { 'metadata.name': obj.name },
  };
}

const value = (ns: string, name: string, labels?: Record<string, string>): Buffer => Buffer.from(JSON.stringify({ ns, name, labels }));

describe('watch cache over a real SQLite store', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: SQLiteStore;
  let cacher: Cacher;

  before(async () => {
    dir = await tempDir('k8ts-cacher-');
    store = await SQLiteStore.open({ path: join(dir.path, 'state.db') });
    // Objects that exist before the cache starts are loaded by its initial list.
    await store.create(`${PODS}a/p1`, value('a', 'p1', { app: 'web' }));
    await store.create(`${CMS}a/c1`, value('a', 'c1'));
    cacher = new Cacher(store, {
      root: '/registry/',
      resources: [
        { prefix: PODS, decode },
        { prefix: CMS, decode },
      ],
      eventCapacity: 5,
      logger: componentLogger('test'),
    });
    await cacher.start();
  });

  after(async () => {
    await cacher.stop();
    await store.close();
    await dir.remove();
  });

  test('serves the initial state and every later write, per resource, in key order', async () => {
    const pods = cacher.resource(PODS);
    assert.deepEqual(pods.list().map((o) => o.name), ['p1']);
    await store.create(`${PODS}b/p0`, value('b', 'p0'));
    const created = await store.create(`${PODS}a/p0`, value('a', 'p0'));
    await cacher.waitUntilFresh(created.modRevision);
    assert.deepEqual(pods.list().map((o) => o.key), [`${PODS}a/p0`, `${PODS}a/p1`, `${PODS}b/p0`]);
    assert.deepEqual(pods.list(`${PODS}a/`).map((o) => o.name), ['p0', 'p1']);
    assert.equal(cacher.resource(CMS).size, 1);
    assert.equal(pods.get(`${PODS}a/p0`)?.revision, created.modRevision);
  });

  test('is fresh up to the store revision after every acknowledged write', async () => {
    const kv = await store.guaranteedUpdate(`${CMS}a/c1`, () => value('a', 'c1', { v: '2' }));
    await cacher.waitUntilFresh(await store.currentRevision());
    assert.equal(cacher.revision, kv.modRevision);
    assert.deepEqual(cacher.resource(CMS).get(`${CMS}a/c1`)?.labels, { v: '2' });
  });

  test('a live watcher gets ADDED, MODIFIED, DELETED with the previous object, in revision order', async () => {
    const events: CacheEvent[] = [];
    const detach = cacher.resource(CMS).addWatcher({ event: (e) => (events.push(e), true), terminate: () => undefined });
    await store.create(`${CMS}a/w`, value('a', 'w'));
    await store.guaranteedUpdate(`${CMS}a/w`, () => value('a', 'w', { x: 'y' }));
    const deleted = await store.delete(`${CMS}a/w`);
    await cacher.waitUntilFresh(deleted.modRevision);
    detach();
    assert.deepEqual(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
    assert.deepEqual(events[1]!.prev?.labels, {});
    assert.deepEqual(events[2]!.prev?.labels, { x: 'y' });
    assert.ok(events[0]!.revision < events[1]!.revision && events[1]!.revision < events[2]!.revision);
    assert.equal(cacher.resource(CMS).get(`${CMS}a/w`), undefined);
  });

  test('resumes from a recent revision and refuses one older than its window (410 material)', async () => {
    const cms = cacher.resource(CMS);
    const start = cacher.revision;
    for (let i = 0; i < 3; i++) await store.create(`${CMS}r/${i}`, value('r', String(i)));
    await cacher.waitUntilFresh(await store.currentRevision());
    assert.deepEqual(cms.eventsSince(start).map((e) => e.object.name), ['0', '1', '2']);
    // The window holds 5 events: writing 6 more pushes `start` out of it.
    for (let i = 3; i < 9; i++) await store.create(`${CMS}r/${i}`, value('r', String(i)));
    await cacher.waitUntilFresh(await store.currentRevision());
    assert.throws(() => cms.eventsSince(start), TooOldError);
    assert.equal(cms.eventsSince(cacher.revision).length, 0);
  });

  test('waiting for a revision the store has not reached times out', async () => {
    await assert.rejects(cacher.waitUntilFresh(cacher.revision + 100, 50), /Too large resource version/);
  });
});

describe('watch cache event window', () => {
  const object = (i: number): CachedObject => ({ key: `/registry/core/configmaps/ns/c${i}`, namespace: 'ns', name: `c${i}`, revision: i, json: '{}', labels: {}, fields: {} });

  test('events older than the retention go, beyond the newest 100; the window then refuses older resumes', () => {
    const cache = new ResourceCache('/registry/core/configmaps/', { eventCapacity: 50_000, eventRetentionMs: 1000 }, 0);
    for (let i = 1; i <= 300; i++) cache.apply({ type: 'ADDED', revision: i, object: object(i) });
    // Fresh: all kept.
    assert.equal(cache.eventsSince(0).length, 300);
    cache.trim(Date.now() + 2000);
    assert.equal(cache.eventsSince(200).length, 100);
    assert.throws(() => cache.eventsSince(150), TooOldError);
    // The objects themselves stay: only history is dropped.
    assert.equal(cache.size, 300);
  });

  test('the capacity bounds the window whatever the age', () => {
    const cache = new ResourceCache('/registry/core/configmaps/', { eventCapacity: 150 }, 0);
    for (let i = 1; i <= 300; i++) cache.apply({ type: 'ADDED', revision: i, object: object(i) });
    assert.equal(cache.eventsSince(150).length, 150);
    assert.throws(() => cache.eventsSince(149), TooOldError);
  });
});
