/**
 * End-to-end: the pod garbage collector, resource quota status and the horizontal pod autoscaler with the real
 * `k8ts up --sim-nodes` and kubectl. Finished pods beyond `--terminated-pod-gc-threshold` are deleted oldest
 * first; a pod on a node that is deleted goes after the quarantine; `kubectl describe quota` follows pods
 * created, finished and deleted; `kubectl autoscale` brings a 1-replica deployment up to its minimum, and
 * `kubectl get/describe hpa` show what kube shows without a metrics API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { lines, manifest, ok } from '../helpers/kubectl-e2e.js';
import { until } from '../helpers/wait.js';

function pod(name: string, extra: { nodeName?: string; cpu?: string; runSeconds?: number } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(extra.runSeconds !== undefined ? { annotations: { 'sim.k8ts.io/run-seconds': String(extra.runSeconds) } } : {}) },
    spec: {
      ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
      ...(extra.runSeconds !== undefined ? { restartPolicy: 'Never' } : {}),
      containers: [{ name: 'app', image: 'busybox:1.36', ...(extra.cpu ? { resources: { requests: { cpu: extra.cpu }, limits: { cpu: extra.cpu } } } : {}) }],
    },
  };
}

describe('pod GC, resource quota and HPA', () => {
  let cluster: TestCluster;
  const get = async <T>(...args: string[]): Promise<T> => JSON.parse(ok(await cluster.kubectl(['get', ...args, '-o', 'json']))) as T;
  const podNames = async (ns: string): Promise<string[]> => (await get<{ items: Pod[] }>('pods', '-n', ns)).items.map((p) => p.metadata!.name!).sort();

  before(async () => {
    cluster = await startCluster({
      controllerManager: true,
      args: ['--sim-nodes', '3', '--sim-pod-start-delay', '150ms', '--terminated-pod-gc-threshold', '2'],
    });
  });

  after(async () => {
    await cluster?.stop();
  });

  test('finished pods beyond --terminated-pod-gc-threshold are deleted, oldest first', async () => {
    ok(await cluster.kubectl(['create', 'namespace', 'gc']));
    // Created one after the other, so their creation times order them (a second apart: kube's resolution).
    for (const name of ['done-1', 'done-2', 'done-3', 'done-4']) {
      ok(await cluster.kubectl(['create', '-n', 'gc', '-f', '-'], { input: manifest(pod(name, { runSeconds: 1 })) }));
      await new Promise((r) => setTimeout(r, 1100));
    }
    ok(await cluster.kubectl(['create', '-n', 'gc', '-f', '-'], { input: manifest(pod('running')) }));
    await until('the four pods to have succeeded', async () => (await get<{ items: Pod[] }>('pods', '-n', 'gc')).items.filter((p) => p.status?.phase === 'Succeeded').length === 4, 20_000);
    // The collector runs every 20 s; the cluster-wide threshold is 2 finished pods.
    await until('the two oldest finished pods to be deleted', async () => (await podNames('gc')).join(',') === 'done-3,done-4,running', 45_000, 500);
  });

  test('a pod bound to a node that is deleted is removed after the quarantine', async () => {
    const nodes = (await get<{ items: Node[] }>('nodes')).items.map((n) => n.metadata!.name!).filter((n) => n.startsWith('sim-node-')).sort();
    const victim = nodes[nodes.length - 1]!;
    ok(await cluster.kubectl(['create', 'namespace', 'orphans']));
    ok(await cluster.kubectl(['create', '-n', 'orphans', '-f', '-'], { input: manifest(pod('stranded', { nodeName: victim }), pod('elsewhere', { nodeName: nodes[0]! })) }));
    await until('the pods to run', async () => (await get<{ items: Pod[] }>('pods', '-n', 'orphans')).items.every((p) => p.status?.phase === 'Running'));
    ok(await cluster.kubectl(['delete', 'node', victim]));
    // The node must stay missing for 40 s before its pods go; then the next pass deletes them.
    const started = Date.now();
    await until('the stranded pod to be deleted', async () => !(await podNames('orphans')).includes('stranded'), 75_000, 500);
    assert.ok(Date.now() - started >= 35_000, 'not before the quarantine');
    assert.deepEqual(await podNames('orphans'), ['elsewhere']);
  });

  test('kubectl describe quota (and get quota) show the usage of pods as they are created, finish and are deleted', async () => {
    ok(await cluster.kubectl(['create', 'namespace', 'quota']));
    ok(await cluster.kubectl(['create', 'quota', 'compute', '-n', 'quota', '--hard=pods=4,requests.cpu=1,limits.cpu=2,count/configmaps=5']));
    const used = async (): Promise<Record<string, string>> => {
      const out = ok(await cluster.kubectl(['describe', 'quota', 'compute', '-n', 'quota']));
      const rows = lines(out).slice(lines(out).findIndex((l) => l.startsWith('Resource')) + 2);
      return Object.fromEntries(rows.map((l) => l.trim().split(/\s+/)).map(([name, u, hard]) => [name!, `${u}/${hard}`]));
    };
    const expect = async (want: Record<string, string>, what: string): Promise<void> => {
      await until(what, async () => JSON.stringify(await used()) === JSON.stringify(want), 20_000, 200);
    };
    // The namespace's kube-root-ca.crt configmap counts too.
    await until('kube-root-ca.crt to be published', async () => (await cluster.kubectl(['get', 'configmap', 'kube-root-ca.crt', '-n', 'quota'])).code === 0);
    await expect({ 'count/configmaps': '1/5', 'limits.cpu': '0/2', pods: '0/4', 'requests.cpu': '0/1' }, 'an empty namespace');
    ok(await cluster.kubectl(['create', '-n', 'quota', '-f', '-'], { input: manifest(pod('a', { cpu: '200m' }), pod('b', { cpu: '300m' })) }));
    await expect({ 'count/configmaps': '1/5', 'limits.cpu': '500m/2', pods: '2/4', 'requests.cpu': '500m/1' }, 'two pods counted');
    const table = lines(ok(await cluster.kubectl(['get', 'quota', '-n', 'quota'])));
    assert.deepEqual(table[0]!.split(/\s{2,}/), ['NAME', 'AGE', 'REQUEST', 'LIMIT']);
    assert.deepEqual(table[1]!.split(/\s{2,}/).filter((_, i) => i !== 1), ['compute', 'count/configmaps: 1/5, pods: 2/4, requests.cpu: 500m/1', 'limits.cpu: 500m/2']);
    ok(await cluster.kubectl(['create', '-n', 'quota', '-f', '-'], { input: manifest(pod('short', { cpu: '100m', runSeconds: 1 })) }));
    await until('the short pod to succeed', async () => (await get<Pod>('pod', 'short', '-n', 'quota')).status?.phase === 'Succeeded', 20_000);
    await expect({ 'count/configmaps': '1/5', 'limits.cpu': '500m/2', pods: '2/4', 'requests.cpu': '500m/1' }, 'a finished pod to stop counting');
    ok(await cluster.kubectl(['delete', 'pod', 'a', '-n', 'quota', '--wait=false']));
    await expect({ 'count/configmaps': '1/5', 'limits.cpu': '300m/2', pods: '1/4', 'requests.cpu': '300m/1' }, 'a deleted pod to stop counting');
  });

  test('kubectl autoscale brings a 1-replica deployment to --min; get and describe hpa read like kube', async () => {
    ok(await cluster.kubectl(['create', 'namespace', 'hpa']));
    ok(await cluster.kubectl(['create', 'deployment', 'web', '--image=busybox:1.36', '--replicas=1', '-n', 'hpa']));
    ok(await cluster.kubectl(['autoscale', 'deployment', 'web', '--min=3', '--max=5', '-n', 'hpa']));
    await until('the deployment to be scaled to 3', async () => (await get<Deployment>('deployment', 'web', '-n', 'hpa')).spec?.replicas === 3, 20_000, 200);
    await until('3 ready replicas', async () => (await get<Deployment>('deployment', 'web', '-n', 'hpa')).status?.readyReplicas === 3, 20_000, 200);
    // The next sync (15 s later) sees 3 replicas and fails to read CPU: no metrics API is served.
    const hpa = await until(
      'the HPA to report 3 current replicas',
      async () => {
        const h = await get<HorizontalPodAutoscaler>('hpa', 'web', '-n', 'hpa');
        return h.status?.currentReplicas === 3 && h.status.conditions?.some((c) => c.type === 'ScalingActive') ? h : undefined;
      },
      40_000,
      500,
    );
    assert.equal(hpa.status?.desiredReplicas, 3);
    const conditions = Object.fromEntries((hpa.status?.conditions ?? []).map((c) => [c.type, [c.status, c.reason]]));
    assert.deepEqual(conditions, { AbleToScale: ['True', 'SucceededGetScale'], ScalingActive: ['False', 'FailedGetResourceMetric'] });

    const table = lines(ok(await cluster.kubectl(['get', 'hpa', '-n', 'hpa'])));
    assert.deepEqual(table[0]!.split(/\s{2,}/), ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']);
    assert.deepEqual(table[1]!.split(/\s{2,}/).slice(0, 6), ['web', 'Deployment/web', 'cpu: <unknown>/80%', '3', '5', '3']);

    const described = ok(await cluster.kubectl(['describe', 'hpa', 'web', '-n', 'hpa']));
    assert.match(described, /Deployment pods:\s+3 current \/ 3 desired/);
    assert.match(described, /AbleToScale\s+True\s+SucceededGetScale\s+the HPA controller was able to get the target's current scale/);
    assert.match(
      described,
      /ScalingActive\s+False\s+FailedGetResourceMetric\s+the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource \(get pods\.metrics\.k8s\.io\)/,
    );
    assert.match(described, /Normal\s+SuccessfulRescale\s+.*horizontal-pod-autoscaler\s+New size: 3; reason: Current number of replicas below Spec\.MinReplicas/);
    assert.match(described, /Warning\s+FailedGetResourceMetric\s+.*horizontal-pod-autoscaler\s+failed to get cpu utilization: unable to get metrics for resource cpu/);
  });
});
