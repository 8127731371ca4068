import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StorageError, isStorageError } from '../errors.js';
import type { KeyValue, Store, WatchEvent, Watcher } from '../interface.js';

/** How a backend's test file gives the suite stores. */
export interface StoreHarness {
  /** Once before the suite (e.g. start an etcd server). */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  /** A store over an empty keyspace, closed by the suite. */
  open(opts?: { watchCapacity?: number }): Promise<Store>;
}

const enc = (s: string): Buffer => Buffer.from(s);
const dec = (b: Buffer | undefined): string | undefined => b?.toString();

/** Takes `n` events from a watcher, failing the test if they do not come within `ms`. */
export async function takeEvents(watcher: Watcher, n: number, ms = 10_000): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  if (n === 0) return events;
  const it = watcher[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${events.length}/${n} events`)), ms);
  });
  try {
    while (events.length < n) {
      const next = await Promise.race([it.next(), timeout]);
      if (next.done) throw new Error(`watch ended after ${events.length}/${n} events`);
      events.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return events;
}

async function expectStorageError(promise: Promise<unknown>, code: StorageError['code']): Promise<StorageError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isStorageError(err, code), `expected StorageError ${code}, got ${String(err)}`);
    return err as StorageError;
  }
  assert.fail(`expected StorageError ${code}, but it succeeded`);
}

const summary = (e: WatchEvent): string => `${e.type} ${e.key}=${dec(e.value)}`;

/**
 * The one conformance suite every Store backend must pass: the storage contract of the apiserver.
 * Revisions are compared relatively, never assumed to start anywhere, so backends may share a server.
 */
export function storeConformance(backend: string, harness: StoreHarness): void {
  describe(`Store conformance: ${backend}`, () => {
    const opened: Store[] = [];
    const open = async (opts?: { watchCapacity?: number }): Promise<Store> => {
      const store = await harness.open(opts);
      opened.push(store);
      return store;
    };
    before(async () => harness.setup?.());
    after(async () => {
      for (const store of opened) await store.close().catch(() => undefined);
      await harness.teardown?.();
    });

    test('create, get, AlreadyExists, NotFound', async () => {
      const store = await open();
      const created = await store.create('/registry/pods/default/web-1', enc('v1'));
      assert.equal(created.createRevision, created.modRevision);
      assert.equal(await store.currentRevision(), created.modRevision);
      const got = await store.get('/registry/pods/default/web-1');
      assert.equal(dec(got.value), 'v1');
      assert.equal(got.modRevision, created.modRevision);
      await expectStorageError(store.create('/registry/pods/default/web-1', enc('v2')), 'AlreadyExists');
      await expectStorageError(store.get('/registry/pods/default/missing'), 'NotFound');
      assert.equal(dec((await store.get('/registry/pods/default/web-1')).value), 'v1', 'a refused create changes nothing');
    });

    test('list is in key order, confined to the prefix, at a revision', async () => {
      const store = await open();
      for (const name of ['b', 'a', 'c']) await store.create(`/registry/pods/ns1/${name}`, enc(name));
      await store.create('/registry/pods/ns10/x', enc('x'));
      await store.create('/registry/podsx/ns1/y', enc('y'));
      const before = await store.list('/registry/pods/ns1/');
      assert.deepEqual(before.items.map((kv) => dec(kv.value)), ['a', 'b', 'c']);
      assert.equal(before.revision, await store.currentRevision());
      await store.delete('/registry/pods/ns1/a');
      await store.guaranteedUpdate('/registry/pods/ns1/b', () => enc('b2'));
      await store.create('/registry/pods/ns1/d', enc('d'));
      const old = await store.list('/registry/pods/ns1/', { revision: before.revision });
      assert.deepEqual(old.items.map((kv) => dec(kv.value)), ['a', 'b', 'c']);
      const now = await store.list('/registry/pods/ns1/');
      assert.deepEqual(now.items.map((kv) => dec(kv.value)), ['b2', 'c', 'd']);
      assert.equal(await store.count('/registry/pods/ns1/'), 3);
      assert.equal(await store.count('/registry/pods/'), 4);
      assert.equal(await store.count('/registry/nothing/'), 0);
    });

    test('continue tokens page at one revision, stable across concurrent writes', async () => {
      const store = await open();
      const names = Array.from({ length: 25 }, (_, i) => `cm-${String(i).padStart(2, '0')}`);
      for (const n of names) await store.create(`/registry/configmaps/default/${n}`, enc(n));
      const page1 = await store.list('/registry/configmaps/default/', { limit: 10 });
      assert.equal(page1.items.length, 10);
      assert.ok(page1.continue);
      assert.equal(page1.remainingItemCount, 15);
      // Writers go on between pages: deletes, updates and creates on both sides of the cursor.
      await Promise.all([
        store.delete('/registry/configmaps/default/cm-15'),
        store.guaranteedUpdate('/registry/configmaps/default/cm-20', () => enc('changed')),
        store.create('/registry/configmaps/default/cm-12a', enc('new')),
        store.delete('/registry/configmaps/default/cm-02'),
      ]);
      const seen = [...page1.items];
      let token: string | undefined = page1.continue;
      while (token) {
        const page = await store.list('/registry/configmaps/default/', { limit: 10, continue: token });
        assert.equal(page.revision, page1.revision);
        seen.push(...page.items);
        token = page.continue;
      }
      assert.deepEqual(seen.map((kv) => dec(kv.value)), names, 'every page reads the first page\'s revision');
      await expectStorageError(store.list('/registry/configmaps/default/', { continue: 'not-a-token!' }), 'Invalid');
    });

    test('guaranteedUpdate: retries racing writers, Conflict on a stale revision', async () => {
      const store = await open();
      const key = '/registry/counters/default/c';
      await store.create(key, enc('0'));
      const writers = Array.from({ length: 20 }, () =>
        store.guaranteedUpdate(key, async (cur) => {
          await new Promise((r) => setImmediate(r));
          return enc(String(Number(dec(cur!.value)) + 1));
        }),
      );
      await Promise.all(writers);
      const final = await store.get(key);
      assert.equal(dec(final.value), '20', 'no update lost under racing writers');

      const stale = final.modRevision - 1;
      await expectStorageError(store.guaranteedUpdate(key, () => enc('x'), { preconditions: { modRevision: stale } }), 'Conflict');
      const ok = await store.guaranteedUpdate(key, () => enc('21'), { preconditions: { modRevision: final.modRevision } });
      assert.ok(ok.modRevision > final.modRevision);
      assert.equal(ok.createRevision, final.createRevision);
      const refused = store.guaranteedUpdate(key, () => enc('22'), {
        preconditions: { check: () => { throw StorageError.conflict(key, 'uid mismatch'); } },
      });
      await expectStorageError(refused, 'Conflict');
      assert.equal(dec((await store.get(key)).value), '21');
      await expectStorageError(store.guaranteedUpdate('/registry/counters/default/none', () => enc('1')), 'NotFound');
      const made = await store.guaranteedUpdate('/registry/counters/default/none', (cur) => enc(cur ? 'bad' : 'fresh'), { ignoreNotFound: true });
      assert.equal(dec(made.value), 'fresh');
      const same = await store.guaranteedUpdate(key, (cur) => cur!.value);
      assert.equal(same.modRevision, ok.modRevision, 'an unchanged value is not written');
    });

    test('delete returns the last value and honours preconditions', async () => {
      const store = await open();
      const key = '/registry/secrets/default/s';
      const created = await store.create(key, enc('secret'));
      await expectStorageError(store.delete(key, { modRevision: created.modRevision + 1000 }), 'Conflict');
      await expectStorageError(store.delete(key, { check: () => { throw StorageError.conflict(key, 'uid'); } }), 'Conflict');
      assert.equal(dec((await store.get(key)).value), 'secret', 'a refused delete leaves the key');
      const deleted = await store.delete(key, { modRevision: created.modRevision });
      assert.equal(dec(deleted.value), 'secret');
      assert.ok(deleted.modRevision > created.modRevision);
      await expectStorageError(store.get(key), 'NotFound');
      await expectStorageError(store.delete(key), 'NotFound');
      const again = await store.create(key, enc('again'));
      assert.ok(again.createRevision > created.createRevision, 'a re-created key has a new createRevision');
    });

    test('watch: every event in revision order under concurrent writers', async () => {
      const store = await open();
      const watcher = store.watch('/registry/pods/', { fromRevision: await store.currentRevision() });
      const writers = 8;
      const perWriter = 50;
      const acks: KeyValue[][] = await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          const acked: KeyValue[] = [];
          const key = `/registry/pods/w/${w}`;
          acked.push(await store.create(key, enc(`${w}:0`)));
          for (let i = 1; i < perWriter; i++) acked.push(await store.guaranteedUpdate(key, () => enc(`${w}:${i}`)));
          return acked;
        }),
      );
      const events = await takeEvents(watcher, writers * perWriter);
      watcher.stop();
      for (let i = 1; i < events.length; i++) assert.ok(events[i]!.revision > events[i - 1]!.revision, 'strictly increasing revisions');
      const byRevision = new Map(events.map((e) => [e.revision, e]));
      for (const acked of acks) {
        for (const kv of acked) {
          const e = byRevision.get(kv.modRevision);
          assert.ok(e, `event for acknowledged revision ${kv.modRevision}`);
          assert.equal(e.key, kv.key);
          assert.equal(dec(e.value), dec(kv.value));
        }
      }
      const first = events.find((e) => e.key === '/registry/pods/w/0')!;
      assert.equal(first.type, 'ADDED');
      const second = events.filter((e) => e.key === '/registry/pods/w/0')[1]!;
      assert.equal(second.type, 'MODIFIED');
      assert.equal(dec(second.prevValue), '0:0');
    });

    test('watch of one key, and of a prefix, with previous values', async () => {
      const store = await open();
      const from = await store.currentRevision();
      const one = store.watch('/registry/services/default/a', { fromRevision: from });
      const all = store.watch('/registry/services/', { fromRevision: from });
      await store.create('/registry/services/default/a', enc('a1'));
      await store.create('/registry/services/default/ab', enc('ab'));
      await store.create('/registry/servicesx/default/a', enc('other'));
      await store.guaranteedUpdate('/registry/services/default/a', () => enc('a2'));
      await store.delete('/registry/services/default/a');
      const oneEvents = await takeEvents(one, 3);
      assert.deepEqual(oneEvents.map(summary), [
        'ADDED /registry/services/default/a=a1',
        'MODIFIED /registry/services/default/a=a2',
        'DELETED /registry/services/default/a=a2',
      ]);
      assert.equal(dec(oneEvents[1]!.prevValue), 'a1');
      assert.equal(dec(oneEvents[2]!.prevValue), 'a2');
      const allEvents = await takeEvents(all, 4);
      assert.deepEqual(allEvents.map(summary), [
        'ADDED /registry/services/default/a=a1',
        'ADDED /registry/services/default/ab=ab',
        'MODIFIED /registry/services/default/a=a2',
        'DELETED /registry/services/default/a=a2',
      ]);
      one.stop();
      all.stop();
    });

    test('list then watch from the list revision sees exactly the later changes', async () => {
      const store = await open();
      for (let i = 0; i < 10; i++) await store.create(`/registry/leases/kube-node-lease/n${i}`, enc(`n${i}`));
      const listed = await store.list('/registry/leases/');
      await store.guaranteedUpdate('/registry/leases/kube-node-lease/n3', () => enc('renewed'));
      await store.delete('/registry/leases/kube-node-lease/n7');
      await store.create('/registry/leases/kube-node-lease/n10', enc('n10'));
      const watcher = store.watch('/registry/leases/', { fromRevision: listed.revision });
      const events = await takeEvents(watcher, 3);
      assert.deepEqual(events.map(summary), [
        'MODIFIED /registry/leases/kube-node-lease/n3=renewed',
        'DELETED /registry/leases/kube-node-lease/n7=n7',
        'ADDED /registry/leases/kube-node-lease/n10=n10',
      ]);
      // Nothing more: the next event is one made now.
      await store.create('/registry/leases/kube-node-lease/n11', enc('n11'));
      assert.deepEqual((await takeEvents(watcher, 1)).map(summary), ['ADDED /registry/leases/kube-node-lease/n11=n11']);
      watcher.stop();
    });

    test('a slow watcher gets an explicit TooSlow error, never a silent gap', async () => {
      const store = await open({ watchCapacity: 50 });
      const from = await store.currentRevision();
      const slow = store.watch('/registry/events/', { fromRevision: from });
      const total = 200;
      for (let i = 0; i < total; i++) await store.create(`/registry/events/default/e${String(i).padStart(3, '0')}`, enc(String(i)));
      const received: WatchEvent[] = [];
      let failure: unknown;
      try {
        for await (const e of slow) {
          received.push(e);
          if (received.length === total) break;
        }
      } catch (err) {
        failure = err;
      }
      assert.ok(isStorageError(failure, 'TooSlow'), `expected TooSlow, got ${String(failure)}`);
      assert.ok(received.length < total);
      // Resuming from the last event received yields exactly the rest.
      const last = received.length > 0 ? received[received.length - 1]!.revision : from;
      const resumed = store.watch('/registry/events/', { fromRevision: last });
      received.push(...(await takeEvents(resumed, total - received.length)));
      resumed.stop();
      assert.deepEqual(received.map((e) => Number(dec(e.value))), Array.from({ length: total }, (_, i) => i));
    });

    test('watch from a past revision replays history in order', async () => {
      const store = await open();
      const from = await store.currentRevision();
      await store.create('/registry/nodes/n1', enc('1'));
      await store.guaranteedUpdate('/registry/nodes/n1', () => enc('2'));
      await store.delete('/registry/nodes/n1');
      await store.create('/registry/nodes/n1', enc('3'));
      const watcher = store.watch('/registry/nodes/', { fromRevision: from });
      const events = await takeEvents(watcher, 4);
      watcher.stop();
      assert.deepEqual(events.map(summary), [
        'ADDED /registry/nodes/n1=1',
        'MODIFIED /registry/nodes/n1=2',
        'DELETED /registry/nodes/n1=2',
        'ADDED /registry/nodes/n1=3',
      ]);
      assert.equal(events[3]!.prevValue, undefined);
    });

    test('compaction: reads and watches before it are Expired, later ones work', async () => {
      const store = await open();
      const key = '/registry/configmaps/kube-system/c';
      const v1 = await store.create(key, enc('1'));
      await store.create('/registry/configmaps/kube-system/gone', enc('gone'));
      const v2 = await store.guaranteedUpdate(key, () => enc('2'));
      await store.delete('/registry/configmaps/kube-system/gone');
      const v3 = await store.guaranteedUpdate(key, () => enc('3'));
      await store.compact(v2.modRevision);
      assert.ok((await store.compactedRevision()) >= v2.modRevision);
      await expectStorageError(store.list('/registry/configmaps/', { revision: v1.modRevision }), 'Expired');
      const expired = store.watch('/registry/configmaps/', { fromRevision: v1.modRevision });
      await expectStorageError(takeEvents(expired, 1), 'Expired');
      // The compacted revision itself is still readable: the newest value of every key is kept.
      const atCompaction = await store.list('/registry/configmaps/', { revision: v2.modRevision });
      assert.deepEqual(atCompaction.items.map((kv) => dec(kv.value)), ['2', 'gone']);
      const fromCompaction = store.watch('/registry/configmaps/', { fromRevision: v2.modRevision });
      const events = await takeEvents(fromCompaction, 2);
      assert.deepEqual(events.map(summary), ['DELETED /registry/configmaps/kube-system/gone=gone', 'MODIFIED /registry/configmaps/kube-system/c=3']);
      assert.equal(dec(events[1]!.prevValue), '2');
      await store.compact(v3.modRevision);
      assert.deepEqual((await store.list('/registry/configmaps/')).items.map((kv) => dec(kv.value)), ['3']);
      assert.equal(dec((await store.get(key)).value), '3');
      await expectStorageError(store.get('/registry/configmaps/kube-system/gone'), 'NotFound');
      const v4 = await store.guaranteedUpdate(key, () => enc('4'));
      const next = await takeEvents(fromCompaction, 1);
      assert.equal(next[0]!.revision, v4.modRevision);
      fromCompaction.stop();
    });
  });
}
