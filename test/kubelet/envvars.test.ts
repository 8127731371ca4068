/** The container environment the kubelet builds: precedence, $(VAR) expansion, downward API, refs and errors. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConfigMap, Container, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import {
  CreateContainerConfigError,
  expandCommandAndArgs,
  expandSubPathExpr,
  makeEnvironment,
  type EnvironmentContext,
  type EnvVarValue,
} from '../../src/kubelet/envvars.js';
import { expand, lookupIn } from '../../src/kubelet/expansion.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function pod(container: Container, extra: { enableServiceLinks?: boolean } = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'team', uid: 'uid-1', labels: { app: 'web', tier: 'front' }, annotations: { note: 'hi' } },
    spec: { nodeName: 'node-1', serviceAccountName: 'builder', containers: [container], ...extra },
    status: { podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }, { ip: 'fd00::5' }], hostIP: '192.168.1.2' },
  };
}

function ctx(opts: { configMaps?: ConfigMap[]; secrets?: Secret[]; services?: Service[] } = {}): EnvironmentContext {
  return {
    getConfigMap: async (ns, name) => opts.configMaps?.find((c) => c.metadata?.namespace === ns && c.metadata?.name === name),
    getSecret: async (ns, name) => opts.secrets?.find((c) => c.metadata?.namespace === ns && c.metadata?.name === name),
    podIPs: ['10.0.0.5', 'fd00::5'],
    hostIPs: ['192.168.1.2', 'fd00::2'],
    listServices: () => opts.services ?? [],
    nodeAllocatable: { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' },
  };
}

const asObject = (env: EnvVarValue[]): Record<string, string> => Object.fromEntries(env.map((e) => [e.key, e.value]));
const cm = (name: string, data: Record<string, string>): ConfigMap => ({ metadata: { name, namespace: 'team' }, data });
const secret = (name: string, data: Record<string, string>): Secret => ({
  metadata: { name, namespace: 'team' },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

describe('$(VAR) expansion', () => {
  const lookup = lookupIn(new Map([['A', 'alpha'], ['B', 'beta']]));
  test('references, escapes, unknown and incomplete references', () => {
    assert.equal(expand('$(A)', lookup), 'alpha');
    assert.equal(expand('x-$(A)-$(B)-y', lookup), 'x-alpha-beta-y');
    assert.equal(expand('$$(A)', lookup), '$(A)');
    assert.equal(expand('$$$(A)', lookup), '$alpha');
    assert.equal(expand('$(MISSING)', lookup), '$(MISSING)');
    assert.equal(expand('$(A', lookup), '$(A');
    assert.equal(expand('cost $5 and $', lookup), 'cost $5 and $');
    assert.equal(expand('$$', lookup), '$');
  });
});

describe('makeEnvironment', () => {
  test('env overrides envFrom; prefixes; values expand earlier variables only', async () => {
    const c: Container = {
      name: 'main',
      envFrom: [{ configMapRef: { name: 'base' } }, { prefix: 'S_', secretRef: { name: 'creds' } }],
      env: [
        { name: 'MODE', value: 'prod' },
        { name: 'GREETING', value: '$(MODE)-$(LATER)-$(COLOR)-$$(MODE)' },
        { name: 'LATER', value: 'late' },
        { name: 'EMPTY' },
      ],
    };
    const { env } = await makeEnvironment(pod(c), c, ctx({ configMaps: [cm('base', { MODE: 'dev', COLOR: 'blue' })], secrets: [secret('creds', { user: 'bob' })] }));
    const vars = asObject(env);
    assert.equal(vars.MODE, 'prod');
    assert.equal(vars.COLOR, 'blue');
    assert.equal(vars.S_user, 'bob');
    assert.equal(vars.GREETING, 'prod-$(LATER)-blue-$(MODE)');
    assert.equal(vars.EMPTY, '');
    assert.deepEqual(env.slice(0, 3).map((e) => e.key), ['MODE', 'COLOR', 'S_user']);
  });

  test('envFrom keys that are not valid env names are skipped and reported', async () => {
    const c: Container = { name: 'main', envFrom: [{ configMapRef: { name: 'base' } }] };
    const { env, warnings } = await makeEnvironment(pod(c), c, ctx({ configMaps: [cm('base', { GOOD: '1', '1bad': '2', 'a=b': '3' })] }));
    assert.deepEqual(asObject(env), { GOOD: '1' });
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.reason, 'InvalidEnvironmentVariableNames');
    assert.match(warnings[0]!.message, /Keys \[1bad, a=b\] from the EnvFrom configMap team\/base were skipped/);
  });

  test('every fieldRef', async () => {
    const fields = [
      'metadata.name',
      'metadata.namespace',
      'metadata.uid',
      "metadata.labels['app']",
      "metadata.annotations['note']",
      "metadata.labels['absent']",
      'spec.nodeName',
      'spec.serviceAccountName',
      'status.hostIP',
      'status.hostIPs',
      'status.podIP',
      'status.podIPs',
    ];
    const c: Container = { name: 'main', env: fields.map((f, i) => ({ name: `F${i}`, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: f } } })) };
    const vars = asObject((await makeEnvironment(pod(c), c, ctx())).env);
    assert.deepEqual(
      fields.map((_, i) => vars[`F${i}`]),
      ['web', 'team', 'uid-1', 'web', 'hi', '', 'node-1', 'builder', '192.168.1.2', '192.168.1.2,fd00::2', '10.0.0.5', '10.0.0.5,fd00::5'],
    );
  });

  test('an unsupported fieldRef is a CreateContainerConfigError', async () => {
    const c: Container = { name: 'main', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.nope' } } }] };
    await assert.rejects(makeEnvironment(pod(c), c, ctx()), (err: Error) => err instanceof CreateContainerConfigError && err.message === 'field label not supported: spec.nope');
  });

  test('resourceFieldRef with divisors, node allocatable for unset limits, named containers', async () => {
    const c: Container = {
      name: 'main',
      resources: { limits: { memory: '512Mi' }, requests: { cpu: '250m', memory: '100M' } },
      env: [
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
        { name: 'REQ_CPU', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        { name: 'REQ_CPU_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'REQ_MEM_MI', valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Mi' } } },
        { name: 'LIM_CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'LIM_EPH_GI', valueFrom: { resourceFieldRef: { resource: 'limits.ephemeral-storage', divisor: '1Gi' } } },
        { name: 'REQ_EPH', valueFrom: { resourceFieldRef: { resource: 'requests.ephemeral-storage' } } },
        { name: 'SIDE_CPU_M', valueFrom: { resourceFieldRef: { containerName: 'side', resource: 'limits.cpu', divisor: '1m' } } },
      ],
    };
    const p = pod(c);
    p.spec!.containers.push({ name: 'side', resources: { limits: { cpu: '1500m' } } });
    const vars = asObject((await makeEnvironment(p, c, ctx())).env);
    assert.equal(vars.MEM_MI, '512');
    assert.equal(vars.MEM, String(512 * 1024 * 1024));
    assert.equal(vars.REQ_CPU, '1'); // 250m rounded up to whole cores
    assert.equal(vars.REQ_CPU_M, '250');
    assert.equal(vars.REQ_MEM_MI, '96'); // 100M = 95.37Mi, rounded up
    assert.equal(vars.LIM_CPU, '4'); // unset: node allocatable
    assert.equal(vars.LIM_EPH_GI, '100');
    assert.equal(vars.REQ_EPH, '0');
    assert.equal(vars.SIDE_CPU_M, '1500');
  });

  test('configMapKeyRef and secretKeyRef, optional ones left out when absent', async () => {
    const c: Container = {
      name: 'main',
      env: [
        { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'base', key: 'level' } } },
        { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'OPT_KEY', valueFrom: { configMapKeyRef: { name: 'base', key: 'nope', optional: true } } },
        { name: 'OPT_CM', valueFrom: { configMapKeyRef: { name: 'gone', key: 'k', optional: true } } },
        { name: 'OPT_SECRET', valueFrom: { secretKeyRef: { name: 'gone', key: 'k', optional: true } } },
      ],
      envFrom: [{ configMapRef: { name: 'gone', optional: true } }, { secretRef: { name: 'gone', optional: true } }],
    };
    const vars = asObject((await makeEnvironment(pod(c), c, ctx({ configMaps: [cm('base', { level: 'debug' })], secrets: [secret('creds', { password: 's3cr3t' })] }))).env);
    assert.deepEqual(vars, { LEVEL: 'debug', PASS: 's3cr3t' });
  });

  test("missing sources and keys fail with kube's messages", async () => {
    const cases: Array<[Container['env'], Container['envFrom'], string]> = [
      [[{ name: 'A', valueFrom: { configMapKeyRef: { name: 'x', key: 'k' } } }], undefined, 'configmap "x" not found'],
      [[{ name: 'A', valueFrom: { configMapKeyRef: { name: 'base', key: 'k' } } }], undefined, "couldn't find key k in ConfigMap team/base"],
      [[{ name: 'A', valueFrom: { secretKeyRef: { name: 'x', key: 'k' } } }], undefined, 'secret "x" not found'],
      [[{ name: 'A', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }], undefined, "couldn't find key k in Secret team/creds"],
      [undefined, [{ configMapRef: { name: 'x' } }], 'configmap "x" not found'],
      [undefined, [{ secretRef: { name: 'x' } }], 'secret "x" not found'],
    ];
    for (const [env, envFrom, message] of cases) {
      const c: Container = { name: 'main', ...(env ? { env } : {}), ...(envFrom ? { envFrom } : {}) };
      await assert.rejects(
        makeEnvironment(pod(c), c, ctx({ configMaps: [cm('base', {})], secrets: [secret('creds', {})] })),
        (err: Error) => err instanceof CreateContainerConfigError && err.reason === 'CreateContainerConfigError' && err.message === message,
      );
    }
  });

  const services: Service[] = [
    { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } },
    { metadata: { name: 'my-db', namespace: 'team' }, spec: { clusterIP: '10.96.0.20', ports: [{ port: 5432 }, { name: 'metrics', port: 9100, protocol: 'UDP' }] } },
    { metadata: { name: 'headless', namespace: 'team' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
    { metadata: { name: 'elsewhere', namespace: 'other' }, spec: { clusterIP: '10.96.0.30', ports: [{ port: 80 }] } },
  ];

  test('service link variables for the namespace and the kubernetes service; env wins over them', async () => {
    const c: Container = { name: 'main', env: [{ name: 'MY_DB_SERVICE_PORT', value: 'mine' }, { name: 'URL', value: 'http://$(MY_DB_SERVICE_HOST)' }] };
    const vars = asObject((await makeEnvironment(pod(c), c, ctx({ services }))).env);
    assert.equal(vars.KUBERNETES_SERVICE_HOST, '10.96.0.1');
    assert.equal(vars.KUBERNETES_SERVICE_PORT, '443');
    assert.equal(vars.KUBERNETES_SERVICE_PORT_HTTPS, '443');
    assert.equal(vars.KUBERNETES_PORT, 'tcp://10.96.0.1:443');
    assert.equal(vars.KUBERNETES_PORT_443_TCP_ADDR, '10.96.0.1');
    assert.equal(vars.MY_DB_SERVICE_HOST, '10.96.0.20');
    assert.equal(vars.MY_DB_SERVICE_PORT, 'mine');
    assert.equal(vars.MY_DB_SERVICE_PORT_METRICS, '9100');
    assert.equal(vars.MY_DB_PORT, 'tcp://10.96.0.20:5432');
    assert.equal(vars.MY_DB_PORT_5432_TCP, 'tcp://10.96.0.20:5432');
    assert.equal(vars.MY_DB_PORT_5432_TCP_PROTO, 'tcp');
    assert.equal(vars.MY_DB_PORT_5432_TCP_PORT, '5432');
    assert.equal(vars.MY_DB_PORT_9100_UDP, 'udp://10.96.0.20:9100');
    assert.equal(vars.URL, 'http://10.96.0.20');
    assert.equal(vars.HEADLESS_SERVICE_HOST, undefined);
    assert.equal(vars.ELSEWHERE_SERVICE_HOST, undefined);
  });

  test('enableServiceLinks: false keeps only the kubernetes service variables', async () => {
    const c: Container = { name: 'main' };
    const vars = asObject((await makeEnvironment(pod(c, { enableServiceLinks: false }), c, ctx({ services }))).env);
    assert.equal(vars.KUBERNETES_SERVICE_HOST, '10.96.0.1');
    assert.equal(vars.MY_DB_SERVICE_HOST, undefined);
  });
});

describe('command, args and subPathExpr expansion', () => {
  const env: EnvVarValue[] = [{ key: 'NAME', value: 'web' }, { key: 'EMPTY', value: '' }];
  test('command and args', () => {
    const out = expandCommandAndArgs({ name: 'c', command: ['echo', '$(NAME)'], args: ['$$(NAME)', '$(MISSING)', 'pre-$(NAME)-post'] }, env);
    assert.deepEqual(out, { command: ['echo', 'web'], args: ['$(NAME)', '$(MISSING)', 'pre-web-post'] });
  });
  test('subPathExpr needs every variable set', () => {
    assert.equal(expandSubPathExpr('logs/$(NAME)', env), 'logs/web');
    assert.throws(() => expandSubPathExpr('$(MISSING)/$(EMPTY)', env), { message: 'missing value for EMPTY, MISSING' });
  });
});
