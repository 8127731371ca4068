/**
 * `k8ts images import|ls|rm` against a real containerd laid out as `k8ts up` lays it out (`<data-dir>/containerd`),
 * run as a user runs them: the real CLI process, its output and exit code. The imported image then runs in a
 * pod sandbox without any registry holding it. Needs root, containerd and the local registry (for the pause image).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { humanSize, imagesTable, normalizeImageRef, splitRepoTag } from '../../src/cli/images.js';
import { connectCri, type CriConnection } from '../../src/kubelet/cri/client.js';
import { ContainerState, type PodSandboxConfig } from '../../src/kubelet/cri/types.js';
import { ContainerdSupervisor } from '../../src/kubelet/containerd/supervisor.js';
import { ensureTestImages, writeImageArchive } from '../helpers/images.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/wait.js';
import { clearRuntime, removePodNetwork } from '../helpers/node-cleanup.js';

const execFileP = promisify(execFile);
const K8TS = fileURLToPath(new URL('../../../bin/k8ts.js', import.meta.url));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function k8ts(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [K8TS, ...args], { env: { ...process.env, K8TS_LOG_LEVEL: 'warn' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('k8ts images table formatting', () => {
  test('references split into repository and tag; sizes in decimal units like crictl', () => {
    assert.deepEqual(splitRepoTag('127.0.0.1:5000/k8ts/webserver:1.0'), { repository: '127.0.0.1:5000/k8ts/webserver', tag: '1.0' });
    assert.deepEqual(splitRepoTag('127.0.0.1:5000/k8ts/webserver'), { repository: '127.0.0.1:5000/k8ts/webserver', tag: '<none>' });
    assert.deepEqual(
      ['busybox', 'k8ts/app:1', '127.0.0.1:5000/k8ts/pause:3.9', 'localhost/x', 'k8ts/app@sha256:abc'].map(normalizeImageRef),
      ['docker.io/library/busybox:latest', 'docker.io/k8ts/app:1', '127.0.0.1:5000/k8ts/pause:3.9', 'localhost/x:latest', 'docker.io/k8ts/app@sha256:abc'],
    );
    assert.deepEqual([humanSize(999), humanSize(1_089_531), humanSize(2_134_826), humanSize(1_500_000_000)], ['999B', '1.09MB', '2.13MB', '1.5GB']);
    const table = imagesTable([
      { id: `sha256:${'b'.repeat(64)}`, repoTags: ['docker.io/k8ts/zz:2', 'docker.io/k8ts/aa:1'], repoDigests: [], size: 2_134_826 },
    ]);
    assert.equal(
      table,
      [
        'IMAGE               TAG                 IMAGE ID            SIZE',
        'docker.io/k8ts/aa   1                   bbbbbbbbbbbbb       2.13MB',
        'docker.io/k8ts/zz   2                   bbbbbbbbbbbbb       2.13MB',
      ].join('\n'),
    );
  });
});

describe('k8ts images import, ls and rm (needs root, containerd and the local registry)', () => {
  const suffix = randomBytes(3).toString('hex');
  const bridge = `k8tsimg${suffix}`;
  let dir: { path: string; remove(): Promise<void> };
  let dataDir: string;
  let supervisor: ContainerdSupervisor;
  let cri: CriConnection;

  before(async () => {
    dir = await tempDir('k8ts-images-');
    dataDir = join(dir.path, 'data');
    await ensureTestImages();
    // The directory layout of `k8ts up --data-dir <dataDir>`, so the CLI finds the socket by default.
    supervisor = new ContainerdSupervisor({ dir: join(dataDir, 'containerd'), podCIDR: '10.244.252.0/24', bridge, cniNetworkName: `k8ts-img-${suffix}` });
    cri = connectCri(await supervisor.start());
    await writeImageArchive({ name: 'k8ts/webserver', tag: '1.1' }, join(dir.path, 'airgap.tar'), 'docker.io/k8ts/airgap:1.0');
    await writeImageArchive({ name: 'k8ts/sample-war', tag: 'v3' }, join(dir.path, 'airgap-oci.tar'), 'k8ts/airgap-oci:3', 'oci-archive');
  });

  after(async () => {
    if (cri) {
      await clearRuntime(cri.runtime);
      cri.close();
    }
    await supervisor?.stop();
    await removePodNetwork(bridge, '10.244.252.0/24');
    await dir?.remove();
  });

  test('import loads a docker-save archive and an OCI archive and prints what it imported', async () => {
    const res = await k8ts('images', 'import', join(dir.path, 'airgap.tar'), join(dir.path, 'airgap-oci.tar'), '--data-dir', dataDir);
    assert.equal(res.code, 0, res.stderr);
    // The OCI archive names its image `k8ts/airgap-oci:3`; it is stored under the normalized name.
    assert.equal(res.stdout, 'imported docker.io/k8ts/airgap:1.0\nimported docker.io/k8ts/airgap-oci:3\n');
    // The CRI finds them by the names a pod spec would use.
    for (const image of ['k8ts/airgap:1.0', 'docker.io/k8ts/airgap:1.0', 'k8ts/airgap-oci:3', 'docker.io/k8ts/airgap-oci:3']) {
      assert.ok(await cri.images.imageStatus({ image }), `${image} is known to the CRI`);
    }
  });

  test('ls prints a crictl-style table with the imported images', async () => {
    const res = await k8ts('images', 'ls', '--data-dir', dataDir);
    assert.equal(res.code, 0, res.stderr);
    const rows = res.stdout.trimEnd().split('\n').map((l) => l.split(/\s{2,}/));
    assert.deepEqual(rows[0], ['IMAGE', 'TAG', 'IMAGE ID', 'SIZE']);
    const airgap = rows.find((r) => r[0] === 'docker.io/k8ts/airgap');
    const status = await cri.images.imageStatus({ image: 'docker.io/k8ts/airgap:1.0' });
    assert.deepEqual(airgap, ['docker.io/k8ts/airgap', '1.0', status?.id.slice('sha256:'.length, 'sha256:'.length + 13), humanSize(status?.size ?? 0)]);
    assert.ok(rows.some((r) => r[0] === 'docker.io/k8ts/airgap-oci' && r[1] === '3'));
    const quiet = await k8ts('images', 'ls', '-q', '--container-runtime-endpoint', supervisor.endpoint);
    assert.ok(quiet.stdout.split('\n').includes(status?.id ?? '-'), quiet.stdout);
  });

  test('an imported image runs in a pod without any registry serving it', async () => {
    const sandboxConfig: PodSandboxConfig = {
      metadata: { name: 'airgap', uid: `uid-${suffix}`, namespace: 'default', attempt: 0 },
      logDirectory: join(dir.path, 'pods', 'airgap'),
      linux: {},
    };
    const sandbox = await cri.runtime.runPodSandbox(sandboxConfig);
    const id = await cri.runtime.createContainer(
      sandbox,
      { metadata: { name: 'show', attempt: 0 }, image: { image: 'k8ts/airgap:1.0' }, command: ['cat', '/VERSION'], logPath: 'show/0.log' },
      sandboxConfig,
    );
    await cri.runtime.startContainer(id);
    await until('the container to exit', async () => (await cri.runtime.containerStatus(id)).state === ContainerState.CONTAINER_EXITED);
    assert.equal((await cri.runtime.containerStatus(id)).exitCode, 0);
    assert.match(await readFile(join(dir.path, 'pods', 'airgap', 'show', '0.log'), 'utf8'), / stdout F 1\.1\n$/);
    await cri.runtime.removeContainer(id);
    await cri.runtime.stopPodSandbox(sandbox);
    await cri.runtime.removePodSandbox(sandbox);
  });

  test('rm removes an image by reference and fails for one that is not there', async () => {
    const res = await k8ts('images', 'rm', 'docker.io/k8ts/airgap:1.0', '--data-dir', dataDir);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'Deleted: docker.io/k8ts/airgap:1.0\n');
    assert.equal(await cri.images.imageStatus({ image: 'docker.io/k8ts/airgap:1.0' }), undefined);
    const ls = await k8ts('images', 'ls', '--data-dir', dataDir);
    assert.ok(!ls.stdout.includes('docker.io/k8ts/airgap '), ls.stdout);
    const again = await k8ts('images', 'rm', 'docker.io/k8ts/airgap:1.0', '--data-dir', dataDir);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'error: no such image docker.io/k8ts/airgap:1.0\n');
  });

  test('without a running containerd the commands say so', async () => {
    const res = await k8ts('images', 'ls', '--data-dir', join(dir.path, 'nothing-here'));
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^error: cannot reach the container runtime at unix:\/\/.*nothing-here\/containerd\/containerd\.sock: is `k8ts up` running\?/);
  });
});
