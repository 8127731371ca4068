/**
 * End-to-end: the `k8ts up` process itself: what it prints, how it stops, what it keeps across restarts and
 * how it refuses a datastore it cannot use.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { startCluster, type KubectlResult, type TestCluster } from '../helpers/cluster.js';
import { tempDir } from '../helpers/tmp.js';

const k8ts = fileURLToPath(new URL('../../../bin/k8ts.js', import.meta.url));

function ok(r: KubectlResult): string {
  assert.equal(r.code, 0, `kubectl exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Waits until `k8ts up` has printed `text` on stderr (its lines may arrive in separate chunks). */
async function printed(cluster: TestCluster, text: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!cluster.stderr().includes(text)) {
    if (Date.now() > deadline) assert.fail(`k8ts up never printed ${JSON.stringify(text)}; it printed:\n${cluster.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('k8ts up says where the apiserver is and how to use it, serves kubectl, and exits 0 on SIGTERM and SIGINT', async () => {
  const dir = await tempDir();
  const clusters: TestCluster[] = [];
  try {
    const first = await startCluster({ dataDir: dir.path });
    clusters.push(first);
    const kubeconfig = join(dir.path, 'admin.kubeconfig');
    await printed(first, `k8ts: kubectl --kubeconfig ${kubeconfig} get nodes`);
    assert.match(first.stderr(), new RegExp(`^k8ts: apiserver ready at https://127\\.0\\.0\\.1:${first.port} \\(sqlite ${join(dir.path, 'db', 'state.db')}, revision \\d+\\)`, 'm'));
    assert.ok(existsSync(join(dir.path, 'db', 'state.db')));
    assert.ok(existsSync(join(dir.path, 'pki', 'ca.crt')));
    assert.equal(ok(await first.kubectl(['get', 'ns', 'default', '-o', 'name'])), 'namespace/default\n');
    assert.equal(await first.shutdown('SIGTERM'), 0);

    const second = await startCluster({ dataDir: dir.path });
    clusters.push(second);
    assert.equal(ok(await second.kubectl(['get', 'ns', 'default', '-o', 'name'])), 'namespace/default\n');
    assert.equal(await second.shutdown('SIGINT'), 0);
  } finally {
    for (const c of clusters) await c.kill();
    await dir.remove();
  }
});

test('k8ts up restarted on the same data dir keeps the objects', async () => {
  const dir = await tempDir();
  const clusters: TestCluster[] = [];
  try {
    const first = await startCluster({ dataDir: dir.path });
    clusters.push(first);
    const input = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\ndata:\n  greeting: hello\n';
    assert.equal(ok(await first.kubectl(['create', '-f', '-'], { input })), 'configmap/kept created\n');
    const before = JSON.parse(ok(await first.kubectl(['get', 'cm', 'kept', '-o', 'json']))) as ConfigMap;
    assert.equal(await first.shutdown('SIGTERM'), 0);

    const second = await startCluster({ dataDir: dir.path });
    clusters.push(second);
    const after = JSON.parse(ok(await second.kubectl(['get', 'cm', 'kept', '-o', 'json']))) as ConfigMap;
    assert.deepEqual(after, before);
    // New writes continue after the old revisions.
    ok(await second.kubectl(['label', 'cm', 'kept', 'restarted=yes']));
    const labeled = JSON.parse(ok(await second.kubectl(['get', 'cm', 'kept', '-o', 'json']))) as ConfigMap;
    assert.ok(Number(labeled.metadata?.resourceVersion) > Number(before.metadata?.resourceVersion));
    assert.equal(await second.shutdown('SIGTERM'), 0);
  } finally {
    for (const c of clusters) await c.kill();
    await dir.remove();
  }
});

test('k8ts up with a datastore it cannot use fails with a message, not a crash', async () => {
  const dir = await tempDir();
  try {
    const child = spawn(process.execPath, [k8ts, 'up', '--data-dir', dir.path, '--port', '0', '--datastore', 'postgres://x'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 1);
    assert.match(out, /^k8ts: unsupported --datastore "postgres:\/\/x"/m);
  } finally {
    await dir.remove();
  }
});
