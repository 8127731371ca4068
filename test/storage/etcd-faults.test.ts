import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isStorageError } from '../../src/storage/errors.js';
import { EtcdStore } from '../../src/storage/etcd/store.js';
import { takeEvents } from '../../src/storage/testing/conformance.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd-server.js';

let etcd: EtcdServer;
before(async () => {
  etcd = await startEtcd();
});
after(async () => etcd.stop());

test('an etcd that is down gives prompt Unavailable errors, and writes work again once it is back', async () => {
  const store = await EtcdStore.open({ endpoints: [etcd.endpoint], prefix: '/faults-a', requestTimeoutMs: 2000 });
  try {
    await store.create('/registry/pods/default/before', Buffer.from('1'));
    await etcd.shutdown();
    const started = Date.now();
    for (const op of [() => store.get('/registry/pods/default/before'), () => store.create('/registry/pods/default/down', Buffer.from('x'))]) {
      await assert.rejects(op(), (err) => isStorageError(err, 'Unavailable') && /etcd is unavailable/.test(err.message));
    }
    assert.ok(Date.now() - started < 10_000, 'errors come within the request timeout, not a hang');
    await etcd.start();
    // Recovery needs no restart of the store: the next calls reach the new etcd process.
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await store.create('/registry/pods/default/after', Buffer.from('2'));
        break;
      } catch (err) {
        if (!isStorageError(err, 'Unavailable') || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    assert.equal((await store.get('/registry/pods/default/before')).value.toString(), '1');
    await assert.rejects(store.get('/registry/pods/default/down'), (err) => isStorageError(err, 'NotFound'));
  } finally {
    await store.close();
  }
});

test('opening a store on an etcd that is not there is a typed Unavailable error', async () => {
  await assert.rejects(
    EtcdStore.open({ endpoints: ['http://127.0.0.1:1'], requestTimeoutMs: 1000 }),
    (err) => isStorageError(err, 'Unavailable'),
  );
});

test('a watch survives an etcd kill -9 and restart, resuming after the last delivered event', async () => {
  const store = await EtcdStore.open({ endpoints: [etcd.endpoint], prefix: '/faults-b', requestTimeoutMs: 2000 });
  try {
    const watcher = store.watch('/registry/configmaps/', { fromRevision: await store.currentRevision() });
    for (let i = 0; i < 20; i++) await store.create(`/registry/configmaps/default/a${i}`, Buffer.from(`a${i}`));
    const first = await takeEvents(watcher, 20);
    await etcd.kill();
    await etcd.start();
    const deadline = Date.now() + 15_000;
    let written = 0;
    while (written < 20) {
      try {
        await store.create(`/registry/configmaps/default/b${written}`, Buffer.from(`b${written}`));
        written++;
      } catch (err) {
        if (!isStorageError(err, 'Unavailable') || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const second = await takeEvents(watcher, 20, 20_000);
    watcher.stop();
    const values = [...first, ...second].map((e) => e.value.toString());
    assert.deepEqual(values, [...Array.from({ length: 20 }, (_, i) => `a${i}`), ...Array.from({ length: 20 }, (_, i) => `b${i}`)]);
    const revisions = [...first, ...second].map((e) => e.revision);
    for (let i = 1; i < revisions.length; i++) assert.ok(revisions[i]! > revisions[i - 1]!);
  } finally {
    await store.close();
  }
});
