/**
 * The built-in resources k8ts serves, with the discovery facts kube-apiserver 1.32 publishes for them
 * (short names, categories, verbs, subresources), so `kubectl api-resources` and short names match.
 */
import { ALL_VERBS, type ResourceInfo, type Verb } from './registry.js';

interface Spec {
  kind: string;
  resource: string;
  namespaced?: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: string[];
  verbs?: readonly Verb[];
  storage?: { group: string; version: string };
}

const ALL = ['all'];
const NO_DELETECOLLECTION: readonly Verb[] = ALL_VERBS.filter((v) => v !== 'deletecollection');

function group(groupName: string, version: string, specs: Spec[]): ResourceInfo[] {
  return specs.map((s) => ({
    group: groupName,
    version,
    kind: s.kind,
    resource: s.resource,
    singularName: s.kind.toLowerCase(),
    namespaced: s.namespaced ?? true,
    verbs: s.verbs ?? ALL_VERBS,
    ...(s.shortNames ? { shortNames: s.shortNames } : {}),
    ...(s.categories ? { categories: s.categories } : {}),
    ...(s.subresources ? { subresources: s.subresources } : {}),
    ...(s.storage ? { storage: s.storage } : {}),
  }));
}

const hpa: Spec = {
  kind: 'HorizontalPodAutoscaler',
  resource: 'horizontalpodautoscalers',
  shortNames: ['hpa'],
  categories: ALL,
  subresources: ['status'],
};

/** Every built-in resource, core first, then groups in the order kube-apiserver lists them. */
export const BUILTIN_RESOURCES: readonly ResourceInfo[] = [
  ...group('', 'v1', [
    { kind: 'ConfigMap', resource: 'configmaps', shortNames: ['cm'] },
    { kind: 'Endpoints', resource: 'endpoints', shortNames: ['ep'] },
    { kind: 'Event', resource: 'events', shortNames: ['ev'] },
    { kind: 'LimitRange', resource: 'limitranges', shortNames: ['limits'] },
    {
      kind: 'Namespace',
      resource: 'namespaces',
      namespaced: false,
      shortNames: ['ns'],
      subresources: ['finalize', 'status'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    },
    { kind: 'Node', resource: 'nodes', namespaced: false, shortNames: ['no'], subresources: ['proxy', 'status'] },
    { kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims', shortNames: ['pvc'], subresources: ['status'] },
    { kind: 'PersistentVolume', resource: 'persistentvolumes', namespaced: false, shortNames: ['pv'], subresources: ['status'] },
    {
      kind: 'Pod',
      resource: 'pods',
      shortNames: ['po'],
      categories: ALL,
      subresources: ['attach', 'binding', 'eviction', 'exec', 'log', 'portforward', 'status'],
    },
    { kind: 'PodTemplate', resource: 'podtemplates' },
    { kind: 'ReplicationController', resource: 'replicationcontrollers', shortNames: ['rc'], categories: ALL, subresources: ['scale', 'status'] },
    { kind: 'ResourceQuota', resource: 'resourcequotas', shortNames: ['quota'], subresources: ['status'] },
    { kind: 'Secret', resource: 'secrets' },
    { kind: 'ServiceAccount', resource: 'serviceaccounts', shortNames: ['sa'], subresources: ['token'] },
    {
      kind: 'Service',
      resource: 'services',
      shortNames: ['svc'],
      categories: ALL,
      subresources: ['status'],
      verbs: NO_DELETECOLLECTION,
    },
  ]),
  ...group('apps', 'v1', [
    { kind: 'ControllerRevision', resource: 'controllerrevisions' },
    { kind: 'DaemonSet', resource: 'daemonsets', shortNames: ['ds'], categories: ALL, subresources: ['status'] },
    { kind: 'Deployment', resource: 'deployments', shortNames: ['deploy'], categories: ALL, subresources: ['scale', 'status'] },
    { kind: 'ReplicaSet', resource: 'replicasets', shortNames: ['rs'], categories: ALL, subresources: ['scale', 'status'] },
    { kind: 'StatefulSet', resource: 'statefulsets', shortNames: ['sts'], categories: ALL, subresources: ['scale', 'status'] },
  ]),
  ...group('autoscaling', 'v2', [hpa]),
  ...group('autoscaling', 'v1', [{ ...hpa, storage: { group: 'autoscaling', version: 'v2' } }]),
  ...group('batch', 'v1', [
    { kind: 'CronJob', resource: 'cronjobs', shortNames: ['cj'], categories: ALL, subresources: ['status'] },
    { kind: 'Job', resource: 'jobs', categories: ALL, subresources: ['status'] },
  ]),
  ...group('coordination.k8s.io', 'v1', [{ kind: 'Lease', resource: 'leases' }]),
  ...group('discovery.k8s.io', 'v1', [{ kind: 'EndpointSlice', resource: 'endpointslices' }]),
  ...group('events.k8s.io', 'v1', [
    { kind: 'Event', resource: 'events', shortNames: ['ev'], storage: { group: '', version: 'v1' } },
  ]),
  ...group('networking.k8s.io', 'v1', [
    { kind: 'IngressClass', resource: 'ingressclasses', namespaced: false },
    { kind: 'Ingress', resource: 'ingresses', shortNames: ['ing'], subresources: ['status'] },
    { kind: 'NetworkPolicy', resource: 'networkpolicies', shortNames: ['netpol'] },
  ]),
  ...group('policy', 'v1', [
    { kind: 'PodDisruptionBudget', resource: 'poddisruptionbudgets', shortNames: ['pdb'], subresources: ['status'] },
  ]),
  ...group('rbac.authorization.k8s.io', 'v1', [
    { kind: 'ClusterRoleBinding', resource: 'clusterrolebindings', namespaced: false },
    { kind: 'ClusterRole', resource: 'clusterroles', namespaced: false },
    { kind: 'RoleBinding', resource: 'rolebindings' },
    { kind: 'Role', resource: 'roles' },
  ]),
  ...group('scheduling.k8s.io', 'v1', [{ kind: 'PriorityClass', resource: 'priorityclasses', namespaced: false, shortNames: ['pc'] }]),
  ...group('storage.k8s.io', 'v1', [{ kind: 'StorageClass', resource: 'storageclasses', namespaced: false, shortNames: ['sc'] }]),
];
