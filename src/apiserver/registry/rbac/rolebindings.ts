/** rbac.authorization.k8s.io/v1 RoleBinding: ROLE, and its subjects by kind under `-o wide`. */
import type { RoleBinding } from 'kubernetes-types/rbac/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import type { TableConvertor } from '../../table.js';
import type { ResourceStrategy } from '../strategy.js';
import { validateRoleBinding, validateRoleBindingUpdate } from '../validation/cluster.js';

/** Users, groups and `namespace/name` service accounts, each joined with `, ` (other kinds are left out). */
export function subjectCells(subjects: RoleBinding['subjects']): [string, string, string] {
  const byKind = (kind: string, show: (s: NonNullable<RoleBinding['subjects']>[number]) => string): string =>
    (subjects ?? []).filter((s) => s.kind === kind).map(show).join(', ');
  return [byKind('User', (s) => s.name), byKind('Group', (s) => s.name), byKind('ServiceAccount', (s) => `${s.namespace ?? ''}/${s.name}`)];
}

/** The columns of role bindings and cluster role bindings alike; `what` names the kind in the descriptions. */
export function bindingTable(what: string): TableConvertor {
  return {
    columns: [
      NAME_COLUMN,
      column('Role', 'string', `The role the ${what} grants, as Kind/name.`),
      AGE_COLUMN,
      column('Users', 'string', `Users the ${what} grants the role to.`, 1),
      column('Groups', 'string', `Groups the ${what} grants the role to.`, 1),
      column('ServiceAccounts', 'string', `Service accounts the ${what} grants the role to.`, 1),
    ],
    cells(obj, now) {
      const binding = obj as unknown as RoleBinding;
      return [
        obj.metadata?.name ?? '',
        `${binding.roleRef?.kind ?? ''}/${binding.roleRef?.name ?? ''}`,
        age(obj, now),
        ...subjectCells(binding.subjects),
      ];
    },
  };
}

export const roleBindingStrategy: ResourceStrategy = {
  validate: (obj) => validateRoleBinding(obj, true),
  validateUpdate: (obj, old) => validateRoleBindingUpdate(obj, old, true),
  table: bindingTable('role binding'),
};
