/** networking.k8s.io/v1 Ingress: kube's validation of rules, paths and backends. */
import type { ResourceStrategy } from '../strategy.js';
import { validateIngress } from '../validation/networking.js';

export const ingressStrategy: ResourceStrategy = {
  validate: (obj) => validateIngress(obj),
  validateUpdate: (obj) => validateIngress(obj),
};
