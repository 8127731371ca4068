/**
 * End-to-end Deployments and ReplicaSets with the real kubectl against `k8ts up` on simulated nodes: a
 * Deployment becomes available, rolls out a new image (`kubectl rollout status` returns when done), rolls
 * back with `kubectl rollout undo`, scales, pauses and restarts, spreads over zones; a ReplicaSet adopts a
 * matching orphan and releases a relabelled pod; and a rollout cut by kill -9 completes after the restart
 * without duplicate pods.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { ok } from '../helpers/kubectl-e2e.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/wait.js';

const SIM_ARGS = ['--sim-nodes', '3', '--sim-pod-start-delay', '150ms'];

async function getJSON<T>(cluster: TestCluster, args: string[]): Promise<T> {
  return JSON.parse(ok(await cluster.kubectl([...args, '-o', 'json']))) as T;
}

/** The active (not terminating, not finished) pods in `ns` with `selector`. */
async function activePods(cluster: TestCluster, ns: string, selector: string): Promise<Pod[]> {
  const list = await getJSON<{ items: Pod[] }>(cluster, ['get', 'pods', '-n', ns, '-l', selector]);
  return list.items.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
}

async function deployment(cluster: TestCluster, ns: string, name: string): Promise<Deployment> {
  return getJSON<Deployment>(cluster, ['get', 'deployment', name, '-n', ns]);
}

async function replicaSets(cluster: TestCluster, ns: string, selector: string): Promise<ReplicaSet[]> {
  return (await getJSON<{ items: ReplicaSet[] }>(cluster, ['get', 'replicasets', '-n', ns, '-l', selector])).items;
}

/** Waits until the Deployment reports `n` updated, available replicas and nothing else. */
async function untilRolledOut(cluster: TestCluster, ns: string, name: string, n: number, timeoutMs = 30_000): Promise<Deployment> {
  return until(
    `${name} rolled out with ${n} replicas`,
    async () => {
      const d = await deployment(cluster, ns, name);
      const s = d.status ?? {};
      const done = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && (s.updatedReplicas ?? 0) === n && (s.availableReplicas ?? 0) === n && (s.replicas ?? 0) === n;
      return done && d;
    },
    timeoutMs,
    200,
  );
}

describe('deployments and replicasets', () => {
  let cluster: TestCluster;
  const ns = 'default';

  before(async () => {
    cluster = await startCluster({ controllerManager: true, args: SIM_ARGS });
    await until('nodes ready', async () => (await getJSON<{ items: Node[] }>(cluster, ['get', 'nodes'])).items.length === 3, 20_000);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('kubectl create deployment with 6 replicas becomes 6/6 available, spread over the zones', async () => {
    ok(await cluster.kubectl(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=6', '-n', ns]));
    const d = await untilRolledOut(cluster, ns, 'web', 6);
    assert.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '1');
    const available = d.status?.conditions?.find((c) => c.type === 'Available');
    assert.equal(available?.status, 'True');
    assert.equal(available?.reason, 'MinimumReplicasAvailable');
    assert.equal(d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
    const table = ok(await cluster.kubectl(['get', 'deploy', 'web', '-n', ns]));
    assert.match(table, /^web\s+6\/6\s+6\s+6\s+/m);

    const [rs, ...more] = await replicaSets(cluster, ns, 'app=web');
    assert.equal(more.length, 0);
    const hash = rs!.metadata?.labels?.['pod-template-hash'];
    assert.ok(hash);
    assert.equal(rs!.metadata?.name, `web-${hash}`);
    assert.equal(rs!.spec?.selector?.matchLabels?.['pod-template-hash'], hash);
    assert.equal(rs!.metadata?.ownerReferences?.[0]?.kind, 'Deployment');
    assert.equal(rs!.metadata?.ownerReferences?.[0]?.controller, true);

    const pods = await activePods(cluster, ns, 'app=web');
    assert.equal(pods.length, 6);
    for (const p of pods) {
      assert.deepEqual(
        p.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.controller, r.blockOwnerDeletion]),
        [['ReplicaSet', rs!.metadata?.name, true, true]],
      );
    }
    // Default topology spreading: no zone has more than 2 pods more than another.
    const nodes = await getJSON<{ items: Node[] }>(cluster, ['get', 'nodes']);
    const zoneOf = new Map(nodes.items.map((n) => [n.metadata!.name!, n.metadata!.labels!['topology.kubernetes.io/zone']!]));
    const perZone = new Map<string, number>([...new Set(zoneOf.values())].map((z) => [z, 0]));
    for (const p of pods) perZone.set(zoneOf.get(p.spec!.nodeName!)!, perZone.get(zoneOf.get(p.spec!.nodeName!)!)! + 1);
    const counts = [...perZone.values()];
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 2, `pods per zone: ${JSON.stringify([...perZone])}`);
  });

  test('kubectl rollout status of an image change returns when done, and rollout undo restores the template', async () => {
    ok(await cluster.kubectl(['set', 'image', 'deployment/web', 'nginx=nginx:1.26', '-n', ns]));
    const status = await cluster.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /deployment "web" successfully rolled out/);
    const d = await untilRolledOut(cluster, ns, 'web', 6);
    assert.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '2');
    let pods = await activePods(cluster, ns, 'app=web');
    assert.equal(pods.length, 6);
    assert.ok(pods.every((p) => p.spec?.containers[0]?.image === 'nginx:1.26'));
    const sets = await replicaSets(cluster, ns, 'app=web');
    assert.equal(sets.length, 2);
    assert.deepEqual(sets.map((s) => s.spec?.replicas).sort(), [0, 6]);

    ok(await cluster.kubectl(['rollout', 'undo', 'deployment/web', '-n', ns]));
    const undo = await cluster.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(undo.code, 0, undo.stderr);
    const back = await untilRolledOut(cluster, ns, 'web', 6);
    assert.equal(back.spec?.template?.spec?.containers[0]?.image, 'nginx:1.25');
    assert.equal(back.metadata?.annotations?.['deployment.kubernetes.io/revision'], '3');
    pods = await activePods(cluster, ns, 'app=web');
    assert.ok(pods.every((p) => p.spec?.containers[0]?.image === 'nginx:1.25'), 'pods run the restored image');
    // The first ReplicaSet is used again (revision 3), not a third one.
    const after = await replicaSets(cluster, ns, 'app=web');
    assert.equal(after.length, 2);
    const history = ok(await cluster.kubectl(['rollout', 'history', 'deployment/web', '-n', ns]));
    assert.match(history, /^2\s/m);
    assert.match(history, /^3\s/m);

    // Back to revision 2's template by number.
    ok(await cluster.kubectl(['rollout', 'undo', 'deployment/web', '--to-revision=2', '-n', ns]));
    assert.equal((await cluster.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'], { timeoutMs: 70_000 })).code, 0);
    const again = await untilRolledOut(cluster, ns, 'web', 6);
    assert.equal(again.spec?.template?.spec?.containers[0]?.image, 'nginx:1.26');
    assert.equal(again.metadata?.annotations?.['deployment.kubernetes.io/revision'], '4');
    assert.ok((await activePods(cluster, ns, 'app=web')).every((p) => p.spec?.containers[0]?.image === 'nginx:1.26'));
  });

  test('scale up and down', async () => {
    ok(await cluster.kubectl(['scale', 'deployment/web', '--replicas=9', '-n', ns]));
    await untilRolledOut(cluster, ns, 'web', 9);
    await until('9 pods', async () => (await activePods(cluster, ns, 'app=web')).length === 9);
    ok(await cluster.kubectl(['scale', 'deployment/web', '--replicas=2', '-n', ns]));
    await untilRolledOut(cluster, ns, 'web', 2);
    await until('2 pods', async () => (await activePods(cluster, ns, 'app=web')).length === 2);
    assert.match(ok(await cluster.kubectl(['get', 'deploy', 'web', '-n', ns])), /^web\s+2\/2\s+2\s+2\s+/m);
  });

  test('rollout pause holds a template change; resume rolls it out; restart makes a new ReplicaSet', async () => {
    ok(await cluster.kubectl(['rollout', 'pause', 'deployment/web', '-n', ns]));
    ok(await cluster.kubectl(['set', 'image', 'deployment/web', 'nginx=nginx:1.27', '-n', ns]));
    const paused = await until('Progressing DeploymentPaused', async () => {
      const d = await deployment(cluster, ns, 'web');
      return d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'DeploymentPaused' && d;
    });
    assert.equal(paused.status?.conditions?.find((c) => c.type === 'Progressing')?.status, 'Unknown');
    assert.equal((await replicaSets(cluster, ns, 'app=web')).length, 2, 'no new ReplicaSet while paused');
    ok(await cluster.kubectl(['rollout', 'resume', 'deployment/web', '-n', ns]));
    assert.equal((await cluster.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'], { timeoutMs: 70_000 })).code, 0);
    assert.ok((await activePods(cluster, ns, 'app=web')).every((p) => p.spec?.containers[0]?.image === 'nginx:1.27'));

    ok(await cluster.kubectl(['rollout', 'restart', 'deployment/web', '-n', ns]));
    assert.equal((await cluster.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'], { timeoutMs: 70_000 })).code, 0);
    const sets = await replicaSets(cluster, ns, 'app=web');
    assert.equal(sets.length, 4);
    const current = sets.find((s) => (s.spec?.replicas ?? 0) > 0)!;
    assert.ok(current.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']);
  });

  test('a ReplicaSet adopts a matching orphan pod and releases a relabelled one', async () => {
    const orphan = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', labels: { app: 'adopt' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    ok(await cluster.kubectl(['create', '-n', ns, '-f', '-'], { input: JSON.stringify(orphan) }));
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'adopter' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'adopt' } }, template: { metadata: { labels: { app: 'adopt' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    ok(await cluster.kubectl(['create', '-n', ns, '-f', '-'], { input: JSON.stringify(rs) }));
    const adopted = await until('orphan adopted', async () => {
      const p = await getJSON<Pod>(cluster, ['get', 'pod', 'orphan', '-n', ns]);
      return p.metadata?.ownerReferences?.find((r) => r.kind === 'ReplicaSet' && r.name === 'adopter' && r.controller) && p;
    });
    assert.equal(adopted.metadata?.ownerReferences?.[0]?.blockOwnerDeletion, true);
    await until('2 ready replicas', async () => (await getJSON<ReplicaSet>(cluster, ['get', 'rs', 'adopter', '-n', ns])).status?.readyReplicas === 2);
    assert.equal((await activePods(cluster, ns, 'app=adopt')).length, 2, 'the orphan counts as one of the 2');

    ok(await cluster.kubectl(['label', 'pod', 'orphan', 'app=released', '--overwrite', '-n', ns]));
    await until('relabelled pod released', async () => {
      const p = await getJSON<Pod>(cluster, ['get', 'pod', 'orphan', '-n', ns]);
      return (p.metadata?.ownerReferences ?? []).length === 0;
    });
    await until('a replacement pod', async () => (await activePods(cluster, ns, 'app=adopt')).length === 2);
    const status = await until('status settles', async () => {
      const s = (await getJSON<ReplicaSet>(cluster, ['get', 'rs', 'adopter', '-n', ns])).status;
      return s?.replicas === 2 && s.fullyLabeledReplicas === 2 && s.readyReplicas === 2 && s.availableReplicas === 2 && s;
    });
    assert.equal(status.observedGeneration, 1);
  });

  test('progressDeadlineSeconds: a rollout that cannot progress is Progressing=False ProgressDeadlineExceeded', async () => {
    const d = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'stuck' },
      spec: {
        replicas: 2,
        progressDeadlineSeconds: 2,
        selector: { matchLabels: { app: 'stuck' } },
        // No node has this label: the pods stay Pending.
        template: { metadata: { labels: { app: 'stuck' } }, spec: { nodeSelector: { nowhere: 'true' }, containers: [{ name: 'c', image: 'busybox' }] } },
      },
    };
    ok(await cluster.kubectl(['create', '-n', ns, '-f', '-'], { input: JSON.stringify(d) }));
    const status = await cluster.kubectl(['rollout', 'status', 'deployment/stuck', '-n', ns, '--timeout=30s'], { timeoutMs: 40_000 });
    assert.notEqual(status.code, 0);
    assert.match(status.stderr, /deployment "stuck" exceeded its progress deadline/);
    const conds = (await deployment(cluster, ns, 'stuck')).status?.conditions ?? [];
    const progressing = conds.find((c) => c.type === 'Progressing')!;
    assert.equal(progressing.status, 'False');
    assert.equal(progressing.reason, 'ProgressDeadlineExceeded');
    assert.match(progressing.message ?? '', /^ReplicaSet "stuck-\w+" has timed out progressing\.$/);
    const available = conds.find((c) => c.type === 'Available')!;
    assert.deepEqual([available.status, available.reason], ['False', 'MinimumReplicasUnavailable']);
  });

  test('Recreate rolls out each new template, and revisionHistoryLimit keeps that many old ReplicaSets', async () => {
    ok(await cluster.kubectl(['create', 'deployment', 'rec', '--image=busybox:1', '--replicas=3', '-n', ns]));
    ok(await cluster.kubectl(['patch', 'deployment', 'rec', '-n', ns, '-p', JSON.stringify({ spec: { revisionHistoryLimit: 1, strategy: { type: 'Recreate', rollingUpdate: null } } })]));
    await untilRolledOut(cluster, ns, 'rec', 3);
    for (const tag of ['2', '3', '4']) {
      ok(await cluster.kubectl(['set', 'image', 'deployment/rec', `busybox=busybox:${tag}`, '-n', ns]));
      assert.equal((await cluster.kubectl(['rollout', 'status', 'deployment/rec', '-n', ns, '--timeout=60s'], { timeoutMs: 70_000 })).code, 0);
    }
    await untilRolledOut(cluster, ns, 'rec', 3);
    const sets = await until('old ReplicaSets cleaned up', async () => {
      const s = await replicaSets(cluster, ns, 'app=rec');
      return s.length === 2 && s;
    });
    assert.deepEqual(sets.map((s) => s.spec?.replicas).sort(), [0, 3]);
    assert.ok((await activePods(cluster, ns, 'app=rec')).every((p) => p.spec?.containers[0]?.image === 'busybox:4'));
  });

  test('a create refused by quota shows as ReplicaFailure FailedCreate on the ReplicaSet and the Deployment', async () => {
    ok(await cluster.kubectl(['create', 'namespace', 'quota']));
    ok(await cluster.kubectl(['create', 'quota', 'pods', '--hard=pods=2', '-n', 'quota']));
    ok(await cluster.kubectl(['create', 'deployment', 'q', '--image=busybox', '--replicas=4', '-n', 'quota']));
    const [rs] = await until('ReplicaFailure on the ReplicaSet', async () => {
      const s = await replicaSets(cluster, 'quota', 'app=q');
      return s[0]?.status?.conditions?.some((c) => c.type === 'ReplicaFailure') && s;
    });
    const failure = rs!.status!.conditions!.find((c) => c.type === 'ReplicaFailure')!;
    assert.equal(failure.reason, 'FailedCreate');
    assert.match(failure.message ?? '', /is forbidden: exceeded quota: pods/);
    const d = await until('ReplicaFailure on the Deployment', async () => {
      const x = await deployment(cluster, 'quota', 'q');
      return x.status?.conditions?.some((c) => c.type === 'ReplicaFailure') && x;
    });
    assert.equal(d.status?.conditions?.find((c) => c.type === 'ReplicaFailure')?.reason, 'FailedCreate');
    assert.equal((await activePods(cluster, 'quota', 'app=q')).length, 2);
  });

  test('a ReplicationController keeps its replicas', async () => {
    const rc = {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'rc' },
      spec: { replicas: 3, selector: { app: 'rc' }, template: { metadata: { labels: { app: 'rc' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    ok(await cluster.kubectl(['create', '-n', ns, '-f', '-'], { input: JSON.stringify(rc) }));
    await until('3 ready', async () => (await getJSON<{ status?: { readyReplicas?: number } }>(cluster, ['get', 'rc', 'rc', '-n', ns])).status?.readyReplicas === 3);
    const pods = await activePods(cluster, ns, 'app=rc');
    assert.equal(pods.length, 3);
    assert.ok(pods.every((p) => p.metadata?.ownerReferences?.[0]?.kind === 'ReplicationController'));
  });
});

describe('a rollout cut by kill -9', () => {
  test('completes after the restart, with no duplicate pods', async () => {
    const dir = await tempDir('k8ts-deploy-kill-');
    let cluster = await startCluster({ controllerManager: true, dataDir: dir.path, args: SIM_ARGS });
    try {
      const ns = 'default';
      ok(await cluster.kubectl(['create', 'deployment', 'kill', '--image=nginx:1.25', '--replicas=8', '-n', ns]));
      await untilRolledOut(cluster, ns, 'kill', 8);
      // minReadySeconds slows the rollout down so the kill lands in the middle of it.
      ok(await cluster.kubectl(['patch', 'deployment', 'kill', '-n', ns, '-p', JSON.stringify({ spec: { minReadySeconds: 1 } })]));
      await untilRolledOut(cluster, ns, 'kill', 8);
      ok(await cluster.kubectl(['set', 'image', 'deployment/kill', 'nginx=nginx:1.26', '-n', ns]));
      await until('rollout under way', async () => {
        const s = (await deployment(cluster, ns, 'kill')).status;
        return (s?.updatedReplicas ?? 0) >= 2 && (s?.updatedReplicas ?? 0) < 8;
      }, 30_000, 20);
      await cluster.kill();
      cluster = await startCluster({ controllerManager: true, dataDir: dir.path, args: SIM_ARGS });
      const status = await cluster.kubectl(['rollout', 'status', 'deployment/kill', '-n', ns, '--timeout=90s'], { timeoutMs: 100_000 });
      assert.equal(status.code, 0, status.stderr);
      await untilRolledOut(cluster, ns, 'kill', 8);
      // Settled: exactly 8 active pods, all from the new template, and they stay 8.
      const pods = await until('8 new pods', async () => {
        const p = await activePods(cluster, ns, 'app=kill');
        return p.length === 8 && p.every((x) => x.spec?.containers[0]?.image === 'nginx:1.26') && p;
      });
      assert.equal(new Set(pods.map((p) => p.metadata?.name)).size, 8);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await activePods(cluster, ns, 'app=kill')).length, 8);
      const sets = await replicaSets(cluster, ns, 'app=kill');
      assert.equal(sets.length, 2);
      assert.deepEqual(sets.map((s) => s.spec?.replicas).sort(), [0, 8]);
    } finally {
      await cluster.stop();
      await dir.remove();
    }
  });
});
