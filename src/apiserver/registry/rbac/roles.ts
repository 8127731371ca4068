/**
 * rbac.authorization.k8s.io/v1 Role and ClusterRole: kube's policy rule validation. Both keep the default
 * Name/Created At columns, as kube-apiserver prints them.
 */
import type { ResourceStrategy } from '../strategy.js';
import { validateRole } from '../validation/cluster.js';

export const roleStrategy: ResourceStrategy = {
  validate: (obj) => validateRole(obj, true),
  validateUpdate: (obj) => validateRole(obj, true),
};

export const clusterRoleStrategy: ResourceStrategy = {
  validate: (obj) => validateRole(obj, false),
  validateUpdate: (obj) => validateRole(obj, false),
};
