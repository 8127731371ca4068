/**
 * End-to-end durability: `k8ts up` killed with SIGKILL in the middle of a stream of creates and restarted on
 * the same data dir (and datastore) has every object whose create was answered 201, each whole, and nothing
 * nobody asked for. Run against the default SQLite datastore and against a real etcd.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { clientFor, type Client } from '../helpers/client-node.js';
import { startEtcd } from '../helpers/etcd-server.js';
import { tempDir } from '../helpers/tmp.js';

const NAMESPACE = 'durability';
/** Creates answered before the kill. */
const KILL_AFTER = 500;
const CONCURRENCY = 32;

/** What a create stream saw: the names it sent and the names the server answered 201 for. */
interface CreateStream {
  attempted: Set<string>;
  acknowledged: Set<string>;
  /** Creates that failed before the kill (there must be none). */
  earlyFailures: unknown[];
}

/** The data each configmap is created with; a restart must return exactly this. */
function dataFor(name: string): Record<string, string> {
  return { name, payload: `${name}:`.padEnd(512, '#') };
}

/**
 * Creates configmaps from CONCURRENCY workers until KILL_AFTER have been answered 201, then kills the server
 * with SIGKILL while the other creates are still in flight, and waits for every in-flight create to end.
 */
async function createUntilKilled(server: TestCluster, { core }: Client): Promise<CreateStream> {
  const stream: CreateStream = { attempted: new Set(), acknowledged: new Set(), earlyFailures: [] };
  let killed: Promise<void> | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!killed) {
      const name = `cm-${String(next++).padStart(5, '0')}`;
      stream.attempted.add(name);
      try {
        const reply = await core.createNamespacedConfigMapWithHttpInfo({ namespace: NAMESPACE, body: { metadata: { name }, data: dataFor(name) } });
        assert.equal(reply.httpStatusCode, 201);
        stream.acknowledged.add(name);
        if (stream.acknowledged.size >= KILL_AFTER) killed ??= server.kill();
      } catch (err) {
        // After the kill, in-flight creates fail (connection reset): their outcome is unknown.
        if (!killed) stream.earlyFailures.push(err);
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await killed;
  return stream;
}

/** Lists the namespace after the restart and checks it against what the stream was told. */
async function assertDurable({ core }: Client, stream: CreateStream): Promise<number> {
  const listed = await core.listNamespacedConfigMap({ namespace: NAMESPACE });
  const present = new Map<string, V1ConfigMap>(listed.items.map((cm) => [cm.metadata!.name!, cm]));
  const lost = [...stream.acknowledged].filter((name) => !present.has(name));
  assert.deepEqual(lost, [], `${lost.length} of ${stream.acknowledged.size} acknowledged creates are gone after the restart`);
  const phantoms = [...present.keys()].filter((name) => !stream.attempted.has(name));
  assert.deepEqual(phantoms, [], 'objects nobody created');
  const revisions = new Set<string>();
  for (const [name, cm] of present) {
    assert.equal(cm.kind ?? 'ConfigMap', 'ConfigMap');
    assert.deepEqual(cm.data, dataFor(name), `${name} is whole`);
    assert.match(cm.metadata?.uid ?? '', /^[0-9a-f-]{36}$/, `${name} has its uid`);
    assert.ok(cm.metadata?.creationTimestamp instanceof Date, `${name} has its creationTimestamp`);
    revisions.add(cm.metadata!.resourceVersion!);
  }
  assert.equal(revisions.size, present.size, 'every object has its own resourceVersion');
  // A sample also reads back alone, by name, identical to the listed one.
  for (const name of [...present.keys()].filter((_, i) => i % 50 === 0)) {
    assert.deepEqual(await core.readNamespacedConfigMap({ name, namespace: NAMESPACE }), present.get(name));
  }
  // And the restarted server goes on writing after the restored revisions.
  const after = await core.createNamespacedConfigMap({ namespace: NAMESPACE, body: { metadata: { name: 'after-restart' }, data: { ok: 'yes' } } });
  const newest = Math.max(...[...revisions].map(Number));
  assert.ok(Number(after.metadata?.resourceVersion) > newest, `resourceVersion ${after.metadata?.resourceVersion} after ${newest}`);
  return present.size;
}

/**
 * The whole scenario on one datastore: `args` selects it (none: SQLite in the data dir). Reports how many
 * creates were sent, answered and found after the restart.
 */
async function killDuringCreates(t: TestContext, args: string[]): Promise<void> {
  const dir = await tempDir();
  const servers: TestCluster[] = [];
  try {
    const first = await startCluster({ dataDir: dir.path, args });
    servers.push(first);
    const client = clientFor(first.kubeconfig);
    await client.core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    const stream = await createUntilKilled(first, client);
    assert.deepEqual(stream.earlyFailures, [], 'no create failed before the kill');
    assert.ok(stream.acknowledged.size >= KILL_AFTER);
    assert.equal(first.process.signalCode, 'SIGKILL');

    const second = await startCluster({ dataDir: dir.path, args });
    servers.push(second);
    // The restart may pick another port: a fresh client from the rewritten kubeconfig.
    const present = await assertDurable(clientFor(second.kubeconfig), stream);
    t.diagnostic(`sent ${stream.attempted.size}, answered 201: ${stream.acknowledged.size}, present after the restart: ${present}`);
    assert.ok(stream.attempted.size > stream.acknowledged.size, 'creates were in flight at the kill');
  } finally {
    for (const s of servers) await s.kill();
    await dir.remove();
  }
}

test('kill -9 of k8ts up (SQLite) during a stream of creates: after a restart every create answered 201 is there, whole', async (t) => {
  await killDuringCreates(t, []);
});

test('kill -9 of k8ts up (etcd) during a stream of creates: after a restart every create answered 201 is there, whole', async (t) => {
  const etcd = await startEtcd();
  try {
    await killDuringCreates(t, ['--datastore', `etcd://${new URL(etcd.endpoint).host}`]);
  } finally {
    await etcd.stop();
  }
});
