/**
 * Building a Service's v1 Endpoints from its pods (kube's endpoints controller syncService): ready pods under
 * `addresses`, the others under `notReadyAddresses` (all under addresses with publishNotReadyAddresses), each
 * address with its pod's nodeName and targetRef, ports resolved by name from the containers' ports, and the
 * subsets packed by port set as kube's RepackSubsets does.
 */
import type { EndpointAddress, EndpointPort, EndpointSubset, Pod, Service } from 'kubernetes-types/core/v1.js';
import { byIP, findPort, hostnameFor, isPodReady, podIPs, shouldPodBeInEndpoints } from './util.js';

/** The subsets of a Service's Endpoints, packed and sorted (so an unchanged world compares equal). */
export function buildSubsets(service: Service, pods: readonly Pod[]): EndpointSubset[] {
  const publishNotReady = service.spec?.publishNotReadyAddresses ?? false;
  const headless = service.spec?.clusterIP === 'None';
  /** port set (JSON) -> ports, ready and not-ready addresses. */
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  const add = (ports: EndpointPort[], address: EndpointAddress, ready: boolean): void => {
    const key = JSON.stringify(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    (ready ? g.ready : g.notReady).push(address);
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const ip = podIPs(pod)[0]!;
    const hostname = hostnameFor(pod, service);
    const address: EndpointAddress = {
      ip,
      ...(hostname ? { hostname } : {}),
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
    };
    const ready = publishNotReady || isPodReady(pod);
    const servicePorts = service.spec?.ports ?? [];
    // A headless Service without ports still lists its pods' addresses.
    if (servicePorts.length === 0 && headless) add([], address, ready);
    for (const sp of servicePorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) };
      add([ep], address, ready);
    }
  }
  // RepackSubsets: addresses with the same set of ports share one subset.
  const byAddress = new Map<string, { address: EndpointAddress; ready: boolean; ports: EndpointPort[] }>();
  for (const g of groups.values()) {
    for (const [list, ready] of [[g.ready, true], [g.notReady, false]] as const) {
      for (const a of list) {
        const k = `${ready}/${a.ip}/${a.targetRef?.uid ?? ''}`;
        const e = byAddress.get(k) ?? { address: a, ready, ports: [] };
        e.ports.push(...g.ports);
        byAddress.set(k, e);
      }
    }
  }
  const subsets = new Map<string, EndpointSubset & { addresses: EndpointAddress[]; notReadyAddresses: EndpointAddress[] }>();
  for (const { address, ready, ports } of byAddress.values()) {
    const sorted = [...ports].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port || (a.protocol ?? '').localeCompare(b.protocol ?? ''));
    const key = JSON.stringify(sorted);
    let s = subsets.get(key);
    if (!s) subsets.set(key, (s = { addresses: [], notReadyAddresses: [], ports: sorted }));
    (ready ? s.addresses : s.notReadyAddresses).push(address);
  }
  return [...subsets.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, s]) => ({
      ...(s.addresses.length > 0 ? { addresses: s.addresses.sort(byIP) } : {}),
      ...(s.notReadyAddresses.length > 0 ? { notReadyAddresses: s.notReadyAddresses.sort(byIP) } : {}),
      ...(s.ports!.length > 0 ? { ports: s.ports } : {}),
    }));
}

/** The labels of a Service's Endpoints: the Service's, plus the headless marker kube adds. */
export function endpointsLabels(service: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(service.metadata?.labels ?? {}) };
  if (service.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
  else delete labels['service.kubernetes.io/headless'];
  return labels;
}
