/** policy/v1 PodDisruptionBudget: kube's validation of its budget and selector. */
import type { ResourceStrategy } from '../strategy.js';
import { validatePodDisruptionBudget } from '../validation/cluster.js';

export const podDisruptionBudgetStrategy: ResourceStrategy = {
  validate: (obj) => validatePodDisruptionBudget(obj),
  validateUpdate: (obj) => validatePodDisruptionBudget(obj),
};
