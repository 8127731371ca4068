/** rbac.authorization.k8s.io/v1 ClusterRoleBinding: the same columns as a RoleBinding. */
import type { ResourceStrategy } from '../strategy.js';
import { bindingTable } from './rolebindings.js';
import { validateRoleBinding, validateRoleBindingUpdate } from '../validation/cluster.js';

export const clusterRoleBindingStrategy: ResourceStrategy = {
  validate: (obj) => validateRoleBinding(obj, false),
  validateUpdate: (obj, old) => validateRoleBindingUpdate(obj, old, false),
  table: bindingTable('cluster role binding'),
};
