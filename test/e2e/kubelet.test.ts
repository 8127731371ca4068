/**
 * The node agent on real containers, through kubectl (needs root, containerd, runc and the CNI plugins, which
 * CI installs): crash-loop back-off in `kubectl get pods`, an OOMKilled container, liveness restarting a hung
 * container, readiness gating Ready, a configMap update seen by a running pod, graceful deletion running
 * preStop, env from the downward API and configMaps, and a missing configMap holding a container in
 * CreateContainerConfigError.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { ensureTestImages, testImage } from '../helpers/images.js';
import { ok } from '../helpers/kubectl-e2e.js';
import { until } from '../helpers/wait.js';

const IMAGE = testImage('k8ts/webserver', '1.0');

async function pod(cluster: TestCluster, name: string): Promise<Pod> {
  return JSON.parse(ok(await cluster.kubectl(['get', 'pod', name, '-o', 'json']))) as Pod;
}

function apply(cluster: TestCluster, manifest: object): Promise<void> {
  return cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest) }).then((r) => void ok(r));
}

function podManifest(name: string, spec: Record<string, unknown>): object {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 1, ...spec } };
}

describe('node agent on real containers (root, containerd)', () => {
  let cluster: TestCluster;

  before(async () => {
    await ensureTestImages();
    cluster = await startCluster({ controllerManager: true, kubelet: true, args: ['--pod-cidr', '10.250.8.0/24', '--kubelet-port', '0', '--sync-frequency', '2s'] });
    await until('the node is Ready', async () => / Ready /.test((await cluster.kubectl(['get', 'nodes', '--no-headers'])).stdout), 30_000);
    await until('the default service account', async () => (await cluster.kubectl(['get', 'serviceaccount', 'default'])).code === 0, 20_000);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('the node reports its machine, runtime and conditions', async () => {
    const wide = ok(await cluster.kubectl(['get', 'nodes', '-o', 'wide']));
    assert.match(wide, /containerd:\/\/1\.6/);
    const describe = ok(await cluster.kubectl(['describe', 'nodes']));
    assert.match(describe, /Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status/);
    assert.match(describe, /MemoryPressure\s+False/);
    assert.match(describe, /Kubelet Version:\s+v1\.32/);
    assert.match(describe, /PodCIDR:\s+10\.250\.8\.0\/24/);
  });

  test('the Summary API reports the node and its pods through the apiserver\'s node proxy', async () => {
    await apply(cluster, podManifest('measured', { containers: [{ name: 'app', image: IMAGE, command: ['sleep', '3600'] }] }));
    await until('measured running', async () => (await pod(cluster, 'measured')).status?.containerStatuses?.[0]?.state?.running, 60_000, 250);
    const node = (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    type Summary = { node: { nodeName: string; memory?: { workingSetBytes?: number } }; pods: { podRef: { name: string }; containers: { name: string; memory?: { workingSetBytes?: number }; cpu?: { usageCoreNanoSeconds?: number } }[] }[] };
    const summary = await until('the pod in the summary', async () => {
      const r = await cluster.kubectl(['get', '--raw', `/api/v1/nodes/${node}/proxy/stats/summary`]);
      const s = r.code === 0 ? (JSON.parse(r.stdout) as Summary) : undefined;
      return s?.pods.some((p) => p.podRef.name === 'measured') && s;
    }, 20_000, 500);
    assert.equal(summary.node.nodeName, node);
    assert.ok((summary.node.memory?.workingSetBytes ?? 0) > 0);
    const c = summary.pods.find((p) => p.podRef.name === 'measured')!.containers.find((x) => x.name === 'app')!;
    assert.ok((c.memory?.workingSetBytes ?? 0) > 0, 'the container\'s memory comes from its cgroup');
    assert.ok((c.cpu?.usageCoreNanoSeconds ?? 0) > 0);
    ok(await cluster.kubectl(['delete', 'pod', 'measured', '--wait=false']));
  });

  test('securityContext and the termination message reach the container', async () => {
    await apply(cluster, podManifest('secured', {
      restartPolicy: 'Never',
      securityContext: { runAsUser: 1234, runAsGroup: 2345 },
      containers: [{
        name: 'app',
        image: IMAGE,
        command: ['sh', '-c', 'echo "uid=$(id -u) gid=$(id -g)"; touch /probe 2>/dev/null && echo writable || echo read-only; echo bye > /dev/termination-log; exit 4'],
        securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
      }],
    }));
    const p = await until('secured Failed', async () => {
      const q = await pod(cluster, 'secured');
      return q.status?.phase === 'Failed' && q;
    }, 60_000, 250);
    const t = p.status!.containerStatuses![0]!.state!.terminated!;
    assert.equal(t.exitCode, 4);
    assert.equal(t.message, 'bye\n');
    assert.equal(ok(await cluster.kubectl(['logs', 'secured'])), 'uid=1234 gid=2345\nread-only\n');
  });

  test('terminationMessagePolicy FallbackToLogsOnError: a failed container\'s message is the tail of its log', async () => {
    await apply(cluster, podManifest('fallback', {
      restartPolicy: 'Never',
      containers: [{ name: 'app', image: IMAGE, terminationMessagePolicy: 'FallbackToLogsOnError', command: ['sh', '-c', 'echo first; echo -n "last "; echo words; exit 2'] }],
    }));
    const p = await until('fallback Failed', async () => {
      const q = await pod(cluster, 'fallback');
      return q.status?.phase === 'Failed' && q;
    }, 60_000, 250);
    assert.equal(p.status!.containerStatuses![0]!.state!.terminated!.message, 'first\nlast words\n');
  });

  test('a crashing container shows CrashLoopBackOff and counts its restarts', async () => {
    await apply(cluster, podManifest('crasher', { containers: [{ name: 'c', image: IMAGE, command: ['sh', '-c', 'echo dying; exit 3'] }] }));
    const line = await until('CrashLoopBackOff in kubectl get pods', async () => {
      const out = (await cluster.kubectl(['get', 'pod', 'crasher', '--no-headers'])).stdout;
      return /CrashLoopBackOff/.test(out) && out;
    }, 60_000, 250);
    assert.match(line, /0\/1\s+CrashLoopBackOff\s+[12] \(/);
    const p = await pod(cluster, 'crasher');
    const s = p.status!.containerStatuses![0]!;
    assert.equal(s.state?.waiting?.reason, 'CrashLoopBackOff');
    assert.match(s.state?.waiting?.message ?? '', /^back-off (10|20)s restarting failed container=c pod=crasher_default\(/);
    assert.equal(s.lastState?.terminated?.exitCode, 3);
    assert.equal(s.lastState?.terminated?.reason, 'Error');
    assert.equal(p.status?.phase, 'Running');
    assert.equal(ok(await cluster.kubectl(['logs', 'crasher', '--previous'])).trim(), 'dying');
    const events = ok(await cluster.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=crasher']));
    assert.match(events, /BackOff\s+pod\/crasher\s+Back-off restarting failed container c in pod crasher_default/);
    ok(await cluster.kubectl(['delete', 'pod', 'crasher', '--wait=false']));
  });

  test('a container over its memory limit is OOMKilled', async () => {
    // tail holds /dev/zero's endless line in memory until the cgroup limit kills it.
    await apply(cluster, podManifest('oom', {
      restartPolicy: 'Never',
      containers: [{ name: 'hog', image: IMAGE, command: ['sh', '-c', 'tail /dev/zero'], resources: { limits: { memory: '20Mi' } } }],
    }));
    const p = await until('the pod Failed', async () => {
      const q = await pod(cluster, 'oom');
      return q.status?.phase === 'Failed' && q;
    }, 60_000, 250);
    const t = p.status!.containerStatuses![0]!.state!.terminated!;
    assert.equal(t.reason, 'OOMKilled');
    assert.equal(t.exitCode, 137);
    assert.match(ok(await cluster.kubectl(['get', 'pod', 'oom', '--no-headers'])), /0\/1\s+OOMKilled\s+0/);
  });

  test('a failing liveness probe restarts a hung container', async () => {
    // The server answers until /tmp/hang appears; then the probe's GET of /alive fails.
    await apply(cluster, podManifest('hung', {
      containers: [{
        name: 'web',
        image: IMAGE,
        command: ['sh', '-c', 'mkdir -p /w && echo ok > /w/alive && httpd -f -p 8080 -h /w'],
        livenessProbe: { httpGet: { path: '/alive', port: 8080 }, periodSeconds: 1, failureThreshold: 2 },
      }],
    }));
    await until('hung running', async () => (await pod(cluster, 'hung')).status?.containerStatuses?.[0]?.state?.running, 60_000, 250);
    ok(await cluster.kubectl(['exec', 'hung', '--', 'rm', '/w/alive']));
    const s = await until('restarted by liveness', async () => {
      const c = (await pod(cluster, 'hung')).status?.containerStatuses?.[0];
      return c && c.restartCount >= 1 && c;
    }, 60_000, 250);
    assert.ok(s.lastState?.terminated, 'the killed instance is lastState');
    const events = ok(await cluster.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=hung']));
    assert.match(events, /Unhealthy\s+pod\/hung\s+Liveness probe failed: HTTP probe failed with statuscode: 404/);
    assert.match(events, /Killing\s+pod\/hung\s+Container web failed liveness probe, will be restarted/);
    ok(await cluster.kubectl(['delete', 'pod', 'hung', '--wait=false']));
  });

  test('readiness gates the Ready condition', async () => {
    await apply(cluster, podManifest('gated', {
      containers: [{
        name: 'web',
        image: IMAGE,
        command: ['sh', '-c', 'mkdir -p /w && httpd -f -p 8080 -h /w'],
        readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 1 },
      }],
    }));
    await until('gated running', async () => (await pod(cluster, 'gated')).status?.containerStatuses?.[0]?.state?.running, 60_000, 250);
    await new Promise((r) => setTimeout(r, 2500));
    let p = await pod(cluster, 'gated');
    const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'False');
    assert.equal(ready?.message, 'containers with unready status: [web]');
    assert.match(ok(await cluster.kubectl(['get', 'pod', 'gated', '--no-headers'])), /0\/1\s+Running/);
    ok(await cluster.kubectl(['exec', 'gated', '--', 'sh', '-c', 'echo yes > /w/ready']));
    p = await until('Ready', async () => {
      const q = await pod(cluster, 'gated');
      return q.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && q;
    }, 20_000, 250);
    assert.equal(p.status?.containerStatuses?.[0]?.ready, true);
    ok(await cluster.kubectl(['delete', 'pod', 'gated', '--wait=false']));
  });

  test('a configMap update reaches the running pod; env comes from the downward API and the configMap', async () => {
    ok(await cluster.kubectl(['create', 'configmap', 'settings', '--from-literal=color=blue']));
    await apply(cluster, podManifest('reader', {
      containers: [{
        name: 'app',
        image: IMAGE,
        command: ['sleep', '3600'],
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'settings', key: 'color' } } },
          { name: 'GREETING', value: 'hello $(POD_NAME)' },
        ],
        volumeMounts: [{ name: 'settings', mountPath: '/etc/settings' }],
      }],
      volumes: [{ name: 'settings', configMap: { name: 'settings' } }],
    }));
    await until('reader running', async () => (await pod(cluster, 'reader')).status?.containerStatuses?.[0]?.state?.running, 60_000, 250);
    const env = ok(await cluster.kubectl(['exec', 'reader', '--', 'env']));
    assert.match(env, /^POD_NAME=reader$/m);
    assert.match(env, /^COLOR=blue$/m);
    assert.match(env, /^GREETING=hello reader$/m);
    assert.match(env, /^POD_IP=10\.250\.8\.\d+$/m);
    assert.match(env, /^KUBERNETES_SERVICE_HOST=10\.96\.0\.1$/m);
    assert.equal(ok(await cluster.kubectl(['exec', 'reader', '--', 'cat', '/etc/settings/color'])), 'blue');

    ok(await cluster.kubectl(['patch', 'configmap', 'settings', '-p', '{"data":{"color":"green"}}']));
    await until('the file shows the new value', async () => (await cluster.kubectl(['exec', 'reader', '--', 'cat', '/etc/settings/color'])).stdout === 'green', 30_000, 500);
    ok(await cluster.kubectl(['delete', 'pod', 'reader', '--wait=false']));
  });

  test('an image the registry does not have: ErrImagePull, then ImagePullBackOff', async () => {
    await apply(cluster, podManifest('unpullable', { containers: [{ name: 'app', image: testImage('k8ts/absent', '1.0') }] }));
    const s = await until('ImagePullBackOff', async () => {
      const c = (await pod(cluster, 'unpullable')).status?.containerStatuses?.[0];
      return c?.state?.waiting?.reason === 'ImagePullBackOff' && c;
    }, 30_000, 250);
    assert.equal(s.state?.waiting?.message, `Back-off pulling image "${testImage('k8ts/absent', '1.0')}"`);
    const events = ok(await cluster.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=unpullable']));
    assert.match(events, /Failed\s+pod\/unpullable\s+Failed to pull image "127\.0\.0\.1:5000\/k8ts\/absent:1\.0"/);
    assert.match(events, /Failed\s+pod\/unpullable\s+Error: ErrImagePull/);
    ok(await cluster.kubectl(['delete', 'pod', 'unpullable', '--wait=false']));
  });

  test('a missing configMap holds the container in CreateContainerConfigError', async () => {
    await apply(cluster, podManifest('unconfigured', {
      containers: [{ name: 'app', image: IMAGE, command: ['sleep', '3600'], env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'absent', key: 'x' } } }] }],
    }));
    const line = await until('CreateContainerConfigError', async () => {
      const out = (await cluster.kubectl(['get', 'pod', 'unconfigured', '--no-headers'])).stdout;
      return /CreateContainerConfigError/.test(out) && out;
    }, 60_000, 250);
    assert.match(line, /0\/1\s+CreateContainerConfigError/);
    const s = (await pod(cluster, 'unconfigured')).status!.containerStatuses![0]!;
    assert.equal(s.state?.waiting?.message, 'configmap "absent" not found');
    ok(await cluster.kubectl(['create', 'configmap', 'absent', '--from-literal=x=1']));
    await until('running once the configMap exists', async () => (await pod(cluster, 'unconfigured')).status?.containerStatuses?.[0]?.state?.running, 30_000, 250);
    ok(await cluster.kubectl(['delete', 'pod', 'unconfigured', '--wait=false']));
  });

  test('graceful deletion runs the preStop hook, then stops the container', async () => {
    // The preStop hook writes into a hostPath the test reads after the pod is gone.
    const marker = `/tmp/k8ts-prestop-${process.pid}`;
    await apply(cluster, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'graceful' },
      spec: {
        terminationGracePeriodSeconds: 10,
        containers: [{
          name: 'app',
          image: IMAGE,
          command: ['sh', '-c', 'trap "echo term >> /out/log; exit 0" TERM; while true; do sleep 0.2; done'],
          lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop >> /out/log'] } } },
          volumeMounts: [{ name: 'out', mountPath: '/out' }],
        }],
        volumes: [{ name: 'out', hostPath: { path: marker, type: 'DirectoryOrCreate' } }],
      },
    });
    await until('graceful running', async () => (await pod(cluster, 'graceful')).status?.containerStatuses?.[0]?.state?.running, 60_000, 250);
    const started = Date.now();
    ok(await cluster.kubectl(['delete', 'pod', 'graceful', '--timeout=30s'], { timeoutMs: 40_000 }));
    assert.ok(Date.now() - started < 9000, 'the container stopped on SIGTERM, well before the grace period ended');
    const { readFile, rm } = await import('node:fs/promises');
    assert.equal(await readFile(`${marker}/log`, 'utf8'), 'prestop\nterm\n');
    await rm(marker, { recursive: true, force: true });
    assert.notEqual((await cluster.kubectl(['get', 'pod', 'graceful'])).code, 0, 'the pod is gone');
  });
});
