/** Pod volumes whose content follows the API: layout, atomic updates, modes, fsGroup, tokens, propagation. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lstat, readFile, readlink, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AtomicWriter } from '../../src/kubelet/volumes/atomic-writer.js';
import { VolumeManager, VolumeSetUpError } from '../../src/kubelet/volumes/manager.js';
import { tempDir } from '../helpers/tmp.js';
import { b64, mode, pod, setup } from './fake-volume-host.js';

describe('AtomicWriter', () => {
  test('layout: ..data -> timestamped dir, user-visible names through ..data, modes, updates, removals', async () => {
    const dir = await tempDir();
    try {
      const target = join(dir.path, 'vol');
      const w = new AtomicWriter(target);
      assert.equal(await w.write(new Map([['a', { data: Buffer.from('one'), mode: 0o644 }], ['sub/b', { data: Buffer.from('two'), mode: 0o400 }]])), true);
      const ts1 = await readlink(join(target, '..data'));
      assert.match(ts1, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\w+$/);
      assert.equal(await readlink(join(target, 'a')), '..data/a');
      assert.equal(await readlink(join(target, 'sub')), '..data/sub');
      assert.equal(await readFile(join(target, 'a'), 'utf8'), 'one');
      assert.equal(await readFile(join(target, 'sub/b'), 'utf8'), 'two');
      assert.equal(await mode(join(target, ts1, 'sub/b')), 0o400);
      assert.equal(await mode(join(target, ts1)), 0o755);

      // Same content: nothing is rewritten.
      assert.equal(await w.write(new Map([['a', { data: Buffer.from('one'), mode: 0o644 }], ['sub/b', { data: Buffer.from('two'), mode: 0o400 }]])), false);
      assert.equal(await readlink(join(target, '..data')), ts1);

      // New content through the same path; the key that went away disappears with the old dir.
      assert.equal(await w.write(new Map([['a', { data: Buffer.from('uno'), mode: 0o600 }], ['c', { data: Buffer.from('three'), mode: 0o644 }]])), true);
      const ts2 = await readlink(join(target, '..data'));
      assert.notEqual(ts2, ts1);
      assert.equal(await readFile(join(target, 'a'), 'utf8'), 'uno');
      assert.equal(await mode(join(target, 'a')), 0o600);
      assert.equal(await readFile(join(target, 'c'), 'utf8'), 'three');
      assert.deepEqual((await readdir(target)).sort(), ['..data', ts2, 'a', 'c'].sort());
    } finally {
      await dir.remove();
    }
  });

  test("paths with '..' or absolute paths are refused with kube's messages", async () => {
    const dir = await tempDir();
    try {
      const w = new AtomicWriter(join(dir.path, 'vol'));
      const f = { data: Buffer.from('x'), mode: 0o644 };
      await assert.rejects(w.write(new Map([['/etc/passwd', f]])), { message: 'invalid path: must be relative path: /etc/passwd' });
      await assert.rejects(w.write(new Map([['a/../../x', f]])), { message: "invalid path: must not contain '..': a/../../x" });
      await assert.rejects(w.write(new Map([['..data', f]])), { message: "invalid path: must not start with '..': ..data" });
    } finally {
      await dir.remove();
    }
  });
});

describe('configMap and secret volumes', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  before(async () => (env = await setup()));
  after(() => env.remove());

  test('every key with defaultMode 0644, read-only, in kubernetes.io~configmap/<name>', async () => {
    env.host.putConfigMap('app', { 'game.properties': 'lives=3', 'ui.properties': 'color=blue' }, { 'logo.bin': b64('\x00\x01') });
    const p = pod([{ name: 'cfg', configMap: { name: 'app' } }]);
    const vols = await env.vm.setUpPod(p);
    const dir = join(env.host.rootDir, 'pods', p.metadata!.uid!, 'volumes', 'kubernetes.io~configmap', 'cfg');
    assert.deepEqual(vols.get('cfg'), { hostPath: dir, readOnly: true });
    assert.equal(await readFile(join(dir, 'game.properties'), 'utf8'), 'lives=3');
    assert.deepEqual(await readFile(join(dir, 'logo.bin')), Buffer.from([0, 1]));
    assert.equal(await mode(join(dir, 'ui.properties')), 0o644);
    assert.ok((await lstat(join(dir, 'ui.properties'))).isSymbolicLink());
  });

  test('items pick keys, paths and modes; updates reach the same path and removed keys disappear', async () => {
    env.host.putConfigMap('items', { a: '1', b: '2', c: '3' });
    const p = pod([{ name: 'cfg', configMap: { name: 'items', defaultMode: 0o440, items: [{ key: 'a', path: 'conf/a.txt', mode: 0o600 }, { key: 'b', path: 'b.txt' }] } }]);
    const dir = (await env.vm.setUpPod(p)).get('cfg')!.hostPath;
    assert.deepEqual((await readdir(dir)).filter((n) => !n.startsWith('..')).sort(), ['b.txt', 'conf']);
    assert.equal(await readFile(join(dir, 'conf/a.txt'), 'utf8'), '1');
    assert.equal(await mode(join(dir, 'conf/a.txt')), 0o600);
    assert.equal(await mode(join(dir, 'b.txt')), 0o440);

    env.host.putConfigMap('app2', { x: 'old', y: 'gone soon' });
    const q = pod([{ name: 'cfg', configMap: { name: 'app2' } }]);
    const qdir = (await env.vm.setUpPod(q)).get('cfg')!.hostPath;
    env.host.putConfigMap('app2', { x: 'new' });
    assert.deepEqual(await env.vm.refresh(q.metadata!.uid!), []);
    assert.equal(await readFile(join(qdir, 'x'), 'utf8'), 'new');
    await assert.rejects(readFile(join(qdir, 'y')), { code: 'ENOENT' });
  });

  test("missing sources: optional gives an empty volume, otherwise kube's errors", async () => {
    const ok = await env.vm.setUpPod(pod([{ name: 'o', configMap: { name: 'nope', optional: true } }, { name: 's', secret: { secretName: 'nope', optional: true } }]));
    assert.deepEqual((await readdir(ok.get('o')!.hostPath)).filter((n) => !n.startsWith('..')), []);
    env.host.putConfigMap('small', { a: '1' });
    await assert.rejects(
      env.vm.setUpPod(
        pod([
          { name: 'm', configMap: { name: 'nope' } },
          { name: 'k', configMap: { name: 'small', items: [{ key: 'zz', path: 'zz' }] } },
          { name: 's', secret: { secretName: 'nope' } },
          { name: 'nfs', nfs: { server: 'x', path: '/' } },
        ]),
      ),
      (err: Error) => {
        assert.ok(err instanceof VolumeSetUpError);
        assert.deepEqual(
          err.failures.map((f) => f.message),
          [
            'MountVolume.SetUp failed for volume "m" : configmap "nope" not found',
            'MountVolume.SetUp failed for volume "k" : configmap references non-existent config key: zz',
            'MountVolume.SetUp failed for volume "s" : secret "nope" not found',
            'MountVolume.SetUp failed for volume "nfs" : no volume plugin matched',
          ],
        );
        return true;
      },
    );
  });

  test('secret files are the decoded values with their modes; updates propagate through the resync', async () => {
    env.host.putSecret('creds', { username: 'admin', password: 'pw1' });
    const p = pod([{ name: 'sec', secret: { secretName: 'creds', defaultMode: 0o400, items: [{ key: 'password', path: 'pw' }] } }]);
    const vols = await env.vm.setUpPod(p);
    const dir = vols.get('sec')!.hostPath;
    assert.match(dir, /kubernetes\.io~secret\/sec$/);
    assert.equal(vols.get('sec')!.readOnly, true);
    assert.equal(await readFile(join(dir, 'pw'), 'utf8'), 'pw1');
    assert.equal(await mode(join(dir, 'pw')), 0o400);
    env.host.putSecret('creds', { username: 'admin', password: 'pw2' });
    await env.vm.resync();
    assert.equal(await readFile(join(dir, 'pw'), 'utf8'), 'pw2');
  });
  test('fsGroup: files and dirs get the group, read-only volumes group-read, the token 0640', async () => {
    env.host.putSecret('grp', { key: 'v' });
    env.host.putConfigMap('kube-root-ca.crt', { 'ca.crt': 'ca' });
    const p = pod(
      [
        { name: 'sec', secret: { secretName: 'grp', defaultMode: 0o400 } },
        { name: 'scratch', emptyDir: {} },
        { name: 'api', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
      ],
      { securityContext: { fsGroup: 2345 } },
    );
    const vols = await env.vm.setUpPod(p);
    const sec = join(vols.get('sec')!.hostPath, 'key');
    assert.equal((await stat(sec)).gid, 2345);
    assert.equal(await mode(sec), 0o440);
    const scratch = await stat(vols.get('scratch')!.hostPath);
    assert.equal(scratch.gid, 2345);
    assert.equal(scratch.mode & 0o7777, 0o2777);
    assert.equal(await mode(join(vols.get('api')!.hostPath, 'token')), 0o640);
  });

  test('the periodic resync propagates changes without being asked', async () => {
    env.host.putConfigMap('live', { v: '1' });
    const p = pod([{ name: 'cfg', configMap: { name: 'live' } }]);
    const dir = (await env.vm.setUpPod(p)).get('cfg')!.hostPath;
    const vm = new VolumeManager(env.host, { memoryBackedAPIVolumes: false, resyncIntervalMs: 20 });
    await vm.setUpPod(p);
    vm.start();
    try {
      env.host.putConfigMap('live', { v: '2' });
      const deadline = Date.now() + 5000;
      while ((await readFile(join(dir, 'v'), 'utf8')) !== '2' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await readFile(join(dir, 'v'), 'utf8'), '2');
    } finally {
      vm.stop();
    }
  });
});

describe('downwardAPI and projected volumes', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  before(async () => (env = await setup()));
  after(() => env.remove());

  test('fieldRef and resourceFieldRef files; label changes are written again', async () => {
    const p = pod([
      {
        name: 'info',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
            { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
            { path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } },
            { path: 'uid', fieldRef: { fieldPath: 'metadata.uid' } },
            { path: 'zone', fieldRef: { fieldPath: "metadata.labels['zone']" } },
            { path: 'mem_mi', resourceFieldRef: { containerName: 'main', resource: 'limits.memory', divisor: '1Mi' } },
            { path: 'cpu_m', resourceFieldRef: { containerName: 'main', resource: 'limits.cpu', divisor: '1m' }, mode: 0o600 },
            { path: 'eph', resourceFieldRef: { containerName: 'main', resource: 'limits.ephemeral-storage', divisor: '1Gi' } },
          ],
        },
      },
    ]);
    const dir = (await env.vm.setUpPod(p)).get('info')!.hostPath;
    assert.match(dir, /kubernetes\.io~downward-api\/info$/);
    const read = (f: string): Promise<string> => readFile(join(dir, f), 'utf8');
    assert.equal(await read('labels'), 'app="web"\nzone="a"');
    assert.equal(await read('annotations'), 'owner="ops"');
    assert.equal(await read('name'), p.metadata!.name);
    assert.equal(await read('ns'), 'team');
    assert.equal(await read('uid'), p.metadata!.uid);
    assert.equal(await read('zone'), 'a');
    assert.equal(await read('mem_mi'), '256');
    assert.equal(await read('cpu_m'), '500');
    assert.equal(await mode(join(dir, 'cpu_m')), 0o600);
    assert.equal(await read('eph'), '10'); // no limit: node allocatable

    await env.vm.setUpPod({ ...p, metadata: { ...p.metadata, labels: { app: 'web', zone: 'b' } } });
    assert.equal(await read('labels'), 'app="web"\nzone="b"');
    assert.equal(await read('zone'), 'b');
  });

  test('kube-api-access: token, root CA and namespace; the token is replaced after 80% of its life', async () => {
    env.host.putConfigMap('kube-root-ca.crt', { 'ca.crt': '-----BEGIN CERTIFICATE-----\nabc\n' });
    const p = pod([
      {
        name: 'kube-api-access-x1',
        projected: {
          defaultMode: 0o644,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3600, path: 'token', audience: 'api' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
            { secret: { name: 'absent', optional: true } },
          ],
        },
      },
    ]);
    const vols = await env.vm.setUpPod(p);
    const dir = vols.get('kube-api-access-x1')!.hostPath;
    assert.match(dir, /kubernetes\.io~projected\/kube-api-access-x1$/);
    assert.equal(vols.get('kube-api-access-x1')!.readOnly, true);
    assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'token-1');
    assert.equal(await readFile(join(dir, 'ca.crt'), 'utf8'), '-----BEGIN CERTIFICATE-----\nabc\n');
    assert.equal(await readFile(join(dir, 'namespace'), 'utf8'), 'team');
    assert.deepEqual(env.host.tokenRequests[0], {
      namespace: 'team',
      name: 'builder',
      spec: { audiences: ['api'], expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: p.metadata!.name, uid: p.metadata!.uid } },
    });

    env.host.clock += 2000 * 1000; // 55% of the lifetime: the cached token stays
    await env.vm.refresh(p.metadata!.uid!);
    assert.equal(env.host.tokenRequests.length, 1);
    assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'token-1');

    env.host.clock += 1000 * 1000; // 83%: a new token is requested and written
    await env.vm.refresh(p.metadata!.uid!);
    assert.equal(env.host.tokenRequests.length, 2);
    assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'token-2');
  });

  test('a missing non-optional projected source fails the volume', async () => {
    await assert.rejects(env.vm.setUpPod(pod([{ name: 'p', projected: { sources: [{ configMap: { name: 'nope' } }] } }])), {
      message: 'MountVolume.SetUp failed for volume "p" : configmap "nope" not found',
    });
  });
});
