import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isStorageError } from '../../src/storage/errors.js';
import { EtcdStore } from '../../src/storage/etcd/store.js';
import type { KeyValue } from '../../src/storage/interface.js';
import { takeEvents } from '../../src/storage/testing/conformance.js';
import { inParallel } from '../helpers/parallel.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd-server.js';

// Faults against a real etcd (Debian's etcd-server) that the tests stop, kill -9 and restart on the same data.
let etcd: EtcdServer;
before(async () => {
  etcd = await startEtcd();
});
after(async () => etcd.stop());

const isUnavailable = (err: unknown): boolean => isStorageError(err, 'Unavailable') && /etcd is unavailable|storage is closed/.test(err.message);

/** Retries `op` while etcd is still coming back (Unavailable), for at most `ms`. */
async function whenBack<T>(op: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (!isStorageError(err, 'Unavailable') || Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

test('a stopped etcd gives prompt Unavailable errors, and writes work again once it is back', async () => {
  const store = await EtcdStore.open({ endpoints: [etcd.endpoint], prefix: '/faults-stop', requestTimeoutMs: 2000 });
  try {
    await store.create('/registry/pods/default/before', Buffer.from('1'));
    await etcd.stop();
    for (const [name, op] of [
      ['get', () => store.get('/registry/pods/default/before')],
      ['create', () => store.create('/registry/pods/default/down', Buffer.from('x'))],
      ['list', () => store.list('/registry/pods/')],
    ] as const) {
      const started = Date.now();
      await assert.rejects(op(), isUnavailable, `${name} on a stopped etcd`);
      assert.ok(Date.now() - started < 3000, `${name} failed after ${Date.now() - started} ms: it must not hang`);
    }
    await etcd.restart();
    // The same store recovers by itself: no reopen, and no circuit breaker holding calls back.
    const started = Date.now();
    const after = await whenBack(() => store.create('/registry/pods/default/after', Buffer.from('2')));
    assert.ok(Date.now() - started < 3000, `recovered after ${Date.now() - started} ms`);
    const updated = await store.guaranteedUpdate('/registry/pods/default/before', () => Buffer.from('1b'));
    assert.ok(updated.modRevision > after.modRevision);
    assert.deepEqual((await store.list('/registry/pods/')).items.map((kv) => kv.value.toString()), ['2', '1b']);
    await assert.rejects(store.get('/registry/pods/default/down'), (err) => isStorageError(err, 'NotFound'));
  } finally {
    await store.close();
  }
});

test('an etcd that is not there, or that never answers, is a typed Unavailable error, not a hang', async () => {
  let started = Date.now();
  await assert.rejects(EtcdStore.open({ endpoints: ['http://127.0.0.1:1'], requestTimeoutMs: 1000 }), isUnavailable);
  assert.ok(Date.now() - started < 3000);
  // A peer that accepts connections and then says nothing: only the request deadline ends the call.
  const sockets = new Set<Socket>();
  const silent = createServer((s) => sockets.add(s.on('error', () => undefined)));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = silent.address() as { port: number };
    started = Date.now();
    await assert.rejects(EtcdStore.open({ endpoints: [`http://127.0.0.1:${port}`], requestTimeoutMs: 1000 }), isUnavailable);
    assert.ok(Date.now() - started < 4000, `gave up after ${Date.now() - started} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('watches survive etcd kill -9 and restart: every write before and after, in order, none lost or repeated', async () => {
  const store = await EtcdStore.open({ endpoints: [etcd.endpoint], prefix: '/faults-kill', requestTimeoutMs: 2000 });
  try {
    const prefix = '/registry/configmaps/';
    const origin = await store.currentRevision();
    // History that etcd replays in batches of 1000 revisions, 100 ms apart, each stamped with the current
    // revision: a reconnect between batches must resume after the last event, not after that stamp.
    const history = await inParallel(3000, 32, (i) => store.create(`${prefix}history/h${i}`, Buffer.from(`h${i}`)));
    const now = await store.currentRevision();
    const live = store.watch(prefix, { fromRevision: now });
    // Watchers of one key from the same point share one etcd watch: it must resume for both.
    const sharing = store.watch(prefix, { fromRevision: now });
    const replay = store.watch(prefix, { fromRevision: origin });
    const beforeKill: KeyValue[] = [];
    for (let i = 0; i < 20; i++) beforeKill.push(await store.guaranteedUpdate(`${prefix}live/l${i % 5}`, () => Buffer.from(`b${i}`), { ignoreNotFound: true }));
    const liveSeen = await takeEvents(live, 20);
    const sharingSeen = await takeEvents(sharing, 20);
    const replaySeen = await takeEvents(replay, 1000);

    await etcd.kill();
    await etcd.restart();

    const afterRestart: KeyValue[] = [];
    for (let i = 0; i < 20; i++) {
      afterRestart.push(await whenBack(() => store.guaranteedUpdate(`${prefix}live/l${i % 5}`, () => Buffer.from(`a${i}`), { ignoreNotFound: true })));
    }
    liveSeen.push(...(await takeEvents(live, 20, 20_000)));
    sharingSeen.push(...(await takeEvents(sharing, 20, 20_000)));
    const expectedReplay = [...history, ...beforeKill, ...afterRestart].sort((a, b) => a.modRevision - b.modRevision);
    replaySeen.push(...(await takeEvents(replay, expectedReplay.length - replaySeen.length, 20_000)));

    const expectedLive = [...beforeKill, ...afterRestart];
    const summary = (e: { key: string; revision?: number; modRevision?: number; value: Buffer }) => `${e.revision ?? e.modRevision} ${e.key}=${e.value}`;
    assert.deepEqual(liveSeen.map(summary), expectedLive.map(summary));
    assert.deepEqual(sharingSeen.map(summary), expectedLive.map(summary));
    assert.deepEqual(replaySeen.map(summary), expectedReplay.map(summary));
    assert.deepEqual(liveSeen.map((e) => e.type), expectedLive.map((_, i) => (i < 5 ? 'ADDED' : 'MODIFIED')));
    assert.equal(liveSeen[5]!.prevValue?.toString(), 'b0');
    // And nothing more: the next event either watcher sees is the next write.
    const sentinel = await store.create(`${prefix}sentinel`, Buffer.from('s'));
    assert.equal((await takeEvents(live, 1))[0]!.revision, sentinel.modRevision);
    assert.equal((await takeEvents(replay, 1))[0]!.revision, sentinel.modRevision);
    for (const w of [live, sharing, replay]) w.stop();
  } finally {
    await store.close();
  }
});
