/**
 * The CRI configs the node agent sends for a pod (the kubelet's generatePodSandboxConfig and
 * generateContainerConfig): sandbox metadata, hostname, DNS, host ports, namespaces and cgroup parent; the
 * container's command, env, mounts, log path, security context and cgroup resources by QoS class.
 */
import type { Container, Pod, SecurityContext } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../apimachinery/quantity.js';
import { podQOSClass } from '../../apiserver/registry/core/pod-qos.js';
import {
  NamespaceMode,
  type ContainerConfig,
  type DNSConfig,
  type KeyValue,
  type LinuxContainerResources,
  type LinuxContainerSecurityContext,
  type Mount,
  type PodSandboxConfig,
  type PortMapping,
} from '../cri/types.js';
import { containerHash } from './container-hash.js';
import {
  CONTAINER_HASH_ANNOTATION,
  CONTAINER_KIND_ANNOTATION,
  CONTAINER_RESTART_COUNT_ANNOTATION,
  CONTAINER_TERMINATION_MESSAGE_HOST_PATH_ANNOTATION,
  CONTAINER_TERMINATION_MESSAGE_PATH_ANNOTATION,
  CONTAINER_TERMINATION_MESSAGE_POLICY_ANNOTATION,
  containerLabels,
  POD_TERMINATION_GRACE_PERIOD_ANNOTATION,
  podLabels,
} from './labels.js';
import type { ContainerKind } from './actions.js';

const CPU_PERIOD_US = 100_000;
const MIN_SHARES = 2;
const MIN_QUOTA_US = 1000;

/** The pod's hostname as the kubelet gives it: spec.hostname or the pod name, at most 63 characters. */
export function podHostname(pod: Pod): string {
  const name = pod.spec?.hostname || pod.metadata!.name!;
  return name.slice(0, 63).replace(/[-.]+$/, '');
}

/** Host ports of every container (the portmap CNI plugin publishes them). */
export function portMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ protocol: p.protocol === 'UDP' ? 1 : p.protocol === 'SCTP' ? 2 : 0, containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIP ?? '' });
    }
  }
  return out;
}

/** QoS cgroup parent, as the kubelet's cgroupfs layout: /kubepods/<qos>/pod<uid> (Guaranteed directly under kubepods). */
export function podCgroupParent(pod: Pod): string {
  const qos = podQOSClass(pod);
  const uid = pod.metadata!.uid!;
  return qos === 'Guaranteed' ? `/kubepods/pod${uid}` : `/kubepods/${qos.toLowerCase()}/pod${uid}`;
}

export interface SandboxInputs {
  attempt: number;
  logDirectory: string;
  dns: DNSConfig;
}

export function sandboxConfig(pod: Pod, inputs: SandboxInputs): PodSandboxConfig {
  const spec = pod.spec!;
  const sc = spec.securityContext ?? {};
  return {
    metadata: { name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, uid: pod.metadata!.uid!, attempt: inputs.attempt },
    hostname: spec.hostNetwork ? undefined : podHostname(pod),
    logDirectory: inputs.logDirectory,
    dnsConfig: inputs.dns,
    portMappings: portMappings(pod),
    labels: podLabels(pod),
    annotations: { ...(pod.metadata?.annotations ?? {}), [POD_TERMINATION_GRACE_PERIOD_ANNOTATION]: String(spec.terminationGracePeriodSeconds ?? 30) },
    linux: {
      cgroupParent: podCgroupParent(pod),
      securityContext: {
        namespaceOptions: {
          network: spec.hostNetwork ? NamespaceMode.NODE : NamespaceMode.POD,
          pid: spec.hostPID ? NamespaceMode.NODE : spec.shareProcessNamespace ? NamespaceMode.POD : NamespaceMode.CONTAINER,
          ipc: spec.hostIPC ? NamespaceMode.NODE : NamespaceMode.POD,
        },
        ...(sc.runAsUser !== undefined ? { runAsUser: { value: sc.runAsUser } } : {}),
        ...(sc.runAsGroup !== undefined ? { runAsGroup: { value: sc.runAsGroup } } : {}),
        ...(sc.supplementalGroups ? { supplementalGroups: sc.supplementalGroups } : {}),
      },
      sysctls: Object.fromEntries((sc.sysctls ?? []).map((s) => [s.name, s.value])),
    },
  };
}

function milli(value: string | number | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  return parseQuantity(value).milliValue();
}

/**
 * cgroup settings from requests and limits (kubelet's calculateLinuxResources): CPU shares from the request
 * (1024 per core, at least 2), CFS quota from the limit, memory limit in bytes, and the OOM score by QoS.
 */
export function linuxResources(pod: Pod, container: Container, memoryCapacityBytes: number): LinuxContainerResources {
  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  const cpuRequest = milli(requests.cpu ?? limits.cpu);
  const cpuLimit = milli(limits.cpu);
  const memLimit = milli(limits.memory);
  const out: LinuxContainerResources = {
    cpuShares: cpuRequest === undefined ? MIN_SHARES : Math.max(MIN_SHARES, Number((cpuRequest * 1024n) / 1000n)),
  };
  if (cpuLimit !== undefined) {
    out.cpuPeriod = CPU_PERIOD_US;
    out.cpuQuota = Math.max(MIN_QUOTA_US, Number((cpuLimit * BigInt(CPU_PERIOD_US)) / 1000n));
  }
  if (memLimit !== undefined) out.memoryLimitInBytes = Number(memLimit / 1000n);
  out.oomScoreAdj = oomScoreAdj(pod, container, memoryCapacityBytes);
  return out;
}

/** kube's policy: Guaranteed -997, BestEffort 1000, Burstable between by the share of memory requested. */
export function oomScoreAdj(pod: Pod, container: Container, memoryCapacityBytes: number): number {
  const qos = podQOSClass(pod);
  if (qos === 'Guaranteed') return -997;
  if (qos === 'BestEffort') return 1000;
  const req = milli(container.resources?.requests?.memory);
  const bytes = req === undefined ? 0 : Number(req / 1000n);
  const adj = 1000 - Math.floor((1000 * bytes) / Math.max(1, memoryCapacityBytes));
  return Math.min(999, Math.max(2, adj));
}

function securityContext(pod: Pod, sc: SecurityContext | undefined): LinuxContainerSecurityContext {
  const podSc = pod.spec?.securityContext ?? {};
  const runAsUser = sc?.runAsUser ?? podSc.runAsUser;
  const runAsGroup = sc?.runAsGroup ?? podSc.runAsGroup;
  return {
    privileged: sc?.privileged ?? false,
    readonlyRootfs: sc?.readOnlyRootFilesystem ?? false,
    // allowPrivilegeEscalation false is no_new_privs; so is running unprivileged without the capability.
    noNewPrivs: sc?.allowPrivilegeEscalation === false,
    ...(runAsUser !== undefined ? { runAsUser: { value: runAsUser } } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup: { value: runAsGroup } } : {}),
    ...(podSc.supplementalGroups ? { supplementalGroups: podSc.supplementalGroups } : {}),
    ...(sc?.capabilities
      ? { capabilities: { addCapabilities: (sc.capabilities.add ?? []).map(capName), dropCapabilities: (sc.capabilities.drop ?? []).map(capName) } }
      : {}),
    namespaceOptions: {
      network: pod.spec?.hostNetwork ? NamespaceMode.NODE : NamespaceMode.POD,
      pid: pod.spec?.hostPID ? NamespaceMode.NODE : pod.spec?.shareProcessNamespace ? NamespaceMode.POD : NamespaceMode.CONTAINER,
      ipc: pod.spec?.hostIPC ? NamespaceMode.NODE : NamespaceMode.POD,
    },
  };
}

/** Kubernetes names capabilities without the CAP_ prefix; the runtime wants it. */
function capName(c: string): string {
  return c.toUpperCase().startsWith('CAP_') || c.toUpperCase() === 'ALL' ? c.toUpperCase() : `CAP_${c.toUpperCase()}`;
}

export interface ContainerInputs {
  kind: ContainerKind;
  restartCount: number;
  /** The image as resolved by the pull (its ID). */
  imageRef: string;
  command?: string[];
  args?: string[];
  envs: KeyValue[];
  mounts: Mount[];
  terminationMessageHostPath?: string;
  memoryCapacityBytes: number;
}

export function containerConfig(pod: Pod, container: Container, inputs: ContainerInputs): ContainerConfig {
  return {
    metadata: { name: container.name, attempt: inputs.restartCount },
    image: { image: inputs.imageRef },
    ...(inputs.command && inputs.command.length > 0 ? { command: inputs.command } : {}),
    ...(inputs.args && inputs.args.length > 0 ? { args: inputs.args } : {}),
    ...(container.workingDir ? { workingDir: container.workingDir } : {}),
    envs: inputs.envs,
    mounts: inputs.mounts,
    labels: containerLabels(pod, container.name),
    annotations: {
      [CONTAINER_HASH_ANNOTATION]: containerHash(container),
      [CONTAINER_RESTART_COUNT_ANNOTATION]: String(inputs.restartCount),
      [CONTAINER_TERMINATION_MESSAGE_PATH_ANNOTATION]: container.terminationMessagePath ?? '/dev/termination-log',
      [CONTAINER_TERMINATION_MESSAGE_POLICY_ANNOTATION]: container.terminationMessagePolicy ?? 'File',
      [CONTAINER_KIND_ANNOTATION]: inputs.kind,
      ...(inputs.terminationMessageHostPath ? { [CONTAINER_TERMINATION_MESSAGE_HOST_PATH_ANNOTATION]: inputs.terminationMessageHostPath } : {}),
    },
    logPath: `${container.name}/${inputs.restartCount}.log`,
    stdin: container.stdin ?? false,
    stdinOnce: container.stdinOnce ?? false,
    tty: container.tty ?? false,
    linux: {
      resources: linuxResources(pod, container, inputs.memoryCapacityBytes),
      securityContext: securityContext(pod, container.securityContext),
    },
  };
}

/** The Kubernetes-managed /etc/hosts of a pod (not for hostNetwork pods, which see the node's). */
export function etcHosts(pod: Pod, podIP: string): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  const hostname = podHostname(pod);
  const sub = pod.spec?.subdomain;
  const fqdn = sub ? `${hostname}.${sub}.${pod.metadata!.namespace}.svc.cluster.local` : undefined;
  if (podIP) lines.push(fqdn ? `${podIP}\t${fqdn}\t${hostname}` : `${podIP}\t${hostname}`);
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length > 0) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) lines.push(`${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The pod's resolv.conf (kubelet's dns.Configurer): the node's own for `Default` (and for `ClusterFirst` while
 * the cluster has no DNS service, the kubelet's fallback), none of it for `None`, merged with spec.dnsConfig.
 */
export function podDNS(pod: Pod, host: DNSConfig, clusterDNS?: { servers: string[]; domain: string }): DNSConfig {
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  let base: DNSConfig = { servers: [...host.servers], searches: [...host.searches], options: [...host.options] };
  const clusterFirst = policy === 'ClusterFirst' || (policy === 'ClusterFirstWithHostNet' && pod.spec?.hostNetwork);
  if (clusterFirst && clusterDNS && clusterDNS.servers.length > 0) {
    const ns = pod.metadata!.namespace!;
    base = {
      servers: clusterDNS.servers,
      searches: [`${ns}.svc.${clusterDNS.domain}`, `svc.${clusterDNS.domain}`, clusterDNS.domain, ...host.searches].slice(0, 32),
      options: ['ndots:5'],
    };
  } else if (policy === 'None') {
    base = { servers: [], searches: [], options: [] };
  }
  const extra = pod.spec?.dnsConfig;
  if (extra) {
    base.servers = [...new Set([...base.servers, ...(extra.nameservers ?? [])])];
    base.searches = [...new Set([...base.searches, ...(extra.searches ?? [])])];
    const opts = new Map(base.options.map((o) => [o.split(':')[0]!, o]));
    for (const o of extra.options ?? []) opts.set(o.name!, o.value !== undefined ? `${o.name}:${o.value}` : o.name!);
    base.options = [...opts.values()];
  }
  return base;
}

/** Parses a resolv.conf (the node's). */
export function parseResolvConf(text: string): DNSConfig {
  const out: DNSConfig = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.servers.push(rest[0]);
    else if (key === 'search') out.searches = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}
