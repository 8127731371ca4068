import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';

const k8ts = fileURLToPath(new URL('../../../bin/k8ts.js', import.meta.url));

/** Starts the real `k8ts up`, waits for it to say it is ready, stops it with `signal`; resolves to its exit code. */
async function upAndStop(dataDir: string, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [k8ts, 'up', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`k8ts up did not get ready: ${stderr}`)), 15_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('storage ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.kill(signal);
  return { code: await exited, stderr };
}

test('k8ts up opens the datastore in --data-dir and exits 0 on SIGINT and SIGTERM', async () => {
  const dir = await tempDir();
  try {
    const first = await upAndStop(dir.path, 'SIGTERM');
    assert.equal(first.code, 0);
    assert.match(first.stderr, new RegExp(`sqlite ${join(dir.path, 'db', 'state.db')}`));
    assert.ok(existsSync(join(dir.path, 'db', 'state.db')));
    const second = await upAndStop(dir.path, 'SIGINT');
    assert.equal(second.code, 0);
  } finally {
    await dir.remove();
  }
});

test('k8ts up with a datastore it cannot use fails with a message, not a crash', async () => {
  const child = spawn(process.execPath, [k8ts, 'up', '--datastore', 'postgres://x'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 1);
  assert.match(out, /unsupported --datastore "postgres:\/\/x"/);
});
