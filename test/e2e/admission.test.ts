/**
 * End-to-end: admission plugins seen through the real kubectl against the real `k8ts up` — LimitRanger,
 * ResourceQuota, ServiceAccount, Priority, DefaultStorageClass and DefaultTolerationSeconds. Each test works
 * in its own namespace of one shared cluster.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { failed, manifest, ok } from '../helpers/kubectl-e2e.js';
import { until } from '../helpers/wait.js';

function pod(name: string, namespace: string, extra: { resources?: object; spec?: object } = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: 'app', image: 'busybox:1.36', ...(extra.resources ? { resources: extra.resources } : {}) }], ...(extra.spec ?? {}) },
  };
}

describe('admission plugins', () => {
  let cluster: TestCluster;
  const k = (args: string[], input?: string) => cluster.kubectl(args, input === undefined ? {} : { input });
  const namespace = async (name: string) => ok(await k(['create', 'namespace', name]));
  const getPod = async (ns: string, name: string): Promise<Pod> => JSON.parse(ok(await k(['get', 'pod', name, '-n', ns, '-o', 'json']))) as Pod;

  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  test('LimitRanger fills in default limits and requests, and refuses a container above the max', async () => {
    await namespace('lr');
    const lr = {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'limits', namespace: 'lr' },
      spec: { limits: [{ type: 'Container', max: { cpu: '1' }, default: { cpu: '500m', memory: '128Mi' }, defaultRequest: { cpu: '100m' } }] },
    };
    ok(await k(['apply', '-f', '-'], manifest(lr)));
    ok(await k(['apply', '-f', '-'], manifest(pod('defaulted', 'lr'))));
    const p = await getPod('lr', 'defaulted');
    assert.deepEqual(p.spec?.containers[0]?.resources, { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    assert.match(p.metadata?.annotations?.['kubernetes.io/limit-ranger'] ?? '', /^LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app$/);
    const err = failed(await k(['apply', '-f', '-'], manifest(pod('big', 'lr', { resources: { limits: { cpu: '2' } } }))));
    assert.match(err, /pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2/);
  });

  test('ResourceQuota refuses the pod past the limit, and describe quota shows what is used', async () => {
    await namespace('rq');
    const quota = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'rq' }, spec: { hard: { pods: '2', 'requests.cpu': '1' } } };
    ok(await k(['apply', '-f', '-'], manifest(quota)));
    const small = { requests: { cpu: '100m' } };
    ok(await k(['apply', '-f', '-'], manifest(pod('p1', 'rq', { resources: small }), pod('p2', 'rq', { resources: small }))));
    const err = failed(await k(['apply', '-f', '-'], manifest(pod('p3', 'rq', { resources: small }))));
    assert.match(err, /pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2/);
    await until('quota status to show 2 pods', async () => /pods\s+2\s+2/.test(ok(await k(['describe', 'quota', 'q', '-n', 'rq']))));
    const described = ok(await k(['describe', 'quota', 'q', '-n', 'rq']));
    assert.match(described, /Resource\s+Used\s+Hard/);
    assert.match(described, /requests\.cpu\s+200m\s+1/);
    // Deleting a pod gives its room back.
    ok(await k(['delete', 'pod', 'p1', '-n', 'rq']));
    await until('quota status to show 1 pod', async () => /pods\s+1\s+2/.test(ok(await k(['describe', 'quota', 'q', '-n', 'rq']))));
    ok(await k(['apply', '-f', '-'], manifest(pod('p3', 'rq', { resources: small }))));
    // A pod that sets no cpu request cannot be counted against requests.cpu.
    ok(await k(['delete', 'pod', 'p3', '-n', 'rq']));
    const unset = failed(await k(['apply', '-f', '-'], manifest(pod('p4', 'rq'))));
    assert.match(unset, /pods "p4" is forbidden: failed quota: q: must specify requests.cpu/);
  });

  test('ResourceQuota holds under concurrent creates: no overshoot', async () => {
    await namespace('rq-race');
    ok(await k(['create', 'quota', 'q', '--hard=secrets=3', '-n', 'rq-race']));
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => k(['create', 'secret', 'generic', `s-${i}`, '-n', 'rq-race'])));
    assert.equal(results.filter((r) => r.code === 0).length, 3, results.map((r) => r.stderr).join(""));
    for (const r of results.filter((x) => x.code !== 0)) assert.match(r.stderr, /exceeded quota: q, requested: secrets=1, used: secrets=3, limited: secrets=3/);
  });

  test('ServiceAccount: the pod runs as default and gets the projected API access volume', async () => {
    await namespace('sa');
    ok(await k(['apply', '-f', '-'], manifest(pod('p', 'sa', { spec: { initContainers: [{ name: 'init', image: 'busybox:1.36' }] } }))));
    const p = await getPod('sa', 'p');
    assert.equal(p.spec?.serviceAccountName, 'default');
    const volume = p.spec?.volumes?.find((v) => v.name.startsWith('kube-api-access-'));
    assert.ok(volume, 'the kube-api-access volume');
    assert.match(volume.name, /^kube-api-access-[a-z0-9]{5}$/);
    assert.deepEqual(volume.projected?.sources, [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ]);
    for (const c of [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])]) {
      assert.deepEqual(c.volumeMounts, [{ name: volume.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    }
    // automountServiceAccountToken: false on the account keeps the token out.
    ok(await k(['apply', '-f', '-'], manifest({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'quiet', namespace: 'sa' }, automountServiceAccountToken: false })));
    ok(await k(['apply', '-f', '-'], manifest(pod('q', 'sa', { spec: { serviceAccountName: 'quiet' } }))));
    const q = await getPod('sa', 'q');
    assert.equal(q.spec?.volumes, undefined);
    const err = failed(await k(['apply', '-f', '-'], manifest(pod('r', 'sa', { spec: { serviceAccountName: 'missing' } }))));
    assert.match(err, /pods "r" is forbidden: error looking up service account sa\/missing: serviceaccount "missing" not found/);
  });

  test('ServiceAccount: a pod created together with its namespace waits for the default account', async () => {
    // One apply: the namespace, then at once a pod in it, before the serviceaccount controller has run.
    ok(await k(['apply', '-f', '-'], manifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sa-new' } }, pod('first', 'sa-new'))));
    const p = await getPod('sa-new', 'first');
    assert.equal(p.spec?.serviceAccountName, 'default');
    assert.ok(p.spec?.volumes?.some((v) => v.name.startsWith('kube-api-access-')));
  });

  test('Priority resolves priorityClassName, and refuses an unknown class', async () => {
    await namespace('prio');
    ok(await k(['apply', '-f', '-'], manifest({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000, preemptionPolicy: 'Never' })));
    ok(await k(['apply', '-f', '-'], manifest(pod('hi', 'prio', { spec: { priorityClassName: 'high' } }), pod('crit', 'prio', { spec: { priorityClassName: 'system-node-critical' } }), pod('plain', 'prio'))));
    const hi = await getPod('prio', 'hi');
    assert.deepEqual([hi.spec?.priority, hi.spec?.preemptionPolicy], [1000, 'Never']);
    assert.equal((await getPod('prio', 'crit')).spec?.priority, 2000001000);
    assert.deepEqual([(await getPod('prio', 'plain')).spec?.priority, (await getPod('prio', 'plain')).spec?.preemptionPolicy], [0, 'PreemptLowerPriority']);
    // kube-apiserver's built-in classes are there to be listed.
    assert.equal(ok(await k(['get', 'priorityclass', 'system-cluster-critical', '-o', 'jsonpath={.value}'])), '2000000000');
    const err = failed(await k(['apply', '-f', '-'], manifest(pod('x', 'prio', { spec: { priorityClassName: 'foo' } }))));
    assert.match(err, /pods "x" is forbidden: no PriorityClass with name foo was found/);
  });

  test('DefaultStorageClass gives a claim without a class the default one', async () => {
    await namespace('sc');
    const sc = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'k8ts.io/local' };
    ok(await k(['apply', '-f', '-'], manifest(sc)));
    const claim = (name: string, spec: object = {}) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: 'sc' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
    });
    ok(await k(['apply', '-f', '-'], manifest(claim('c1'), claim('c2', { storageClassName: '' }))));
    const get = async (name: string) => JSON.parse(ok(await k(['get', 'pvc', name, '-n', 'sc', '-o', 'json']))) as PersistentVolumeClaim;
    assert.equal((await get('c1')).spec?.storageClassName, 'standard');
    assert.equal((await get('c2')).spec?.storageClassName, '');
  });

  test('DefaultTolerationSeconds adds the not-ready and unreachable tolerations', async () => {
    await namespace('tol');
    ok(await k(['apply', '-f', '-'], manifest(pod('p', 'tol'))));
    assert.deepEqual((await getPod('tol', 'p')).spec?.tolerations, [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    const own = [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }];
    ok(await k(['apply', '-f', '-'], manifest(pod('q', 'tol', { spec: { tolerations: own } }))));
    assert.deepEqual((await getPod('tol', 'q')).spec?.tolerations, [...own, { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]);
  });
});
