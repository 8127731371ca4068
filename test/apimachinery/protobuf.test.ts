import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import protobuf from 'protobufjs';
import {
  PROTOBUF_TYPE,
  decodeKubernetesProtobuf,
  formatGoDuration,
} from '../../src/apimachinery/protobuf/decode.js';

// An independent, hand-written subset of the Kubernetes protos (field numbers as in k8s.io/api),
// used only to *encode* test bodies. proto2 writes every field the test sets, zeros included,
// which mimics how go-to-protobuf always writes non-pointer fields.
const TEST_PROTO = `
syntax = "proto2";
package t;
message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }
message Unknown { optional TypeMeta typeMeta = 1; optional bytes raw = 2; optional string contentEncoding = 3; optional string contentType = 4; }
message Time { optional int64 seconds = 1; optional int32 nanos = 2; }
message ObjectMeta {
  optional string name = 1; optional string generateName = 2; optional string namespace = 3;
  optional string uid = 5; optional string resourceVersion = 6; optional int64 generation = 7;
  optional Time creationTimestamp = 8; optional int64 deletionGracePeriodSeconds = 10;
  map<string, string> labels = 11; map<string, string> annotations = 12; repeated string finalizers = 14;
}
message ConfigMap { optional ObjectMeta metadata = 1; map<string, string> data = 2; map<string, bytes> binaryData = 3; optional bool immutable = 4; }
message Secret { optional ObjectMeta metadata = 1; map<string, bytes> data = 2; optional string type = 3; optional bool immutable = 5; }
message NamespaceSpec { repeated string finalizers = 1; }
message NamespaceStatus { optional string phase = 1; }
message Namespace { optional ObjectMeta metadata = 1; optional NamespaceSpec spec = 2; optional NamespaceStatus status = 3; }
message Quantity { optional string string = 1; }
message IntOrString { optional int64 type = 1; optional int32 intVal = 2; optional string strVal = 3; }
message LabelSelector { map<string, string> matchLabels = 1; }
message ContainerPort { optional string name = 1; optional int32 hostPort = 2; optional int32 containerPort = 3; optional string protocol = 4; }
message EnvVar { optional string name = 1; optional string value = 2; }
message ResourceRequirements { map<string, Quantity> limits = 1; map<string, Quantity> requests = 2; }
message Container {
  optional string name = 1; optional string image = 2; repeated string command = 3; repeated ContainerPort ports = 6;
  repeated EnvVar env = 7; optional ResourceRequirements resources = 8; optional string imagePullPolicy = 14; optional bool stdin = 16;
}
message PodSecurityContext { optional int64 runAsUser = 2; optional bool runAsNonRoot = 3; repeated int64 supplementalGroups = 4 [packed = true]; }
message PodSpec {
  repeated Container containers = 2; optional string restartPolicy = 3; optional int64 terminationGracePeriodSeconds = 4;
  optional bool hostNetwork = 11; optional PodSecurityContext securityContext = 14;
}
message PodTemplateSpec { optional ObjectMeta metadata = 1; optional PodSpec spec = 2; }
message RollingUpdateDeployment { optional IntOrString maxUnavailable = 1; optional IntOrString maxSurge = 2; }
message DeploymentStrategy { optional string type = 1; optional RollingUpdateDeployment rollingUpdate = 2; }
message DeploymentSpec {
  optional int32 replicas = 1; optional LabelSelector selector = 2; optional PodTemplateSpec template = 3;
  optional DeploymentStrategy strategy = 4; optional int32 minReadySeconds = 5; optional bool paused = 7;
}
message Deployment { optional ObjectMeta metadata = 1; optional DeploymentSpec spec = 2; }
message Preconditions { optional string uid = 1; optional string resourceVersion = 2; }
message DeleteOptions {
  optional int64 gracePeriodSeconds = 1; optional Preconditions preconditions = 2; optional bool orphanDependents = 3;
  optional string propagationPolicy = 4; repeated string dryRun = 5;
}
message Eviction { optional ObjectMeta metadata = 1; optional DeleteOptions deleteOptions = 2; }
message LeaseSpec { optional string holderIdentity = 1; optional int32 leaseDurationSeconds = 2; optional Time acquireTime = 3; optional int32 leaseTransitions = 5; }
message Lease { optional ObjectMeta metadata = 1; optional LeaseSpec spec = 2; }
`;
const root = protobuf.parse(TEST_PROTO, { keepCase: true }).root;

/** Encodes `message` as type t.<type> inside the "k8s\0" + runtime.Unknown envelope. */
function envelope(apiVersion: string, kind: string, type: string, message: Record<string, unknown>): Buffer {
  const T = root.lookupType(`t.${type}`);
  const raw = T.encode(T.fromObject(message)).finish();
  const U = root.lookupType('t.Unknown');
  const unknown = U.encode(U.fromObject({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' })).finish();
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
}

// ObjectMeta as go-to-protobuf writes it for a fresh object: all non-pointer fields, zeros included.
const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name, generateName: '', namespace: '', uid: '', resourceVersion: '', generation: 0, creationTimestamp: {}, ...extra,
});

test('PROTOBUF_TYPE is the Kubernetes protobuf media type', () => {
  assert.equal(PROTOBUF_TYPE, 'application/vnd.kubernetes.protobuf');
});

test('decodes a ConfigMap with data and binaryData', () => {
  const body = envelope('v1', 'ConfigMap', 'ConfigMap', {
    metadata: meta('cm', { namespace: 'default', labels: { app: 'web' } }),
    data: { 'a.txt': 'hello', empty: '' },
    binaryData: { bin: Buffer.from([0, 1, 2, 255]) },
  });
  const { apiVersion, kind, object } = decodeKubernetesProtobuf(body);
  assert.equal(apiVersion, 'v1');
  assert.equal(kind, 'ConfigMap');
  assert.deepEqual(object, {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name: 'cm', namespace: 'default', creationTimestamp: null, labels: { app: 'web' } },
    data: { 'a.txt': 'hello', empty: '' },
    binaryData: { bin: 'AAEC/w==' },
  });
});

test('keeps an explicit immutable: false (a pointer field) but drops zero non-pointer fields', () => {
  const body = envelope('v1', 'ConfigMap', 'ConfigMap', { metadata: meta('cm'), immutable: false });
  assert.deepEqual(decodeKubernetesProtobuf(body).object, {
    kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cm', creationTimestamp: null }, immutable: false,
  });
});

test('decodes a Secret with bytes data as base64', () => {
  const body = envelope('v1', 'Secret', 'Secret', {
    metadata: meta('s'), data: { password: Buffer.from('s3cr3t'), key: Buffer.from([0xde, 0xad]) }, type: 'Opaque',
  });
  assert.deepEqual(decodeKubernetesProtobuf(body).object, {
    kind: 'Secret', apiVersion: 'v1',
    metadata: { name: 's', creationTimestamp: null },
    data: { password: 'czNjcjN0', key: '3q0=' },
    type: 'Opaque',
  });
});

test('decodes a Namespace with empty spec and status', () => {
  const body = envelope('v1', 'Namespace', 'Namespace', { metadata: meta('ns'), spec: {}, status: { phase: '' } });
  assert.deepEqual(decodeKubernetesProtobuf(body).object, {
    kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'ns', creationTimestamp: null }, spec: {}, status: {},
  });
});

test('decodes a Deployment with a pod template, quantities, IntOrString and a timestamp', () => {
  const body = envelope('apps/v1', 'Deployment', 'Deployment', {
    metadata: meta('web', {
      namespace: 'prod', generation: 3, creationTimestamp: { seconds: 1704164645, nanos: 999 },
      annotations: { note: 'x' }, finalizers: ['a', 'b'],
    }),
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: meta('', { labels: { app: 'web' } }),
        spec: {
          containers: [{
            name: 'nginx', image: 'nginx:1.27', command: ['nginx', '-g', 'daemon off;'],
            ports: [{ name: '', hostPort: 0, containerPort: 80, protocol: 'TCP' }],
            env: [{ name: 'MODE', value: '' }, { name: 'LEVEL', value: 'debug' }],
            resources: { limits: { cpu: { string: '500m' }, memory: { string: '128Mi' } }, requests: { cpu: { string: '250m' } } },
            imagePullPolicy: 'IfNotPresent', stdin: false,
          }],
          restartPolicy: 'Always', terminationGracePeriodSeconds: 0, hostNetwork: false,
          securityContext: { runAsUser: 1000, runAsNonRoot: true, supplementalGroups: [1, 2, 70000] },
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: { type: 1, intVal: 0, strVal: '25%' }, maxUnavailable: { type: 0, intVal: 1, strVal: '' } } },
      minReadySeconds: 0, paused: false,
    },
  });
  assert.deepEqual(decodeKubernetesProtobuf(body).object, {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: {
      name: 'web', namespace: 'prod', generation: 3, creationTimestamp: '2024-01-02T03:04:05Z',
      annotations: { note: 'x' }, finalizers: ['a', 'b'],
    },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: {
          containers: [{
            name: 'nginx', image: 'nginx:1.27', command: ['nginx', '-g', 'daemon off;'],
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            env: [{ name: 'MODE' }, { name: 'LEVEL', value: 'debug' }],
            resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } },
            imagePullPolicy: 'IfNotPresent',
          }],
          restartPolicy: 'Always', terminationGracePeriodSeconds: 0,
          securityContext: { runAsUser: 1000, runAsNonRoot: true, supplementalGroups: [1, 2, 70000] },
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
    },
  });
});

test('decodes DeleteOptions with any apiVersion, keeping gracePeriodSeconds: 0', () => {
  for (const apiVersion of ['v1', 'meta.k8s.io/v1', 'apps/v1']) {
    const body = envelope(apiVersion, 'DeleteOptions', 'DeleteOptions', {
      gracePeriodSeconds: 0, preconditions: { uid: 'u-1' }, propagationPolicy: 'Foreground', dryRun: ['All'],
    });
    assert.deepEqual(decodeKubernetesProtobuf(body).object, {
      kind: 'DeleteOptions', apiVersion,
      gracePeriodSeconds: 0, preconditions: { uid: 'u-1' }, propagationPolicy: 'Foreground', dryRun: ['All'],
    });
  }
});

test('decodes a policy/v1 Eviction with nested DeleteOptions', () => {
  const body = envelope('policy/v1', 'Eviction', 'Eviction', {
    metadata: meta('pod-1', { namespace: 'default' }), deleteOptions: { gracePeriodSeconds: 30 },
  });
  assert.deepEqual(decodeKubernetesProtobuf(body).object, {
    kind: 'Eviction', apiVersion: 'policy/v1',
    metadata: { name: 'pod-1', namespace: 'default', creationTimestamp: null },
    deleteOptions: { gracePeriodSeconds: 30 },
  });
});

test('renders MicroTime with microseconds', () => {
  const body = envelope('coordination.k8s.io/v1', 'Lease', 'Lease', {
    metadata: meta('l'), spec: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: { seconds: 1704164645, nanos: 123456789 } },
  });
  assert.deepEqual(decodeKubernetesProtobuf(body).object.spec, {
    holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: '2024-01-02T03:04:05.123456Z',
  });
});

test('formats durations like Go', () => {
  const cases: Array<[bigint, string]> = [
    [0n, '0s'], [1n, '1ns'], [1_500n, '1.5µs'], [300_000_000n, '300ms'], [1_500_000_000n, '1.5s'],
    [90_000_000_000n, '1m30s'], [3_600_000_000_000n, '1h0m0s'], [-5_000_000_000n, '-5s'],
    [259_200_500_000_000n, '72h0m0.5s'],
  ];
  for (const [ns, text] of cases) assert.equal(formatGoDuration(ns), text, String(ns));
});

test('rejects bad magic, truncated data, unknown kinds and wire-type mismatches', () => {
  const good = envelope('v1', 'ConfigMap', 'ConfigMap', { metadata: meta('cm'), data: { a: 'b' } });
  const rejects = (body: Buffer, pattern: RegExp) =>
    assert.throws(() => decodeKubernetesProtobuf(body), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, pattern);
      return true;
    });
  rejects(Buffer.from('{"kind":"ConfigMap"}'), /magic/);
  rejects(Buffer.from('k8s'), /magic/);
  rejects(good.subarray(0, good.length - 3), /truncated/);
  rejects(envelope('v1', 'Frobnicator', 'ConfigMap', {}), /no protobuf schema for v1, Kind=Frobnicator/);
  // ConfigMap field 1 (metadata) sent as a varint instead of a message
  const U = root.lookupType('t.Unknown');
  const bad = U.encode(U.fromObject({ typeMeta: { apiVersion: 'v1', kind: 'ConfigMap' }, raw: Buffer.from([0x08, 0x01]) })).finish();
  rejects(Buffer.concat([Buffer.from('k8s\0', 'latin1'), bad]), /wire type 0, expected 2/);
});

// End to end: the bodies real kubectl sends must decode to exactly the JSON that kubectl
// produces for the same command with --dry-run=client -o json.
const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);

// Needs the real kubectl (/usr/bin/kubectl, installed on every machine here and on CI).
describe("kubectl's own protobuf bodies decode to the JSON kubectl would send", () => {
  const bodies = new Map<string, Buffer>();
  let server: Server;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const resources = (list: Array<[string, string, boolean]>) =>
    list.map(([name, kind, namespaced]) => ({ name, singularName: '', namespaced, kind, verbs: ['create', 'get', 'list'] }));
  const routes: Record<string, unknown> = {
    '/version': { major: '1', minor: '32', gitVersion: 'v1.32.0' },
    '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] },
    '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }] },
    '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: resources([['configmaps', 'ConfigMap', true], ['secrets', 'Secret', true], ['namespaces', 'Namespace', false]]) },
    '/apis/apps/v1': { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'apps/v1', resources: resources([['deployments', 'Deployment', true]]) },
  };

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = (req.url ?? '').split('?')[0]!;
        const reply = (code: number, obj: unknown) => {
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(obj));
        };
        if (req.method === 'GET' && routes[path]) return reply(200, routes[path]);
        if (req.method === 'POST') {
          const body = Buffer.concat(chunks);
          bodies.set(path, body);
          try {
            return reply(201, decodeKubernetesProtobuf(body).object);
          } catch (err) {
            return reply(400, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400, message: String(err) });
          }
        }
        reply(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    dir = mkdtempSync(join(tmpdir(), 'k8ts-protobuf-'));
    writeFileSync(join(dir, 'kubeconfig'), [
      'apiVersion: v1', 'kind: Config',
      'clusters:', `- cluster: {server: "http://127.0.0.1:${port}"}`, '  name: c',
      'contexts:', '- context: {cluster: c, user: u, namespace: default}', '  name: ctx',
      'current-context: ctx', 'users:', '- name: u', '  user: {}', '',
    ].join('\n'));
    env = { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir, KUBECACHEDIR: join(dir, 'cache') };
  });

  after(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cases: Array<[string, string[], string]> = [
    ['create configmap --from-literal', ['create', 'configmap', 'x', '--from-literal=a=b', '--from-literal=empty='], '/api/v1/namespaces/default/configmaps'],
    ['create secret generic --from-literal', ['create', 'secret', 'generic', 's', '--from-literal=password=p@ss', '--from-literal=user=admin'], '/api/v1/namespaces/default/secrets'],
    ['create namespace', ['create', 'namespace', 'team-a'], '/api/v1/namespaces'],
    ['create deployment', ['create', 'deployment', 'web', '--image=nginx', '--replicas=2', '--port=80'], '/apis/apps/v1/namespaces/default/deployments'],
  ];
  for (const [name, args, path] of cases) {
    test(name, async () => {
      const expected = JSON.parse((await run(KUBECTL, [...args, '--dry-run=client', '-o', 'json'], { env })).stdout);
      await run(KUBECTL, args, { env });
      const body = bodies.get(path);
      assert.ok(body, `kubectl sent no body to ${path}`);
      assert.ok(body.subarray(0, 4).equals(Buffer.from('k8s\0', 'latin1')), 'kubectl sent protobuf');
      assert.deepEqual(decodeKubernetesProtobuf(body).object, expected);
    });
  }
});
