/** Pod volumes on the node's own paths: hostPath types, PVC-bound PVs, subPath safety, emptyDir and tmpfs. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { PersistentVolume } from 'kubernetes-types/core/v1.js';
import { VolumeManager } from '../../src/kubelet/volumes/manager.js';
import { readMountPoints } from '../../src/kubelet/volumes/mount.js';
import { resolveSubPath } from '../../src/kubelet/volumes/subpath.js';
import { CreateContainerConfigError } from '../../src/kubelet/envvars.js';
import { tempDir } from '../helpers/tmp.js';
import { FakeHost, mode, pod, setup } from './fake-volume-host.js';

describe('hostPath and persistentVolumeClaim volumes', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  before(async () => (env = await setup()));
  after(() => env.remove());

  test("type checks with kube's messages; the OrCreate types create", async () => {
    const base = join(env.host.rootDir, 'host');
    await mkdir(base);
    await writeFile(join(base, 'file'), 'x');
    const sock = createServer();
    await new Promise<void>((resolve) => sock.listen(join(base, 'sock'), resolve));
    try {
      const vols = await env.vm.setUpPod(
        pod([
          { name: 'd', hostPath: { path: join(base, 'new/dir'), type: 'DirectoryOrCreate' } },
          { name: 'f', hostPath: { path: join(base, 'new-file'), type: 'FileOrCreate' } },
          { name: 's', hostPath: { path: join(base, 'sock'), type: 'Socket' } },
          { name: 'c', hostPath: { path: '/dev/null', type: 'CharDevice' } },
          { name: 'any', hostPath: { path: join(base, 'whatever') } },
        ]),
      );
      assert.deepEqual(vols.get('d'), { hostPath: join(base, 'new/dir'), readOnly: false });
      assert.ok((await stat(join(base, 'new/dir'))).isDirectory());
      assert.ok((await stat(join(base, 'new-file'))).isFile());
      const failing: Array<[string, string, string]> = [
        [join(base, 'file'), 'Directory', 'is not a directory'],
        [join(base, 'new'), 'File', 'is not a file'],
        [join(base, 'file'), 'DirectoryOrCreate', 'is not a directory'],
        [join(base, 'file'), 'Socket', 'is not a socket file'],
        [join(base, 'file'), 'CharDevice', 'is not a character device'],
        [join(base, 'file'), 'BlockDevice', 'is not a block device'],
        [join(base, 'missing'), 'Directory', 'is not a directory'],
      ];
      for (const [path, type, what] of failing) {
        await assert.rejects(env.vm.setUpPod(pod([{ name: 'h', hostPath: { path, type } }])), {
          message: `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${path} ${what}`,
        });
      }
    } finally {
      sock.close();
    }
  });

  test('a claim bound to a hostPath or local PV mounts its path; other cases fail', async () => {
    const data = join(env.host.rootDir, 'pv-data');
    await mkdir(data);
    const claim = (name: string, volumeName: string | undefined, phase = 'Bound'): void => {
      env.host.pvcs.set(`team/${name}`, { metadata: { name, namespace: 'team', uid: `pvc-${name}` }, spec: { ...(volumeName ? { volumeName } : {}) }, status: { phase } });
    };
    const pv = (name: string, claimName: string, source: Partial<PersistentVolume['spec']>): void => {
      env.host.pvs.set(name, { metadata: { name }, spec: { claimRef: { name: claimName, namespace: 'team', uid: `pvc-${claimName}` }, ...source } });
    };
    claim('data', 'pv-1');
    pv('pv-1', 'data', { hostPath: { path: data } });
    claim('fast', 'pv-2');
    pv('pv-2', 'fast', { local: { path: data } });
    claim('pending', undefined, 'Pending');
    claim('remote', 'pv-3');
    pv('pv-3', 'remote', { nfs: { server: 'nas', path: '/x' } });
    const vols = await env.vm.setUpPod(pod([{ name: 'a', persistentVolumeClaim: { claimName: 'data' } }, { name: 'b', persistentVolumeClaim: { claimName: 'fast', readOnly: true } }]));
    assert.deepEqual(vols.get('a'), { hostPath: data, readOnly: false });
    assert.deepEqual(vols.get('b'), { hostPath: data, readOnly: true });
    const cases: Array<[string, string]> = [
      ['gone', 'error processing PVC team/gone: failed to fetch PVC from API server: persistentvolumeclaims "gone" not found'],
      ['pending', 'error processing PVC team/pending: PVC is not bound'],
      ['remote', 'PersistentVolume "pv-3" has an unsupported volume source nfs: only hostPath and local are supported'],
    ];
    for (const [claimName, message] of cases) {
      await assert.rejects(env.vm.setUpPod(pod([{ name: 'v', persistentVolumeClaim: { claimName } }])), { message: `MountVolume.SetUp failed for volume "v" : ${message}` });
    }
  });
});

describe('subPath', () => {
  test('created inside the volume; .., absolute paths and symlink escapes refused', async () => {
    const dir = await tempDir();
    try {
      const vol = join(dir.path, 'vol');
      await mkdir(vol);
      await mkdir(join(dir.path, 'outside'));
      await symlink('../outside', join(vol, 'escape'));
      await symlink('inner', join(vol, 'alias'));
      const made = await resolveSubPath(vol, 'logs/web');
      assert.equal(made, join(vol, 'logs/web'));
      assert.ok((await stat(made)).isDirectory());
      assert.equal(await resolveSubPath(vol, 'alias/x').catch((e: Error) => e.message), "failed to prepare subPath \"alias/x\"");
      await mkdir(join(vol, 'inner'));
      assert.equal(await resolveSubPath(vol, 'alias/x'), join(vol, 'inner/x'));
      await assert.rejects(resolveSubPath(vol, 'a/../../etc'), (e: Error) => e instanceof CreateContainerConfigError && e.message === "unable to provision SubPath `a/../../etc`: must not contain '..'");
      await assert.rejects(resolveSubPath(vol, '/etc'), { message: 'error SubPath `/etc` must not be an absolute path' });
      await assert.rejects(resolveSubPath(vol, 'escape/x', { volumeMount: 'data', container: 'main' }), {
        message: 'failed to prepare subPath for volumeMount "data" of container "main"',
      });
      await assert.rejects(stat(join(dir.path, 'outside/x')), { code: 'ENOENT' });
    } finally {
      await dir.remove();
    }
  });
});

describe('emptyDir and memory-backed volumes (needs root: mounts tmpfs)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let host: FakeHost;
  let vm: VolumeManager;
  before(async () => {
    dir = await tempDir('k8ts-tmpfs-');
    host = new FakeHost(dir.path);
    vm = new VolumeManager(host, { memoryBackedAPIVolumes: true });
  });
  after(async () => {
    // Never leave a tmpfs behind, whatever failed.
    for (const m of (await readMountPoints()).filter((m) => m.startsWith(`${dir.path}/`)).reverse()) {
      execFileSync('umount', [m]);
    }
    await dir.remove();
  });

  test('emptyDir on disk is a 0777 dir; Memory is a tmpfs sized by sizeLimit; teardown unmounts and removes', async () => {
    host.putSecret('creds', { password: 'pw' });
    const p = pod([
      { name: 'scratch', emptyDir: {} },
      { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'ram', emptyDir: { medium: 'Memory' } },
      { name: 'sec', secret: { secretName: 'creds' } },
    ]);
    const uid = p.metadata!.uid!;
    const vols = await vm.setUpPod(p);
    const again = await vm.setUpPod(p); // idempotent: no second mount
    assert.deepEqual([...again], [...vols]);
    const scratch = vols.get('scratch')!.hostPath;
    assert.equal(scratch, join(dir.path, 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', 'scratch'));
    assert.equal(await mode(scratch), 0o777);
    await writeFile(join(scratch, 'f'), 'kept');
    await vm.setUpPod(p);
    assert.equal(await readFile(join(scratch, 'f'), 'utf8'), 'kept');

    const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').map((l) => l.split(' '));
    const find = (path: string): string[] | undefined => mounts.find((m) => m[1] === path);
    assert.equal(find(scratch), undefined);
    const cache = find(vols.get('cache')!.hostPath);
    assert.equal(cache?.[2], 'tmpfs');
    assert.match(cache![3]!, /size=65536k/);
    // No sizeLimit: the pod's memory limit (256Mi, below the node's 1Gi allocatable).
    assert.match(find(vols.get('ram')!.hostPath)![3]!, /size=262144k/);
    assert.equal(find(vols.get('sec')!.hostPath)?.[2], 'tmpfs');
    assert.equal(await readFile(join(vols.get('sec')!.hostPath, 'password'), 'utf8'), 'pw');
    assert.equal((await readMountPoints()).filter((m) => m.startsWith(`${dir.path}/`)).length, 3);

    await vm.tearDownPod(uid);
    assert.deepEqual((await readMountPoints()).filter((m) => m.startsWith(`${dir.path}/`)), []);
    await assert.rejects(stat(join(dir.path, 'pods', uid)), { code: 'ENOENT' });
  });

  test('a root dir reached through a symlink still mounts each tmpfs once', async () => {
    await mkdir(join(dir.path, 'real'));
    await symlink(join(dir.path, 'real'), join(dir.path, 'link'));
    const linked = new VolumeManager(Object.assign(Object.create(host) as FakeHost, { rootDir: join(dir.path, 'link') }), { memoryBackedAPIVolumes: true });
    const p = pod([{ name: 'ram', emptyDir: { medium: 'Memory' } }]);
    const first = await linked.setUpPod(p);
    await writeFile(join(first.get('ram')!.hostPath, 'data'), 'survives');
    await linked.setUpPod(p);
    assert.equal(await readFile(join(first.get('ram')!.hostPath, 'data'), 'utf8'), 'survives');
    assert.equal((await readMountPoints()).filter((m) => m.startsWith(`${dir.path}/real/`)).length, 1);
    await linked.tearDownPod(p.metadata!.uid!);
    assert.deepEqual((await readMountPoints()).filter((m) => m.startsWith(`${dir.path}/`)), []);
  });

  test('teardown after a restart finds the mounts from the mount table', async () => {
    const p = pod([{ name: 'ram', emptyDir: { medium: 'Memory' } }]);
    await vm.setUpPod(p);
    const fresh = new VolumeManager(host, { memoryBackedAPIVolumes: true });
    await fresh.cleanupOrphanedPods(new Set());
    assert.deepEqual((await readMountPoints()).filter((m) => m.startsWith(`${dir.path}/`)), []);
    await assert.rejects(stat(join(dir.path, 'pods', p.metadata!.uid!)), { code: 'ENOENT' });
  });
});
