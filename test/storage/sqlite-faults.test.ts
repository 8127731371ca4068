import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { StorageError, isStorageError } from '../../src/storage/errors.js';
import { SQLiteStore } from '../../src/storage/sqlite/store.js';
import { tempDir } from '../helpers/tmp.js';

function openError(path: string): StorageError {
  try {
    SQLiteStore.open({ path }).close();
  } catch (err) {
    assert.ok(err instanceof StorageError, `a typed StorageError, got ${String(err)}`);
    return err;
  }
  assert.fail('open succeeded');
}

test('a file that is not a database is refused with a typed Internal error', async () => {
  const dir = await tempDir();
  try {
    const path = join(dir.path, 'state.db');
    await writeFile(path, Buffer.alloc(64 * 1024, 'garbage '));
    const err = openError(path);
    assert.equal(err.code, 'Internal');
    assert.match(err.message, /corrupt or not a SQLite database/);
  } finally {
    await dir.remove();
  }
});

test('a database whose pages are damaged is refused, not served', async () => {
  const dir = await tempDir();
  try {
    const path = join(dir.path, 'state.db');
    const store = SQLiteStore.open({ path });
    for (let i = 0; i < 500; i++) await store.create(`/registry/pods/default/p${i}`, Buffer.alloc(512, 'v'));
    await store.close();
    const fh = await open(path, 'r+');
    await fh.write(Buffer.alloc(8192, 0xa5), 0, 8192, 4096 * 3);
    await fh.close();
    const err = openError(path);
    assert.equal(err.code, 'Internal');
    assert.match(err.message, /corrupt/);
  } finally {
    await dir.remove();
  }
});

test('a path that cannot be opened is a typed Internal error naming it', async () => {
  const dir = await tempDir();
  try {
    const path = join(dir.path, 'is-a-directory');
    await mkdir(path);
    const err = openError(path);
    assert.equal(err.code, 'Internal');
    assert.match(err.message, /is-a-directory/);
  } finally {
    await dir.remove();
  }
});

// Needs root (mount), as CI has: a real full filesystem, not a simulated error.
test('a full disk fails writes with Unavailable, keeps serving reads, and recovers when space is freed', { skip: process.getuid?.() !== 0 && 'needs root to mount a small tmpfs' }, async () => {
  const dir = await tempDir();
  const mnt = join(dir.path, 'mnt');
  await mkdir(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
  try {
    const store = SQLiteStore.open({ path: join(mnt, 'state.db') });
    const acked: string[] = [];
    await store.create('/registry/configmaps/default/first', Buffer.from('kept'));
    acked.push('/registry/configmaps/default/first');
    await writeFile(join(mnt, 'filler'), Buffer.alloc(2 * 1024 * 1024));
    let failure: unknown;
    for (let i = 0; i < 1000 && !failure; i++) {
      const key = `/registry/configmaps/default/big-${i}`;
      try {
        await store.create(key, Buffer.alloc(32 * 1024, 'x'));
        acked.push(key);
      } catch (err) {
        failure = err;
      }
    }
    assert.ok(isStorageError(failure, 'Unavailable'), `expected Unavailable, got ${String(failure)}`);
    assert.match((failure as Error).message, /disk is full/);
    // Reads go on while the disk is full.
    assert.equal((await store.get('/registry/configmaps/default/first')).value.toString(), 'kept');
    await rm(join(mnt, 'filler'));
    const after = await store.create('/registry/configmaps/default/after', Buffer.from('ok'));
    assert.ok(after.modRevision > 0);
    acked.push('/registry/configmaps/default/after');
    await store.close();
    const reopened = SQLiteStore.open({ path: join(mnt, 'state.db') });
    for (const key of acked) await reopened.get(key);
    assert.equal(await reopened.count('/registry/configmaps/'), acked.length, 'nothing half-written');
    await reopened.close();
  } finally {
    execFileSync('umount', [mnt]);
    await dir.remove();
  }
});
