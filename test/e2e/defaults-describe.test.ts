/**
 * End-to-end: what kube-apiserver fills in on its own, read back with the real kubectl — defaults on a pod, a
 * deployment and a service created with `kubectl create`/`run` — and `kubectl describe` of a pod, a
 * deployment and a node printing without errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { manifest, ok } from '../helpers/kubectl-e2e.js';

describe('defaults and describe', () => {
  let cluster: TestCluster;
  const get = async <T>(...args: string[]): Promise<T> => JSON.parse(ok(await cluster.kubectl(['get', ...args, '-o', 'json']))) as T;

  before(async () => {
    cluster = await startCluster();
    ok(await cluster.kubectl(['create', 'namespace', 'defaults']));
  });
  after(async () => {
    await cluster?.stop();
  });

  test('a pod gets kube\'s defaults: restart and DNS policy, grace period, scheduler, pull policy by tag, protocol', async () => {
    ok(await cluster.kubectl(['-n', 'defaults', 'run', 'web', '--image=nginx:1.27', '--port=80']));
    ok(await cluster.kubectl(['-n', 'defaults', 'run', 'latest', '--image=nginx']));
    const pod = await get<Pod>('-n', 'defaults', 'pod', 'web');
    const spec = pod.spec!;
    assert.equal(spec.restartPolicy, 'Always');
    assert.equal(spec.dnsPolicy, 'ClusterFirst');
    assert.equal(spec.terminationGracePeriodSeconds, 30);
    assert.equal(spec.schedulerName, 'default-scheduler');
    assert.equal(spec.serviceAccountName, 'default');
    assert.deepEqual(spec.securityContext, {});
    const c = spec.containers[0]!;
    assert.equal(c.imagePullPolicy, 'IfNotPresent');
    assert.equal(c.terminationMessagePath, '/dev/termination-log');
    assert.equal(c.terminationMessagePolicy, 'File');
    assert.equal(c.ports![0]!.protocol, 'TCP');
    assert.equal(pod.status!.phase, 'Pending');
    assert.equal(pod.status!.qosClass, 'BestEffort');
    const latest = await get<Pod>('-n', 'defaults', 'pod', 'latest');
    assert.equal(latest.spec!.containers[0]!.imagePullPolicy, 'Always');
  });

  test('a deployment gets replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10, progressDeadlineSeconds 600', async () => {
    ok(await cluster.kubectl(['-n', 'defaults', 'create', 'deployment', 'app', '--image=nginx:1.27']));
    const d = await get<Deployment>('-n', 'defaults', 'deployment', 'app');
    assert.equal(d.spec!.replicas, 1);
    assert.deepEqual(d.spec!.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(d.spec!.revisionHistoryLimit, 10);
    assert.equal(d.spec!.progressDeadlineSeconds, 600);
    assert.equal(d.spec!.template.spec!.restartPolicy, 'Always');
  });

  test('a service gets type ClusterIP, sessionAffinity None, targetPort = port and an allocated cluster IP', async () => {
    const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'app' }, spec: { selector: { app: 'app' }, ports: [{ port: 8080 }] } };
    ok(await cluster.kubectl(['-n', 'defaults', 'create', '-f', '-'], { input: manifest(svc) }));
    const s = await get<Service>('-n', 'defaults', 'service', 'app');
    assert.equal(s.spec!.type, 'ClusterIP');
    assert.equal(s.spec!.sessionAffinity, 'None');
    assert.equal(s.spec!.ports![0]!.targetPort, 8080);
    assert.equal(s.spec!.ports![0]!.protocol, 'TCP');
    assert.match(s.spec!.clusterIP!, /^10\.(9[6-9]|1[01]\d)\.\d+\.\d+$/);
  });

  test('kubectl describe prints a pod, a deployment and a node without errors', async () => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'describe-node', labels: { 'kubernetes.io/hostname': 'describe-node' } },
      status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: '4', memory: '8Gi', pods: '110' } },
    };
    ok(await cluster.kubectl(['create', '-f', '-'], { input: manifest(node) }));
    const pod = await cluster.kubectl(['-n', 'defaults', 'describe', 'pod', 'web']);
    assert.equal(pod.stderr, '');
    assert.match(ok(pod), /^Name:\s+web$/m);
    assert.match(pod.stdout, /^Status:\s+Pending$/m);
    assert.match(pod.stdout, /^QoS Class:\s+BestEffort$/m);
    const deploy = await cluster.kubectl(['-n', 'defaults', 'describe', 'deployment', 'app']);
    assert.equal(deploy.stderr, '');
    assert.match(ok(deploy), /^StrategyType:\s+RollingUpdate$/m);
    assert.match(deploy.stdout, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
    const n = await cluster.kubectl(['describe', 'node', 'describe-node']);
    assert.equal(n.stderr, '');
    assert.match(ok(n), /^Name:\s+describe-node$/m);
    assert.match(n.stdout, /^Allocated resources:$/m);
  });
});
