import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { StatusError } from '../../src/apimachinery/status.js';
import { parseIPv4, ServiceAllocator } from '../../src/apiserver/registry/core/service-allocator.js';
import type { StoredObject } from '../../src/apiserver/registry/strategy.js';
import { SQLiteStore } from '../../src/storage/sqlite/store.js';
import { tempDir } from '../helpers/tmp.js';

function service(name: string, spec: Record<string, unknown>): StoredObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP' }], ...spec } };
}

async function rejection(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StatusError, String(err));
    return err;
  }
  assert.fail('expected a failure');
}

describe('service allocator over a real SQLite store', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: SQLiteStore;
  let alloc: ServiceAllocator;

  let n = 0;

  before(async () => {
    dir = await tempDir('k8ts-svcalloc-');
  });
  // A store of its own for every test: values one test took at random must not collide with another's fixed ones.
  beforeEach(async () => {
    store = await SQLiteStore.open({ path: join(dir.path, `state-${n++}.db`) });
    alloc = new ServiceAllocator(store);
  });
  afterEach(async () => {
    await store.close();
  });
  after(async () => {
    await dir.remove();
  });

  test('allocates cluster IPs inside 10.96.0.0/12 and node ports inside 30000-32767', async () => {
    const svc = service('a', { type: 'NodePort' });
    await (await alloc.reserveForCreate(svc)).commit();
    const spec = svc.spec as { clusterIP: string; clusterIPs: string[]; ports: { nodePort: number }[] };
    const ip = parseIPv4(spec.clusterIP)!;
    assert.ok(ip > parseIPv4('10.96.0.0')! && ip < parseIPv4('10.111.255.255')!, spec.clusterIP);
    assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
    assert.ok(spec.ports[0]!.nodePort >= 30000 && spec.ports[0]!.nodePort <= 32767);
    assert.ok(await alloc.ips.isAllocated(ip));
    assert.ok(await alloc.nodePorts.isAllocated(spec.ports[0]!.nodePort));
  });

  test('200 concurrent allocations get 200 distinct IPs and ports', async () => {
    const ips = await Promise.all(Array.from({ length: 200 }, (_, i) => alloc.allocateIP('', `default/c${i}`)));
    assert.equal(new Set(ips).size, 200);
    // A second allocator (another apiserver) over the same store still never hands out a taken value.
    const other = new ServiceAllocator(store);
    const ports = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? alloc : other).allocateNodePort(0, `default/p${i}`)));
    assert.equal(new Set(ports).size, 200);
    assert.ok(ports.every((p) => p >= 30000 && p <= 32767));
  });

  test('explicit requests get exactly what they ask for, or kube\'s error', async () => {
    assert.equal(await alloc.allocateIP('10.96.0.5', 'default/x'), '10.96.0.5');
    const taken = await rejection(alloc.allocateIP('10.96.0.5', 'default/y', ['10.96.0.5'], 'y'));
    assert.equal(taken.code, 422);
    assert.equal(taken.message, 'Service "y" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.5"}: failed to allocate IP 10.96.0.5: provided IP is already allocated');
    const outside = await rejection(alloc.allocateIP('10.0.0.5', 'default/y', ['10.0.0.5'], 'y'));
    assert.match(outside.message, /failed to allocate IP 10\.0\.0\.5: the provided IP \(10\.0\.0\.5\) is not in the valid range\. The range of valid IPs is 10\.96\.0\.0\/12$/);
    assert.equal(await alloc.allocateNodePort(30080, 'default/x'), 30080);
    const port = await rejection(alloc.allocateNodePort(30080, 'default/y', 0, 'y'));
    assert.equal(port.message, 'Service "y" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    const far = await rejection(alloc.allocateNodePort(80, 'default/y', 1, 'y'));
    assert.equal(far.message, 'Service "y" is invalid: spec.ports[1].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767');
  });

  test('headless and ExternalName services take no IP', async () => {
    const headless = service('h', { clusterIP: 'None' });
    await alloc.reserveForCreate(headless);
    assert.deepEqual((headless.spec as { clusterIPs: string[] }).clusterIPs, ['None']);
    const ext = service('e', { type: 'ExternalName', externalName: 'example.com' });
    await alloc.reserveForCreate(ext);
    assert.equal((ext.spec as { clusterIP?: string }).clusterIP, undefined);
  });

  test('released values can be taken again; a reverted reservation releases', async () => {
    const svc = service('r', { clusterIP: '10.96.0.77', type: 'NodePort', ports: [{ port: 80, nodePort: 30077 }] });
    await (await alloc.reserveForCreate(svc)).commit();
    await rejection(alloc.allocateIP('10.96.0.77', 'default/z'));
    await alloc.release(svc);
    assert.equal(await alloc.ips.isAllocated(parseIPv4('10.96.0.77')!), false);
    const again = service('r2', { clusterIP: '10.96.0.77', type: 'NodePort', ports: [{ port: 80, nodePort: 30077 }] });
    const tx = await alloc.reserveForCreate(again);
    await tx.revert();
    assert.equal(await alloc.ips.isAllocated(parseIPv4('10.96.0.77')!), false);
    assert.equal(await alloc.nodePorts.isAllocated(30077), false);
  });

  test('a type change to NodePort allocates ports, back to ClusterIP releases them', async () => {
    const old = service('t', {});
    await (await alloc.reserveForCreate(old)).commit();
    const next = structuredClone(old);
    (next.spec as { type: string }).type = 'NodePort';
    await (await alloc.reserveForUpdate(next, old)).commit();
    const nodePort = (next.spec as { ports: { nodePort: number }[] }).ports[0]!.nodePort;
    assert.ok(await alloc.nodePorts.isAllocated(nodePort));
    const back = structuredClone(next);
    (back.spec as { type: string }).type = 'ClusterIP';
    delete (back.spec as { ports: { nodePort?: number }[] }).ports[0]!.nodePort;
    await (await alloc.reserveForUpdate(back, next)).commit();
    assert.equal(await alloc.nodePorts.isAllocated(nodePort), false);
  });

  test('a full range answers with kube\'s error', async () => {
    const tiny = new ServiceAllocator(store, { serviceClusterIPRange: '192.168.7.0/29', serviceNodePortRange: '31000-31001' });
    const ips = await Promise.all(Array.from({ length: 6 }, (_, i) => tiny.allocateIP('', `t/${i}`)));
    assert.deepEqual(ips.sort(), ['192.168.7.1', '192.168.7.2', '192.168.7.3', '192.168.7.4', '192.168.7.5', '192.168.7.6']);
    const full = await rejection(tiny.allocateIP('', 't/7'));
    assert.equal(full.code, 500);
    assert.equal(full.message, 'Internal error occurred: failed to allocate a serviceIP: range is full');
    await tiny.allocateNodePort(0, 't/a');
    await tiny.allocateNodePort(0, 't/b');
    assert.equal((await rejection(tiny.allocateNodePort(0, 't/c'))).message, 'Internal error occurred: failed to allocate a nodePort: range is full');
    // A value given back is found again even by an allocator that thought the range full.
    await tiny.releaseIP('192.168.7.3');
    assert.equal(await tiny.allocateIP('', 't/8'), '192.168.7.3');
  });
});
