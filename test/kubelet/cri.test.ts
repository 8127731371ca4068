/**
 * The CRI client against a real containerd 1.6 that the supervisor starts in a temporary directory: images
 * pulled from the local registry, a pod sandbox on the CNI bridge with a hostPort, containers that serve HTTP,
 * exit with codes, run out of memory, write CRI-format logs, and answer ExecSync. Needs root and the Debian
 * packages containerd, runc, containernetworking-plugins, docker-registry, umoci, skopeo, busybox-static.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { connectCri, type CriConnection } from '../../src/kubelet/cri/client.js';
import { containerStatus, image, podSandboxStatus } from '../../src/kubelet/cri/decode.js';
import {
  ContainerState,
  CriError,
  NamespaceMode,
  PodSandboxState,
  type ContainerConfig,
  type PodSandboxConfig,
} from '../../src/kubelet/cri/types.js';
import { parseRegistryMirror } from '../../src/kubelet/containerd/config.js';
import { ContainerdSupervisor, freePort } from '../../src/kubelet/containerd/supervisor.js';
import { ensureTestImages, testImage } from '../helpers/images.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/wait.js';
import { httpText } from '../helpers/http.js';
import { clearRuntime, removePodNetwork } from '../helpers/node-cleanup.js';

const run = promisify(execFile);
const WEBSERVER = testImage('k8ts/webserver', '1.0');
const PAUSE = testImage('k8ts/pause', '3.9');

/** An RFC 3339 timestamp with nanoseconds, as containerd writes at the start of each CRI log line. */
const RFC3339_NANO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function ipInCidr(ip: string, cidr: string): boolean {
  const toInt = (a: string): number => a.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  const [base, bits] = cidr.split('/');
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (toInt(ip) & mask) === (toInt(base) & mask);
}


describe('CRI reply decoding', () => {
  test('int64 timestamps stay exact as bigint; other 64-bit numbers become numbers; absent messages stay absent', () => {
    // What @grpc/proto-loader hands over: int64 as decimal strings, defaults for absent scalars, null messages.
    const status = containerStatus({
      id: 'c1',
      metadata: { name: 'web', attempt: 2 },
      state: 2,
      createdAt: '1795616674253458054',
      startedAt: '1795616674555502935',
      finishedAt: '0',
      exitCode: 137,
      image: null,
      imageRef: 'sha256:abc',
      reason: 'OOMKilled',
      message: '',
      labels: { app: 'web' },
      annotations: {},
      mounts: [],
      logPath: '/var/log/pods/x/web/2.log',
    });
    assert.equal(status.createdAt, 1795616674253458054n);
    assert.equal(status.startedAt - status.createdAt, 302044881n);
    assert.equal(status.finishedAt, 0n);
    assert.deepEqual(status.image, { image: '', annotations: {} });
    assert.deepEqual([status.metadata.attempt, status.exitCode, status.reason], [2, 137, 'OOMKilled']);
    const sandbox = podSandboxStatus({ id: 's1', metadata: null, state: 1, createdAt: '1', network: null, labels: {}, annotations: {} });
    assert.equal(sandbox.network, undefined);
    assert.equal(sandbox.state, PodSandboxState.SANDBOX_NOTREADY);
    assert.deepEqual(image({ id: 'sha256:x', repoTags: ['a:1'], repoDigests: [], size: '1089531', pinned: false }).size, 1089531);
  });
});

describe('CRI client on containerd (needs root, containerd, runc, CNI plugins, local registry)', () => {
  const suffix = randomBytes(3).toString('hex');
  // A bridge, CIDR and network of its own, so the test does not collide with a node running on this machine.
  const bridge = `k8tscri${suffix}`;
  const podCIDR = `10.244.${200 + (randomBytes(1)[0] % 50)}.0/24`;
  let dir: { path: string; remove(): Promise<void> };
  let supervisor: ContainerdSupervisor;
  let cri: CriConnection;
  let hostPort: number;
  let sandboxId = '';
  let sandboxConfig: PodSandboxConfig;
  let webId = '';

  function containerConfig(name: string, command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig {
    return {
      metadata: { name, attempt: 0 },
      image: { image: WEBSERVER },
      command,
      logPath: `${name}/0.log`,
      // What the kubelet sends for a pod without shareProcessNamespace; CRI's default (POD) would make the
      // sandbox's sleep PID 1 of every container.
      linux: { securityContext: { namespaceOptions: { network: NamespaceMode.POD, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD } } },
      ...extra,
    };
  }

  async function waitForState(id: string, state: ContainerState): Promise<void> {
    await until(`container ${id} in state ${ContainerState[state]}`, async () => (await cri.runtime.containerStatus(id)).state === state, 15_000);
  }

  before(async () => {
    dir = await tempDir('k8ts-cri-');
    await ensureTestImages();
    supervisor = new ContainerdSupervisor({
      dir: join(dir.path, 'containerd'),
      podCIDR,
      bridge,
      cniNetworkName: `k8ts-cri-${suffix}`,
      registryMirrors: [parseRegistryMirror('docker.io=http://127.0.0.1:5000')],
    });
    const endpoint = await supervisor.start();
    cri = connectCri(endpoint);
    hostPort = await freePort();
    sandboxConfig = {
      metadata: { name: 'web', uid: `uid-${suffix}`, namespace: 'default', attempt: 0 },
      hostname: 'web',
      logDirectory: join(dir.path, 'pods', `default_web_uid-${suffix}`),
      portMappings: [{ protocol: 0, containerPort: 8080, hostPort }],
      labels: { app: 'web' },
      annotations: { note: 'cri test' },
      linux: {},
    };
  });

  after(async () => {
    if (cri) {
      await clearRuntime(cri.runtime);
      cri.close();
    }
    await supervisor?.stop();
    await removePodNetwork(bridge, podCIDR);
    await dir?.remove();
  });

  test('Version and Status: containerd 1.6 speaks CRI v1 and its runtime and network are ready', async () => {
    const v = await cri.runtime.version();
    assert.equal(v.runtimeName, 'containerd');
    assert.equal(v.runtimeApiVersion, 'v1');
    assert.match(v.runtimeVersion, /^1\.6\./);
    const status = await cri.runtime.status();
    const ready = Object.fromEntries(status.conditions.map((c) => [c.type, c.status]));
    assert.deepEqual(ready, { RuntimeReady: true, NetworkReady: true });
  });

  test('PullImage fetches the webserver and pause images from the local registry; ImageStatus and ListImages see them', async () => {
    for (const image of [WEBSERVER, PAUSE]) {
      const ref = await cri.images.pullImage({ image });
      assert.match(ref, /^sha256:[0-9a-f]{64}$/);
      const status = await cri.images.imageStatus({ image });
      assert.ok(status, `${image} is present after the pull`);
      assert.equal(status.id, ref);
      assert.deepEqual(status.repoTags, [image]);
      assert.ok(status.size > 0);
    }
    const listed = (await cri.images.listImages()).flatMap((i) => i.repoTags);
    assert.ok(listed.includes(WEBSERVER) && listed.includes(PAUSE), listed.join(', '));
    assert.equal(await cri.images.imageStatus({ image: testImage('k8ts/absent', '0') }), undefined);
    await assert.rejects(cri.images.pullImage({ image: testImage('k8ts/absent', '0') }), (err: unknown) => {
      assert.ok(err instanceof CriError);
      assert.equal(err.method, 'PullImage');
      assert.match(err.message, /not found/);
      return true;
    });
  });

  test('a docker.io image pulls through the mirror: busybox:1.36 comes from 127.0.0.1:5000/library/busybox', async () => {
    const ref = await cri.images.pullImage({ image: 'busybox:1.36' });
    const status = await cri.images.imageStatus({ image: 'docker.io/library/busybox:1.36' });
    assert.equal(status?.id, ref);
    assert.deepEqual(status?.repoTags, ['docker.io/library/busybox:1.36']);
  });

  test('RunPodSandbox gives the pod an IP in the node pod CIDR and keeps labels and annotations', async () => {
    sandboxId = await cri.runtime.runPodSandbox(sandboxConfig);
    const status = await cri.runtime.podSandboxStatus(sandboxId);
    assert.equal(status.state, PodSandboxState.SANDBOX_READY);
    assert.equal(status.metadata.uid, `uid-${suffix}`);
    assert.ok(status.network?.ip && ipInCidr(status.network.ip, podCIDR), `${status.network?.ip} in ${podCIDR}`);
    assert.deepEqual(status.labels, { app: 'web' });
    assert.deepEqual(status.annotations, { note: 'cri test' });
    assert.ok(status.createdAt > 1_600_000_000_000_000_000n, 'createdAt is in nanoseconds');
    const listed = await cri.runtime.listPodSandbox({ labelSelector: { app: 'web' } });
    assert.deepEqual(listed.map((s) => s.id), [sandboxId]);
  });

  test('a container serving HTTP runs and answers on the pod IP and on its hostPort', async () => {
    const config = containerConfig('web', ['sh', '-c', 'echo serving; echo warming up >&2; exec httpd -f -p 8080 -h /var/www']);
    webId = await cri.runtime.createContainer(sandboxId, config, sandboxConfig);
    await cri.runtime.startContainer(webId);
    const status = await cri.runtime.containerStatus(webId);
    assert.equal(status.state, ContainerState.CONTAINER_RUNNING);
    assert.ok(status.startedAt > 0n);
    assert.equal(status.image.image, WEBSERVER);
    assert.equal(status.logPath, join(sandboxConfig.logDirectory ?? '', 'web/0.log'));
    const ip = (await cri.runtime.podSandboxStatus(sandboxId)).network?.ip;
    assert.equal(await until('HTTP on the pod IP', () => httpText(`http://${ip}:8080/`)), 'webserver 1.0\n');
    assert.equal(await until('HTTP on the hostPort', () => httpText(`http://127.0.0.1:${hostPort}/`)), 'webserver 1.0\n');
    const running = await cri.runtime.listContainers({ podSandboxId: sandboxId, state: { state: ContainerState.CONTAINER_RUNNING } });
    assert.deepEqual(running.map((c) => c.id), [webId]);
  });

  test('the container log is in CRI format: <RFC3339Nano> <stream> F <line>', async () => {
    const logPath = (await cri.runtime.containerStatus(webId)).logPath;
    const text = await until('both log lines', async () => {
      const t = await readFile(logPath, 'utf8').catch(() => '');
      return t.split('\n').length >= 3 ? t : undefined;
    });
    const lines = text.trimEnd().split('\n').map((l) => l.split(' '));
    const byStream = Object.fromEntries(lines.map(([ts, stream, tag, ...rest]) => {
      assert.match(ts, RFC3339_NANO);
      assert.equal(tag, 'F');
      return [stream, rest.join(' ')];
    }));
    assert.deepEqual(byStream, { stdout: 'serving', stderr: 'warming up' });
  });

  test('ExecSync returns stdout, stderr and the exit code of the command', async () => {
    const res = await cri.runtime.execSync(webId, ['sh', '-c', 'cat /VERSION; echo oops >&2; exit 7'], 10);
    assert.equal(res.stdout.toString(), '1.0\n');
    assert.equal(res.stderr.toString(), 'oops\n');
    assert.equal(res.exitCode, 7);
    const ok = await cri.runtime.execSync(webId, ['cat', '/var/www/index.html'], 10);
    assert.deepEqual([ok.exitCode, ok.stdout.toString()], [0, 'webserver 1.0\n']);
  });

  test('stats of a running container carry CPU, memory and writable-layer usage', async () => {
    const stats = await cri.runtime.containerStats(webId);
    assert.equal(stats.attributes.id, webId);
    assert.equal(stats.attributes.metadata.name, 'web');
    assert.ok((stats.cpu?.usageCoreNanoSeconds?.value ?? 0) > 0, 'CPU time used');
    assert.ok((stats.memory?.workingSetBytes?.value ?? 0) > 0, 'working set');
    assert.ok(stats.writableLayer?.usedBytes !== undefined);
    const listed = await cri.runtime.listContainerStats({ podSandboxId: sandboxId });
    assert.ok(listed.some((s) => s.attributes.id === webId));
  });

  test('Exec, Attach and PortForward answer with URLs on the streaming server at 127.0.0.1', async () => {
    const exec = await cri.runtime.exec({ containerId: webId, cmd: ['sh'], stdin: true, stdout: true });
    assert.match(exec.url, /^http:\/\/127\.0\.0\.1:[1-9]\d*\/exec\/\S+$/);
    const attach = await cri.runtime.attach({ containerId: webId, stdout: true, stderr: true });
    assert.match(attach.url, /^http:\/\/127\.0\.0\.1:[1-9]\d*\/attach\/\S+$/);
    const pf = await cri.runtime.portForward({ podSandboxId: sandboxId, port: [8080] });
    assert.match(pf.url, /^http:\/\/127\.0\.0\.1:[1-9]\d*\/portforward\/\S+$/);
  });

  test('a container that exits 3 is EXITED with exitCode 3 and reason Error; exit 0 is Completed', async () => {
    const failId = await cri.runtime.createContainer(sandboxId, containerConfig('fail', ['sh', '-c', 'echo bye; exit 3']), sandboxConfig);
    const okId = await cri.runtime.createContainer(sandboxId, containerConfig('done', ['true']), sandboxConfig);
    await cri.runtime.startContainer(failId);
    await cri.runtime.startContainer(okId);
    await waitForState(failId, ContainerState.CONTAINER_EXITED);
    await waitForState(okId, ContainerState.CONTAINER_EXITED);
    const failed = await cri.runtime.containerStatus(failId);
    assert.deepEqual([failed.exitCode, failed.reason], [3, 'Error']);
    assert.ok(failed.finishedAt > 0n);
    const done = await cri.runtime.containerStatus(okId);
    assert.deepEqual([done.exitCode, done.reason], [0, 'Completed']);
  });

  test('a container over its memory limit is OOMKilled with exit code 137', async () => {
    const hog = containerConfig('hog', ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived']);
    hog.linux = { ...hog.linux, resources: { memoryLimitInBytes: 20 * 1024 * 1024 } };
    const id = await cri.runtime.createContainer(sandboxId, hog, sandboxConfig);
    await cri.runtime.startContainer(id);
    await waitForState(id, ContainerState.CONTAINER_EXITED);
    const status = await cri.runtime.containerStatus(id);
    assert.deepEqual([status.exitCode, status.reason], [137, 'OOMKilled']);
  });

  test('a verbose ContainerStatus tells the host PID of the container process, as a node admin would find it', async () => {
    const status = await cri.runtime.containerStatus(webId, true);
    const info = JSON.parse(status.info?.info ?? '{}') as { pid?: number; sandboxID?: string };
    assert.equal(info.sandboxID, sandboxId);
    assert.ok(info.pid && info.pid > 1);
    // The container runs in its own PID namespace (the kubelet asks for CONTAINER): its init is httpd.
    assert.match(await readFile(`/proc/${info.pid}/cmdline`, 'utf8'), /^sh\0-c\0|^httpd\0/);
    assert.equal((await cri.runtime.containerStatus(webId)).info, undefined);
  });

  test('StopContainer delivers SIGTERM: a process that traps it exits 0 well before the timeout', async () => {
    const script = 'trap "echo got TERM; exit 0" TERM; echo ready; while :; do sleep 0.2; done';
    const id = await cri.runtime.createContainer(sandboxId, containerConfig('graceful', ['sh', '-c', script]), sandboxConfig);
    await cri.runtime.startContainer(id);
    const logPath = (await cri.runtime.containerStatus(id)).logPath;
    await until('the trap to be set', async () => (await readFile(logPath, 'utf8').catch(() => '')).includes('ready'));
    const started = Date.now();
    await cri.runtime.stopContainer(id, 10);
    assert.ok(Date.now() - started < 5000, `stopped in ${Date.now() - started}ms`);
    const status = await cri.runtime.containerStatus(id);
    assert.deepEqual([status.state, status.exitCode, status.reason], [ContainerState.CONTAINER_EXITED, 0, 'Completed']);
    assert.match(await readFile(logPath, 'utf8'), / stdout F got TERM\n$/);
  });

  test('a PID 1 without a SIGTERM handler (busybox httpd) is killed when the stop timeout ends: exit 137', async () => {
    const started = Date.now();
    await cri.runtime.stopContainer(webId, 2);
    const took = Date.now() - started;
    assert.ok(took >= 1900 && took < 6000, `stop took ${took}ms`);
    const status = await cri.runtime.containerStatus(webId);
    assert.equal(status.state, ContainerState.CONTAINER_EXITED);
    assert.deepEqual([status.exitCode, status.reason], [137, 'Error']);
    // Stopping again is a no-op, as CRI requires.
    await cri.runtime.stopContainer(webId, 2);
  });

  test('unknown IDs fail with gRPC NOT_FOUND; removing sandboxes is idempotent', async () => {
    await assert.rejects(cri.runtime.containerStatus('no-such-container'), (err: unknown) => {
      assert.ok(err instanceof CriError);
      assert.equal(err.code, 5);
      return true;
    });
    for (const c of await cri.runtime.listContainers({ podSandboxId: sandboxId })) await cri.runtime.removeContainer(c.id);
    assert.deepEqual(await cri.runtime.listContainers({ podSandboxId: sandboxId }), []);
    await cri.runtime.stopPodSandbox(sandboxId);
    assert.equal((await cri.runtime.podSandboxStatus(sandboxId)).state, PodSandboxState.SANDBOX_NOTREADY);
    await cri.runtime.removePodSandbox(sandboxId);
    await cri.runtime.removePodSandbox(sandboxId);
    assert.deepEqual(await cri.runtime.listPodSandbox(), []);
  });
});
