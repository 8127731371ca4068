/**
 * End-to-end: what the real `k8ts up` answers to bad requests, over real HTTPS with the admin client
 * certificate. Each refusal must be the `Status` kube-apiserver sends (kind, code equal to the HTTP status,
 * reason, and the message clients print), and must leave nothing behind in storage. A seeded fuzz run then
 * throws thousands of mangled requests at the server: every answer must be a success or a well-formed
 * client-error Status, nothing may hang or crash the process, and only acknowledged creates may be stored.
 *
 * The fuzz seed is fixed unless K8TS_FUZZ_SEED=random. Reproduce a failure with the seed it prints:
 * K8TS_FUZZ_SEED=<seed> (K8TS_FUZZ_COUNT sets the number of
 * requests, K8TS_FUZZ_CONCURRENCY how many are in flight; 1 makes a run fully deterministic).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { ConfigMap, ConfigMapList } from 'kubernetes-types/core/v1.js';
import type { Status } from 'kubernetes-types/meta/v1.js';
import { APIClient, RequestTimeout, type Reply } from '../helpers/api-client.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { createdConfigMap, describeFinding, judge, parseAnswer, type Finding } from '../helpers/fuzz-answers.js';
import { fuzzRequest, Rand } from '../helpers/fuzz-requests.js';

const NS = 'bad-input';
const CONFIGMAPS = `/api/v1/namespaces/${NS}/configmaps`;

/** Parses a Status answer. */
function statusOf(reply: Reply): Status {
  return parseAnswer(reply) as Status;
}

/** Asserts a failure answer: HTTP `code`, and a Status with the same code, `reason` and (when given) `message`. */
function assertStatus(reply: Reply, code: number, reason: string, message?: string | RegExp): Status {
  const text = reply.body.toString('utf8');
  assert.equal(reply.status, code, `want HTTP ${code}, got ${reply.status}: ${text.slice(0, 500)}`);
  assert.match(String(reply.headers['content-type']), /^application\/json/);
  const status = statusOf(reply);
  assert.equal(status.kind, 'Status', text);
  assert.equal(status.apiVersion, 'v1', text);
  assert.equal(status.status, 'Failure', text);
  assert.equal(status.code, code, text);
  assert.equal(status.reason, reason, text);
  if (typeof message === 'string') assert.equal(status.message, message);
  else if (message) assert.match(status.message ?? '', message);
  return status;
}

function configMap(name: string, extra: Partial<ConfigMap> = {}): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' }, ...extra };
}

describe('bad input over HTTPS', () => {
  let cluster: TestCluster;
  let api: APIClient;
  /** The configmaps the tests created successfully: all the namespace may hold. */
  const created = new Set<string>();

  before(async () => {
    cluster = await startCluster();
    api = await APIClient.fromKubeconfig(cluster.kubeconfig);
    const ns = await api.json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    assert.equal(ns.status, 201);
  });

  after(async () => {
    api?.close();
    await cluster?.stop();
  });

  const post = (body: string | Buffer, contentType = 'application/json', path = CONFIGMAPS): Promise<Reply> =>
    api.request('POST', path, { body, headers: { 'Content-Type': contentType, Accept: 'application/json' } });

  async function create(name: string, extra: Partial<ConfigMap> = {}): Promise<ConfigMap> {
    const reply = await post(JSON.stringify(configMap(name, extra)));
    assert.equal(reply.status, 201, reply.body.toString());
    created.add(name);
    return JSON.parse(reply.body.toString()) as ConfigMap;
  }

  /** The namespace holds exactly what the tests created, each one whole. */
  async function assertNothingPartial(): Promise<void> {
    const { status, object } = await api.json<ConfigMapList>('GET', CONFIGMAPS);
    assert.equal(status, 200);
    assert.deepEqual(object.items.map((o) => o.metadata!.name).sort(), [...created].sort());
    for (const o of object.items) {
      assert.equal(o.metadata?.namespace, NS);
      assert.match(o.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
      assert.match(o.metadata?.resourceVersion ?? '', /^\d+$/);
    }
  }

  test('malformed JSON is a 400 BadRequest', async () => {
    for (const body of ['{"metadata":', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},}', '\u0000', '{"a":1}x']) {
      assertStatus(await post(body), 400, 'BadRequest');
    }
    await assertNothingPartial();
  });

  test('malformed YAML (Content-Type application/yaml) is a 400 BadRequest', async () => {
    for (const body of ['metadata: {name: [x', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n   bad: indent', '"unterminated']) {
      assertStatus(await post(body, 'application/yaml'), 400, 'BadRequest');
    }
    await assertNothingPartial();
  });

  test('a kind or apiVersion that does not match the URL is a 400 BadRequest', async () => {
    assertStatus(await post(JSON.stringify({ ...configMap('kind-mismatch'), kind: 'Secret' })), 400, 'BadRequest', /kind/);
    assertStatus(await post(JSON.stringify({ ...configMap('version-mismatch'), apiVersion: 'apps/v1' })), 400, 'BadRequest', /API version/);
    assertStatus(await post(JSON.stringify(configMap('wrong-url')), 'application/json', `/apis/apps/v1/namespaces/${NS}/deployments`), 400, 'BadRequest');
    await assertNothingPartial();
  });

  test('a namespace in the body that differs from the path is a 400 BadRequest', async () => {
    const body = configMap('other-ns', { metadata: { name: 'other-ns', namespace: 'default' } });
    assertStatus(await post(JSON.stringify(body)), 400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    await assertNothingPartial();
    const inDefault = await api.json('GET', '/api/v1/namespaces/default/configmaps/other-ns');
    assert.equal(inDefault.status, 404);
  });

  test('names that are not DNS-1123 subdomains are a 422 Invalid on metadata.name', async () => {
    for (const name of ['Bad_Name', 'UPPER', '-leading', 'trailing-', 'a..b', 'has space', 'x'.repeat(254), 'snow\u2603man', '']) {
      const status = assertStatus(await post(JSON.stringify(configMap(name))), 422, 'Invalid');
      assert.equal(status.details?.causes?.[0]?.field, 'metadata.name', JSON.stringify(status));
      assert.equal(status.details?.kind, 'ConfigMap');
    }
    await assertNothingPartial();
  });

  test('a body over 3 MiB is a 413 RequestEntityTooLarge, with or without Content-Length', async () => {
    const big = JSON.stringify(configMap('too-big', { data: { k: 'x'.repeat(3 * 1024 * 1024) } }));
    for (const chunked of [false, true]) {
      const reply = await api.request('POST', CONFIGMAPS, { body: big, chunked, headers: { 'Content-Type': 'application/json' } });
      assertStatus(reply, 413, 'RequestEntityTooLarge');
    }
    await assertNothingPartial();
  });

  test('an unknown resource is a 404 NotFound', async () => {
    for (const path of [`/api/v1/namespaces/${NS}/widgets`, `/api/v1/namespaces/${NS}/widgets/x`, '/apis/nope.example.com/v1/things', '/apis/apps/v1/namespaces/default/pods']) {
      assertStatus(await api.request('GET', path), 404, 'NotFound', 'the server could not find the requested resource');
    }
    assertStatus(await post(JSON.stringify(configMap('widget')), 'application/json', `/api/v1/namespaces/${NS}/widgets`), 404, 'NotFound', 'the server could not find the requested resource');
    await assertNothingPartial();
  });

  test('an unsupported media type is a 415 UnsupportedMediaType', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'image/png']) {
      assertStatus(await post(JSON.stringify(configMap('media')), type), 415, 'UnsupportedMediaType');
    }
    await assertNothingPartial();
  });

  test('server-side apply without a fieldManager is a 422, and malformed apply YAML a 400; neither changes anything', async () => {
    const cm = await create('apply-target');
    const noManager = await api.request('PATCH', `${CONFIGMAPS}/apply-target`, {
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: apply-target\ndata:\n  k: applied\n',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    assertStatus(noManager, 422, 'Invalid');
    const malformed = await api.request('PATCH', `${CONFIGMAPS}/apply-target?fieldManager=fuzz`, {
      body: 'apiVersion: v1\nkind: [ConfigMap\n',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    assertStatus(malformed, 400, 'BadRequest');
    const after = await api.json<ConfigMap>('GET', `${CONFIGMAPS}/apply-target`);
    assert.deepEqual(after.object, cm);
    await assertNothingPartial();
  });

  test('PATCH with an invalid JSON patch is a 400 or 422 and changes nothing', async () => {
    const cm = await create('json-patch-target');
    const patches = [
      '[{"op":"frobnicate","path":"/data/k"}]',
      '{"op":"replace","path":"/data/k","value":"x"}',
      '[{"op":"replace","path":"/data/missing/deeper","value":"x"}]',
      '[{"op":"test","path":"/data/k","value":"not-v"}]',
      '[{"op":"add"}]',
      '[{"op":"replace","path":"/data/k","value":"x"},{"op":"remove","path":"/nope"}]',
      '[{"op"',
    ];
    for (const body of patches) {
      const reply = await api.request('PATCH', `${CONFIGMAPS}/json-patch-target`, { body, headers: { 'Content-Type': 'application/json-patch+json' } });
      assert.ok(reply.status === 400 || reply.status === 422, `${body}: ${reply.status} ${reply.body.toString()}`);
      assertStatus(reply, reply.status, reply.status === 400 ? 'BadRequest' : 'Invalid');
    }
    const after = await api.json<ConfigMap>('GET', `${CONFIGMAPS}/json-patch-target`);
    assert.deepEqual(after.object, cm, 'a failed patch (even a partly valid one) must not be stored');
    await assertNothingPartial();
  });

  test('an update with a stale resourceVersion is a 409 Conflict', async () => {
    const first = await create('stale');
    const updated = await api.json<ConfigMap>('PUT', `${CONFIGMAPS}/stale`, { ...first, data: { k: 'second' } });
    assert.equal(updated.status, 200);
    const reply = await api.request('PUT', `${CONFIGMAPS}/stale`, {
      body: JSON.stringify({ ...first, data: { k: 'stale write' } }),
      headers: { 'Content-Type': 'application/json' },
    });
    assertStatus(reply, 409, 'Conflict', 'Operation cannot be fulfilled on configmaps "stale": the object has been modified; please apply your changes to the latest version and try again');
    const after = await api.json<ConfigMap>('GET', `${CONFIGMAPS}/stale`);
    assert.deepEqual(after.object.data, { k: 'second' });
    await assertNothingPartial();
  });

  test('creating an existing name is a 409 AlreadyExists', async () => {
    const first = await create('exists');
    assertStatus(await post(JSON.stringify(configMap('exists', { data: { k: 'again' } }))), 409, 'AlreadyExists', 'configmaps "exists" already exists');
    const after = await api.json<ConfigMap>('GET', `${CONFIGMAPS}/exists`);
    assert.deepEqual(after.object, first);
    await assertNothingPartial();
  });

  test('a GET of a missing object is a 404 NotFound naming it', async () => {
    const status = assertStatus(await api.request('GET', `${CONFIGMAPS}/x`), 404, 'NotFound', 'configmaps "x" not found');
    assert.deepEqual(status.details, { name: 'x', kind: 'configmaps' });
    assertStatus(await api.request('DELETE', `${CONFIGMAPS}/x`), 404, 'NotFound', 'configmaps "x" not found');
    await assertNothingPartial();
  });

  test('a list with an invalid labelSelector is a 400 BadRequest', async () => {
    for (const selector of ['a in (', 'a==b==c', '!!', 'x notin', 'Bad Key=v']) {
      assertStatus(await api.request('GET', `${CONFIGMAPS}?labelSelector=${encodeURIComponent(selector)}`), 400, 'BadRequest');
    }
    assertStatus(await api.request('DELETE', `${CONFIGMAPS}?labelSelector=${encodeURIComponent('a in (')}`), 400, 'BadRequest');
    await assertNothingPartial();
  });

  test('a request without credentials is a 401 Unauthorized', async () => {
    assertStatus(await api.request('GET', CONFIGMAPS, { anonymous: true }), 401, 'Unauthorized', 'Unauthorized');
    const body = JSON.stringify(configMap('anonymous'));
    assertStatus(await api.request('POST', CONFIGMAPS, { anonymous: true, body, headers: { 'Content-Type': 'application/json' } }), 401, 'Unauthorized');
    assertStatus(await api.request('POST', CONFIGMAPS, { anonymous: true, body, headers: { 'Content-Type': 'application/json', Authorization: 'Bearer nope' } }), 401, 'Unauthorized');
    await assertNothingPartial();
  });

  // The cases below were found by the fuzz test (each was a 500, a crash, a stall or a wrong object).

  test('wrong JSON types deep inside a typed object are a 400 naming the Go struct field, as kube-apiserver words it', async () => {
    const DEPLOYMENTS = `/apis/apps/v1/namespaces/${NS}/deployments`;
    const deployment = (spec: Record<string, unknown>, container: Record<string, unknown> = {}): string =>
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'typed-deploy' },
        spec: {
          selector: { matchLabels: { app: 'x' } },
          template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx', ...container }] } },
          ...spec,
        },
      });
    const cannot = 'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal';
    const cases: [string, string][] = [
      [deployment({ replicas: 'three' }), `${cannot} string into Go struct field DeploymentSpec.spec.replicas of type int32`],
      [deployment({ replicas: 1.5 }), `${cannot} number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32`],
      [deployment({ replicas: 3_000_000_000 }), `${cannot} number 3000000000 into Go struct field DeploymentSpec.spec.replicas of type int32`],
      [deployment({ paused: 'yes' }), `${cannot} string into Go struct field DeploymentSpec.spec.paused of type bool`],
      [deployment({ template: 'x' }), `${cannot} string into Go struct field DeploymentSpec.spec.template of type v1.PodTemplateSpec`],
      [deployment({}, { image: 7 }), `${cannot} number into Go struct field Container.spec.template.spec.containers.image of type string`],
      [deployment({}, { ports: [{ containerPort: '80' }] }), `${cannot} string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32`],
      [deployment({}, { args: [1] }), `${cannot} number into Go struct field Container.spec.template.spec.containers.args of type string`],
      [deployment({}, { env: { A: '1' } }), `${cannot} object into Go struct field Container.spec.template.spec.containers.env of type []v1.EnvVar`],
    ];
    for (const [body, message] of cases) {
      const status = assertStatus(await post(body, 'application/json', DEPLOYMENTS), 400, 'BadRequest');
      assert.equal(status.message, message);
    }
    // Quantities decode from numbers too (`cpu: 1`), and are kept as strings.
    const ok = await post(deployment({}, { resources: { limits: { cpu: 1, memory: '64Mi' } } }), 'application/json', DEPLOYMENTS);
    assert.equal(ok.status, 201, ok.body.toString());
    const stored = JSON.parse(ok.body.toString()) as { spec: { template: { spec: { containers: { resources: { limits: Record<string, unknown> } }[] } } } };
    assert.deepEqual(stored.spec.template.spec.containers[0]!.resources.limits, { cpu: '1', memory: '64Mi' });
    await api.request('DELETE', `${DEPLOYMENTS}/typed-deploy`);
  });

  test('fields of the wrong JSON type are a 400 BadRequest, as Go decoding refuses them', async () => {
    const status = assertStatus(await post('{"metadata":{"name":5}}'), 400, 'BadRequest');
    assert.equal(status.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string');
    const bodies = [
      { metadata: { name: 'typed', labels: { a: { b: 1 } } } },
      { metadata: { name: 'typed', annotations: { a: ['b'] } } },
      { metadata: { name: 'typed', labels: 5 } },
      { metadata: { name: 'typed', finalizers: 'example.com/f' } },
      { metadata: { name: 'typed', ownerReferences: [{ name: 5 }] } },
      { metadata: { name: 'typed', generation: 'one' } },
      { metadata: { name: 'typed', creationTimestamp: 'yesterday' } },
      { metadata: { name: 'typed' }, data: 5 },
      { metadata: { name: 'typed' }, data: { k: 5 } },
      { metadata: { name: 'typed' }, binaryData: { k: 'not base64!' } },
      { metadata: { name: 'typed' }, immutable: 'yes' },
    ];
    for (const body of bodies) assertStatus(await post(JSON.stringify(body)), 400, 'BadRequest', /cannot be handled as a ConfigMap/);
    assertStatus(await post('{"metadata":[]}'), 400, 'BadRequest');
    // Go decodes null as the zero value: a null label value is "", a null field is unset.
    const nulls = await post('{"metadata":{"name":"nulls","labels":{"a":null},"annotations":null},"data":{"k":null}}');
    assert.equal(nulls.status, 201, nulls.body.toString());
    created.add('nulls');
    const stored = JSON.parse(nulls.body.toString()) as ConfigMap;
    assert.deepEqual([stored.metadata?.labels, stored.metadata?.annotations, stored.data], [{ a: '' }, undefined, { k: '' }]);
    // A patch that would store a wrong type is refused the same way, and changes nothing.
    const before = await create('typed-patch');
    for (const patch of ['{"metadata":{"labels":5}}', '{"data":{"k":{"x":1}}}', '{"metadata":[]}']) {
      const reply = await api.request('PATCH', `${CONFIGMAPS}/typed-patch`, { body: patch, headers: { 'Content-Type': 'application/merge-patch+json' } });
      assertStatus(reply, 400, 'BadRequest');
    }
    assert.deepEqual((await api.json<ConfigMap>('GET', `${CONFIGMAPS}/typed-patch`)).object, before);
    await assertNothingPartial();
  });

  test('bodies nested too deep, YAML alias bombs and circular YAML aliases are a 400 BadRequest', async () => {
    const deep = (d: number): string => `{"metadata":{"name":"deep"},"data":{"k":${'['.repeat(d)}1${']'.repeat(d)}}}`;
    assertStatus(await post(deep(5000)), 400, 'BadRequest', /nests objects and arrays more than 100 levels deep/);
    // Deep YAML flow collections overflowed the YAML parser's stack, and the second one aborted the process.
    const deepYAML = (d: number): string => `metadata: {name: deep}\nspec: ${'{a: '.repeat(d)}1${'}'.repeat(d)}`;
    for (const d of [1000, 5000, 100_000]) assertStatus(await post(deepYAML(d), 'application/yaml'), 400, 'BadRequest');
    assertStatus(await post(`metadata: {name: deep}\nspec:\n${'- '.repeat(2000)}1`, 'application/yaml'), 400, 'BadRequest');
    const levels = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i <= 9; i++) levels.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
    assertStatus(await post(`${levels.join('\n')}\nmetadata: {name: bomb}\ndata: *a9`, 'application/yaml'), 400, 'BadRequest');
    assertStatus(await post('metadata: {name: circular}\nspec: &a {b: *a}', 'application/yaml'), 400, 'BadRequest');
    assert.equal(cluster.process.exitCode, null, 'k8ts up must survive deep YAML');
    await assertNothingPartial();
  });

  test('a large YAML mapping is decoded in linear time', async () => {
    // The YAML library's duplicate-key check compares every pair of keys: 50,000 keys took 15 s of CPU.
    const keys = Array.from({ length: 50_000 }, (_, i) => `  k${i}: v`).join('\n');
    const reply = await api.request('POST', CONFIGMAPS, {
      body: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many-keys\ndata:\n${keys}\n`,
      headers: { 'Content-Type': 'application/yaml' },
      timeoutMs: 5_000,
    });
    assert.equal(reply.status, 201);
    created.add('many-keys');
    assert.equal(Object.keys((JSON.parse(reply.body.toString()) as ConfigMap).data ?? {}).length, 50_000);
    await assertNothingPartial();
  });

  test('path segments are taken as sent: configmaps/%2e%2e names no namespace', async () => {
    // The URL parser resolved %2e%2e, so this DELETE deleted the namespace itself.
    for (const [segment, problem] of [['%2e%2e', "may not be '..'"], ['..', "may not be '..'"], ['a%2Fb', "may not contain '/'"]] as const) {
      const name = decodeURIComponent(segment);
      assertStatus(await api.request('DELETE', `${CONFIGMAPS}/${segment}`), 400, 'BadRequest', `Name parameter invalid: "${name}": ${problem}`);
    }
    assertStatus(await api.request('GET', `/api/v1/namespaces/%2e%2e/configmaps`), 400, 'BadRequest', `Namespace parameter invalid: "..": may not be '..'`);
    assert.equal((await api.json('GET', `/api/v1/namespaces/${NS}`)).status, 200);
    await assertNothingPartial();
  });

  test('POST to a named path, writes to /watch/ paths and DELETE across namespaces are a 405 MethodNotAllowed', async () => {
    // POST /configmaps/<name> created the body's object; DELETE /watch/... deleted the whole collection.
    assertStatus(await post(JSON.stringify(configMap('posted-by-name')), 'application/json', `${CONFIGMAPS}/posted-by-name`), 405, 'MethodNotAllowed');
    assertStatus(await post(JSON.stringify(configMap('posted-to-watch')), 'application/json', `/api/v1/watch/namespaces/${NS}/configmaps`), 405, 'MethodNotAllowed');
    assertStatus(await api.request('DELETE', `/api/v1/watch/namespaces/${NS}/configmaps`), 405, 'MethodNotAllowed');
    // Nor does DELETE of the all-namespaces path empty every namespace (kube serves only list and watch there).
    assertStatus(await api.request('DELETE', '/api/v1/configmaps'), 405, 'MethodNotAllowed');
    await assertNothingPartial();
  });

  test('after all of it the server is alive and ready', async () => {
    assert.equal(cluster.process.exitCode, null);
    const ready = await api.request('GET', '/readyz');
    assert.deepEqual([ready.status, ready.body.toString()], [200, 'ok']);
  });
});

/** A stored ConfigMap is whole: identity, timestamps and string-valued data as the API defines them. */
function assertWholeConfigMap(o: ConfigMap): void {
  const m = o.metadata;
  assert.ok(m && typeof m.name === 'string' && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(m.name) && m.name.length <= 253, `bad name: ${JSON.stringify(m)}`);
  assert.equal(typeof m.namespace, 'string');
  assert.match(m.uid ?? '', /^[0-9a-f-]{36}$/);
  assert.match(m.resourceVersion ?? '', /^\d+$/);
  assert.match(m.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const maps: Array<[string, unknown]> = [['labels', m.labels], ['annotations', m.annotations], ['data', o.data], ['binaryData', o.binaryData]];
  for (const [field, map] of maps) {
    if (map === undefined) continue;
    const shown: string = `${m.name} ${field}: ${JSON.stringify(map).slice(0, 200)}`;
    assert.ok(typeof map === 'object' && map !== null && !Array.isArray(map), shown);
    for (const v of Object.values(map)) assert.equal(typeof v, 'string', shown);
  }
  const finalizers: unknown = m.finalizers;
  if (finalizers !== undefined) assert.ok(Array.isArray(finalizers) && finalizers.every((f) => typeof f === 'string'), `finalizers: ${JSON.stringify(finalizers)}`);
}

test('fuzz: thousands of mangled requests get well-formed answers, and only acknowledged creates are stored', async (t: TestContext) => {
  // A fixed seed by default so CI is repeatable; K8TS_FUZZ_SEED=random explores new ones.
  const seedEnv = process.env.K8TS_FUZZ_SEED ?? '20261125';
  const seed = seedEnv === 'random' ? Math.floor(Math.random() * 2 ** 32) : Number(seedEnv);
  const count = Number(process.env.K8TS_FUZZ_COUNT ?? 3000);
  const concurrency = Number(process.env.K8TS_FUZZ_CONCURRENCY ?? 16);
  const banner = `fuzz seed ${seed} (reproduce: K8TS_FUZZ_SEED=${seed} K8TS_FUZZ_COUNT=${count} K8TS_FUZZ_CONCURRENCY=${concurrency})`;
  t.diagnostic(banner);
  console.log(banner);
  const namespace = 'fuzz';
  const cluster = await startCluster();
  const api = await APIClient.fromKubeconfig(cluster.kubeconfig, { maxSockets: concurrency });
  try {
    assert.equal((await api.json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } })).status, 201);
    const before = await api.json<ConfigMapList>('GET', '/api/v1/configmaps');
    const preexisting = new Set(before.object.items.map((o) => `${o.metadata!.namespace}/${o.metadata!.name}`));

    const rng = new Rand(seed);
    const acknowledged = new Set<string>();
    const findings: Finding[] = [];
    const codes = new Map<number, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const index = next++;
        // Drawn in index order whatever the timing, so a seed always produces the same requests.
        const request = fuzzRequest(rng, { namespace, names: 12 });
        let reply: Reply;
        try {
          reply = await api.request(request.method, request.path, {
            headers: request.headers,
            ...(request.body ? { body: request.body } : {}),
            chunked: request.chunked,
            anonymous: request.anonymous,
            timeoutMs: 10_000,
          });
        } catch (err) {
          findings.push({ index, request, problem: err instanceof RequestTimeout ? `hang: ${err.message}` : `no answer: ${(err as Error).message}` });
          continue;
        }
        codes.set(reply.status, (codes.get(reply.status) ?? 0) + 1);
        const problem = judge(request, reply);
        if (problem) findings.push({ index, request, problem });
        const created = reply.status === 201 ? createdConfigMap(request, reply) : undefined;
        if (created) acknowledged.add(created);
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const summary = `${count} requests in ${Date.now() - started} ms; answers: ${[...codes].sort(([a], [b]) => a - b).map(([c, n]) => `${c}x${n}`).join(' ')}`;
    t.diagnostic(summary);

    // One example of each kind of problem (the same bug tends to answer many requests).
    const kinds = new Map<string, Finding[]>();
    for (const f of findings.sort((x, y) => x.index - y.index)) {
      const kind = f.problem.replace(/\d+/g, 'N').slice(0, 120);
      kinds.set(kind, [...(kinds.get(kind) ?? []), f]);
    }
    const report = [...kinds.values()].map((fs) => `${fs.length}x ${describeFinding(fs[0]!)}`);
    const serverErrors = findings.filter((f) => /^HTTP 5/.test(f.problem)).length;
    const alive = cluster.process.exitCode === null && cluster.process.signalCode === null;
    if (report.length > 0) {
      const process = alive ? 'k8ts up is still running' : `k8ts up exited:\n${cluster.stderr().slice(-3000)}`;
      assert.fail(`${banner}: ${findings.length} bad answers (${serverErrors} server errors); ${process}\n${report.join('\n')}`);
    }
    assert.ok(alive, `k8ts up exited: ${cluster.stderr()}`);
    const ready = await api.request('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.toString(), 'ok');

    const final = await api.json<ConfigMapList>('GET', '/api/v1/configmaps');
    assert.equal(final.status, 200);
    for (const o of final.object.items) {
      const key = `${o.metadata?.namespace}/${o.metadata?.name}`;
      assert.ok(preexisting.has(key) || acknowledged.has(key), `${banner}: ${key} is stored but no 201 acknowledged it`);
      assertWholeConfigMap(o);
      const one = await api.json<ConfigMap>('GET', `/api/v1/namespaces/${o.metadata!.namespace}/configmaps/${o.metadata!.name}`);
      assert.equal(one.status, 200);
      assert.deepEqual(one.object, { ...o, apiVersion: 'v1', kind: 'ConfigMap' });
    }
    t.diagnostic(`${acknowledged.size} creates acknowledged, ${final.object.items.length} configmaps stored at the end`);
  } finally {
    api.close();
    await cluster.stop();
  }
});
