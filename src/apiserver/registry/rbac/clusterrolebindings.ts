/** rbac.authorization.k8s.io/v1 ClusterRoleBinding: the same columns as a RoleBinding. */
import type { ResourceStrategy } from '../strategy.js';
import { bindingTable } from './rolebindings.js';

export const clusterRoleBindingStrategy: ResourceStrategy = { table: bindingTable('cluster role binding') };
