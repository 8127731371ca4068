/**
 * The downward API's values, shared by env vars (valueFrom) and downwardAPI/projected volume files: pod fields
 * (kube's pkg/fieldpath + the kubelet's podFieldSelectorRuntimeValue) and container resources
 * (pkg/api/v1/resource ExtractContainerResourceValue), with limits that are unset taken from the node's
 * allocatable as the kubelet's defaultPodLimitsForDownwardAPI does.
 */
import type { Container, ObjectFieldSelector, Pod, ResourceFieldSelector } from 'kubernetes-types/core/v1.js';
import { parseQuantity, type Quantity } from '../apimachinery/quantity.js';

/** Node allocatable resources (`cpu`, `memory`, `ephemeral-storage`) as quantity strings. */
export type ResourceList = Readonly<Record<string, string>>;

/** The addresses only the kubelet knows: they are not (yet) in the pod object it holds. */
export interface PodAddresses {
  podIPs?: readonly string[];
  hostIPs?: readonly string[];
}

const SUBSCRIPTED = /^metadata\.(annotations|labels)\['(.*)'\]$/;

/** kube's FormatMap: sorted `key="value"` lines, the form of the whole `metadata.labels`/`annotations` files. */
export function formatMap(m: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** The metadata fields every downward API consumer may read (kube's ExtractFieldPathAsString). */
export function extractFieldPathAsString(pod: Pod, fieldPath: string): string {
  const sub = SUBSCRIPTED.exec(fieldPath);
  if (sub) {
    const map = sub[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[sub[2]!] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.annotations':
      return formatMap(pod.metadata?.annotations);
    case 'metadata.labels':
      return formatMap(pod.metadata?.labels);
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

/** kube's ConvertDownwardAPIFieldLabel: the version must be v1 and the field one the downward API knows. */
function convertFieldLabel(apiVersion: string | undefined, fieldPath: string): string {
  if ((apiVersion ?? 'v1') !== 'v1') throw new Error(`unsupported pod version: ${apiVersion}`);
  if (SUBSCRIPTED.test(fieldPath)) return fieldPath;
  switch (fieldPath) {
    case 'metadata.annotations':
    case 'metadata.labels':
    case 'metadata.name':
    case 'metadata.namespace':
    case 'metadata.uid':
    case 'spec.nodeName':
    case 'spec.restartPolicy':
    case 'spec.serviceAccountName':
    case 'spec.schedulerName':
    case 'status.phase':
    case 'status.hostIP':
    case 'status.hostIPs':
    case 'status.podIP':
    case 'status.podIPs':
      return fieldPath;
    case 'spec.host':
      return 'spec.nodeName';
  }
  throw new Error(`field label not supported: ${fieldPath}`);
}

/** The value of an env var's `fieldRef` (the kubelet's podFieldSelectorRuntimeValue). */
export function podFieldValue(selector: ObjectFieldSelector, pod: Pod, addresses: PodAddresses): string {
  const path = convertFieldLabel(selector.apiVersion, selector.fieldPath);
  const podIPs = addresses.podIPs ?? (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  const hostIPs = addresses.hostIPs ?? (pod.status?.hostIPs ?? []).map((h) => h.ip).filter((ip): ip is string => !!ip);
  switch (path) {
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      if (hostIPs.length === 0) throw new Error('failed to get host IP: no node addresses');
      return hostIPs[0]!;
    case 'status.hostIPs':
      if (hostIPs.length === 0) throw new Error('failed to get host IP: no node addresses');
      return hostIPs.join(',');
    case 'status.podIP':
      return podIPs[0] ?? pod.status?.podIP ?? '';
    case 'status.podIPs':
      return podIPs.join(',');
  }
  return extractFieldPathAsString(pod, path);
}

const ONE = parseQuantity('1');
const DEFAULTED_FROM_NODE = ['cpu', 'memory', 'ephemeral-storage'];

/** The container with unset cpu/memory/ephemeral-storage limits filled in from node allocatable. */
function withNodeLimits(container: Container, allocatable: ResourceList): Container {
  const limits: Record<string, string> = { ...(container.resources?.limits ?? {}) };
  for (const r of DEFAULTED_FROM_NODE) {
    if (limits[r] === undefined && allocatable[r] !== undefined) limits[r] = allocatable[r]!;
  }
  return { ...container, resources: { ...(container.resources ?? {}), limits } };
}

/** kube's resource.Quantity.Value(): whole units, rounded up. */
function value(q: Quantity): bigint {
  const whole = q.num / q.den;
  return q.num % q.den !== 0n && q.num > 0n ? whole + 1n : whole;
}

/** ceil(a / b) in bigints (b > 0); kube computes this in float64 with math.Ceil. */
function ceilDiv(a: bigint, b: bigint): string {
  if (b === 0n) return '0';
  const q = a / b;
  return (a % b !== 0n && a > 0n ? q + 1n : q).toString();
}

function quantity(list: Readonly<Record<string, string>> | undefined, name: string): Quantity {
  const raw = list?.[name];
  return raw === undefined ? parseQuantity('0') : parseQuantity(raw);
}

/** A container resource as the downward API prints it: ceil(value / divisor), cpu in milli-units. */
export function containerResourceValue(selector: ResourceFieldSelector, container: Container): string {
  const divisor = selector.divisor === undefined || parseQuantity(selector.divisor).sign() === 0 ? ONE : parseQuantity(selector.divisor);
  const [kind, name] = splitResource(selector.resource);
  const list = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  if (name === 'cpu') return ceilDiv(quantity(list, 'cpu').milliValue(), divisor.milliValue());
  if (name === 'memory' || name === 'ephemeral-storage' || name?.startsWith('hugepages-')) {
    return ceilDiv(value(quantity(list, name)), value(divisor));
  }
  throw new Error(`unsupported container resource : ${selector.resource}`);
}

function splitResource(resource: string): [string | undefined, string | undefined] {
  const dot = resource.indexOf('.');
  if (dot === -1) return [undefined, undefined];
  const kind = resource.slice(0, dot);
  return kind === 'limits' || kind === 'requests' ? [kind, resource.slice(dot + 1)] : [undefined, undefined];
}

/**
 * A resourceFieldRef's value: of the named container (any container of the pod, init ones too) or of
 * `current` when none is named; unset limits are the node's allocatable.
 */
export function resourceFieldValue(selector: ResourceFieldSelector, pod: Pod, current: Container | undefined, allocatable: ResourceList): string {
  let container = current;
  if (selector.containerName) {
    const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
    container = all.find((c) => c.name === selector.containerName);
    if (!container) throw new Error(`container ${selector.containerName} not found`);
  }
  if (!container) throw new Error(`container ${selector.containerName ?? ''} not found`);
  return containerResourceValue(selector, withNodeLimits(container, allocatable));
}
