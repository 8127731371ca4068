import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { Endpoints, Event, Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { RoleBinding } from 'kubernetes-types/rbac/v1.js';
import { daemonSetStrategy } from '../../src/apiserver/registry/apps/daemonsets.js';
import { statefulSetStrategy } from '../../src/apiserver/registry/apps/statefulsets.js';
import { cronJobStrategy } from '../../src/apiserver/registry/batch/cronjobs.js';
import { jobStrategy } from '../../src/apiserver/registry/batch/jobs.js';
import { leaseStrategy } from '../../src/apiserver/registry/coordination/leases.js';
import { endpointsStrategy } from '../../src/apiserver/registry/core/endpoints.js';
import { eventStrategy } from '../../src/apiserver/registry/core/events.js';
import { nodeStrategy } from '../../src/apiserver/registry/core/nodes.js';
import { persistentVolumeClaimStrategy } from '../../src/apiserver/registry/core/persistentvolumeclaims.js';
import { persistentVolumeStrategy } from '../../src/apiserver/registry/core/persistentvolumes.js';
import { serviceAccountStrategy } from '../../src/apiserver/registry/core/serviceaccounts.js';
import { clusterRoleBindingStrategy } from '../../src/apiserver/registry/rbac/clusterrolebindings.js';
import { roleBindingStrategy } from '../../src/apiserver/registry/rbac/rolebindings.js';
import type { KubeObject, ResourceStrategy } from '../../src/apiserver/registry/strategy.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
/** A timestamp `seconds` before NOW. */
const ago = (seconds: number): string => new Date(NOW - seconds * 1000).toISOString();

function cells(strategy: ResourceStrategy, obj: object): unknown[] {
  const table = strategy.table!;
  const row = table.cells(obj as KubeObject, NOW);
  assert.equal(row.length, table.columns.length, 'one cell per column');
  return row;
}

function header(strategy: ResourceStrategy, wide = false): string[] {
  return strategy.table!.columns.filter((c) => wide || c.priority === 0).map((c) => c.name);
}

test('node: Ready with roles from node-role labels, addresses and node info under -o wide', () => {
  const node: Node = {
    metadata: {
      name: 'cp-1',
      creationTimestamp: ago(3 * 86400),
      labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/etcd': 'true', 'kubernetes.io/role': 'master', 'kubernetes.io/hostname': 'cp-1' },
    },
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
      addresses: [
        { type: 'Hostname', address: 'cp-1' },
        { type: 'InternalIP', address: '10.0.0.5' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.2',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.1.0-18-amd64',
        containerRuntimeVersion: 'containerd://1.7.13',
        architecture: 'amd64',
        bootID: '',
        kubeProxyVersion: '',
        machineID: '',
        operatingSystem: 'linux',
        systemUUID: '',
      },
    },
  };
  assert.deepEqual(header(nodeStrategy), ['Name', 'Status', 'Roles', 'Age', 'Version']);
  assert.deepEqual(header(nodeStrategy, true).slice(5), ['Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime']);
  assert.deepEqual(cells(nodeStrategy, node), [
    'cp-1',
    'Ready',
    'control-plane,etcd,master',
    '3d',
    'v1.32.2',
    '10.0.0.5',
    '<none>',
    'Debian GNU/Linux 12 (bookworm)',
    '6.1.0-18-amd64',
    'containerd://1.7.13',
  ]);
});

test('node: cordoned, not ready, without a Ready condition, without roles or node info', () => {
  const cordoned: Node = { metadata: { name: 'w-1' }, spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'False' }] } };
  assert.deepEqual(cells(nodeStrategy, cordoned).slice(1, 3), ['NotReady,SchedulingDisabled', '<none>']);
  const bare: Node = { metadata: { name: 'w-2' }, spec: { unschedulable: true } };
  assert.deepEqual(cells(nodeStrategy, bare), ['w-2', 'Unknown,SchedulingDisabled', '<none>', '<unknown>', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  const unknown: Node = { metadata: { name: 'w-3' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } };
  assert.equal(cells(nodeStrategy, unknown)[1], 'NotReady');
});

const template = {
  metadata: { labels: { app: 'db' } },
  spec: { containers: [{ name: 'db', image: 'postgres:16' }, { name: 'exporter', image: 'exporter:1' }] },
};

test('statefulset: READY is ready/desired; wide adds containers and images only', () => {
  const sts: StatefulSet = {
    metadata: { name: 'db', creationTimestamp: ago(200) },
    spec: { replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template },
    status: { replicas: 3, readyReplicas: 2 },
  };
  assert.deepEqual(header(statefulSetStrategy, true), ['Name', 'Ready', 'Age', 'Containers', 'Images']);
  assert.deepEqual(cells(statefulSetStrategy, sts), ['db', '2/3', '3m20s', 'db,exporter', 'postgres:16,exporter:1']);
});

test('daemonset: counters, node selector, and the wide template columns', () => {
  const ds: DaemonSet = {
    metadata: { name: 'agent', creationTimestamp: ago(45) },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { nodeSelector: { 'kubernetes.io/os': 'linux', disk: 'ssd' }, containers: [{ name: 'agent', image: 'agent:2' }] } },
    },
    status: { desiredNumberScheduled: 4, currentNumberScheduled: 4, numberReady: 3, updatedNumberScheduled: 2, numberAvailable: 3, numberMisscheduled: 0 },
  };
  assert.deepEqual(header(daemonSetStrategy), ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age']);
  assert.deepEqual(cells(daemonSetStrategy, ds), ['agent', 4, 4, 3, 2, 3, 'disk=ssd,kubernetes.io/os=linux', '45s', 'agent', 'agent:2', 'app=agent']);
  const noSelector: DaemonSet = { metadata: { name: 'x' }, spec: { selector: {}, template: { spec: { containers: [] } } } };
  assert.deepEqual(cells(daemonSetStrategy, noSelector).slice(1, 7), [0, 0, 0, 0, 0, '<none>']);
});

test('job: Running with a duration up to now, Complete with start-to-completion, and the other states', () => {
  const base: Job = { metadata: { name: 'pi', creationTimestamp: ago(600) }, spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl:5' }] } } } };
  assert.deepEqual(header(jobStrategy, true), ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers', 'Images', 'Selector']);
  assert.deepEqual(cells(jobStrategy, base), ['pi', 'Running', '0/1', '', '10m', 'pi', 'perl:5', '<none>']);
  const running: Job = { ...base, spec: { ...base.spec!, completions: 5, parallelism: 2 }, status: { startTime: ago(95), succeeded: 2 } };
  assert.deepEqual(cells(jobStrategy, running).slice(1, 4), ['Running', '2/5', '95s']);
  const complete: Job = {
    ...base,
    status: { startTime: ago(500), completionTime: ago(300), succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] },
  };
  assert.deepEqual(cells(jobStrategy, complete).slice(1, 4), ['Complete', '1/1', '3m20s']);
  const parallel: Job = { ...base, spec: { ...base.spec!, parallelism: 3 } };
  assert.equal(cells(jobStrategy, parallel)[2], '0/1 of 3');
  const failed: Job = { ...base, status: { conditions: [{ type: 'Failed', status: 'True' }] } };
  assert.equal(cells(jobStrategy, failed)[1], 'Failed');
  const suspended: Job = { ...base, status: { conditions: [{ type: 'Suspended', status: 'True' }] } };
  assert.equal(cells(jobStrategy, suspended)[1], 'Suspended');
  const terminating: Job = { ...suspended, metadata: { ...base.metadata, deletionTimestamp: ago(1) } };
  assert.equal(cells(jobStrategy, terminating)[1], 'Terminating');
});

test('cronjob: schedule, time zone, suspend, active jobs and last schedule', () => {
  const cj: CronJob = {
    metadata: { name: 'nightly', creationTimestamp: ago(2 * 3600) },
    spec: {
      schedule: '0 3 * * *',
      timeZone: 'Europe/Berlin',
      suspend: false,
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'backup', image: 'backup:1' }] } } } },
    },
    status: { active: [{ name: 'nightly-1' }], lastScheduleTime: ago(300) },
  };
  assert.deepEqual(header(cronJobStrategy), ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age']);
  assert.deepEqual(cells(cronJobStrategy, cj), ['nightly', '0 3 * * *', 'Europe/Berlin', 'False', 1, '5m', '120m', 'backup', 'backup:1', '<none>']);
  const fresh: CronJob = { metadata: { name: 'x' }, spec: { schedule: '*/5 * * * *', jobTemplate: {} } };
  assert.deepEqual(cells(cronJobStrategy, fresh).slice(2, 6), ['<none>', '<unset>', 0, '<none>']);
  assert.equal(cells(cronJobStrategy, { ...fresh, spec: { ...fresh.spec!, suspend: true } })[3], 'True');
});

test('event: object as kind/name, source, counts and the wide column order', () => {
  const ev: Event = {
    metadata: { name: 'web.17a', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{web}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container\n',
    type: 'Warning',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: ago(3600),
    lastTimestamp: ago(30),
    count: 12,
  };
  assert.deepEqual(header(eventStrategy), ['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
  assert.deepEqual(header(eventStrategy, true), ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject', 'Source', 'Message', 'First Seen', 'Count', 'Name']);
  assert.deepEqual(cells(eventStrategy, ev), [
    '30s',
    'Warning',
    'BackOff',
    'pod/web',
    'spec.containers{web}',
    'kubelet, node-1',
    'Back-off restarting failed container',
    '60m',
    12,
    'web.17a',
  ]);
  // The newer API: eventTime, reporting fields, no count; a series carries last seen and count.
  const single: Event = { metadata: { name: 'n' }, involvedObject: { kind: 'Node' }, eventTime: ago(20), reportingComponent: 'scheduler' };
  const row = cells(eventStrategy, single);
  assert.deepEqual([row[0], row[3], row[5], row[7], row[8]], ['20s', 'node', 'scheduler', '20s', 1]);
  const series: Event = { ...single, series: { count: 7, lastObservedTime: ago(5) } };
  const seriesRow = cells(eventStrategy, series);
  assert.deepEqual([seriesRow[0], seriesRow[8]], ['5s', 7]);
});

test('rolebinding and clusterrolebinding: ROLE as Kind/name; subjects by kind under -o wide', () => {
  const rb: RoleBinding = {
    metadata: { name: 'readers', creationTimestamp: ago(10) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [
      { kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'Group', name: 'devs', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'User', name: 'bob', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'ci', namespace: 'build' },
    ],
  };
  assert.deepEqual(header(roleBindingStrategy, true), ['Name', 'Role', 'Age', 'Users', 'Groups', 'ServiceAccounts']);
  assert.deepEqual(cells(roleBindingStrategy, rb), ['readers', 'ClusterRole/view', '10s', 'alice, bob', 'devs', 'build/ci']);
  assert.deepEqual(cells(clusterRoleBindingStrategy, { ...rb, subjects: undefined }), ['readers', 'ClusterRole/view', '10s', '', '', '']);
});

test('endpoints: ip:port pairs, the first three and how many more', () => {
  const ep: Endpoints = {
    metadata: { name: 'web' },
    subsets: [
      { addresses: [{ ip: '10.1.0.1' }, { ip: '10.1.0.2' }], ports: [{ port: 80 }, { port: 443 }] },
      { addresses: [{ ip: 'fd00::1' }], ports: [{ port: 8080 }] },
    ],
  };
  assert.equal(cells(endpointsStrategy, ep)[1], '10.1.0.1:80,10.1.0.2:80,10.1.0.1:443 + 2 more...');
  assert.equal(cells(endpointsStrategy, { metadata: { name: 'v6' }, subsets: [ep.subsets![1]!] })[1], '[fd00::1]:8080');
  assert.equal(cells(endpointsStrategy, { metadata: { name: 'headless' }, subsets: [{ addresses: [{ ip: '10.1.0.3' }] }] })[1], '10.1.0.3');
  assert.equal(cells(endpointsStrategy, { metadata: { name: 'none' } })[1], '<none>');
});

test('persistentvolumes and claims: abbreviated access modes, claim, class, and unset fields', () => {
  const pv: PersistentVolume = {
    metadata: { name: 'pv-1', creationTimestamp: ago(60) },
    spec: {
      capacity: { storage: '10Gi' },
      accessModes: ['ReadWriteMany', 'ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: 'fast',
      claimRef: { namespace: 'apps', name: 'data' },
      volumeMode: 'Filesystem',
    },
    status: { phase: 'Bound' },
  };
  assert.deepEqual(header(persistentVolumeStrategy), ['Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age']);
  assert.deepEqual(cells(persistentVolumeStrategy, pv), ['pv-1', '10Gi', 'RWO,RWX', 'Retain', 'Bound', 'apps/data', 'fast', '<unset>', '', '60s', 'Filesystem']);
  const pending: PersistentVolumeClaim = { metadata: { name: 'data', annotations: { 'volume.beta.kubernetes.io/storage-class': 'legacy' } }, spec: { storageClassName: 'fast', accessModes: ['ReadWriteOnce'] }, status: { phase: 'Pending' } };
  assert.deepEqual(header(persistentVolumeClaimStrategy, true), ['Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', 'VolumeMode']);
  assert.deepEqual(cells(persistentVolumeClaimStrategy, pending), ['data', 'Pending', '', '', '', 'legacy', '<unset>', '<unknown>', '<unset>']);
  const bound: PersistentVolumeClaim = {
    metadata: { name: 'data', deletionTimestamp: ago(1) },
    spec: { volumeName: 'pv-1', volumeMode: 'Block' },
    status: { phase: 'Bound', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOncePod'] },
  };
  assert.deepEqual(cells(persistentVolumeClaimStrategy, bound), ['data', 'Terminating', 'pv-1', '10Gi', 'RWOP', '', '<unset>', '<unknown>', 'Block']);
});

test('leases and service accounts', () => {
  assert.deepEqual(cells(leaseStrategy, { metadata: { name: 'kube-scheduler', creationTimestamp: ago(5) }, spec: { holderIdentity: 'host_1234' } }), ['kube-scheduler', 'host_1234', '5s']);
  assert.deepEqual(cells(leaseStrategy, { metadata: { name: 'free' }, spec: {} }), ['free', '', '<unknown>']);
  assert.deepEqual(cells(serviceAccountStrategy, { metadata: { name: 'default', creationTimestamp: ago(5) } }), ['default', 0, '5s']);
  assert.deepEqual(cells(serviceAccountStrategy, { metadata: { name: 'ci' }, secrets: [{ name: 'ci-token' }] })[1], 1);
});
