/**
 * Building endpoints on fake caches: v1 Endpoints subsets (ready and not-ready addresses, ports by name,
 * publishNotReadyAddresses, terminating and finished pods), EndpointSlices (conditions, zone, placeholder,
 * chunking, labels), mirroring of custom Endpoints, and the endpoints controller's writes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Endpoints, Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import { PODS, SERVICES } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { EndpointController, ENDPOINTS } from '../../src/controllers/endpoint/endpoint-controller.js';
import { buildSubsets, endpointsLabels } from '../../src/controllers/endpoint/endpoints.js';
import { desiredSlices, sliceLabels } from '../../src/controllers/endpointslice/slices.js';
import { mirroredLabels, mirroredSlices } from '../../src/controllers/endpointslicemirroring/mirroring.js';
import { fakeContext } from './fake-client.js';

function pod(name: string, ip: string | undefined, opts: { ready?: boolean; deleting?: boolean; phase?: string; node?: string; ports?: Array<{ name: string; containerPort: number; protocol?: string }> } = {}): Pod & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', uid: `${name}-uid`, labels: { app: 'web' }, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: opts.node ?? 'n1', containers: [{ name: 'c', image: 'i', ports: opts.ports ?? [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: opts.phase ?? 'Running', ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}), conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

function service(spec: Partial<NonNullable<Service['spec']>> = {}, labels?: Record<string, string>): Service & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', ...(labels ? { labels } : {}) },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
  };
}

describe('Endpoints subsets', () => {
  test('ready pods under addresses, not ready ones under notReadyAddresses, ports resolved by name', () => {
    const subsets = buildSubsets(service(), [pod('b', '10.0.0.2'), pod('a', '10.0.0.1'), pod('c', '10.0.0.3', { ready: false })]);
    assert.deepEqual(subsets, [
      {
        addresses: [
          { ip: '10.0.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'a-uid' } },
          { ip: '10.0.0.2', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name: 'b', uid: 'b-uid' } },
        ],
        notReadyAddresses: [{ ip: '10.0.0.3', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name: 'c', uid: 'c-uid' } }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
  });

  test('pods without an IP, finished, terminating or lacking the named port are left out', () => {
    const subsets = buildSubsets(service(), [
      pod('noip', undefined),
      pod('done', '10.0.0.4', { phase: 'Succeeded' }),
      pod('going', '10.0.0.5', { deleting: true }),
      pod('other-port', '10.0.0.6', { ports: [{ name: 'metrics', containerPort: 9090 }] }),
      pod('ok', '10.0.0.7'),
    ]);
    assert.deepEqual(subsets.flatMap((s) => (s.addresses ?? []).map((a) => a.ip)), ['10.0.0.7']);
  });

  test('publishNotReadyAddresses lists not-ready and terminating pods as addresses', () => {
    const subsets = buildSubsets(service({ publishNotReadyAddresses: true }), [pod('a', '10.0.0.1', { ready: false }), pod('b', '10.0.0.2', { deleting: true })]);
    assert.deepEqual(subsets[0]?.addresses?.map((a) => a.ip), ['10.0.0.1', '10.0.0.2']);
    assert.equal(subsets[0]?.notReadyAddresses, undefined);
  });

  test('numeric targetPorts, several ports, pods grouped by the ports they have', () => {
    const svc = service({ ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'admin', port: 81, targetPort: 9000 }] });
    const subsets = buildSubsets(svc, [pod('a', '10.0.0.1'), pod('b', '10.0.0.2', { ports: [] })]);
    assert.deepEqual(subsets.map((s) => [s.addresses?.map((a) => a.ip), s.ports?.map((p) => `${p.name}:${p.port}`)]), [
      [['10.0.0.1'], ['admin:9000', 'http:8080']],
      [['10.0.0.2'], ['admin:9000']],
    ]);
  });

  test('a headless Service without ports still lists addresses; the headless label is set', () => {
    const svc = service({ clusterIP: 'None', ports: [] }, { team: 'x' });
    assert.deepEqual(buildSubsets(svc, [pod('a', '10.0.0.1')]).map((s) => [s.addresses?.length, s.ports]), [[1, undefined]]);
    assert.deepEqual(endpointsLabels(svc), { team: 'x', 'service.kubernetes.io/headless': '' });
  });
});

describe('EndpointSlices', () => {
  const zoneNode = (name: string): Node | undefined => ({ metadata: { name, labels: { 'topology.kubernetes.io/zone': `zone-${name}` } } });

  test('ready, serving and terminating conditions, nodeName, zone and targetRef', () => {
    const [slice] = desiredSlices(service(), [pod('a', '10.0.0.1'), pod('b', '10.0.0.2', { ready: false }), pod('c', '10.0.0.3', { deleting: true, node: 'n2' })], zoneNode);
    assert.equal(slice?.addressType, 'IPv4');
    assert.deepEqual(slice?.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.deepEqual(
      slice?.endpoints.map((e) => [e.addresses[0], e.conditions, e.nodeName, e.zone, e.targetRef?.name]),
      [
        ['10.0.0.1', { ready: true, serving: true, terminating: false }, 'n1', 'zone-n1', 'a'],
        ['10.0.0.2', { ready: false, serving: false, terminating: false }, 'n1', 'zone-n1', 'b'],
        ['10.0.0.3', { ready: false, serving: true, terminating: true }, 'n2', 'zone-n2', 'c'],
      ],
    );
  });

  test('one empty placeholder slice without endpoints; at most maxPerSlice endpoints per slice', () => {
    assert.deepEqual(desiredSlices(service(), [], zoneNode), [{ addressType: 'IPv4', ports: [], endpoints: [] }]);
    const pods = Array.from({ length: 5 }, (_, i) => pod(`p${i}`, `10.0.0.${i + 1}`));
    assert.deepEqual(desiredSlices(service(), pods, zoneNode, 2).map((s) => s.endpoints.length), [2, 2, 1]);
  });

  test('labels: the Service labels, the service name and the manager', () => {
    assert.deepEqual(sliceLabels(service({}, { team: 'x', 'kubernetes.io/service-name': 'spoof' })), {
      team: 'x',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
  });

  test('custom Endpoints are mirrored: ready and not-ready addresses, split by address type', () => {
    const ep: Endpoints = {
      metadata: { name: 'ext', namespace: 'ns', labels: { a: 'b' } },
      subsets: [{ addresses: [{ ip: '10.1.1.1', hostname: 'h' }, { ip: 'fd00::1' }], notReadyAddresses: [{ ip: '10.1.1.2' }], ports: [{ name: 'pg', port: 5432 }] }],
    };
    const slices = mirroredSlices(ep);
    assert.deepEqual(
      slices.map((s) => [s.addressType, s.ports, s.endpoints.map((e) => [e.addresses[0], e.conditions?.ready, e.hostname])]),
      [
        ['IPv4', [{ name: 'pg', port: 5432, protocol: 'TCP' }], [['10.1.1.1', true, 'h'], ['10.1.1.2', false, undefined]]],
        ['IPv6', [{ name: 'pg', port: 5432, protocol: 'TCP' }], [['fd00::1', true, undefined]]],
      ],
    );
    assert.deepEqual(mirroredLabels(ep), { a: 'b', 'kubernetes.io/service-name': 'ext', 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io' });
  });
});

describe('the endpoints controller', () => {
  test('creates the Endpoints of a Service, leaves them when in step, deletes them with the Service', async () => {
    const { ctx, requests } = fakeContext((req) => ({ status: req.method === 'POST' ? 201 : 200, body: req.body ?? {} }));
    const controller = new EndpointController(ctx);
    await controller.init();
    const services = ctx.informers.informerFor<Service & KubeObject>(SERVICES).indexer;
    const endpoints = ctx.informers.informerFor<Endpoints & KubeObject>(ENDPOINTS).indexer;
    services.upsert(service());
    ctx.informers.informerFor<Pod & KubeObject>(PODS).indexer.upsert(pod('a', '10.0.0.1'));
    const sync = (controller as unknown as { sync(key: string): Promise<void> }).sync.bind(controller);
    await sync('ns/web');
    const [create] = requests();
    assert.equal(create?.method, 'POST');
    assert.equal(create?.path, '/api/v1/namespaces/ns/endpoints');
    const written = create!.body as Endpoints & KubeObject;
    assert.equal(written.metadata.name, 'web');
    assert.equal(written.subsets?.[0]?.addresses?.[0]?.ip, '10.0.0.1');
    // As stored (keys in another order): nothing to write.
    const reordered = written.subsets!.map((sub) => ({ ports: sub.ports, addresses: sub.addresses!.map((a) => ({ targetRef: a.targetRef, nodeName: a.nodeName, ip: a.ip })) }));
    endpoints.upsert({ ...written, metadata: { ...written.metadata, uid: 'ep-uid', resourceVersion: '9' }, subsets: reordered });
    await sync('ns/web');
    assert.equal(requests().length, 1);
    // A Service without a selector keeps what its owner writes.
    services.upsert(service({ selector: {} }));
    await sync('ns/web');
    assert.equal(requests().length, 1);
    services.delete('ns/web');
    await sync('ns/web');
    const del = requests()[1];
    assert.deepEqual([del?.method, del?.path], ['DELETE', '/api/v1/namespaces/ns/endpoints/web']);
    await controller.stop();
  });
});
