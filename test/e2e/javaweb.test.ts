/**
 * The scenarios of ../shared/scenarios with real containers (needs root, containerd, runc and the CNI plugins,
 * which CI installs): the javaweb pod (init container + shared emptyDir + hostPort) served on
 * 127.0.0.1:8001, `kubectl logs` and `exec` into it, an image change that restarts only the changed container;
 * and the javaweb Deployment rolled from v2 to v3 and back, a deleted pod replaced, a killed container restarted
 * and counted.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { ensureTestImages } from '../helpers/images.js';
import { ok } from '../helpers/kubectl-e2e.js';
import { until } from '../helpers/wait.js';
import { containerdSocketPath } from '../../src/kubelet/containerd/config.js';
import { httpText } from '../helpers/http.js';

const run = promisify(execFile);
/** Copies of ../shared/scenarios/*.yaml, unchanged, so a clean clone carries them. */
const SCENARIOS = fileURLToPath(new URL('../../../test/fixtures/scenarios/', import.meta.url));
const scenario = (file: string): string => join(SCENARIOS, file);

async function pod(cluster: TestCluster, name: string): Promise<Pod> {
  return JSON.parse(ok(await cluster.kubectl(['get', 'pod', name, '-o', 'json']))) as Pod;
}

async function pods(cluster: TestCluster, selector: string): Promise<Pod[]> {
  return (JSON.parse(ok(await cluster.kubectl(['get', 'pods', '-l', selector, '-o', 'json']))) as { items: Pod[] }).items;
}


describe('javaweb scenarios on real containers (root, containerd)', () => {
  let cluster: TestCluster;

  before(async () => {
    await ensureTestImages();
    cluster = await startCluster({ controllerManager: true, kubelet: true, args: ['--pod-cidr', '10.250.7.0/24', '--kubelet-port', '0'] });
    await until('the node is Ready', async () => {
      const r = await cluster.kubectl(['get', 'nodes', '--no-headers']);
      return r.code === 0 && / Ready /.test(r.stdout);
    }, 30_000);
    // Pods need the default ServiceAccount and kube-root-ca.crt for their token volume.
    await until('the default service account', async () => (await cluster.kubectl(['get', 'serviceaccount', 'default'])).code === 0, 20_000);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('javaweb-pod: the init container fills the volume the web server serves on hostPort 8001', async () => {
    ok(await cluster.kubectl(['apply', '-f', scenario('javaweb-pod.yaml')]));
    await until('javaweb-2 1/1 Running', async () => {
      const r = await cluster.kubectl(['get', 'pod', 'javaweb-2', '--no-headers']);
      return /\s1\/1\s+Running\s/.test(r.stdout);
    }, 60_000);
    assert.equal(await until('sample.war on 127.0.0.1:8001', () => httpText('http://127.0.0.1:8001/sample.war'), 10_000), 'sample v2\n');
    ok(await cluster.kubectl(['logs', 'javaweb-2', '-c', 'web']));
    assert.equal(ok(await cluster.kubectl(['exec', 'javaweb-2', '-c', 'web', '--', 'cat', '/srv/webapps/sample.war'])), 'sample v2\n');

    const p = await pod(cluster, 'javaweb-2');
    assert.equal(p.status?.initContainerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
    assert.match(p.status?.podIP ?? '', /^10\.250\.7\./);
    const describe = ok(await cluster.kubectl(['describe', 'pod', 'javaweb-2']));
    assert.match(describe, /Started container web/);
    assert.match(describe, /Successfully pulled image "127\.0\.0\.1:5000\/k8ts\/sample-war:v2"|Container image "127\.0\.0\.1:5000\/k8ts\/sample-war:v2" already present/);
  });

  test('javaweb-pod: kubectl set image restarts only the web container; the pod keeps its UID, IP and node', async () => {
    const before = await pod(cluster, 'javaweb-2');
    ok(await cluster.kubectl(['set', 'image', 'pod/javaweb-2', 'web=127.0.0.1:5000/k8ts/webserver:1.1']));
    // busybox httpd as PID 1 ignores SIGTERM: the kubelet kills it after the 30 s grace period, as kube's does.
    const after = await until('web restarted once on 1.1', async () => {
      const p = await pod(cluster, 'javaweb-2');
      const web = p.status?.containerStatuses?.find((c) => c.name === 'web');
      return web?.restartCount === 1 && web.ready && web.image === '127.0.0.1:5000/k8ts/webserver:1.1' && p;
    }, 60_000, 500);
    assert.equal(after.metadata?.uid, before.metadata?.uid);
    assert.equal(after.status?.podIP, before.status?.podIP);
    assert.equal(after.spec?.nodeName, before.spec?.nodeName);
    assert.equal(after.status?.initContainerStatuses?.[0]?.restartCount, 0, 'the init container did not run again');
    assert.equal(ok(await cluster.kubectl(['exec', 'javaweb-2', '-c', 'web', '--', 'cat', '/VERSION'])).trim(), '1.1');
    assert.equal(await until('sample.war still served', () => httpText('http://127.0.0.1:8001/sample.war'), 10_000), 'sample v2\n');
    ok(await cluster.kubectl(['delete', 'pod', 'javaweb-2', '--grace-period=1']));
  });

  test('javaweb-deployment: rolls out 3/3, to v3 one pod at a time, back to v2 with rollout undo', async () => {
    ok(await cluster.kubectl(['apply', '-f', scenario('javaweb-deployment.yaml')]));
    ok(await cluster.kubectl(['rollout', 'status', 'deploy/javaweb', '--timeout=120s'], { timeoutMs: 130_000 }));
    const warOf = async (p: Pod): Promise<string> => ok(await cluster.kubectl(['exec', p.metadata!.name!, '-c', 'web', '--', 'cat', '/srv/webapps/sample.war'])).trim();
    const ready = (await pods(cluster, 'app=javaweb')).filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    assert.equal(ready.length, 3);
    for (const p of ready) assert.equal(await warOf(p), 'sample v2');

    ok(await cluster.kubectl(['set', 'image', 'deploy/javaweb', 'war=127.0.0.1:5000/k8ts/sample-war:v3']));
    ok(await cluster.kubectl(['rollout', 'status', 'deploy/javaweb', '--timeout=120s'], { timeoutMs: 130_000 }));
    const v3 = (await pods(cluster, 'app=javaweb')).filter((p) => !p.metadata?.deletionTimestamp && p.spec?.initContainers?.[0]?.image?.endsWith(':v3'));
    assert.equal(v3.length, 3);
    for (const p of v3) assert.equal(await warOf(p), 'sample v3');
    const history = ok(await cluster.kubectl(['rollout', 'history', 'deploy/javaweb']));
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);

    ok(await cluster.kubectl(['rollout', 'undo', 'deploy/javaweb']));
    ok(await cluster.kubectl(['rollout', 'status', 'deploy/javaweb', '--timeout=120s'], { timeoutMs: 130_000 }));
    const back = (await pods(cluster, 'app=javaweb')).filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running');
    const v2 = back.filter((p) => p.spec?.initContainers?.[0]?.image?.endsWith(':v2'));
    assert.equal(v2.length, 3);
    for (const p of v2) assert.equal(await warOf(p), 'sample v2');
  });

  test('javaweb-deployment: a deleted pod is replaced; a killed web container is restarted and counted', async () => {
    const live = (await pods(cluster, 'app=javaweb')).filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running');
    const victim = live[0]!;
    ok(await cluster.kubectl(['delete', 'pod', victim.metadata!.name!, '--wait=false']));
    await until('three ready pods again, without the deleted one', async () => {
      const ps = (await pods(cluster, 'app=javaweb')).filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ps.length === 3 && !ps.some((p) => p.metadata?.uid === victim.metadata?.uid);
    }, 60_000, 500);

    const target = live[1]!;
    const web = target.status!.containerStatuses!.find((c) => c.name === 'web')!;
    const id = web.containerID!.replace('containerd://', '');
    // Kill the web server from the host (PID 1 of its container cannot be signalled from inside).
    await run('ctr', ['--address', containerdSocketPath(join(cluster.dataDir, 'containerd')), '-n', 'k8s.io', 'task', 'kill', '-s', 'SIGKILL', id]);
    const restarted = await until('web restarted and counted', async () => {
      const p = await pod(cluster, target.metadata!.name!);
      const s = p.status?.containerStatuses?.find((c) => c.name === 'web');
      return s && s.restartCount === (web.restartCount ?? 0) + 1 && s.ready && s;
    }, 30_000, 300);
    assert.equal(restarted.lastState?.terminated?.exitCode, 137);
    const get = ok(await cluster.kubectl(['get', 'pod', target.metadata!.name!, '--no-headers']));
    assert.match(get, /1\/1\s+Running\s+1 \(/);
  });
});
