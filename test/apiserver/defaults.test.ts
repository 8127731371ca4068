/**
 * Each kind's defaults, as kube-apiserver 1.32 sets them: a minimal object in, the defaulted object out.
 * Every case also checks idempotence (defaulting the result again changes nothing).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinResources } from '../../src/apiserver/registry/index.js';
import { defaultPullPolicy } from '../../src/apiserver/registry/defaults/podspec.js';
import type { ResourceStrategy, StoredObject } from '../../src/apiserver/registry/strategy.js';

const strategies = new Map(builtinResources().map((r) => [`${r.info.group}/${r.info.resource}`, r.strategy]));

function strategy(key: string): ResourceStrategy {
  const s = strategies.get(key);
  assert.ok(s?.defaults, `${key} has defaults`);
  return s;
}

/** Runs the create path's hooks (defaults, then prepareForCreate) on a copy. */
function created(key: string, obj: StoredObject): StoredObject {
  const s = strategy(key);
  const out = structuredClone(obj);
  s.defaults!(out);
  s.prepareForCreate?.(out);
  return out;
}

/** Asserts `key` defaults `input` to `expected`, and that defaulting that again changes nothing. */
function assertDefaults(key: string, input: StoredObject, expected: StoredObject, { create = false } = {}): void {
  const out = create ? created(key, input) : structuredClone(input);
  if (!create) strategy(key).defaults!(out);
  assert.deepEqual(out, expected);
  const twice = structuredClone(out);
  strategy(key).defaults!(twice);
  assert.deepEqual(twice, out, `${key}: defaulting twice changes nothing`);
}

const container = { name: 'app', image: 'nginx:1.27' };
const defaultedContainer = { ...container, imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' };

/** What every pod spec (a Pod's or a template's) gains. */
const specDefaults = { dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', securityContext: {}, terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler' };

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } };
const defaultedTemplate = { metadata: { labels: { app: 'web' } }, spec: { containers: [defaultedContainer], ...specDefaults } };

const meta = (name = 'x') => ({ name, namespace: 'ns' });

test('imagePullPolicy: Always for latest or no tag, IfNotPresent for a tag or a bare digest', () => {
  assert.equal(defaultPullPolicy('nginx'), 'Always');
  assert.equal(defaultPullPolicy('nginx:latest'), 'Always');
  assert.equal(defaultPullPolicy('registry:5000/team/nginx'), 'Always');
  assert.equal(defaultPullPolicy('registry:5000/team/nginx:1.27'), 'IfNotPresent');
  assert.equal(defaultPullPolicy('nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'), 'IfNotPresent');
  assert.equal(defaultPullPolicy('nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'), 'Always');
});

test('pod: spec and container defaults and requests from limits (the account and priority come from admission)', () => {
  const probe = { httpGet: { port: 8080 } };
  const input: StoredObject = {
    metadata: meta('p'),
    spec: {
      containers: [
        {
          name: 'app',
          image: 'nginx',
          ports: [{ containerPort: 80 }],
          livenessProbe: probe,
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } },
        },
      ],
      initContainers: [{ name: 'init', image: 'busybox:1.36', resources: { limits: { cpu: '100m' } } }],
      volumes: [
        { name: 'scratch' },
        { name: 'cfg', configMap: { name: 'cfg' } },
        { name: 'creds', secret: { secretName: 'creds' } },
        { name: 'host', hostPath: { path: '/var/log' } },
      ],
    },
  };
  const expected: StoredObject = {
    metadata: meta('p'),
    spec: {
      containers: [
        {
          name: 'app',
          image: 'nginx',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          livenessProbe: { httpGet: { port: 8080, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName', apiVersion: 'v1' } } }],
          resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } },
          imagePullPolicy: 'Always',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      initContainers: [
        {
          name: 'init',
          image: 'busybox:1.36',
          resources: { limits: { cpu: '100m' }, requests: { cpu: '100m' } },
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } },
        { name: 'creds', secret: { secretName: 'creds', defaultMode: 420 } },
        { name: 'host', hostPath: { path: '/var/log', type: '' } },
      ],
      ...specDefaults,
      enableServiceLinks: true,
    },
    status: { phase: 'Pending', qosClass: 'Burstable' },
  };
  assertDefaults('/pods', input, expected, { create: true });
});

test('pod: never overwrites what the user set', () => {
  const spec = {
    containers: [{ ...defaultedContainer, imagePullPolicy: 'Never', terminationMessagePolicy: 'FallbackToLogsOnError' }],
    dnsPolicy: 'Default',
    restartPolicy: 'Never',
    securityContext: { runAsUser: 1000 },
    terminationGracePeriodSeconds: 0,
    schedulerName: 'mine',
    enableServiceLinks: false,
    serviceAccountName: 'builder',
    serviceAccount: 'builder',
    priority: 0,
    preemptionPolicy: 'Never',
  };
  const input: StoredObject = { metadata: meta('p'), spec };
  assertDefaults('/pods', input, { ...input, status: { phase: 'Pending', qosClass: 'BestEffort' } }, { create: true });
});

test('pod: the deprecated serviceAccount names the account when serviceAccountName is unset', () => {
  const out = created('/pods', { metadata: meta('p'), spec: { containers: [container], serviceAccount: 'ci' } });
  const spec = out.spec as { serviceAccountName?: string; serviceAccount?: string };
  assert.deepEqual([spec.serviceAccountName, spec.serviceAccount], ['ci', 'ci']);
});

test('pod: a pod on the host network exposes each container port on the host', () => {
  const out = created('/pods', { metadata: meta('p'), spec: { hostNetwork: true, containers: [{ ...container, ports: [{ containerPort: 9100 }] }] } });
  assert.deepEqual((out.spec as { containers: unknown[] }).containers[0], { ...defaultedContainer, ports: [{ containerPort: 9100, protocol: 'TCP', hostPort: 9100 }] });
});

test('podtemplate: the pod spec defaults, none of the Pod-only ones', () => {
  assertDefaults('/podtemplates', { metadata: meta(), template }, { metadata: meta(), template: defaultedTemplate });
});

test('replicationcontroller: one replica, selector and labels from the template', () => {
  assertDefaults(
    '/replicationcontrollers',
    { metadata: meta(), spec: { template } },
    { metadata: { ...meta(), labels: { app: 'web' } }, spec: { template: defaultedTemplate, selector: { app: 'web' }, replicas: 1 } },
  );
});

test('deployment: replicas, RollingUpdate 25%/25%, history and deadline', () => {
  const selector = { matchLabels: { app: 'web' } };
  assertDefaults(
    'apps/deployments',
    { metadata: meta(), spec: { selector, template } },
    {
      metadata: meta(),
      spec: {
        selector,
        template: defaultedTemplate,
        replicas: 1,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
      },
    },
  );
  // Recreate has no rollingUpdate.
  const recreate = structuredClone({ metadata: meta(), spec: { selector, template, strategy: { type: 'Recreate' } } }) as StoredObject;
  strategy('apps/deployments').defaults!(recreate);
  assert.deepEqual((recreate.spec as { strategy: unknown }).strategy, { type: 'Recreate' });
});

test('replicaset: one replica', () => {
  const selector = { matchLabels: { app: 'web' } };
  assertDefaults('apps/replicasets', { metadata: meta(), spec: { selector, template } }, { metadata: meta(), spec: { selector, template: defaultedTemplate, replicas: 1 } });
});

test('statefulset: OrderedReady, RollingUpdate partition 0, Retain/Retain, claim templates', () => {
  const selector = { matchLabels: { app: 'web' } };
  const claim = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
  assertDefaults(
    'apps/statefulsets',
    { metadata: meta(), spec: { selector, serviceName: 'web', template, volumeClaimTemplates: [claim] } },
    {
      metadata: meta(),
      spec: {
        selector,
        serviceName: 'web',
        template: defaultedTemplate,
        volumeClaimTemplates: [{ ...claim, spec: { ...claim.spec, volumeMode: 'Filesystem' }, status: { phase: 'Pending' } }],
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        replicas: 1,
        revisionHistoryLimit: 10,
      },
    },
  );
});

test('daemonset: RollingUpdate maxUnavailable 1 maxSurge 0, ten revisions', () => {
  const selector = { matchLabels: { app: 'web' } };
  assertDefaults(
    'apps/daemonsets',
    { metadata: meta(), spec: { selector, template } },
    {
      metadata: meta(),
      spec: {
        selector,
        template: defaultedTemplate,
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        revisionHistoryLimit: 10,
      },
    },
  );
});

test('job: completions and parallelism 1, backoff 6, NonIndexed, labels from the template; restartPolicy as given', () => {
  const jobTemplate = { metadata: { labels: { app: 'web' } }, spec: { containers: [container], restartPolicy: 'Never' } };
  assertDefaults(
    'batch/jobs',
    { metadata: meta(), spec: { template: jobTemplate } },
    {
      metadata: { ...meta(), labels: { app: 'web' } },
      spec: {
        template: { metadata: { labels: { app: 'web' } }, spec: { ...specDefaults, containers: [defaultedContainer], restartPolicy: 'Never' } },
        completions: 1,
        parallelism: 1,
        backoffLimit: 6,
        completionMode: 'NonIndexed',
        suspend: false,
        podReplacementPolicy: 'TerminatingOrFailed',
      },
    },
  );
  // Parallelism alone leaves completions unset (a work queue).
  const queue = { metadata: meta(), spec: { parallelism: 3, template: jobTemplate } } as StoredObject;
  strategy('batch/jobs').defaults!(queue);
  assert.equal((queue.spec as { completions?: number }).completions, undefined);
});

test('cronjob: Allow, not suspended, 3 and 1 kept jobs; the job template gets pod spec defaults only', () => {
  const jobTemplate = { spec: { template: { spec: { containers: [container], restartPolicy: 'OnFailure' } } } };
  assertDefaults(
    'batch/cronjobs',
    { metadata: meta(), spec: { schedule: '0 3 * * *', jobTemplate } },
    {
      metadata: meta(),
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: { spec: { template: { spec: { ...specDefaults, containers: [defaultedContainer], restartPolicy: 'OnFailure' } } } },
        concurrencyPolicy: 'Allow',
        suspend: false,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
      },
    },
  );
});

test('service: ClusterIP, no affinity, TCP, targetPort = port, Cluster traffic, single-stack IPv4', () => {
  assertDefaults(
    '/services',
    { metadata: meta(), spec: { selector: { app: 'web' }, ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] } },
    {
      metadata: meta(),
      spec: {
        selector: { app: 'web' },
        ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }],
        sessionAffinity: 'None',
        type: 'ClusterIP',
        internalTrafficPolicy: 'Cluster',
        ipFamilyPolicy: 'SingleStack',
        ipFamilies: ['IPv4'],
      },
    },
  );
  assertDefaults(
    '/services',
    { metadata: meta(), spec: { type: 'LoadBalancer', sessionAffinity: 'ClientIP', ports: [{ port: 443 }] } },
    {
      metadata: meta(),
      spec: {
        type: 'LoadBalancer',
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
        ports: [{ port: 443, protocol: 'TCP', targetPort: 443 }],
        externalTrafficPolicy: 'Cluster',
        internalTrafficPolicy: 'Cluster',
        allocateLoadBalancerNodePorts: true,
        ipFamilyPolicy: 'SingleStack',
        ipFamilies: ['IPv4'],
      },
    },
  );
  assertDefaults(
    '/services',
    { metadata: meta(), spec: { type: 'ExternalName', externalName: 'example.com' } },
    { metadata: meta(), spec: { type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' } },
  );
});

test('persistentvolume: Retain, Filesystem, Pending on create', () => {
  const spec = { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data' } };
  assertDefaults(
    '/persistentvolumes',
    { metadata: { name: 'pv' }, spec },
    {
      metadata: { name: 'pv' },
      spec: { ...spec, hostPath: { path: '/data', type: '' }, persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' },
      status: { phase: 'Pending' },
    },
    { create: true },
  );
});

test('persistentvolumeclaim: Filesystem, Pending on create', () => {
  const spec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };
  assertDefaults(
    '/persistentvolumeclaims',
    { metadata: meta(), spec },
    { metadata: meta(), spec: { ...spec, volumeMode: 'Filesystem' }, status: { phase: 'Pending' } },
    { create: true },
  );
});

test('namespace: labelled with its name; no finalizers yet', () => {
  assertDefaults('/namespaces', { metadata: { name: 'team' } }, { metadata: { name: 'team', labels: { 'kubernetes.io/metadata.name': 'team' } } });
});

test('secret: Opaque', () => {
  // The Secret strategy sets its type while folding stringData, on create and update.
  const out = structuredClone({ metadata: meta() }) as StoredObject;
  strategies.get('/secrets')?.prepareForCreate?.(out);
  assert.deepEqual(out, { metadata: meta(), type: 'Opaque' });
});

test('endpoints and endpointslices: TCP ports (and an unnamed slice port named "")', () => {
  assertDefaults(
    '/endpoints',
    { metadata: meta(), subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] },
    { metadata: meta(), subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80, protocol: 'TCP' }] }] },
  );
  assertDefaults(
    'discovery.k8s.io/endpointslices',
    { metadata: meta(), addressType: 'IPv4', endpoints: [], ports: [{ port: 80 }] },
    { metadata: meta(), addressType: 'IPv4', endpoints: [], ports: [{ port: 80, name: '', protocol: 'TCP' }] },
  );
});

test('networkpolicy: policyTypes by content, TCP ports', () => {
  const ingress = [{ ports: [{ port: 80 }] }];
  assertDefaults(
    'networking.k8s.io/networkpolicies',
    { metadata: meta(), spec: { podSelector: {}, ingress } },
    { metadata: meta(), spec: { podSelector: {}, ingress: [{ ports: [{ port: 80, protocol: 'TCP' }] }], policyTypes: ['Ingress'] } },
  );
  assertDefaults(
    'networking.k8s.io/networkpolicies',
    { metadata: meta(), spec: { podSelector: {}, egress: [{}] } },
    { metadata: meta(), spec: { podSelector: {}, egress: [{}], policyTypes: ['Ingress', 'Egress'] } },
  );
});

test('priorityclass and storageclass', () => {
  assertDefaults('scheduling.k8s.io/priorityclasses', { metadata: { name: 'high' }, value: 1000 }, { metadata: { name: 'high' }, value: 1000, preemptionPolicy: 'PreemptLowerPriority' });
  assertDefaults(
    'storage.k8s.io/storageclasses',
    { metadata: { name: 'fast' }, provisioner: 'example.com/fast' },
    { metadata: { name: 'fast' }, provisioner: 'example.com/fast', reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' },
  );
});

test('horizontalpodautoscaler (v2): minReplicas 1, 80% CPU, behavior filled only when given', () => {
  const scaleTargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
  const cpu80 = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  assertDefaults(
    'autoscaling/horizontalpodautoscalers',
    { metadata: meta(), spec: { scaleTargetRef, maxReplicas: 5 } },
    { metadata: meta(), spec: { scaleTargetRef, maxReplicas: 5, minReplicas: 1, metrics: cpu80 } },
  );
  assertDefaults(
    'autoscaling/horizontalpodautoscalers',
    { metadata: meta(), spec: { scaleTargetRef, maxReplicas: 5, metrics: cpu80, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } },
    {
      metadata: meta(),
      spec: {
        scaleTargetRef,
        maxReplicas: 5,
        minReplicas: 1,
        metrics: cpu80,
        behavior: {
          scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
          scaleUp: {
            stabilizationWindowSeconds: 0,
            selectPolicy: 'Max',
            policies: [
              { type: 'Pods', value: 4, periodSeconds: 15 },
              { type: 'Percent', value: 100, periodSeconds: 15 },
            ],
          },
        },
      },
    },
  );
});

test('kinds kube does not default keep no defaults hook', () => {
  for (const key of ['/configmaps', '/serviceaccounts', 'coordination.k8s.io/leases', '/events', 'policy/poddisruptionbudgets', 'networking.k8s.io/ingresses']) {
    assert.equal(strategies.get(key)?.defaults, undefined, key);
  }
});
