/**
 * The containerd supervisor's pieces: the preflight error a user sees when a package is missing, the rendered
 * config.toml (checked by containerd itself with `containerd config dump`), the CNI conflist, the socket path,
 * and the supervisor restarting a containerd that died (that part needs root and containerd).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { connectCri } from '../../src/kubelet/cri/client.js';
import { PodSandboxState } from '../../src/kubelet/cri/types.js';
import { renderCniConflist } from '../../src/kubelet/containerd/cni.js';
import {
  containerdSocketPath,
  parseRegistryMirror,
  renderContainerdConfig,
} from '../../src/kubelet/containerd/config.js';
import { PreflightError, preflight } from '../../src/kubelet/containerd/preflight.js';
import { ContainerdSupervisor } from '../../src/kubelet/containerd/supervisor.js';
import { ensureTestImages } from '../helpers/images.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/wait.js';
import { removePodNetwork } from '../helpers/node-cleanup.js';

const run = promisify(execFile);

async function executable(path: string, body = '#!/bin/sh\nexit 0\n'): Promise<void> {
  await writeFile(path, body);
  await chmod(path, 0o755);
}

describe('containerd preflight', () => {
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    dir = await tempDir('k8ts-preflight-');
  });
  after(() => dir.remove());

  test('a missing runc and CNI plugins name their Debian packages and the apt-get line', async () => {
    const bin = join(dir.path, 'bin');
    const cni = join(dir.path, 'cni');
    await mkdir(bin);
    await mkdir(cni);
    await executable(join(bin, 'containerd'));
    await executable(join(cni, 'bridge'));
    await executable(join(cni, 'host-local'));
    assert.throws(
      () => preflight({ path: bin, cniBinDir: cni }),
      (err: unknown) => {
        assert.ok(err instanceof PreflightError);
        assert.deepEqual(err.packages, ['runc', 'containernetworking-plugins']);
        assert.equal(
          err.message,
          `missing runc, ${join(cni, 'portmap')}, ${join(cni, 'loopback')}: install the Debian packages runc, ` +
            'containernetworking-plugins (apt-get install -y runc containernetworking-plugins)',
        );
        return true;
      },
    );
  });

  test('a missing containerd names the containerd package', () => {
    assert.throws(() => preflight({ path: join(dir.path, 'nowhere'), cniBinDir: '/usr/lib/cni' }), {
      name: 'PreflightError',
      message: 'missing containerd, runc: install the Debian packages containerd, runc (apt-get install -y containerd runc)',
    });
  });

  test('on this machine everything is installed', () => {
    const found = preflight({ path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' });
    assert.equal(found.containerd, '/usr/bin/containerd');
    assert.match(found.runc, /\/runc$/);
  });
});

describe('containerd config', () => {
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    dir = await tempDir('k8ts-config-');
  });
  after(() => dir.remove());

  test('the socket lives in the data dir, or under /run/k8ts when that path is too long for a unix socket', () => {
    assert.equal(containerdSocketPath('/var/lib/k8ts/containerd'), '/var/lib/k8ts/containerd/containerd.sock');
    const long = `/tmp/${'x'.repeat(90)}`;
    const fallback = containerdSocketPath(long);
    assert.match(fallback, /^\/run\/k8ts\/[0-9a-f]{16}\.sock$/);
    assert.equal(containerdSocketPath(long), fallback, 'the same directory always maps to the same socket');
    assert.notEqual(containerdSocketPath(`${long}y`), fallback);
  });

  test('registry mirrors parse from registry=endpoint[,endpoint]', () => {
    assert.deepEqual(parseRegistryMirror('docker.io=http://127.0.0.1:5000'), { host: 'docker.io', endpoints: ['http://127.0.0.1:5000'] });
    assert.deepEqual(parseRegistryMirror('quay.io=https://a.example,http://b:5000'), {
      host: 'quay.io',
      endpoints: ['https://a.example', 'http://b:5000'],
    });
    assert.throws(() => parseRegistryMirror('docker.io'), /expected <registry>=<endpoint>/);
    assert.throws(() => parseRegistryMirror('docker.io=127.0.0.1:5000'), /expected http:\/\/host/);
  });

  test('containerd 1.6 reads the rendered config: CRI settings, CNI dirs and mirrors as written', async () => {
    const cdDir = join(dir.path, 'containerd');
    const file = join(dir.path, 'config.toml');
    await writeFile(
      file,
      renderContainerdConfig({
        dir: cdDir,
        sandboxImage: '127.0.0.1:5000/k8ts/pause:3.9',
        registryMirrors: [parseRegistryMirror('docker.io=http://127.0.0.1:5000')],
        snapshotter: 'native',
        streamServerPort: 10555,
      }),
    );
    // `config dump` prints the configuration containerd would run with, after parsing and merging defaults.
    const { stdout } = await run('containerd', ['--config', file, 'config', 'dump']);
    const has = (line: string): void => assert.ok(stdout.includes(line), `config dump has ${line}`);
    has(`root = "${cdDir}/root"`);
    has(`state = "${cdDir}/state"`);
    has(`address = "${cdDir}/containerd.sock"`);
    has('restrict_oom_score_adj = true');
    has('enable_unprivileged_ports = true');
    has('sandbox_image = "127.0.0.1:5000/k8ts/pause:3.9"');
    has('snapshotter = "native"');
    has('stream_server_port = "10555"');
    has('SystemdCgroup = false');
    has('bin_dir = "/usr/lib/cni"');
    has(`conf_dir = "${cdDir}/cni/net.d"`);
    has('[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]');
    has('[plugins."io.containerd.grpc.v1.cri".registry.mirrors."127.0.0.1:5000"]');
    has('endpoint = ["http://127.0.0.1:5000"]');
    has('"io.containerd.snapshotter.v1.btrfs"');
  });

  test('the CNI conflist: bridge with host-local IPAM over the pod CIDR, then portmap', () => {
    const conflist = JSON.parse(renderCniConflist({ podCIDR: '10.244.3.0/24', ipamDataDir: '/x/networks' })) as {
      cniVersion: string;
      name: string;
      plugins: Array<Record<string, unknown>>;
    };
    assert.equal(conflist.cniVersion, '0.4.0');
    assert.equal(conflist.name, 'k8ts');
    assert.deepEqual(conflist.plugins[0], {
      type: 'bridge',
      bridge: 'k8ts0',
      isGateway: true,
      ipMasq: false,
      hairpinMode: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.3.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '/x/networks' },
    });
    assert.deepEqual(conflist.plugins[1], { type: 'portmap', capabilities: { portMappings: true }, snat: true });
    assert.throws(() => renderCniConflist({ podCIDR: '10.244.3.0/24', bridge: 'a-very-long-bridge' }), /longer than 15/);
    assert.throws(() => renderCniConflist({ podCIDR: 'fd00::/64' }), /not an IPv4 CIDR/);
  });
});

describe('containerd supervisor (needs root, containerd and the local registry)', () => {
  let dir: { path: string; remove(): Promise<void> };
  const bridge = `k8tssup${randomBytes(3).toString('hex')}`;
  before(async () => {
    dir = await tempDir('k8ts-sup-');
  });
  after(async () => {
    await removePodNetwork(bridge, '10.244.251.0/24');
    await removePodNetwork(bridge, '10.244.250.0/24');
    await dir.remove();
  });

  test('a containerd that exits at once fails start() with the tail of its log', async () => {
    const bin = join(dir.path, 'fake-bin');
    await mkdir(bin);
    await executable(join(bin, 'containerd'), '#!/bin/sh\necho "failed to load config: boom" >&2\nexit 1\n');
    await symlink((await run('sh', ['-c', 'command -v runc'], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } })).stdout.trim(), join(bin, 'runc'));
    const supervisor = new ContainerdSupervisor({ dir: join(dir.path, 'fails'), path: bin, bridge, podCIDR: '10.244.250.0/24' });
    await assert.rejects(supervisor.start(), /containerd exited \(code 1, signal null\) before its CRI answered[^]*failed to load config: boom/);
    await supervisor.stop();
  });

  test('a containerd killed while running is restarted; its CRI answers again and the pod sandbox survived', async () => {
    await ensureTestImages();
    // A data dir this deep puts the socket under /run/k8ts (a unix socket path must stay short).
    const cdDir = join(dir.path, 'a-data-dir-whose-path-is-too-long-for-a-unix-socket', 'containerd-of-the-node');
    const supervisor = new ContainerdSupervisor({ dir: cdDir, podCIDR: '10.244.251.0/24', bridge });
    assert.match(supervisor.endpoint, /^unix:\/\/\/run\/k8ts\/[0-9a-f]{16}\.sock$/);
    const endpoint = await supervisor.start();
    const cri = connectCri(endpoint, { timeoutMs: 5000 });
    let sandbox = '';
    try {
      assert.equal((await cri.runtime.version()).runtimeName, 'containerd');
      assert.ok(await readFile(join(cdDir, 'cni', 'net.d', '10-k8ts.conflist'), 'utf8'));
      sandbox = await cri.runtime.runPodSandbox({ metadata: { name: 'survivor', uid: 'u1', namespace: 'default', attempt: 0 }, linux: {} });
      const ip = (await cri.runtime.podSandboxStatus(sandbox)).network?.ip;
      const first = supervisor.pid;
      assert.ok(first);
      process.kill(first, 'SIGKILL');
      const second = await until('a new containerd', () => (supervisor.pid && supervisor.pid !== first ? supervisor.pid : undefined), 15_000);
      assert.notEqual(second, first);
      await until('the CRI to answer again', () => cri.runtime.version().then(() => true, () => false), 20_000, 200);
      assert.match(await readFile(join(cdDir, 'containerd.log'), 'utf8'), /serving\.\.\./);
      // The sandbox's shim kept running while containerd was down; the new containerd finds it again.
      const status = await cri.runtime.podSandboxStatus(sandbox);
      assert.deepEqual([status.state, status.network?.ip], [PodSandboxState.SANDBOX_READY, ip]);
    } finally {
      if (sandbox) {
        await cri.runtime.stopPodSandbox(sandbox).catch(() => undefined);
        await cri.runtime.removePodSandbox(sandbox).catch(() => undefined);
      }
      cri.close();
      await supervisor.stop();
    }
    assert.equal(supervisor.pid, undefined);
  });
});

describe('OCI runtime choice', () => {
  test('crun when installed and usable, runc when asked for or when crun is missing', async () => {
    const { chooseOciRuntime } = await import('../../src/kubelet/containerd/oci-runtime.js');
    const { default: pino } = await import('pino');
    const log = pino({ level: 'silent' });
    assert.match(await chooseOciRuntime('/usr/sbin:/usr/bin:/sbin:/bin', log, 'runc'), /^\/usr\/s?bin\/runc$/);
    assert.equal(await chooseOciRuntime('/nonexistent', log), 'runc');
    if (existsSync('/usr/bin/crun')) assert.equal(await chooseOciRuntime('/usr/sbin:/usr/bin:/sbin:/bin', log), '/usr/bin/crun');
    assert.match(renderContainerdConfig({ dir: '/x', ociRuntimeBinary: '/usr/bin/crun' }), /BinaryName = "\/usr\/bin\/crun"/);
  });
});
