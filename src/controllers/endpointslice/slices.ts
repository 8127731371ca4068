/**
 * Building a Service's EndpointSlices from its pods (kube's endpointslice reconciler, simplified): one endpoint
 * per pod with ready/serving/terminating conditions, nodeName, zone and targetRef; endpoints grouped by the
 * ports they resolve to, at most 100 per slice; one empty placeholder slice when there are none.
 */
import type { EndpointPort as SlicePort, Endpoint, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import { findPort, hostnameFor, isIPv6, isPodReady, podIPs, shouldPodBeInEndpoints } from '../endpoint/util.js';

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
/** kube-controller-manager's --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

export type AddressType = 'IPv4' | 'IPv6';

/** One slice's content: what the reconciler compares and writes. */
export interface DesiredSlice {
  addressType: AddressType;
  ports: SlicePort[];
  endpoints: Endpoint[];
}

/** The address type of a Service's slices: its first IP family (IPv4 unless it says IPv6). */
export function addressTypeOf(service: Service): AddressType {
  return service.spec?.ipFamilies?.[0] === 'IPv6' ? 'IPv6' : 'IPv4';
}

/** kube's podToEndpoint. */
export function podToEndpoint(pod: Pod, service: Service, node: Node | undefined, addressType: AddressType): Endpoint | undefined {
  const addresses = podIPs(pod).filter((ip) => isIPv6(ip) === (addressType === 'IPv6'));
  if (addresses.length === 0) return undefined;
  const serving = isPodReady(pod);
  const terminating = pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
  // "ready" is never true for a terminating pod, unless the Service publishes not-ready addresses.
  const ready = (service.spec?.publishNotReadyAddresses ?? false) || (serving && !terminating);
  const hostname = hostnameFor(pod, service);
  const zone = node?.metadata?.labels?.[LABEL_ZONE];
  return {
    addresses: [addresses[0]!],
    conditions: { ready, serving, terminating },
    ...(hostname ? { hostname } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    ...(zone ? { zone } : {}),
  };
}

/** The desired slices of a Service whose selector picked `pods`. */
export function desiredSlices(service: Service, pods: readonly Pod[], nodeOf: (name: string) => Node | undefined, maxPerSlice = MAX_ENDPOINTS_PER_SLICE): DesiredSlice[] {
  const addressType = addressTypeOf(service);
  const groups = new Map<string, { ports: SlicePort[]; endpoints: Endpoint[] }>();
  for (const pod of pods) {
    // Slices keep terminating pods (with terminating: true), unlike Endpoints.
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ep = podToEndpoint(pod, service, pod.spec?.nodeName ? nodeOf(pod.spec.nodeName) : undefined, addressType);
    if (!ep) continue;
    const ports: SlicePort[] = [];
    for (const sp of service.spec?.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      ports.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
    const key = JSON.stringify(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    g.endpoints.push(ep);
  }
  const slices: DesiredSlice[] = [];
  for (const [, g] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    g.endpoints.sort((a, b) => (a.addresses[0]! < b.addresses[0]! ? -1 : a.addresses[0]! > b.addresses[0]! ? 1 : 0));
    for (let i = 0; i < g.endpoints.length; i += maxPerSlice) slices.push({ addressType, ports: g.ports, endpoints: g.endpoints.slice(i, i + maxPerSlice) });
  }
  // A Service with no endpoints still has one slice (kube's placeholder), so watchers see it was processed.
  if (slices.length === 0) slices.push({ addressType, ports: [], endpoints: [] });
  return slices;
}

/** The labels of a Service's slices: the Service's own (minus reserved ones), the service name and manager. */
export function sliceLabels(service: Service, managedBy = CONTROLLER_NAME): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.metadata?.labels ?? {})) if (k !== LABEL_SERVICE_NAME && k !== LABEL_MANAGED_BY) labels[k] = v;
  labels[LABEL_SERVICE_NAME] = service.metadata?.name ?? '';
  labels[LABEL_MANAGED_BY] = managedBy;
  if (service.spec?.clusterIP === 'None') labels[LABEL_HEADLESS] = '';
  else delete labels[LABEL_HEADLESS];
  return labels;
}

/** A new slice object for the Service (the apiserver names it from generateName `<service>-`). */
export function newSlice(service: Service, desired: DesiredSlice, labels: Record<string, string>): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${service.metadata?.name}-`,
      namespace: service.metadata?.namespace,
      labels,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: service.metadata!.name!, uid: service.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType: desired.addressType,
    endpoints: desired.endpoints,
    ports: desired.ports,
  };
}
