import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Compactor } from '../../src/storage/compactor.js';
import { isExpired } from '../../src/storage/errors.js';
import { SQLiteStore } from '../../src/storage/sqlite/store.js';
import { tempDir } from '../helpers/tmp.js';

test('the compactor keeps at least the retention window of history and compacts what is older', async () => {
  const dir = await tempDir();
  const store = SQLiteStore.open({ path: join(dir.path, 'state.db') });
  let clock = 0;
  const compactor = new Compactor(store, { retentionMs: 5 * 60_000, intervalMs: 60_000, now: () => clock });
  try {
    const revisions: number[] = [];
    // One write per simulated minute for ten minutes, the compactor ticking each minute.
    for (let minute = 0; minute <= 10; minute++) {
      clock = minute * 60_000;
      revisions[minute] = (await store.create(`/registry/pods/default/p${minute}`, Buffer.from('x'))).modRevision;
      await compactor.tick();
    }
    const compacted = await store.compactedRevision();
    // At minute 10 the newest sample at least 5 minutes old is minute 5's.
    assert.equal(compacted, revisions[5]);
    // Everything from 5 minutes ago is still watchable; older history is Expired.
    const recent = await store.list('/registry/pods/', { revision: revisions[5] });
    assert.equal(recent.items.length, 6);
    await assert.rejects(store.list('/registry/pods/', { revision: revisions[4] }), isExpired);
    assert.equal((await store.list('/registry/pods/')).items.length, 11);
  } finally {
    await compactor.stop();
    await store.close();
    await dir.remove();
  }
});

test('the compactor runs on its own schedule', async () => {
  const dir = await tempDir();
  const store = SQLiteStore.open({ path: join(dir.path, 'state.db') });
  const compactor = new Compactor(store, { retentionMs: 50, intervalMs: 20 });
  try {
    const first = await store.create('/registry/a/1', Buffer.from('1'));
    await store.guaranteedUpdate('/registry/a/1', () => Buffer.from('2'));
    compactor.start();
    const deadline = Date.now() + 5_000;
    while ((await store.compactedRevision()) < first.modRevision + 1 && Date.now() < deadline) await sleep(20);
    assert.ok((await store.compactedRevision()) > first.modRevision);
  } finally {
    await compactor.stop();
    await store.close();
    await dir.remove();
  }
});
