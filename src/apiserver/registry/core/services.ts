/** v1 Service: its TYPE, CLUSTER-IP, EXTERNAL-IP and PORT(S) columns. */
import type { Service } from 'kubernetes-types/core/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import { selectorString } from '../scale.js';
import type { ResourceStrategy } from '../strategy.js';

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

export const serviceStrategy: ResourceStrategy = {
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
