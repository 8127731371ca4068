/** v1 Node: `spec.unschedulable` as a field selector, and the STATUS/ROLES/VERSION columns. */
import type { Node } from 'kubernetes-types/core/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import type { ResourceStrategy } from '../strategy.js';

const ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const LEGACY_ROLE_LABEL = 'kubernetes.io/role';

/** Ready/NotReady from the Ready condition (Unknown without one), then SchedulingDisabled when cordoned. */
export function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const status = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

/** Roles from `node-role.kubernetes.io/<role>` label keys and the legacy `kubernetes.io/role=<role>` label, sorted. */
export function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata?.labels ?? {})) {
    if (key.startsWith(ROLE_LABEL_PREFIX) && key.length > ROLE_LABEL_PREFIX.length) roles.add(key.slice(ROLE_LABEL_PREFIX.length));
    else if (key === LEGACY_ROLE_LABEL && value !== '') roles.add(value);
  }
  return [...roles].sort();
}

function address(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

export const nodeStrategy: ResourceStrategy = {
  keepsStatusOnCreate: true,
  selectableFields: ['spec.unschedulable'],
  fieldValues: (obj) => ({ 'spec.unschedulable': String((obj as Node).spec?.unschedulable ?? false) }),
  table: {
    columns: [
      NAME_COLUMN,
      column('Status', 'string', 'Whether the node is ready, and whether it is cordoned.'),
      column('Roles', 'string', 'The roles the node carries in its node-role labels.'),
      AGE_COLUMN,
      column('Version', 'string', 'The version of the kubelet on the node.'),
      column('Internal-IP', 'string', 'The first internal address of the node.', 1),
      column('External-IP', 'string', 'The first external address of the node.', 1),
      column('OS-Image', 'string', 'The operating system image the node reports.', 1),
      column('Kernel-Version', 'string', 'The kernel version the node reports.', 1),
      column('Container-Runtime', 'string', 'The container runtime and version the node reports.', 1),
    ],
    cells(obj, now) {
      const node = obj as Node;
      const info = node.status?.nodeInfo;
      return [
        obj.metadata?.name ?? '',
        nodeStatus(node),
        nodeRoles(node).join(',') || '<none>',
        age(obj, now),
        info?.kubeletVersion ?? '',
        address(node, 'InternalIP'),
        address(node, 'ExternalIP'),
        info?.osImage || '<unknown>',
        info?.kernelVersion || '<unknown>',
        info?.containerRuntimeVersion || '<unknown>',
      ];
    },
  },
};
