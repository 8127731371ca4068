/** v1 Service: its TYPE, CLUSTER-IP, EXTERNAL-IP and PORT(S) columns. */
import type { Service } from 'kubernetes-types/core/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import { selectorString } from '../scale.js';
import { child, ensure, isFields, items, setDefault, setDefaultString } from '../defaults/fields.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import type { ServiceAllocator } from './service-allocator.js';
import { validateService, validateServiceUpdate } from '../validation/service.js';

export { validateServiceUpdate };

/** Three hours, kube's ClientIP affinity timeout. */
const CLIENT_IP_TIMEOUT_SECONDS = 10800;

/**
 * SetDefaults_Service (ClusterIP, no affinity, TCP, targetPort = port, the traffic policies) plus the IP family
 * fields kube's service REST fills in on a single-stack IPv4 cluster. Cluster IPs are allocated elsewhere.
 */
export function defaultService(obj: StoredObject): void {
  const spec = child(obj, 'spec');
  if (!spec) return;
  setDefaultString(spec, 'sessionAffinity', 'None');
  setDefaultString(spec, 'type', 'ClusterIP');
  if (spec.sessionAffinity === 'ClientIP') {
    const clientIP = ensure(ensure(spec, 'sessionAffinityConfig'), 'clientIP');
    setDefault(clientIP, 'timeoutSeconds', CLIENT_IP_TIMEOUT_SECONDS);
  }
  for (const port of items(spec, 'ports')) {
    setDefaultString(port, 'protocol', 'TCP');
    if (port.targetPort === undefined || port.targetPort === null || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
  }
  const type = spec.type;
  const externalIPs = Array.isArray(spec.externalIPs) ? spec.externalIPs : [];
  const externallyAccessible = type === 'LoadBalancer' || type === 'NodePort' || (type === 'ClusterIP' && externalIPs.length > 0);
  if (externallyAccessible) setDefaultString(spec, 'externalTrafficPolicy', 'Cluster');
  if (type !== 'ExternalName') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  if (type !== 'ExternalName') {
    // A headless service without a selector may front any family, so kube asks for both; on a single-stack
    // cluster that still resolves to the one family.
    const headless = spec.clusterIP === 'None';
    const selectorless = !isFields(spec.selector) || Object.keys(spec.selector).length === 0;
    setDefault(spec, 'ipFamilyPolicy', headless && selectorless ? 'RequireDualStack' : 'SingleStack');
    if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) spec.ipFamilies = ['IPv4'];
  }
}

function externalIP(svc: Service): string {
  const type = svc.spec?.type ?? 'ClusterIP';
  const external = svc.spec?.externalIPs ?? [];
  const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean);
  if (type === 'ExternalName') return svc.spec?.externalName ?? '<none>';
  if (type === 'LoadBalancer') {
    const all = [...ingress, ...external];
    return all.length > 0 ? all.join(',') : '<pending>';
  }
  return external.length > 0 ? external.join(',') : '<none>';
}

function ports(svc: Service): string {
  const list = svc.spec?.ports ?? [];
  if (list.length === 0) return '<none>';
  return list.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

type Spec = Record<string, unknown>;
const portKey = (p: Spec): string => `${String(p.port)}/${String(p.protocol ?? 'TCP')}`;

/**
 * kube's patchAllocatedValues: an update that leaves out the cluster IP or a port's node port (a PUT of the
 * file the user first wrote) keeps the allocated ones. Node ports a type that no longer needs them held are
 * dropped (dropTypeDependentFields), to be released once the update is stored.
 */
export function prepareServiceForUpdate(obj: StoredObject, old: StoredObject): void {
  const spec = child(obj, 'spec');
  const oldSpec = child(old, 'spec');
  if (!spec || !oldSpec) return;
  if (spec.type !== 'ExternalName' && oldSpec.type !== 'ExternalName') {
    if (!spec.clusterIP && !(Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0) && oldSpec.clusterIP) {
      spec.clusterIP = oldSpec.clusterIP;
      if (Array.isArray(oldSpec.clusterIPs)) spec.clusterIPs = [...(oldSpec.clusterIPs as unknown[])];
    } else if (spec.clusterIP && !(Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0)) {
      spec.clusterIPs = [spec.clusterIP];
    }
  }
  const oldPorts = new Map(items(oldSpec, 'ports').map((p) => [portKey(p), p.nodePort]));
  const wantsNodePorts = spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
  for (const port of items(spec, 'ports')) {
    const was = oldPorts.get(portKey(port));
    if (wantsNodePorts && !port.nodePort && was) port.nodePort = was;
    if (!wantsNodePorts && port.nodePort && port.nodePort === was) delete port.nodePort;
  }
}

/**
 * The Service strategy. With an allocator (the apiserver always passes one) creates get a cluster IP and node
 * ports from their ranges, updates reserve and release what a type change needs, and deletes give them back.
 */
export function newServiceStrategy(allocator?: ServiceAllocator): ResourceStrategy {
  if (!allocator) return serviceStrategy;
  return {
    ...serviceStrategy,
    reserveForCreate: (obj) => allocator.reserveForCreate(obj),
    reserveForUpdate: (obj, old) => allocator.reserveForUpdate(obj, old),
    afterDelete: (obj) => allocator.release(obj),
  };
}

/** The Service strategy without allocation (defaults, validation and columns only). */
export const serviceStrategy: ResourceStrategy = {
  defaults: defaultService,
  prepareForUpdate: prepareServiceForUpdate,
  // kube's ValidateService / ValidateServiceUpdate (a set cluster IP never changes).
  validate: (obj) => validateService(obj),
  validateUpdate: (obj, old) => validateServiceUpdate(obj, old),
  table: {
    columns: [
      NAME_COLUMN,
      column('Type', 'string', 'The type of the service.'),
      column('Cluster-IP', 'string', 'The IP address of the service inside the cluster.'),
      column('External-IP', 'string', 'Addresses the service is reachable at from outside the cluster.'),
      column('Port(s)', 'string', 'The ports the service exposes.'),
      AGE_COLUMN,
      column('Selector', 'string', 'The labels of the pods the service routes to.', 1),
    ],
    cells(obj, now) {
      const svc = obj as Service;
      const selector = selectorString(svc.spec?.selector, true);
      return [
        obj.metadata?.name ?? '',
        svc.spec?.type ?? 'ClusterIP',
        svc.spec?.clusterIP || '<none>',
        externalIP(svc),
        ports(svc),
        age(obj, now),
        selector || '<none>',
      ];
    },
  },
};
