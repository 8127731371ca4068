/**
 * End-to-end: the endpoint, endpointslice, endpointslicemirroring and disruption controllers and the
 * pods/eviction subresource, with real kubectl on simulated nodes. A Service selecting running pods gets
 * Endpoints and an EndpointSlice with their ready addresses (ports resolved by name) and a deleted pod leaves
 * them; custom Endpoints of a selector-less Service are mirrored into a slice; a PodDisruptionBudget's status
 * follows its pods, evictions it would not allow answer 429, and `kubectl drain` stops at it and succeeds
 * without it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Endpoints, Pod } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { Status } from 'kubernetes-types/meta/v1.js';
import { APIClient } from '../helpers/api-client.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { manifest, ok } from '../helpers/kubectl-e2e.js';
import { until } from '../helpers/wait.js';

const pod = (name: string, labels: Record<string, string>, nodeName?: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'app', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] },
});

describe('endpoints, endpoint slices and disruption budgets', () => {
  let cluster: TestCluster;
  let api: APIClient;
  const get = async <T>(...args: string[]): Promise<T> => JSON.parse(ok(await cluster.kubectl(['get', ...args, '-o', 'json']))) as T;
  const apply = async (...objects: object[]): Promise<void> => {
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: manifest(...objects) }));
  };
  const runningPods = (selector: string, n: number): Promise<Pod[]> =>
    until(`${n} running pods ${selector}`, async () => {
      const { items } = await get<{ items: Pod[] }>('pods', '-l', selector);
      const ready = items.filter((p) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === n ? ready : undefined;
    });
  const slicesOf = async (service: string): Promise<EndpointSlice[]> => (await get<{ items: EndpointSlice[] }>('endpointslices', '-l', `kubernetes.io/service-name=${service}`)).items;

  before(async () => {
    cluster = await startCluster({ controllerManager: true, args: ['--sim-nodes', '3', '--sim-pod-start-delay', '150ms'] });
    api = await APIClient.fromKubeconfig(cluster.kubeconfig);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('a Service selecting 3 running pods gets Endpoints and an EndpointSlice with 3 ready addresses; a deleted pod leaves them', async () => {
    await apply(pod('web-0', { app: 'web' }), pod('web-1', { app: 'web' }), pod('web-2', { app: 'web' }), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    const pods = await runningPods('app=web', 3);
    const ips = pods.map((p) => p.status!.podIP!).sort();

    const ep = await until('Endpoints with 3 ready addresses', async () => {
      const e = await get<Endpoints>('endpoints', 'web');
      return e.subsets?.[0]?.addresses?.length === 3 ? e : undefined;
    });
    assert.equal(ep.subsets!.length, 1);
    const subset = ep.subsets![0]!;
    assert.deepEqual(subset.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.deepEqual(subset.addresses!.map((a) => a.ip).sort(), ips);
    assert.equal(subset.notReadyAddresses, undefined);
    for (const a of subset.addresses!) {
      const p = pods.find((x) => x.status?.podIP === a.ip)!;
      assert.equal(a.nodeName, p.spec?.nodeName);
      assert.deepEqual(a.targetRef, { kind: 'Pod', namespace: 'default', name: p.metadata?.name, uid: p.metadata?.uid });
    }
    assert.match(ok(await cluster.kubectl(['get', 'endpoints', 'web', '--no-headers'])), /^web\s+\S+:8080,\S+:8080,\S+:8080\s/);

    const slice = await until('an EndpointSlice with 3 endpoints', async () => {
      const s = await slicesOf('web');
      return s.length === 1 && s[0]!.endpoints?.length === 3 ? s[0] : undefined;
    });
    assert.equal(slice.addressType, 'IPv4');
    assert.equal(slice.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.match(slice.metadata?.name ?? '', /^web-[a-z0-9]{5}$/);
    assert.deepEqual(slice.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const owner = slice.metadata?.ownerReferences?.[0];
    assert.equal(owner?.kind, 'Service');
    assert.equal(owner?.controller, true);
    for (const e of slice.endpoints!) {
      assert.deepEqual(e.conditions, { ready: true, serving: true, terminating: false });
      const p = pods.find((x) => x.status?.podIP === e.addresses[0])!;
      assert.equal(e.nodeName, p.spec?.nodeName);
      assert.equal(e.targetRef?.name, p.metadata?.name);
      assert.ok(e.zone, 'the node zone is recorded');
    }

    ok(await cluster.kubectl(['delete', 'pod', 'web-0']));
    const gone = pods.find((p) => p.metadata?.name === 'web-0')!.status!.podIP!;
    await until('Endpoints without the deleted pod', async () => {
      const e = await get<Endpoints>('endpoints', 'web');
      const addrs = (e.subsets ?? []).flatMap((s) => [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])]).map((a) => a.ip);
      return addrs.length === 2 && !addrs.includes(gone);
    });
    await until('EndpointSlice without the deleted pod', async () => {
      const s = await slicesOf('web');
      const addrs = s.flatMap((x) => x.endpoints ?? []).map((e) => e.addresses[0]);
      return s.length === 1 && addrs.length === 2 && !addrs.includes(gone);
    });

    // The Service gone, its Endpoints and slices go too.
    ok(await cluster.kubectl(['delete', 'service', 'web']));
    await until('Endpoints deleted', async () => (await cluster.kubectl(['get', 'endpoints', 'web'])).code !== 0);
    await until('EndpointSlices deleted', async () => (await slicesOf('web')).length === 0);
  });

  test('custom Endpoints of a Service without a selector are mirrored into an EndpointSlice', async () => {
    await apply(
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'external', namespace: 'default' }, spec: { ports: [{ name: 'pg', port: 5432 }] } },
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'external', namespace: 'default' },
        subsets: [{ addresses: [{ ip: '10.1.2.3' }], notReadyAddresses: [{ ip: '10.1.2.4' }], ports: [{ name: 'pg', port: 5432 }] }],
      },
    );
    const slice = await until('a mirrored slice', async () => (await slicesOf('external'))[0]);
    assert.equal(slice.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslicemirroring-controller.k8s.io');
    assert.deepEqual(slice.ports, [{ name: 'pg', port: 5432, protocol: 'TCP' }]);
    assert.deepEqual(
      slice.endpoints?.map((e) => [e.addresses[0], e.conditions?.ready]),
      [
        ['10.1.2.3', true],
        ['10.1.2.4', false],
      ],
    );
    // The apiserver's own `kubernetes` Endpoints are not mirrored, nor overwritten.
    const mirrored = (await get<{ items: EndpointSlice[] }>('endpointslices', '-n', 'default', '-l', 'endpointslice.kubernetes.io/managed-by=endpointslicemirroring-controller.k8s.io')).items;
    assert.deepEqual(mirrored.map((s) => s.metadata?.labels?.['kubernetes.io/service-name']), ['external']);
  });

  test('a PodDisruptionBudget tracks its pods; evictions it forbids answer 429 and kubectl drain stops at it', async () => {
    const nodeName = 'sim-node-2';
    await apply(pod('db-0', { app: 'db' }, nodeName), pod('db-1', { app: 'db' }, nodeName), {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'db', namespace: 'default' },
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'db' } } },
    });
    await runningPods('app=db', 2);
    const pdb = await until('PDB status', async () => {
      const p = await get<PodDisruptionBudget>('pdb', 'db');
      return p.status?.currentHealthy === 2 ? p : undefined;
    });
    assert.equal(pdb.status?.desiredHealthy, 2);
    assert.equal(pdb.status?.expectedPods, 2);
    assert.equal(pdb.status?.disruptionsAllowed, 0);
    assert.equal(pdb.status?.observedGeneration, 1);
    const cond = pdb.status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
    assert.equal(cond?.status, 'False');
    assert.equal(cond?.reason, 'InsufficientPods');
    assert.match(ok(await cluster.kubectl(['get', 'pdb', 'db', '--no-headers'])), /^db\s+2\s+N\/A\s+0\s/);

    // The eviction API refuses with kube's status.
    const eviction = (name: string): string => JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } });
    const refused = await api.request('POST', '/api/v1/namespaces/default/pods/db-0/eviction', { body: eviction('db-0'), headers: { 'Content-Type': 'application/json' } });
    assert.equal(refused.status, 429);
    const status = JSON.parse(refused.body.toString()) as Status;
    assert.equal(status.reason, 'TooManyRequests');
    assert.equal(status.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.deepEqual(status.details?.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget db needs 2 healthy pods and has 2 currently' }]);

    // Discovery names the subresource as kubectl drain looks for it; only POST is served; a missing pod is 404.
    const v1 = JSON.parse((await api.request('GET', '/api/v1')).body.toString()) as { resources: Array<{ name: string; kind: string; group?: string; version?: string; verbs: string[] }> };
    const sub = v1.resources.find((r) => r.name === 'pods/eviction');
    assert.deepEqual([sub?.kind, sub?.group, sub?.version, sub?.verbs], ['Eviction', 'policy', 'v1', ['create']]);
    assert.equal((await api.request('GET', '/api/v1/namespaces/default/pods/db-0/eviction')).status, 405);
    const missing = await api.request('POST', '/api/v1/namespaces/default/pods/nope/eviction', { body: eviction('nope'), headers: { 'Content-Type': 'application/json' } });
    assert.equal(missing.status, 404);
    assert.equal((JSON.parse(missing.body.toString()) as Status).message, 'pods "nope" not found');

    // kubectl drain cordons, keeps retrying the eviction, and gives up at its timeout.
    const drain = await cluster.kubectl(['drain', nodeName, '--force', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=4s'], { timeoutMs: 30_000 });
    assert.notEqual(drain.code, 0);
    assert.match(drain.stderr + drain.stdout, /Cannot evict pod as it would violate the pod's disruption budget\./);
    assert.match(drain.stderr, /global timeout reached: 4s/);
    assert.match(ok(await cluster.kubectl(['get', 'node', nodeName, '--no-headers'])), /SchedulingDisabled/);
    assert.equal((await get<{ items: Pod[] }>('pods', '-l', 'app=db')).items.length, 2);

    // With minAvailable 1 one eviction is allowed, and spends the budget at once.
    ok(await cluster.kubectl(['patch', 'pdb', 'db', '--type=merge', '-p', '{"spec":{"minAvailable":1}}']));
    await until('one disruption allowed', async () => {
      const p = await get<PodDisruptionBudget>('pdb', 'db');
      return p.status?.observedGeneration === 2 && p.status.disruptionsAllowed === 1;
    });
    // A dry run checks the budget and deletes nothing.
    const dry = await api.request('POST', '/api/v1/namespaces/default/pods/db-0/eviction?dryRun=All', { body: eviction('db-0'), headers: { 'Content-Type': 'application/json' } });
    assert.equal(dry.status, 201, dry.body.toString());
    assert.equal((await get<Pod>('pod', 'db-0')).metadata?.deletionTimestamp, undefined);
    assert.equal((await get<PodDisruptionBudget>('pdb', 'db')).status?.disruptionsAllowed, 1);
    const allowed = await api.request('POST', '/api/v1/namespaces/default/pods/db-0/eviction', { body: eviction('db-0'), headers: { 'Content-Type': 'application/json' } });
    assert.equal(allowed.status, 201, allowed.body.toString());
    const second = await api.request('POST', '/api/v1/namespaces/default/pods/db-1/eviction', { body: eviction('db-1'), headers: { 'Content-Type': 'application/json' } });
    assert.equal(second.status, 429, 'the budget was spent by the first eviction');
    await until('db-0 gone', async () => (await cluster.kubectl(['get', 'pod', 'db-0'])).code !== 0);
    await until('PDB after the eviction', async () => {
      const p = await get<PodDisruptionBudget>('pdb', 'db');
      return p.status?.currentHealthy === 1 && p.status.disruptionsAllowed === 0 && p.status.expectedPods === 1 && !p.status.disruptedPods?.['db-0'];
    });

    // Without the budget, drain evicts what is left and succeeds.
    ok(await cluster.kubectl(['delete', 'pdb', 'db']));
    const drained = await cluster.kubectl(['drain', nodeName, '--force', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=30s'], { timeoutMs: 60_000 });
    assert.equal(drained.code, 0, drained.stderr);
    assert.match(drained.stdout, /evicting pod default\/db-1/);
    assert.match(drained.stdout, new RegExp(`node/${nodeName} drained`));
    assert.equal((await get<{ items: Pod[] }>('pods', '-l', 'app=db')).items.length, 0);
    ok(await cluster.kubectl(['uncordon', nodeName]));
  });
});
