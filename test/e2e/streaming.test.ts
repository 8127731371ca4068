/**
 * `kubectl logs`, `exec`, `attach`, `cp` and `port-forward` end to end: the real kubectl 1.32 against the
 * k8ts apiserver, which proxies to a KubeletServer on this machine, which hands the streams to a real
 * containerd's streaming server. The pod's sandbox and containers are made through CRI here (the test is the
 * kubelet core), and a Node object points the apiserver at the test's KubeletServer.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ContainerdSupervisor } from '../../src/kubelet/containerd/supervisor.js';
import { connectCri, type CriConnection } from '../../src/kubelet/cri/client.js';
import { ContainerState, type ContainerConfig, type PodSandboxConfig } from '../../src/kubelet/cri/types.js';
import type { ServedPod } from '../../src/kubelet/server/host.js';
import { KubeletServer } from '../../src/kubelet/server/server.js';
import { ContainerLogRotator } from '../../src/kubelet/logs/rotator.js';
import { issueCertificate } from '../../src/pki/pki.js';
import { componentLogger } from '../../src/util/log.js';
import { KUBECTL, startCluster, type TestCluster } from '../helpers/cluster.js';
import { ensureTestImages, testImage } from '../helpers/images.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/wait.js';
import { clearRuntime, removePodNetwork } from '../helpers/node-cleanup.js';

const run = promisify(execFile);
const WEBSERVER = testImage('k8ts/webserver', '1.0');
const NODE = 'stream-node';

describe('kubectl logs/exec/attach/cp/port-forward through the apiserver and kubelet server (needs root, containerd, runc, CNI plugins, local registry)', () => {
  const suffix = randomBytes(3).toString('hex');
  const bridge = `k8tsst${suffix}`;
  const podCIDR = `10.244.${150 + (randomBytes(1)[0]! % 40)}.0/24`;
  let dir: { path: string; remove(): Promise<void> };
  let supervisor: ContainerdSupervisor;
  let cri: CriConnection;
  let cluster: TestCluster;
  let kubelet: KubeletServer;
  let sandboxId = '';
  let sandboxConfig: PodSandboxConfig;
  const containers: ServedPod['containers'] = {};

  async function startContainer(name: string, command: string[], extra: Partial<ContainerConfig> = {}): Promise<void> {
    const config: ContainerConfig = { metadata: { name, attempt: 0 }, image: { image: WEBSERVER }, command, logPath: `${name}/0.log`, ...extra };
    const id = await cri.runtime.createContainer(sandboxId, config, sandboxConfig);
    await cri.runtime.startContainer(id);
    containers[name] = { id, logPath: join(sandboxConfig.logDirectory!, name, '0.log'), running: true };
  }

  async function running(id: string): Promise<boolean> {
    return (await cri.runtime.containerStatus(id).catch(() => undefined))?.state === ContainerState.CONTAINER_RUNNING;
  }

  before(async () => {
    dir = await tempDir('k8ts-st-');
    await ensureTestImages();
    supervisor = new ContainerdSupervisor({ dir: join(dir.path, 'containerd'), podCIDR, bridge, cniNetworkName: `k8ts-st-${suffix}` });
    cri = connectCri(await supervisor.start());
    await cri.images.pullImage({ image: WEBSERVER });
    await cri.images.pullImage({ image: testImage('k8ts/pause', '3.9') });
    sandboxConfig = {
      metadata: { name: 'web', uid: `uid-${suffix}`, namespace: 'default', attempt: 0 },
      hostname: 'web',
      logDirectory: join(dir.path, 'pods', `default_web_uid-${suffix}`),
      linux: {},
    };
    sandboxId = await cri.runtime.runPodSandbox(sandboxConfig);
    await startContainer('web', ['sh', '-c', 'echo line1; sleep 0.2; echo line2 >&2; sleep 0.2; echo line3; exec httpd -f -p 8080 -h /var/www']);
    await startContainer('ticker', ['sh', '-c', 'sleep 2; for i in 1 2 3 4; do echo tick $i; sleep 0.5; done']);
    await startContainer('echo', ['sh', '-c', 'while read line; do echo "got $line"; done; echo bye'], { stdin: true, stdinOnce: true });

    // No kubelet of its own (the default): the test's KubeletServer is the node.
    cluster = await startCluster();
    const ca = { cert: await readFile(join(cluster.dataDir, 'pki', 'ca.crt'), 'utf8'), key: await readFile(join(cluster.dataDir, 'pki', 'ca.key'), 'utf8') };
    const serving = await issueCertificate(ca, { subject: `CN=${NODE}`, usage: 'server', sans: ['127.0.0.1'] });
    kubelet = new KubeletServer({
      host: {
        runtime: cri.runtime,
        findPod: (namespace, name) => (namespace === 'default' && name === 'web' ? { uid: `uid-${suffix}`, sandboxId, containers } : undefined),
        isContainerRunning: (_ns, _pod, _c, id) => running(id),
      },
      tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
      port: 0,
      address: '127.0.0.1',
      logger: componentLogger('kubelet-server'),
    });
    await kubelet.start();

    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } };
    assert.equal((await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(node) })).code, 0);
    const status = { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: NODE }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } };
    const patched = await cluster.kubectl(['patch', 'node', NODE, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    assert.equal(patched.code, 0, patched.stderr);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        nodeName: NODE,
        containers: [
          { name: 'web', image: WEBSERVER },
          { name: 'ticker', image: WEBSERVER },
          { name: 'echo', image: WEBSERVER, stdin: true, stdinOnce: true },
          { name: 'counter', image: WEBSERVER },
        ],
      },
    };
    const pending = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending', namespace: 'default' }, spec: { containers: [{ name: 'c', image: WEBSERVER }] } };
    for (const p of [pod, pending]) {
      const created = await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(p) });
      assert.equal(created.code, 0, created.stderr);
    }
    // The status a kubelet would report (port-forward wants a Running pod).
    const podIP = (await cri.runtime.podSandboxStatus(sandboxId)).network?.ip ?? '';
    const runningStatus = { status: { phase: 'Running', podIP, podIPs: [{ ip: podIP }], hostIP: '127.0.0.1' } };
    const reported = await cluster.kubectl(['patch', 'pod', 'web', '--subresource=status', '--type=merge', '-p', JSON.stringify(runningStatus)]);
    assert.equal(reported.code, 0, reported.stderr);
    await until('the web container logged its lines', async () => (await readFile(containers.web!.logPath!, 'utf8').catch(() => '')).includes('line3'));
  });

  after(async () => {
    await kubelet?.stop();
    await cluster?.stop();
    if (cri) {
      await clearRuntime(cri.runtime);
      cri.close();
    }
    await supervisor?.stop();
    await removePodNetwork(bridge, podCIDR);
    await dir?.remove();
  });

  test('kubectl logs prints what the container wrote to stdout and stderr; --tail and --timestamps', async () => {
    const all = await cluster.kubectl(['logs', 'web', '-c', 'web']);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout, 'line1\nline2\nline3\n');
    const tail = await cluster.kubectl(['logs', 'web', '-c', 'web', '--tail=1']);
    assert.equal(tail.stdout, 'line3\n');
    const stamped = await cluster.kubectl(['logs', 'web', '-c', 'web', '--timestamps', '--tail=2']);
    const lines = stamped.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    for (const [i, line] of lines.entries()) assert.match(line, new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{9}Z line${i + 2}$`));
    const limited = await cluster.kubectl(['logs', 'web', '-c', 'web', '--limit-bytes=8']);
    assert.equal(limited.stdout, 'line1\nli');
  });

  test('kubectl logs -f follows the container until it exits', async () => {
    const followed = await cluster.kubectl(['logs', '-f', 'web', '-c', 'ticker'], { timeoutMs: 20_000 });
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'tick 1\ntick 2\ntick 3\ntick 4\n');
  });

  test('kubectl logs -f keeps following while the log is rotated (CRI ReopenContainerLog)', async () => {
    await startContainer('counter', ['sh', '-c', 'sleep 1; i=0; while [ $i -lt 400 ]; do echo "line $i"; i=$((i+1)); sleep 0.005; done']);
    const rotator = new ContainerLogRotator({
      runtime: cri.runtime,
      containers: () => [{ id: containers.counter!.id!, logPath: containers.counter!.logPath! }],
      logger: componentLogger('rotator'),
      maxSize: 1024,
      maxFiles: 3,
    });
    let rotating = true;
    const rotations = (async () => {
      while (rotating) {
        await rotator.rotateLogs();
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    try {
      const followed = await cluster.kubectl(['logs', '-f', 'web', '-c', 'counter'], { timeoutMs: 30_000 });
      assert.equal(followed.code, 0, followed.stderr);
      assert.equal(followed.stdout, Array.from({ length: 400 }, (_, i) => `line ${i}\n`).join(''));
    } finally {
      rotating = false;
      await rotations;
    }
    const rotated = (await readdir(join(sandboxConfig.logDirectory!, 'counter'))).filter((n) => n.startsWith('0.log.'));
    assert.ok(rotated.length >= 1, 'the log was rotated while it was followed');
  });

  test('kubectl logs errors are worded as kube-apiserver and the kubelet word them', async () => {
    const invalid = await cluster.kubectl(['logs', 'web', '-c', 'nope']);
    assert.notEqual(invalid.code, 0);
    assert.match(invalid.stderr, /container nope is not valid for pod web/);
    const unnamed = await cluster.kubectl(['get', '--raw', '/api/v1/namespaces/default/pods/web/log']);
    assert.match(unnamed.stderr, /a container name must be specified for pod web, choose one of: \[web ticker echo counter\]/);
    const previous = await cluster.kubectl(['logs', 'web', '-c', 'web', '--previous']);
    assert.notEqual(previous.code, 0);
    assert.match(previous.stderr, /previous terminated container "web" in pod "web" not found/);
    // The ticker exited in the test before: nothing to exec into.
    const exited = await cluster.kubectl(['exec', 'web', '-c', 'ticker', '--', 'true']);
    assert.notEqual(exited.code, 0);
    assert.match(exited.stderr, /unable to upgrade connection: container not found \("ticker"\)/);
    const unbound = await cluster.kubectl(['exec', 'pending', '--', 'true']);
    assert.notEqual(unbound.code, 0);
    assert.match(unbound.stderr, /pod pending does not have a host assigned/);
  });

  test('kubectl exec runs a command, prints its output and exits with its code', async () => {
    const res = await cluster.kubectl(['exec', 'web', '-c', 'web', '--', 'sh', '-c', 'echo hi; echo oops >&2; exit 3']);
    assert.equal(res.code, 3, res.stderr);
    assert.equal(res.stdout, 'hi\n');
    assert.match(res.stderr, /oops/);
    const ok = await cluster.kubectl(['exec', '-v=4', 'web', '-c', 'web', '--', 'cat', '/VERSION']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, '1.0\n');
    // kubectl 1.32's WebSocket protocol, served by the kubelet without falling back to SPDY.
    assert.match(ok.stderr, /The subprotocol is v5\.channel\.k8s\.io/);
  });

  test('older clients: exec and port-forward over SPDY/3.1 go through to the runtime', async () => {
    const spdy = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false', KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' };
    const res = await cluster.kubectl(['exec', '-i', 'web', '-c', 'web', '--', 'sh', '-c', 'cat; exit 5'], { input: 'over spdy\n', env: spdy });
    assert.equal(res.code, 5, res.stderr);
    assert.equal(res.stdout, 'over spdy\n');
    const child = spawn(KUBECTL, ['--kubeconfig', cluster.kubeconfig, 'port-forward', 'pod/web', ':8080'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...spdy } });
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const port = await until('port-forward to listen', () => /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out)?.[1], 20_000);
      const page = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(await page.text(), 'webserver 1.0\n');
    } finally {
      child.kill('SIGINT');
    }
  });

  test('discovery lists the connect subresources and nodes/proxy reaches the kubelet', async () => {
    const list = JSON.parse((await cluster.kubectl(['get', '--raw', '/api/v1'])).stdout) as { resources: Array<{ name: string; verbs: string[] }> };
    const names = list.resources.map((r) => r.name);
    for (const sub of ['pods/log', 'pods/exec', 'pods/attach', 'pods/portforward', 'nodes/proxy']) assert.ok(names.includes(sub), sub);
    assert.deepEqual(list.resources.find((r) => r.name === 'pods/exec')?.verbs, ['create', 'get']);
    const healthz = await cluster.kubectl(['get', '--raw', `/api/v1/nodes/${NODE}/proxy/healthz`]);
    assert.equal(healthz.code, 0, healthz.stderr);
    assert.equal(healthz.stdout, 'ok');
  });

  test('kubectl exec -i passes stdin through and closes it at its end', async () => {
    const res = await cluster.kubectl(['exec', '-i', 'web', '-c', 'web', '--', 'sh', '-c', 'cat; echo done'], { input: 'from stdin\nsecond line\n' });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'from stdin\nsecond line\ndone\n');
  });

  test('kubectl exec -it gives the command a terminal', async () => {
    // script(1) gives kubectl a terminal of its own, so it asks for a TTY.
    const cmd = `${KUBECTL} --kubeconfig ${cluster.kubeconfig} exec -it web -c web -- sh -c 'tty; [ -t 0 ] && echo stdin is a terminal'`;
    const { stdout } = await run('script', ['-qec', cmd, '/dev/null'], { timeout: 20_000 });
    assert.match(stdout, /\/dev\/pts\/\d+/);
    assert.match(stdout, /stdin is a terminal/);
  });

  test('kubectl cp copies a file into the container and back out', async () => {
    const local = join(dir.path, 'upload.txt');
    await writeFile(local, 'copied content\n');
    // A bigger one, in many SPDY/WebSocket frames both ways.
    const bigLocal = join(dir.path, 'big.bin');
    const big = randomBytes(3 * 1024 * 1024);
    await writeFile(bigLocal, big);
    assert.equal((await cluster.kubectl(['cp', bigLocal, 'web:/tmp/big.bin', '-c', 'web'], { timeoutMs: 60_000 })).code, 0);
    const bigBack = join(dir.path, 'big-back.bin');
    const bigDown = await cluster.kubectl(['cp', 'web:/tmp/big.bin', bigBack, '-c', 'web'], { timeoutMs: 60_000 });
    assert.equal(bigDown.code, 0, bigDown.stderr);
    assert.ok(big.equals(await readFile(bigBack)), 'the 3 MiB file came back unchanged');
    const up = await cluster.kubectl(['cp', local, 'web:/tmp/upload.txt', '-c', 'web']);
    assert.equal(up.code, 0, up.stderr);
    const cat = await cluster.kubectl(['exec', 'web', '-c', 'web', '--', 'cat', '/tmp/upload.txt']);
    assert.equal(cat.stdout, 'copied content\n');
    const back = join(dir.path, 'download.txt');
    const down = await cluster.kubectl(['cp', 'web:/tmp/upload.txt', back, '-c', 'web']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(await readFile(back, 'utf8'), 'copied content\n');
  });

  test('kubectl port-forward forwards a local port to the pod', async () => {
    const child = spawn(KUBECTL, ['--kubeconfig', cluster.kubeconfig, 'port-forward', '-v=9', 'pod/web', ':8080'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const port = await until('port-forward to listen', () => /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out)?.[1], 20_000).catch((err: Error) => {
        throw new Error(`${err.message}: ${out}`);
      });
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) });
        assert.equal(res.status, 200);
        assert.equal(await res.text(), 'webserver 1.0\n');
      }
      // kubectl 1.32 tunnels SPDY in a WebSocket first; the kubelet serves that without the SPDY fallback.
      assert.doesNotMatch(out, /fallback to secondary dialer/);
    } finally {
      child.kill('SIGINT');
    }
  });

  test('kubectl attach -i talks to the running container through its stdin', async () => {
    const res = await cluster.kubectl(['attach', '-i', 'web', '-c', 'echo'], { input: 'hello\nworld\n', timeoutMs: 20_000 });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /got hello\ngot world\n/);
  });
});
