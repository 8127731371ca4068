/**
 * End-to-end StatefulSet and DaemonSet with the real kubectl against `k8ts up` on three simulated nodes:
 * ordered start with claims, a deleted pod back under its name with its claim, a rolling update in reverse
 * ordinal order that `kubectl rollout status` sees finish, scale down from the highest ordinal; a DaemonSet
 * that follows nodes (labels and nodeSelector, a node added by hand, cordoning) and rolls to a new image.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DaemonSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { KUBECTL, startCluster, type TestCluster } from '../helpers/cluster.js';
import { manifest, ok } from '../helpers/kubectl-e2e.js';
import { until } from '../helpers/wait.js';

/** A pod every watch lists first: once kubectl shows it, its watch is established. */
const SENTINEL = 'watch-sentinel';

interface Seen {
  type: string;
  name: string;
  uid: string;
  ready: boolean;
  deleting: boolean;
}

/** `kubectl get pods -w --output-watch-events -o json` running in the background, its events collected. */
class PodWatch {
  readonly events: Seen[] = [];
  private readonly child: ChildProcess;
  private buf = '';

  /** Watches pods labelled app=`app` and the sentinel pod (app=watch-sentinel), whose first event says the watch is on. */
  constructor(cluster: TestCluster, app: string) {
    const selector = `app in (${app},${SENTINEL})`;
    this.child = spawn(KUBECTL, ['--kubeconfig', cluster.kubeconfig, '--cache-dir', join(dirname(cluster.kubeconfig), '.kube-cache'), 'get', 'pods', '-l', selector, '-w', '--output-watch-events', '-o', 'json'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.buf += chunk.toString();
      // With --output-watch-events kubectl prints each event as one line of JSON.
      for (let end = this.buf.indexOf('\n'); end >= 0; end = this.buf.indexOf('\n')) {
        const doc = this.buf.slice(0, end);
        this.buf = this.buf.slice(end + 1);
        if (!doc.trim()) continue;
        const ev = JSON.parse(doc) as { type: string; object: Pod };
        const pod = ev.object;
        this.events.push({
          type: ev.type,
          name: pod.metadata!.name!,
          uid: pod.metadata!.uid!,
          ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
          deleting: !!pod.metadata!.deletionTimestamp,
        });
      }
    });
  }

  /** Resolves once kubectl has listed (the sentinel pod is in every initial list), so no later event is missed. */
  started(): Promise<number> {
    return until('kubectl get -w to list', () => this.indexOf((e) => e.name === SENTINEL) + 1, 15_000);
  }

  /** Index of the first event matching `pred` (from `from`), -1 if none. */
  indexOf(pred: (e: Seen) => boolean, from = 0): number {
    for (let i = from; i < this.events.length; i++) if (pred(this.events[i]!)) return i;
    return -1;
  }

  stop(): void {
    this.child.kill();
  }
}

const statefulSet = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web' },
  spec: {
    serviceName: 'nginx',
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1', ports: [{ containerPort: 80, name: 'web' }] }] } },
    volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
  },
};
const headless = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'nginx' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80, name: 'web' }] } };

const daemonSet = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent' },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'agent:1' }] } },
  },
};

describe('StatefulSet and DaemonSet on simulated nodes', () => {
  let cluster: TestCluster;
  const get = async <T>(...args: string[]): Promise<T> => JSON.parse(ok(await cluster.kubectl(['get', ...args, '-o', 'json']))) as T;
  const pods = async (selector: string): Promise<Pod[]> => (await get<{ items: Pod[] }>('pods', '-l', selector)).items;
  const isReady = (p: Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

  before(async () => {
    cluster = await startCluster({ controllerManager: true, args: ['--sim-nodes', '3', '--sim-pod-start-delay', '150ms'] });
    const sentinel = { apiVersion: 'v1', kind: 'Pod', metadata: { name: SENTINEL, labels: { app: SENTINEL } }, spec: { containers: [{ name: 'pause', image: 'pause' }] } };
    ok(await cluster.kubectl(['create', '-f', '-'], { input: manifest(sentinel) }));
  });
  after(async () => {
    if (process.env.STS_DS_E2E_LOG) (await import('node:fs')).writeFileSync(process.env.STS_DS_E2E_LOG, cluster?.stderr() ?? '');
    await cluster?.stop();
  });

  describe('StatefulSet', () => {
    test('web-0, web-1, web-2 come up in order, each with its claim', async () => {
      const watch = new PodWatch(cluster, 'web');
      await watch.started();
      try {
        ok(await cluster.kubectl(['create', '-f', '-'], { input: manifest(headless, statefulSet) }));
        await until('3 ready replicas', async () => (await get<StatefulSet>('sts', 'web')).status?.readyReplicas === 3, 30_000);
        for (const i of [1, 2]) {
          const created = watch.indexOf((e) => e.name === `web-${i}`);
          const prevReady = watch.indexOf((e) => e.name === `web-${i - 1}` && e.ready);
          assert.ok(created >= 0 && prevReady >= 0 && prevReady < created, `web-${i} appeared before web-${i - 1} was Ready: ${JSON.stringify(watch.events)}`);
        }
      } finally {
        watch.stop();
      }
      const list = await pods('app=web');
      assert.deepEqual(list.map((p) => p.metadata!.name).sort(), ['web-0', 'web-1', 'web-2']);
      for (const p of list) {
        assert.equal(p.spec!.hostname, p.metadata!.name);
        assert.equal(p.spec!.subdomain, 'nginx');
        assert.equal(p.metadata!.labels!['statefulset.kubernetes.io/pod-name'], p.metadata!.name);
        assert.equal(p.metadata!.labels!['apps.kubernetes.io/pod-index'], p.metadata!.name!.slice(4));
        assert.deepEqual(p.spec!.volumes!.find((v) => v.name === 'www')?.persistentVolumeClaim, { claimName: `www-${p.metadata!.name}` });
      }
      const claims = (await get<{ items: PersistentVolumeClaim[] }>('pvc')).items;
      assert.deepEqual(claims.map((c) => c.metadata!.name).sort(), ['www-web-0', 'www-web-1', 'www-web-2']);
      // No provisioner: the claims stay Pending, and the pods did not wait for them.
      assert.ok(claims.every((c) => c.status?.phase === 'Pending'));
      const row = ok(await cluster.kubectl(['get', 'sts', 'web', '--no-headers'])).split(/\s+/);
      assert.equal(row[1], '3/3');
    });

    test('deleting web-1 brings back web-1 with the same claim', async () => {
      const before = (await pods('app=web')).find((p) => p.metadata!.name === 'web-1')!;
      const claimUID = (await get<PersistentVolumeClaim>('pvc', 'www-web-1')).metadata!.uid;
      // --wait=false: the simulated kubelet removes the pod at once and web-1 is back within milliseconds, so
      // kubectl's wait (GET, then LIST + WATCH by name) can find the new web-1 in its cache and wait for a
      // DELETED event that never comes. A real kubelet's graceful stop leaves kubectl the time it needs.
      ok(await cluster.kubectl(['delete', 'pod', 'web-1', '--wait=false']));
      const after = await until('a new ready web-1', async () => {
        const p = (await pods('app=web')).find((x) => x.metadata!.name === 'web-1');
        return p && p.metadata!.uid !== before.metadata!.uid && isReady(p) ? p : undefined;
      }, 20_000);
      assert.deepEqual(after.spec!.volumes!.find((v) => v.name === 'www')?.persistentVolumeClaim, { claimName: 'www-web-1' });
      assert.equal((await get<PersistentVolumeClaim>('pvc', 'www-web-1')).metadata!.uid, claimUID);
    });

    test('a rolling update replaces pods in reverse ordinal order and kubectl rollout status returns', async () => {
      const watch = new PodWatch(cluster, 'web');
      await watch.started();
      try {
        ok(await cluster.kubectl(['set', 'image', 'sts/web', 'nginx=nginx:2']));
        const status = ok(await cluster.kubectl(['rollout', 'status', 'sts/web', '--timeout=60s'], { timeoutMs: 70_000 }));
        // partition defaults to 0, so kubectl words it as a partitioned roll out (as it does against kube).
        assert.match(status, /partitioned roll out complete: 3 new pods have been updated\.\.\./);
        const gone = (name: string): number => watch.indexOf((e) => e.name === name && (e.deleting || e.type === 'DELETED'));
        const [g2, g1, g0] = [gone('web-2'), gone('web-1'), gone('web-0')];
        assert.ok(g2 >= 0 && g2 < g1 && g1 < g0, `not replaced in reverse order: ${JSON.stringify(watch.events)}`);
      } finally {
        watch.stop();
      }
      const list = await pods('app=web');
      assert.deepEqual(list.map((p) => p.spec!.containers[0]!.image), ['nginx:2', 'nginx:2', 'nginx:2']);
      const sts = await get<StatefulSet>('sts', 'web');
      assert.equal(sts.status!.currentRevision, sts.status!.updateRevision);
      assert.deepEqual([sts.status!.updatedReplicas, sts.status!.currentReplicas, sts.status!.availableReplicas], [3, 3, 3]);
      assert.equal(sts.status!.observedGeneration, sts.metadata!.generation);
      for (const p of list) assert.equal(p.metadata!.labels!['controller-revision-hash'], sts.status!.updateRevision);
      const revisions = ok(await cluster.kubectl(['get', 'controllerrevisions', '-o', 'name'])).trim().split('\n').filter((n) => n.includes('/web-'));
      assert.equal(revisions.length, 2);
    });

    test('kubectl rollout undo goes back to the previous revision', async () => {
      const history = ok(await cluster.kubectl(['rollout', 'history', 'sts/web']));
      assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
      ok(await cluster.kubectl(['rollout', 'undo', 'sts/web']));
      ok(await cluster.kubectl(['rollout', 'status', 'sts/web', '--timeout=60s'], { timeoutMs: 70_000 }));
      await until('nginx:1 everywhere', async () => (await pods('app=web')).every((p) => p.spec!.containers[0]!.image === 'nginx:1' && isReady(p)), 20_000);
      // The old revision is reused, renumbered as the newest.
      assert.match(ok(await cluster.kubectl(['rollout', 'history', 'sts/web'])), /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);
    });

    test('scale down removes the highest ordinal first and keeps the claims', async () => {
      const watch = new PodWatch(cluster, 'web');
      await watch.started();
      try {
        ok(await cluster.kubectl(['scale', 'sts/web', '--replicas=1']));
        await until('only web-0 left', async () => (await pods('app=web')).map((p) => p.metadata!.name).join() === 'web-0', 20_000);
        const gone = (name: string): number => watch.indexOf((e) => e.name === name && (e.deleting || e.type === 'DELETED'));
        assert.ok(gone('web-2') >= 0 && gone('web-2') < gone('web-1'), JSON.stringify(watch.events));
      } finally {
        watch.stop();
      }
      const claims = (await get<{ items: PersistentVolumeClaim[] }>('pvc')).items.map((c) => c.metadata!.name).sort();
      assert.deepEqual(claims, ['www-web-0', 'www-web-1', 'www-web-2']);
    });
  });

  test('persistentVolumeClaimRetentionPolicy whenScaled=Delete: scaling down deletes the removed pod\'s claim', async () => {
    const db = {
      ...statefulSet,
      metadata: { name: 'db' },
      spec: {
        ...statefulSet.spec,
        replicas: 2,
        podManagementPolicy: 'Parallel',
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' },
        selector: { matchLabels: { app: 'db' } },
        template: { ...statefulSet.spec.template, metadata: { labels: { app: 'db' } } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    };
    ok(await cluster.kubectl(['create', '-f', '-'], { input: manifest(db) }));
    await until('2 ready db replicas', async () => (await get<StatefulSet>('sts', 'db')).status?.readyReplicas === 2, 20_000);
    ok(await cluster.kubectl(['scale', 'sts/db', '--replicas=1']));
    await until('data-db-1 deleted with db-1', async () => {
      const claims = (await get<{ items: PersistentVolumeClaim[] }>('pvc', '-l', 'app=db')).items.map((c) => c.metadata!.name).join();
      return claims === 'data-db-0';
    }, 20_000);
    assert.deepEqual((await pods('app=db')).map((p) => p.metadata!.name), ['db-0']);
  });

  describe('DaemonSet', () => {
    const dsStatus = async (): Promise<Partial<NonNullable<DaemonSet["status"]>>> => (await get<DaemonSet>("ds", "agent")).status ?? {};
    const byNode = async (): Promise<Map<string, Pod>> => {
      const out = new Map<string, Pod>();
      for (const p of await pods('app=agent')) if (!p.metadata!.deletionTimestamp && p.spec!.nodeName) out.set(p.spec!.nodeName, p);
      return out;
    };

    test('one pod on each of the 3 nodes, pinned by node affinity and bound by the scheduler', async () => {
      ok(await cluster.kubectl(['create', '-f', '-'], { input: manifest(daemonSet) }));
      await until('3 available', async () => (await dsStatus()).numberAvailable === 3, 20_000);
      const list = await pods('app=agent');
      assert.deepEqual(list.map((p) => p.spec!.nodeName).sort(), ['sim-node-0', 'sim-node-1', 'sim-node-2']);
      for (const p of list) {
        const terms = p.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
        assert.deepEqual(terms, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec!.nodeName!] }] }]);
      }
      const row = ok(await cluster.kubectl(['get', 'ds', 'agent', '--no-headers'])).split(/\s+/);
      assert.deepEqual(row.slice(1, 6), ['3', '3', '3', '3', '3']);
    });

    test('a nodeSelector excludes unlabelled nodes; labelling the node brings its pod back', async () => {
      ok(await cluster.kubectl(['label', 'node', 'sim-node-0', 'sim-node-1', 'agent=yes']));
      ok(await cluster.kubectl(['patch', 'ds', 'agent', '--type=merge', '-p', JSON.stringify({ spec: { template: { spec: { nodeSelector: { agent: 'yes' } } } } })]));
      await until('the pod on sim-node-2 gone', async () => {
        const s = await dsStatus();
        const nodes = [...(await byNode()).keys()].sort().join();
        return s.desiredNumberScheduled === 2 && s.numberAvailable === 2 && nodes === 'sim-node-0,sim-node-1';
      }, 30_000);
      ok(await cluster.kubectl(['label', 'node', 'sim-node-2', 'agent=yes']));
      await until('a pod on sim-node-2 again', async () => (await byNode()).has('sim-node-2') && (await dsStatus()).numberAvailable === 3, 20_000);
    });

    test('a node created with kubectl gets a pod bound to it; deleting the node drops it from the desired count', async () => {
      const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'hand-node', labels: { agent: 'yes', 'kubernetes.io/hostname': 'hand-node' } } };
      ok(await cluster.kubectl(['create', '-f', '-'], { input: manifest(node) }));
      // No simulator or kubelet reports its status: give it room for pods, as a kubelet would.
      const status = { status: { capacity: { pods: '110', cpu: '4', memory: '8Gi' }, allocatable: { pods: '110', cpu: '4', memory: '8Gi' } } };
      ok(await cluster.kubectl(['patch', 'node', 'hand-node', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]));
      await until('a daemon pod bound to hand-node', async () => (await byNode()).has('hand-node'), 20_000);
      assert.equal((await dsStatus()).desiredNumberScheduled, 4);
      ok(await cluster.kubectl(['delete', 'node', 'hand-node']));
      await until('desired back to 3', async () => (await dsStatus()).desiredNumberScheduled === 3, 20_000);
    });

    test('a cordoned node keeps its daemon pod', async () => {
      const uid = (await byNode()).get('sim-node-1')!.metadata!.uid;
      ok(await cluster.kubectl(['cordon', 'sim-node-1']));
      try {
        await until('the unschedulable taint', async () => (await get<{ spec?: { taints?: Array<{ key: string }> } }>('node', 'sim-node-1')).spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unschedulable'), 20_000);
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal((await byNode()).get('sim-node-1')?.metadata!.uid, uid);
        const s = await dsStatus();
        assert.deepEqual([s.desiredNumberScheduled, s.numberAvailable, s.numberMisscheduled], [3, 3, 0]);
      } finally {
        ok(await cluster.kubectl(['uncordon', 'sim-node-1']));
      }
    });

    test('kubectl rollout status ds returns after an image change', async () => {
      ok(await cluster.kubectl(['set', 'image', 'ds/agent', 'agent=agent:2']));
      const out = ok(await cluster.kubectl(['rollout', 'status', 'ds/agent', '--timeout=60s'], { timeoutMs: 70_000 }));
      assert.match(out, /daemon set "agent" successfully rolled out/);
      const live = [...(await byNode()).values()];
      assert.deepEqual(live.map((p) => p.spec!.containers[0]!.image), ['agent:2', 'agent:2', 'agent:2']);
      const s = await dsStatus();
      assert.deepEqual([s.updatedNumberScheduled, s.numberAvailable], [3, 3]);
    });
  });
});
