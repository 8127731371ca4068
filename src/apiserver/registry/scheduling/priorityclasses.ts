/** scheduling.k8s.io/v1 PriorityClass: pods of the class preempt lower ones unless it says Never. */
import { setDefault } from '../defaults/fields.js';
import type { ResourceStrategy } from '../strategy.js';
import { validatePriorityClass, validatePriorityClassUpdate } from '../validation/cluster.js';

export const priorityClassStrategy: ResourceStrategy = {
  validate: (obj) => validatePriorityClass(obj),
  validateUpdate: (obj, old) => validatePriorityClassUpdate(obj, old),
  // SetDefaults_PriorityClass.
  defaults: (obj) => setDefault(obj, 'preemptionPolicy', 'PreemptLowerPriority'),
};
