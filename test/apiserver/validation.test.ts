/**
 * Unit tests of the validators under src/apiserver/registry/validation and of quantities: each case feeds an
 * object as the registry would (defaulted) and checks the exact causes kube-apiserver would return.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseQuantity, QUANTITY_FORMAT_ERROR, QUANTITY_SUFFIX_ERROR, quantityError } from '../../src/apimachinery/quantity.js';
import { builtinResources } from '../../src/apiserver/registry/index.js';
import type { ResourceStrategy, StoredObject } from '../../src/apiserver/registry/strategy.js';
import { StatusError } from '../../src/apimachinery/status.js';
import { cronScheduleError } from '../../src/apiserver/registry/validation/cron.js';
import { validatePodSpec } from '../../src/apiserver/registry/validation/podspec.js';
import { labelSelectorString, selectorMatches } from '../../src/apiserver/registry/validation/selector.js';
import { goStringMap, semanticEqual } from '../../src/apiserver/registry/validation/field.js';

const strategies = new Map(builtinResources().map((r) => [`${r.info.group}/${r.info.resource}`, r.strategy]));

function strategy(key: string): ResourceStrategy {
  const s = strategies.get(key);
  assert.ok(s, key);
  return s;
}

/** Runs the create path's hooks (defaults, prepareForCreate, validate) and returns `field: message` lines. */
function createErrors(key: string, obj: object): string[] {
  const s = strategy(key);
  const o = structuredClone(obj) as StoredObject;
  s.defaults?.(o);
  s.prepareForCreate?.(o);
  return (s.validate?.(o) ?? []).map((c) => `${c.field}: ${c.message}`);
}

/** The same for an update of `old` (itself created first) to `next`. */
function updateErrors(key: string, old: object, next: object): string[] {
  const s = strategy(key);
  const o = structuredClone(old) as StoredObject;
  s.defaults?.(o);
  s.prepareForCreate?.(o);
  const n = structuredClone(next) as StoredObject;
  s.defaults?.(n);
  s.prepareForUpdate?.(n, o);
  return (s.validateUpdate?.(n, o) ?? []).map((c) => `${c.field}: ${c.message}`);
}

const pod = (spec: object): object => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec });
const container = (extra: object = {}): object => ({ name: 'app', image: 'busybox:1.36', ...extra });

describe('quantities', () => {
  test('parse into exact values and print in canonical form', () => {
    const cases: Array<[string | number, string]> = [
      ['1000m', '1'],
      ['0.5', '500m'],
      ['1.5', '1500m'],
      ['1.5Gi', '1536Mi'],
      ['0.5Gi', '512Mi'],
      ['1024', '1024'],
      ['2000', '2k'],
      ['1500', '1500'],
      ['100M', '100M'],
      ['129e6', '129e6'],
      ['1e3', '1e3'],
      ['512Ki', '512Ki'],
      ['1023Ki', '1023Ki'],
      ['0', '0'],
      ['-1', '-1'],
      ['1n', '1n'],
      ['0.0000000001', '1n'],
      [2, '2'],
      [0.25, '250m'],
    ];
    for (const [input, canonical] of cases) assert.equal(parseQuantity(input).toString(), canonical, String(input));
  });

  test('compare exactly across suffixes', () => {
    assert.equal(parseQuantity('1Gi').cmp(parseQuantity('1073741824')), 0);
    assert.equal(parseQuantity('1G').cmp(parseQuantity('1Gi')), -1);
    assert.equal(parseQuantity('100m').cmp(parseQuantity('0.1')), 0);
    assert.equal(parseQuantity('2').cmp(parseQuantity('1999m')), 1);
    assert.equal(parseQuantity('1.5').milliValue(), 1500n);
    assert.equal(parseQuantity('1n').milliValue(), 1n);
  });

  test("bad quantities get kube's messages", () => {
    assert.equal(quantityError('lots'), QUANTITY_FORMAT_ERROR);
    assert.equal(quantityError(''), QUANTITY_FORMAT_ERROR);
    assert.equal(quantityError('1Kb'), QUANTITY_FORMAT_ERROR);
    assert.equal(quantityError('1e'), QUANTITY_SUFFIX_ERROR);
    assert.equal(quantityError('1kk'), QUANTITY_SUFFIX_ERROR);
    assert.equal(quantityError('.'), 'unable to parse numeric part of quantity');
    assert.equal(quantityError('250m'), undefined);
  });
});

describe('pod spec', () => {
  test('a minimal defaulted pod is valid', () => {
    assert.deepEqual(createErrors('/pods', pod({ containers: [container()] })), []);
  });

  test('containers, names, images, policies', () => {
    assert.deepEqual(createErrors('/pods', pod({ containers: [] })), ['spec.containers: Required value']);
    assert.deepEqual(createErrors('/pods', pod({ containers: [{ name: 'app' }] })), ['spec.containers[0].image: Required value']);
    assert.deepEqual(createErrors('/pods', pod({ containers: [container(), container()] })), ['spec.containers[1].name: Duplicate value: "app"']);
    assert.deepEqual(createErrors('/pods', pod({ containers: [container()], initContainers: [container()] })), ['spec.initContainers[0].name: Duplicate value: "app"']);
    assert.deepEqual(createErrors('/pods', pod({ restartPolicy: 'Sometimes', containers: [container()] })), [
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]);
    assert.deepEqual(createErrors('/pods', pod({ containers: [container({ image: ' busybox' })] })), [
      'spec.containers[0].image: Invalid value: " busybox": must not have leading or trailing whitespace',
    ]);
  });

  test('resources: requests within limits, non-negative, standard names', () => {
    const res = (resources: object): string[] => createErrors('/pods', pod({ containers: [container({ resources })] }));
    assert.deepEqual(res({ requests: { cpu: '2' }, limits: { cpu: '1' } }), [
      'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
    ]);
    assert.deepEqual(res({ requests: { memory: '1Gi' }, limits: { memory: '1024Mi' } }), []);
    assert.deepEqual(res({ requests: { memory: '-1' } }), ['spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0']);
    assert.deepEqual(res({ limits: { gpu: '1' } }), [
      'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers',
      // Pods copy limits into missing requests, so the request is checked too.
      'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
    ]);
    assert.throws(
      () => res({ limits: { memory: 'lots' } }),
      (err: unknown) =>
        err instanceof StatusError &&
        err.code === 400 &&
        err.message === `Pod in version "v1" cannot be handled as a Pod: ${QUANTITY_FORMAT_ERROR}`,
    );
  });

  test('ports, env, volumes and mounts, probes', () => {
    const errs = (c: object, extra: object = {}): string[] => createErrors('/pods', pod({ containers: [container(c)], ...extra }));
    assert.deepEqual(errs({ ports: [{ containerPort: 0 }] }), ['spec.containers[0].ports[0].containerPort: Required value']);
    assert.deepEqual(errs({ ports: [{ name: 'HTTP', containerPort: 80 }] }), [
      'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)',
    ]);
    assert.deepEqual(errs({ ports: [{ containerPort: 80, protocol: 'HTTP' }] }), [
      'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ]);
    assert.deepEqual(errs({ env: [{ name: 'A=B', value: 'x' }] }), [
      "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
    ]);
    assert.deepEqual(errs({ volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'data', mountPath: '/d' }] }, { volumes: [{ name: 'data', emptyDir: {} }] }), [
      'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique',
    ]);
    assert.deepEqual(errs({}, { volumes: [{ name: 'data', emptyDir: {}, hostPath: { path: '/x' } }] }), [
      'spec.volumes[0].emptyDir: Forbidden: may not specify more than 1 volume type',
    ]);
    assert.deepEqual(errs({}, { volumes: [{ name: 'a', emptyDir: {} }, { name: 'a', emptyDir: {} }] }), ['spec.volumes[1].name: Duplicate value: "a"']);
    assert.deepEqual(errs({ livenessProbe: { httpGet: { port: 0 } } }), [
      'spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
    assert.deepEqual(errs({ livenessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 } } }), [
      'spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
    ]);
    assert.deepEqual(createErrors('/pods', pod({ containers: [container()], initContainers: [{ name: 'init', image: 'busybox', readinessProbe: { exec: { command: ['x'] } } }] })), [
      'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
    ]);
  });

  test('a template spec is validated at its own path', () => {
    const errs = validatePodSpec({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', containers: [] }, 'spec.template.spec').map((c) => `${c.field}: ${c.message}`);
    assert.deepEqual(errs, ['spec.template.spec.containers: Required value']);
  });

  test('updates may change images and nothing else', () => {
    const base = pod({ containers: [container({ command: ['sleep', '1'] })] });
    assert.deepEqual(updateErrors('/pods', base, pod({ containers: [container({ image: 'busybox:1.37', command: ['sleep', '1'] })] })), []);
    const changed = updateErrors('/pods', base, pod({ containers: [container({ command: ['sleep', '2'] })] }));
    assert.equal(changed.length, 1);
    assert.match(changed[0]!, /^spec: Forbidden: pod updates may not change fields other than `spec\.containers\[\*\]\.image`,/);
    assert.match(changed[0]!, /spec\.containers\[0\]\.command\[1\]/);
    assert.deepEqual(updateErrors('/pods', base, pod({ containers: [container(), container({ name: 'b' })] })), [
      'spec.containers: Forbidden: pod updates may not add or remove containers',
    ]);
    assert.deepEqual(updateErrors('/pods', base, pod({ containers: [container({ command: ['sleep', '1'] })], activeDeadlineSeconds: 30 })), []);
  });
});

describe('workloads and others', () => {
  const deployment = (selector: object, labels: Record<string, string>): object => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector, template: { metadata: { labels }, spec: { containers: [container()] } } },
  });

  test('deployment selectors', () => {
    assert.deepEqual(createErrors('apps/deployments', deployment({ matchLabels: { app: 'web' } }, { app: 'web' })), []);
    assert.deepEqual(createErrors('apps/deployments', deployment({ matchLabels: { app: 'web' } }, { app: 'other' })), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
    ]);
    assert.deepEqual(createErrors('apps/deployments', deployment({}, { app: 'web' })), [
      'spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid for deployment',
    ]);
    assert.deepEqual(createErrors('apps/deployments', deployment({ matchExpressions: [{ key: 'app', operator: 'In' }] }, { app: 'web' })), [
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      'spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:app,Operator:In,Values:[],},},}: invalid label selector',
    ]);
    assert.deepEqual(updateErrors('apps/deployments', deployment({ matchLabels: { app: 'web' } }, { app: 'web' }), deployment({ matchLabels: { app: 'web2' } }, { app: 'web2' })), [
      'spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{app: web2,},MatchExpressions:[]LabelSelectorRequirement{},}: field is immutable',
    ]);
  });

  test('selector helpers render and match as kube does', () => {
    assert.equal(goStringMap({ b: '2', a: '1' }).go, 'map[string]string{"a":"1", "b":"2"}');
    assert.equal(goStringMap(undefined).go, 'map[string]string(nil)');
    assert.equal(labelSelectorString({ matchLabels: { tier: 'web', app: 'x' } }).go, '&LabelSelector{MatchLabels:map[string]string{app: x,tier: web,},MatchExpressions:[]LabelSelectorRequirement{},}');
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, { env: 'dev' }), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, {}), false);
    assert.equal(semanticEqual({ a: [], b: undefined }, { c: {} }), true);
  });

  test('cron schedules', () => {
    assert.equal(cronScheduleError('*/5 * * * *'), undefined);
    assert.equal(cronScheduleError('0 0 1 jan-mar mon-fri'), undefined);
    assert.equal(cronScheduleError('@daily'), undefined);
    assert.equal(cronScheduleError('@every 1h30m'), undefined);
    assert.equal(cronScheduleError('61 * * * *'), 'end of range (61) above maximum (59): 61');
    assert.equal(cronScheduleError('* * 0 * *'), 'beginning of range (0) below minimum (1): 0');
    assert.equal(cronScheduleError('5-2 * * * *'), 'beginning of range (5) beyond end of range (2): 5-2');
    assert.equal(cronScheduleError('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
    assert.equal(cronScheduleError('* * * *'), 'expected exactly 5 fields, found 4: [* * * *]');
    assert.equal(cronScheduleError('@sometimes'), 'unrecognized descriptor: @sometimes');
  });

  test('services, config maps and secrets', () => {
    const svc = (spec: object): object => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec });
    assert.deepEqual(createErrors('/services', svc({ ports: [{ port: 80 }] })), []);
    assert.deepEqual(createErrors('/services', svc({})), ['spec.ports: Required value']);
    assert.deepEqual(createErrors('/services', svc({ ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] })), [
      'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    ]);
    const withIP = svc({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80 }] });
    assert.deepEqual(updateErrors('/services', withIP, svc({ clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.10'], ports: [{ port: 80 }] })), [
      'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set',
    ]);
    const cm = (data: object, immutable?: boolean): object => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data, ...(immutable ? { immutable } : {}) });
    assert.deepEqual(createErrors('/configmaps', cm({ '..x': 'y' })), ["data[..x]: Invalid value: \"..x\": must not start with '..'"]);
    assert.deepEqual(updateErrors('/configmaps', cm({ a: '1' }, true), cm({ a: '2' }, true)), ['data: Forbidden: field is immutable when `immutable` is set']);
  });

  test('replication controllers and namespaces', () => {
    const rc = (selector: object, labels: object): object => ({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'rc', namespace: 'default' },
      spec: { selector, template: { metadata: { labels }, spec: { containers: [container()] } } },
    });
    assert.deepEqual(createErrors('/replicationcontrollers', rc({}, { app: 'a' })), []);
    assert.deepEqual(createErrors('/replicationcontrollers', rc({ app: 'b' }, { app: 'a' })), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"a"}: `selector` does not match template `labels`',
    ]);
    assert.deepEqual(createErrors('/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' }, spec: { finalizers: ['mine'] } }), [
      'spec.finalizers: Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified',
    ]);
  });

  test('jobs: template fixed, selector fixed', () => {
    const job = (command: string[]): object => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j', namespace: 'default' },
      // A manual selector: a generated one (made on create from the UID) would be missing from `next`.
      spec: { manualSelector: true, selector: { matchLabels: { app: 'j' } }, template: { metadata: { labels: { app: 'j' } }, spec: { restartPolicy: 'Never', containers: [container({ command })] } } },
    });
    assert.deepEqual(updateErrors('batch/jobs', job(['a']), job(['a'])), []);
    assert.deepEqual(updateErrors('batch/jobs', job(['a']), job(['b'])), ['spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable']);
  });

  test('claims, jobs, priority classes', () => {
    const claim = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '0' } } } };
    assert.deepEqual(createErrors('/persistentvolumeclaims', claim), ['spec.resources[storage]: Invalid value: "0": must be greater than zero']);
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'default' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [container()] } } } };
    assert.deepEqual(createErrors('batch/jobs', job), []);
    assert.deepEqual(createErrors('scheduling.k8s.io/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'system-mine' }, value: 5 }), [
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
    ]);
  });
});
