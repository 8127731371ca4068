/**
 * End-to-end: two `k8ts up` servers on one etcd. Only the holder of the kube-system/kube-scheduler Lease
 * schedules (and of kube-controller-manager runs the controllers), so every pod is bound exactly once; when the
 * leader stops, the other server takes the lease over and goes on scheduling.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { EventList, Pod, PodList } from 'kubernetes-types/core/v1.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { manifest, ok } from '../helpers/kubectl-e2e.js';
import { until } from '../helpers/wait.js';

const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });

describe('two servers on one etcd', () => {
  let etcd: EtcdServer;
  let a: TestCluster;
  let b: TestCluster;
  const get = async <T>(c: TestCluster, ...args: string[]): Promise<T> => JSON.parse(ok(await c.kubectl(['get', ...args, '-o', 'json']))) as T;
  const holder = async (c: TestCluster, name: string): Promise<string | undefined> => {
    const r = await c.kubectl(['-n', 'kube-system', 'get', 'lease', name, '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as Lease).spec?.holderIdentity : undefined;
  };

  before(async () => {
    etcd = await startEtcd();
    const datastore = ['--datastore', `etcd://${new URL(etcd.endpoint).host}`];
    a = await startCluster({ controllerManager: true, args: [...datastore, '--sim-nodes', '2', '--sim-pod-start-delay', '100ms'] });
    // A leads before B exists.
    await until('A holding both leases', async () => (await holder(a, 'kube-scheduler')) && (await holder(a, 'kube-controller-manager')));
    b = await startCluster({ controllerManager: true, args: datastore });
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
    await etcd?.stop();
  });

  test('one scheduler leads, and every pod is bound exactly once', async () => {
    const leader = await holder(a, 'kube-scheduler');
    ok(await b.kubectl(['create', 'namespace', 'le']));
    ok(await b.kubectl(['-n', 'le', 'create', '-f', '-'], { input: manifest(...Array.from({ length: 20 }, (_, i) => pod(`p${i}`))) }));
    await until('20 pods bound', async () => (await get<PodList>(a, '-n', 'le', 'pods')).items.filter((p) => p.spec?.nodeName).length === 20);
    // Still the same leader: B has been waiting, not scheduling.
    assert.equal(await holder(b, 'kube-scheduler'), leader);
    const events = await get<EventList>(a, '-n', 'le', 'events');
    const scheduled = events.items.filter((e) => e.reason === 'Scheduled');
    assert.equal(scheduled.length, 20);
    assert.equal(new Set(scheduled.map((e) => e.involvedObject.name)).size, 20);
    assert.deepEqual(events.items.filter((e) => e.reason === 'FailedScheduling'), []);
  });

  test('when the leader stops, the other server takes the leases over and schedules', async () => {
    const before = await holder(b, 'kube-scheduler');
    assert.equal(await a.shutdown(), 0);
    await until('B holding the scheduler lease', async () => {
      const now = await holder(b, 'kube-scheduler');
      return now && now !== before ? now : undefined;
    }, 30_000);
    ok(await b.kubectl(['-n', 'le', 'create', '-f', '-'], { input: manifest(pod('after-failover')) }));
    const node = await until('after-failover bound', async () => (await get<Pod>(b, '-n', 'le', 'pod', 'after-failover')).spec?.nodeName, 30_000);
    assert.match(node, /^sim-node-\d$/);
    await until('B holding the controller-manager lease', async () => {
      const now = await holder(b, 'kube-controller-manager');
      return now && now !== before ? now : undefined;
    }, 30_000);
  });
});
