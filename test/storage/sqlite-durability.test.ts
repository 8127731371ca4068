import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { SQLiteStore } from '../../src/storage/sqlite/store.js';
import { tempDir } from '../helpers/tmp.js';

const writerScript = fileURLToPath(new URL('./fixtures/sqlite-writer.js', import.meta.url));

/** Runs the writer process until it has acknowledged `acks` writes, then SIGKILLs it mid-stream. */
async function writeThenKill(dbPath: string, round: number, acks: number) {
  const creates = new Map<string, number>();
  const counters = new Map<string, number>();
  const child = spawn(process.execPath, [writerScript, dbPath, String(round)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let seen = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const [kind, key, value] = line.split(' ') as [string, string, string];
    if (kind === 'create') creates.set(key, Number(value));
    else counters.set(key, Math.max(counters.get(key) ?? 0, Number(value)));
    if (++seen === acks) child.kill('SIGKILL');
  }
  assert.equal(await exited, 'SIGKILL');
  return { creates, counters };
}

test('every acknowledged write survives kill -9 of the writer, with no torn state', { timeout: 120_000 }, async () => {
  const dir = await tempDir();
  const dbPath = join(dir.path, 'state.db');
  try {
    const allCreates = new Map<string, number>();
    for (let round = 0; round < 3; round++) {
      const { creates, counters } = await writeThenKill(dbPath, round, 2000 + round * 1500);
      for (const [k, v] of creates) allCreates.set(k, v);
      const store = SQLiteStore.open({ path: dbPath });
      try {
        for (const [key, revision] of allCreates) {
          const kv = await store.get(key);
          assert.equal(kv.createRevision, revision, `${key} kept its revision`);
          assert.ok(kv.value.toString().startsWith(key.split('/').slice(3).join(':') + ':'), `${key} kept its value`);
          assert.equal(kv.value.length, 1024);
        }
        for (const [key, value] of counters) {
          assert.ok(Number((await store.get(key)).value.toString()) >= value, `${key} is at least the acknowledged ${value}`);
        }
        // The revision log is whole: every listed key reads back, revisions strictly increase in the log.
        const listed = await store.list('/registry/kill/');
        assert.ok(listed.items.length >= allCreates.size);
        const events = store.watch('/registry/kill/', { fromRevision: 0 });
        let last = 0;
        let n = 0;
        for await (const e of events) {
          assert.ok(e.revision > last);
          last = e.revision;
          if (++n === listed.items.length) break;
        }
        assert.equal(await store.currentRevision() >= last, true);
      } finally {
        await store.close();
      }
    }
  } finally {
    await dir.remove();
  }
});
