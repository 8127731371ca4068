#!/usr/bin/env node
// Generates src/apimachinery/protobuf/schema.generated.ts from Kubernetes' generated.proto files.
//
// Usage: node hack/gen-protobuf-schema.mjs [protoDir] [outFile]
//   protoDir defaults to /tmp/k8s-protos (the .proto inputs are kept out of this repository;
//   fetch them from kubernetes/api and kubernetes/apimachinery before running).
//
// The parser understands exactly the subset go-to-protobuf emits: `package`, top-level
// `message X { ... }` blocks, `optional|repeated <type> <name> = <n>;` and
// `map<K, V> <name> = <n>;`. Comments are stripped first, so the table holds field numbers,
// names and types only.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const protoDir = process.argv[2] ?? '/tmp/k8s-protos';
const outFile = process.argv[3] ?? new URL('../src/apimachinery/protobuf/schema.generated.ts', import.meta.url).pathname;

const SCALARS = new Set([
  'double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes',
]);

// Kept in sync with decode.ts: repeated, emit-zero and inline bits of a field's flags.
const FLAG_REPEATED = 1;
const FLAG_EMIT_ZERO = 2;
const FLAG_INLINE = 4;

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

// API group name of each k8s.io/api package directory (the proto package says only "rbac").
const GROUPS = {
  core: '', apps: 'apps', batch: 'batch', rbac: 'rbac.authorization.k8s.io', policy: 'policy',
  networking: 'networking.k8s.io', scheduling: 'scheduling.k8s.io', autoscaling: 'autoscaling',
  coordination: 'coordination.k8s.io', discovery: 'discovery.k8s.io', events: 'events.k8s.io',
  storage: 'storage.k8s.io', authentication: 'authentication.k8s.io',
};

// Messages with ObjectMeta at field 1 that are embedded templates, not served kinds.
const NOT_KINDS = new Set(['PodTemplateSpec', 'JobTemplateSpec', 'PersistentVolumeClaimTemplate']);

// Go embeds these structs with `json:",inline"`, so their fields belong to the parent object in
// JSON even though protobuf nests them. (Every `localObjectReference` field is such an embedding.)
const INLINE = new Set([
  'k8s.io.api.core.v1.EphemeralContainer.ephemeralContainerCommon',
  'k8s.io.api.core.v1.Volume.volumeSource',
  'k8s.io.api.core.v1.PersistentVolumeSpec.persistentVolumeSource',
  'k8s.io.api.core.v1.Probe.handler',
  'k8s.io.api.core.v1.VolumeMountStatus.volumeStatus',
  'k8s.io.api.networking.v1.IngressRule.ingressRuleValue',
]);

// Proto field names that differ from the Go json tag.
const JSON_NAMES = {
  'k8s.io.api.networking.v1.IngressClassParametersReference.aPIGroup': 'apiGroup',
  'k8s.io.api.authentication.v1.BoundObjectReference.aPIVersion': 'apiVersion',
  'k8s.io.api.authentication.v1.BoundObjectReference.uID': 'uid',
};

// Go struct facts a .proto cannot carry. go-to-protobuf writes every non-pointer scalar, even
// when zero, while encoding/json drops zero values of `omitempty` fields. A zero scalar on the
// wire is therefore only kept in the JSON form when its Go field is a pointer (an explicit 0,
// false or "" means something, e.g. replicas: 0 or gracePeriodSeconds: 0) or has no
// `omitempty` (required fields such as containerPort). Listed per message, by json name.
const EMIT_ZERO = {
  [META]: {
    ObjectMeta: 'deletionGracePeriodSeconds',
    OwnerReference: 'apiVersion kind name uid controller blockOwnerDeletion',
    DeleteOptions: 'gracePeriodSeconds orphanDependents propagationPolicy ignoreStoreReadErrorWithClusterBreakingPotential',
    Preconditions: 'uid resourceVersion',
    LabelSelectorRequirement: 'key operator',
    FieldSelectorRequirement: 'key operator',
    ListMeta: 'remainingItemCount',
    ListOptions: 'sendInitialEvents',
    Condition: 'type status reason message',
    APIResource: 'name singularName namespaced kind',
    APIResourceList: 'groupVersion',
    APIGroup: 'name',
    GroupVersionForDiscovery: 'groupVersion version',
    ServerAddressByClientCIDR: 'clientCIDR serverAddress',
  },
  'k8s.io.api.core.v1': {
    AWSElasticBlockStoreVolumeSource: 'volumeID',
    AppArmorProfile: 'type localhostProfile',
    AttachedVolume: 'name devicePath',
    AzureDiskVolumeSource: 'diskName diskURI cachingMode fsType readOnly kind',
    AzureFilePersistentVolumeSource: 'secretName shareName secretNamespace',
    AzureFileVolumeSource: 'secretName shareName',
    CSIPersistentVolumeSource: 'driver volumeHandle',
    CSIVolumeSource: 'driver readOnly fsType',
    CinderPersistentVolumeSource: 'volumeID',
    CinderVolumeSource: 'volumeID',
    ClientIPConfig: 'timeoutSeconds',
    ClusterTrustBundleProjection: 'name signerName optional path',
    ComponentCondition: 'type status',
    ConfigMap: 'immutable',
    ConfigMapEnvSource: 'optional',
    ConfigMapKeySelector: 'key optional',
    ConfigMapNodeConfigSource: 'namespace name kubeletConfigKey',
    ConfigMapProjection: 'optional',
    ConfigMapVolumeSource: 'defaultMode optional',
    Container: 'name restartPolicy',
    ContainerExtendedResourceRequest: 'containerName resourceName requestName',
    ContainerPort: 'containerPort',
    ContainerResizePolicy: 'resourceName restartPolicy',
    ContainerRestartRule: 'action',
    ContainerRestartRuleOnExitCodes: 'operator',
    ContainerStateTerminated: 'exitCode',
    ContainerStatus: 'name ready restartCount image imageID started stopSignal',
    DaemonEndpoint: 'Port',
    DownwardAPIVolumeFile: 'path mode',
    DownwardAPIVolumeSource: 'defaultMode',
    EndpointAddress: 'ip nodeName',
    EndpointPort: 'port appProtocol',
    EnvVar: 'name',
    EphemeralContainerCommon: 'name restartPolicy',
    Event: 'reportingComponent reportingInstance',
    FCVolumeSource: 'lun',
    FileKeySelector: 'volumeName path key optional',
    FlexPersistentVolumeSource: 'driver',
    FlexVolumeSource: 'driver',
    GCEPersistentDiskVolumeSource: 'pdName',
    GRPCAction: 'port service',
    GitRepoVolumeSource: 'repository',
    GlusterfsPersistentVolumeSource: 'endpoints path endpointsNamespace',
    GlusterfsVolumeSource: 'endpoints path',
    HTTPHeader: 'name value',
    HostAlias: 'ip',
    HostIP: 'ip',
    HostPathVolumeSource: 'path type',
    ISCSIPersistentVolumeSource: 'targetPortal iqn lun initiatorName',
    ISCSIVolumeSource: 'targetPortal iqn lun initiatorName',
    ImageVolumeStatus: 'imageRef',
    KeyToPath: 'key path mode',
    LimitRangeItem: 'type',
    LinuxContainerUser: 'uid gid',
    LoadBalancerIngress: 'ipMode',
    LocalVolumeSource: 'path fsType',
    ModifyVolumeStatus: 'status',
    NFSVolumeSource: 'server path',
    NamespaceCondition: 'type status',
    NodeAddress: 'type address',
    NodeCondition: 'type status',
    NodeFeatures: 'supplementalGroupsPolicy containerUlimits',
    NodeRuntimeHandlerFeatures: 'recursiveReadOnlyMounts userNamespaces',
    NodeSelectorRequirement: 'key operator',
    NodeSwapStatus: 'capacity',
    NodeSystemInfo: 'machineID systemUUID bootID kernelVersion osImage containerRuntimeVersion kubeletVersion kubeProxyVersion operatingSystem architecture',
    ObjectFieldSelector: 'fieldPath',
    PersistentVolumeClaimCondition: 'type status',
    PersistentVolumeClaimSpec: 'storageClassName volumeMode volumeAttributesClassName',
    PersistentVolumeClaimStatus: 'currentVolumeAttributesClassName',
    PersistentVolumeClaimVolumeSource: 'claimName',
    PersistentVolumeSpec: 'volumeMode volumeAttributesClassName',
    PhotonPersistentDiskVolumeSource: 'pdID',
    PodAffinityTerm: 'topologyKey',
    PodCertificateProjection: 'maxExpirationSeconds',
    PodCondition: 'type status',
    PodDNSConfigOption: 'value',
    PodExtendedResourceClaimStatus: 'resourceClaimName',
    PodIP: 'ip',
    PodLogOptions: 'sinceSeconds tailLines limitBytes stream',
    PodOS: 'name',
    PodReadinessGate: 'conditionType',
    PodResourceClaim: 'name resourceClaimName resourceClaimTemplateName',
    PodResourceClaimStatus: 'name resourceClaimName',
    PodSchedulingGate: 'name',
    PodSecurityContext: 'runAsUser runAsGroup runAsNonRoot supplementalGroupsPolicy fsGroup fsGroupChangePolicy seLinuxChangePolicy',
    PodSpec: 'terminationGracePeriodSeconds activeDeadlineSeconds automountServiceAccountToken shareProcessNamespace priority runtimeClassName enableServiceLinks preemptionPolicy setHostnameAsFQDN hostUsers hostnameOverride',
    PortStatus: 'port protocol error',
    PortworxVolumeSource: 'volumeID',
    PreferredSchedulingTerm: 'weight',
    Probe: 'terminationGracePeriodSeconds',
    ProjectedVolumeSource: 'defaultMode',
    QuobyteVolumeSource: 'registry volume',
    RBDPersistentVolumeSource: 'image',
    RBDVolumeSource: 'image',
    RangeAllocation: 'range',
    ReplicationControllerCondition: 'type status',
    ReplicationControllerSpec: 'replicas',
    ReplicationControllerStatus: 'replicas',
    ResourceClaim: 'name',
    ResourceFieldSelector: 'resource',
    ResourceHealth: 'resourceID',
    ResourceStatus: 'name',
    ScaleIOPersistentVolumeSource: 'gateway system',
    ScaleIOVolumeSource: 'gateway system',
    ScopedResourceSelectorRequirement: 'scopeName operator',
    SeccompProfile: 'type localhostProfile',
    Secret: 'immutable',
    SecretEnvSource: 'optional',
    SecretKeySelector: 'key optional',
    SecretProjection: 'optional',
    SecretVolumeSource: 'defaultMode optional',
    SecurityContext: 'privileged runAsUser runAsGroup runAsNonRoot readOnlyRootFilesystem allowPrivilegeEscalation procMount',
    ServiceAccount: 'automountServiceAccountToken',
    ServiceAccountTokenProjection: 'expirationSeconds path',
    ServicePort: 'port appProtocol',
    ServiceSpec: 'ipFamilyPolicy allocateLoadBalancerNodePorts loadBalancerClass internalTrafficPolicy trafficDistribution',
    SleepAction: 'seconds',
    Sysctl: 'name value',
    Taint: 'key effect',
    Toleration: 'tolerationSeconds',
    TopologySelectorLabelRequirement: 'key',
    TopologySpreadConstraint: 'maxSkew topologyKey whenUnsatisfiable minDomains nodeAffinityPolicy nodeTaintsPolicy',
    TypedLocalObjectReference: 'apiGroup kind name',
    TypedObjectReference: 'apiGroup kind name namespace',
    Ulimit: 'name hard soft',
    Volume: 'name',
    VolumeDevice: 'name devicePath',
    VolumeMount: 'name mountPath recursiveReadOnly mountPropagation',
    VolumeMountStatus: 'name mountPath recursiveReadOnly',
    VsphereVirtualDiskVolumeSource: 'volumePath',
    WeightedPodAffinityTerm: 'weight',
    WindowsSecurityContextOptions: 'gmsaCredentialSpecName gmsaCredentialSpec runAsUserName hostProcess',
  },
  'k8s.io.api.apps.v1': {
    ControllerRevision: 'revision',
    DaemonSetCondition: 'type status',
    DaemonSetSpec: 'revisionHistoryLimit',
    DaemonSetStatus: 'currentNumberScheduled numberMisscheduled desiredNumberScheduled numberReady collisionCount',
    DeploymentCondition: 'type status',
    DeploymentSpec: 'replicas revisionHistoryLimit progressDeadlineSeconds podReplacementPolicy',
    DeploymentStatus: 'terminatingReplicas collisionCount',
    ReplicaSetCondition: 'type status',
    ReplicaSetSpec: 'replicas',
    ReplicaSetStatus: 'replicas terminatingReplicas',
    RollingUpdateStatefulSetStrategy: 'partition',
    StatefulSetCondition: 'type status',
    StatefulSetOrdinals: 'start',
    StatefulSetSpec: 'replicas revisionHistoryLimit',
    StatefulSetStatus: 'replicas collisionCount',
  },
  'k8s.io.api.batch.v1': {
    CronJobSpec: 'schedule timeZone startingDeadlineSeconds suspend successfulJobsHistoryLimit failedJobsHistoryLimit',
    JobCondition: 'type status',
    JobSpec: 'parallelism completions activeDeadlineSeconds backoffLimit backoffLimitPerIndex maxFailedIndexes manualSelector ttlSecondsAfterFinished completionMode suspend podReplacementPolicy managedBy',
    JobStatus: 'terminating ready failedIndexes',
    PodFailurePolicyOnExitCodesRequirement: 'containerName operator',
    PodFailurePolicyOnPodConditionsPattern: 'type',
    PodFailurePolicyRule: 'name action',
    SuccessPolicyRule: 'succeededIndexes succeededCount',
  },
  'k8s.io.api.rbac.v1': {
    RoleRef: 'apiGroup kind name',
    Subject: 'kind name',
  },
  'k8s.io.api.policy.v1': {
    PodDisruptionBudgetSpec: 'unhealthyPodEvictionPolicy',
    PodDisruptionBudgetStatus: 'disruptionsAllowed currentHealthy desiredHealthy expectedPods',
  },
  'k8s.io.api.networking.v1': {
    HTTPIngressPath: 'pathType',
    IPBlock: 'cidr',
    IngressClassParametersReference: 'apiGroup kind name scope namespace',
    IngressPortStatus: 'port protocol error',
    IngressServiceBackend: 'name',
    IngressSpec: 'ingressClassName',
    NetworkPolicyPort: 'protocol endPort',
  },
  'k8s.io.api.scheduling.v1': {
    PriorityClass: 'value preemptionPolicy',
  },
  'k8s.io.api.coordination.v1': {
    LeaseSpec: 'holderIdentity leaseDurationSeconds leaseTransitions strategy preferredHolder',
  },
  'k8s.io.api.discovery.v1': {
    Endpoint: 'hostname nodeName zone',
    EndpointConditions: 'ready serving terminating',
    EndpointPort: 'name protocol port appProtocol',
    EndpointSlice: 'addressType',
    ForNode: 'name',
    ForZone: 'name',
  },
  'k8s.io.api.events.v1': {
    EventSeries: 'count',
  },
  'k8s.io.api.autoscaling.v1': {
    CrossVersionObjectReference: 'kind name',
    HorizontalPodAutoscalerSpec: 'minReplicas targetCPUUtilizationPercentage maxReplicas',
    HorizontalPodAutoscalerStatus: 'currentReplicas desiredReplicas currentCPUUtilizationPercentage observedGeneration',
    ScaleStatus: 'replicas',
  },
  'k8s.io.api.autoscaling.v2': {
    CrossVersionObjectReference: 'kind name',
    HorizontalPodAutoscalerSpec: 'minReplicas maxReplicas',
    HorizontalPodAutoscalerStatus: 'desiredReplicas observedGeneration',
    HPAScalingPolicy: 'type value periodSeconds',
    HPAScalingRules: 'stabilizationWindowSeconds selectPolicy',
    MetricSpec: 'type',
    MetricStatus: 'type',
    MetricTarget: 'type averageUtilization',
    MetricValueStatus: 'averageUtilization',
  },
  'k8s.io.api.authentication.v1': {
    TokenRequestSpec: 'expirationSeconds',
    TokenRequestStatus: 'token',
  },
  'k8s.io.api.storage.v1': {
    CSIDriverSpec: 'attachRequired podInfoOnMount storageCapacity fsGroupPolicy requiresRepublish seLinuxMount nodeAllocatableUpdatePeriodSeconds serviceAccountTokenInSecrets',
    CSINodeDriver: 'name nodeID',
    StorageClass: 'provisioner reclaimPolicy allowVolumeExpansion volumeBindingMode',
    VolumeAttachmentSource: 'persistentVolumeName',
    VolumeAttachmentSpec: 'attacher nodeName',
    VolumeAttachmentStatus: 'attached',
    VolumeError: 'errorCode',
    VolumeNodeResources: 'count',
    VolumeAttributesClass: 'driverName',
    CSIStorageCapacity: 'storageClassName',
    TokenRequest: 'audience expirationSeconds',
  },
};

/** Removes // and block comments so field regexes see only declarations. */
function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
}

/** Parses one .proto text into { pkg, messages: Map<name, rawField[]> }. */
function parseProto(text, file) {
  const src = stripComments(text);
  const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(src)?.[1];
  if (!pkg) throw new Error(`${file}: no package`);
  const messages = new Map();
  const re = /\bmessage\s+(\w+)\s*\{([^{}]*)\}/g;
  for (let m; (m = re.exec(src)); ) {
    const [, name, body] = m;
    const fields = [];
    for (const line of body.split(';')) {
      const decl = line.trim();
      if (!decl) continue;
      let f = /^(optional|repeated|required)\s+(\.?[\w.]+)\s+(\w+)\s*=\s*(\d+)$/.exec(decl);
      if (f) {
        fields.push({ label: f[1], type: f[2], name: f[3], number: Number(f[4]) });
        continue;
      }
      f = /^map\s*<\s*(\.?[\w.]+)\s*,\s*(\.?[\w.]+)\s*>\s*(\w+)\s*=\s*(\d+)$/.exec(decl);
      if (f) {
        fields.push({ label: 'map', keyType: f[1], type: f[2], name: f[3], number: Number(f[4]) });
        continue;
      }
      throw new Error(`${file}: message ${name}: cannot parse "${decl}"`);
    }
    messages.set(name, fields);
  }
  if (/\bmessage\s+\w+\s*\{[^{}]*\{/.test(src)) throw new Error(`${file}: nested messages are not supported`);
  return { pkg, messages };
}

const files = readdirSync(protoDir).filter((f) => f.endsWith('.proto')).sort();
if (files.length === 0) throw new Error(`no .proto files in ${protoDir}`);
const parsed = files.map((f) => ({ file: f, ...parseProto(readFileSync(join(protoDir, f), 'utf8'), f) }));

const known = new Set();
for (const p of parsed) for (const name of p.messages.keys()) known.add(`${p.pkg}.${name}`);

/** Resolves a type reference the way protoc does: scalar, absolute (.a.b.C), or scope-relative. */
function resolve(type, pkg) {
  if (SCALARS.has(type)) return type;
  if (type.startsWith('.')) {
    if (!known.has(type.slice(1))) throw new Error(`unknown type ${type}`);
    return type.slice(1);
  }
  for (let scope = pkg; ; scope = scope.includes('.') ? scope.slice(0, scope.lastIndexOf('.')) : '') {
    const candidate = scope ? `${scope}.${type}` : type;
    if (known.has(candidate)) return candidate;
    if (!scope) break;
  }
  throw new Error(`unknown type ${type} (in ${pkg})`);
}

const table = {};
const kinds = {};
for (const { pkg, messages } of parsed) {
  const emitZero = EMIT_ZERO[pkg] ?? {};
  for (const [name, fields] of messages) {
    const full = `${pkg}.${name}`;
    const zeroNames = new Set((emitZero[name] ?? '').split(' ').filter(Boolean));
    const entry = {};
    for (const f of fields) {
      const jsonName = JSON_NAMES[`${full}.${f.name}`] ?? f.name;
      const type = resolve(f.type, pkg);
      let flags = 0;
      if (f.label === 'repeated') flags |= FLAG_REPEATED;
      if (zeroNames.delete(jsonName)) flags |= FLAG_EMIT_ZERO;
      if (INLINE.has(`${full}.${f.name}`) || (f.name === 'localObjectReference' && type.endsWith('.LocalObjectReference'))) {
        flags |= FLAG_INLINE;
      }
      entry[f.number] = f.label === 'map' ? [jsonName, 'map', flags, [resolve(f.keyType, pkg), type]] : [jsonName, type, flags];
    }
    if (zeroNames.size > 0) throw new Error(`EMIT_ZERO names not in ${full}: ${[...zeroNames].join(', ')}`);
    table[full] = entry;

    // Served kinds: each top-level object or list (ObjectMeta / ListMeta at field 1).
    const api = /^k8s\.io\.api\.(\w+)\.(\w+)$/.exec(pkg);
    const meta = fields.find((f) => f.number === 1 && f.name === 'metadata');
    if (api && meta && !NOT_KINDS.has(name) && /\.(ObjectMeta|ListMeta)$/.test(resolve(meta.type, pkg))) {
      const group = GROUPS[api[1]];
      if (group === undefined) throw new Error(`no API group name for package ${pkg}`);
      kinds[`${group ? `${group}/` : ''}${api[2]}/${name}`] = full;
    }
  }
}
for (const [pkg, byMessage] of Object.entries(EMIT_ZERO)) {
  if (!parsed.some((p) => p.pkg === pkg)) continue;
  for (const name of Object.keys(byMessage)) {
    if (!table[`${pkg}.${name}`]) throw new Error(`EMIT_ZERO names unknown message ${pkg}.${name}`);
  }
}

const q = (s) => `'${s}'`;
const lines = [
  '// Code generated by hack/gen-protobuf-schema.mjs from Kubernetes generated.proto files. DO NOT EDIT.',
  '',
  '/** Field is `repeated` in the proto (a JSON array). */',
  `export const FLAG_REPEATED = ${FLAG_REPEATED};`,
  '/** A zero scalar present on the wire stays in the JSON (Go pointer field, or no `omitempty`). */',
  `export const FLAG_EMIT_ZERO = ${FLAG_EMIT_ZERO};`,
  '/** Embedded Go struct (`json:",inline"`): its fields merge into the parent JSON object. */',
  `export const FLAG_INLINE = ${FLAG_INLINE};`,
  '',
  '/** [json name, scalar type | message type | "map", flags, [map key type, map value type]?] */',
  'export type FieldSpec = readonly [string, string, number, (readonly [string, string])?];',
  '',
  '/** Message type (package-qualified) -> field number -> field spec. */',
  'export const MESSAGES: Readonly<Record<string, Readonly<Record<number, FieldSpec>>>> = {',
];
for (const full of Object.keys(table).sort()) {
  lines.push(`  ${q(full)}: {`);
  for (const [num, spec] of Object.entries(table[full])) {
    const [jsonName, type, flags, map] = spec;
    const mapPart = map ? `, [${q(map[0])}, ${q(map[1])}]` : '';
    lines.push(`    ${num}: [${q(jsonName)}, ${q(type)}, ${flags}${mapPart}],`);
  }
  lines.push('  },');
}
lines.push('};', '', '/** "apiVersion/Kind" -> message type of that served kind. */');
lines.push('export const KINDS: Readonly<Record<string, string>> = {');
for (const key of Object.keys(kinds).sort()) lines.push(`  ${q(key)}: ${q(kinds[key])},`);
lines.push('};', '');

writeFileSync(outFile, lines.join('\n'));
console.log(`wrote ${outFile}: ${Object.keys(table).length} messages, ${Object.keys(kinds).length} kinds from ${files.length} files`);
