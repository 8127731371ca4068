/**
 * End-to-end: the OpenAPI documents as kubectl uses them — `kubectl explain` (OpenAPI v3), `kubectl apply
 * --validate=strict|warn` (server-side field validation against the types' schemas), and the v2/v3 documents'
 * x-kubernetes-* extensions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APIClient } from '../helpers/api-client.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { failed, manifest, ok } from '../helpers/kubectl-e2e.js';

interface Doc {
  definitions?: Record<string, { properties?: Record<string, Record<string, unknown>>; 'x-kubernetes-group-version-kind'?: unknown[] }>;
  components?: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>>; 'x-kubernetes-group-version-kind'?: unknown[] }> };
  paths?: Record<string, { serverRelativeURL?: string }>;
}

const deployment = (containerExtra: Record<string, unknown>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'typo' },
  spec: {
    selector: { matchLabels: { app: 'typo' } },
    template: {
      metadata: { labels: { app: 'typo' } },
      spec: { containers: [{ name: 'app', image: 'nginx', ...containerExtra, ports: [{ containerPort: 80, prot: 'TCP' }] }] },
    },
  },
});

describe('OpenAPI', () => {
  let cluster: TestCluster;
  let client: APIClient;

  before(async () => {
    cluster = await startCluster();
    client = await APIClient.fromKubeconfig(cluster.kubeconfig);
  });
  after(async () => {
    client?.close();
    await cluster?.stop();
  });

  test('kubectl explain walks the schemas: fields, types, required marks and descriptions', async () => {
    const ports = ok(await cluster.kubectl(['explain', 'pod.spec.containers.ports']));
    assert.match(ports, /^KIND:\s+Pod$/m);
    assert.match(ports, /^FIELD: ports <\[\]ContainerPort>$/m);
    assert.match(ports, /^ {2}containerPort\t<integer> -required-$/m);
    assert.match(ports, /Number of port to expose on the pod's IP address/);
    const strategy = ok(await cluster.kubectl(['explain', 'deployments.spec.strategy']));
    assert.match(strategy, /^GROUP:\s+apps$/m);
    assert.match(strategy, /^ {2}rollingUpdate\t<RollingUpdateDeployment>$/m);
    const recursive = ok(await cluster.kubectl(['explain', 'cronjob.spec', '--recursive']));
    assert.match(recursive, /^ {6}activeDeadlineSeconds\t<integer>$/m);
    const missing = failed(await cluster.kubectl(['explain', 'pod.spec.nope']));
    assert.match(missing, /field "nope" does not exist/);
  });

  test('apply --validate=strict refuses unknown fields at any depth with the decoder\'s paths', async () => {
    const err = failed(await cluster.kubectl(['apply', '--validate=strict', '-f', '-'], { input: manifest(deployment({ imagee: 'x' })) }));
    assert.match(
      err,
      /strict decoding error: unknown field "spec\.template\.spec\.containers\[0\]\.imagee", unknown field "spec\.template\.spec\.containers\[0\]\.ports\[0\]\.prot"/,
    );
    const notThere = await cluster.kubectl(['get', 'deployment', 'typo']);
    assert.equal(notThere.code, 1);
  });

  test('apply --validate=warn creates the object and prints a warning per unknown field', async () => {
    const r = await cluster.kubectl(['apply', '--validate=warn', '-f', '-'], { input: manifest(deployment({ imagee: 'x' })) });
    ok(r);
    assert.match(r.stderr, /Warning: unknown field "spec\.template\.spec\.containers\[0\]\.imagee"/);
    const live = JSON.parse(ok(await cluster.kubectl(['get', 'deployment', 'typo', '-o', 'json'])));
    assert.equal(live.spec.template.spec.containers[0].imagee, undefined);
  });

  test('/openapi/v2 and /openapi/v3 carry group-version-kind, merge keys and list types', async () => {
    const v2 = (await client.json<Doc>('GET', '/openapi/v2')).object;
    const ports = v2.definitions!['io.k8s.api.core.v1.Container']!.properties!.ports!;
    assert.equal(ports['x-kubernetes-patch-merge-key'], 'containerPort');
    assert.equal(ports['x-kubernetes-patch-strategy'], 'merge');
    assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
    assert.deepEqual(v2.definitions!['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);

    const root = (await client.json<Doc>('GET', '/openapi/v3')).object;
    const url = root.paths!['apis/apps/v1']!.serverRelativeURL!;
    assert.match(url, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const apps = (await client.json<Doc>('GET', url)).object;
    const schemas = apps.components!.schemas;
    assert.deepEqual(schemas['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    // Everything referenced is in the document (PodSpec from core, ObjectMeta from meta).
    assert.ok(schemas['io.k8s.api.core.v1.PodSpec'] && schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
    const containers = schemas['io.k8s.api.core.v1.PodSpec']!.properties!.containers!;
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal((await client.json('GET', '/openapi/v3/apis/nope/v1')).status, 404);
  });
});
