/**
 * What the Endpoints and EndpointSlice controllers share (kube's pkg/controller/util/endpoint): which pods
 * back a Service, whether they are ready, and which port a service port reaches on a pod.
 */
import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';

/** kube's ShouldPodBeInEndpoints: not finished, has an IP, and not terminating unless those are included. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  // kube's IsPodTerminal: a pod that finished (it will not restart) has no endpoint.
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!pod.status?.podIP && (pod.status?.podIPs ?? []).length === 0) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * The port a service port reaches on a pod (kube's podutil.FindPort): a numeric targetPort as it is, a named
 * one looked up among the containers' ports of the same protocol; undefined when the pod has no such port.
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/** kube's ShouldSetHostname: the pod's hostname, when its subdomain is this Service's name. */
export function hostnameFor(pod: Pod, service: Service): string | undefined {
  const h = pod.spec?.hostname;
  return h && pod.spec?.subdomain === service.metadata?.name && pod.metadata?.namespace === service.metadata?.namespace ? h : undefined;
}

/** The pod's IPs (status.podIPs, or status.podIP alone). */
export function podIPs(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).flatMap((p) => (p.ip ? [p.ip] : []));
  if (ips.length > 0) return ips;
  return pod.status?.podIP ? [pod.status.podIP] : [];
}

export const isIPv6 = (ip: string): boolean => ip.includes(':');

/** Compare IPs as kube's sort does for Endpoints addresses (by string). */
export const byIP = <T extends { ip: string }>(a: T, b: T): number => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);

/** Services whose selector selects nothing (or no selector at all) get no controller-managed endpoints. */
export function hasSelector(service: Service): boolean {
  return Object.keys(service.spec?.selector ?? {}).length > 0;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Deep equality of API JSON as kube's apiequality.Semantic compares after a round trip: key order does not
 * matter, and absent, null, [] and {} are the same. Comparing written objects with it keeps a controller from
 * rewriting what the server merely re-ordered.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  const empty = (v: unknown): boolean => v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isMap(v) && Object.keys(v).length === 0);
  if (empty(a) && empty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}
