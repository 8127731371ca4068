/** scheduling.k8s.io/v1 PriorityClass: pods of the class preempt lower ones unless it says Never. */
import { setDefault } from '../defaults/fields.js';
import type { ResourceStrategy } from '../strategy.js';

export const priorityClassStrategy: ResourceStrategy = {
  // SetDefaults_PriorityClass.
  defaults: (obj) => setDefault(obj, 'preemptionPolicy', 'PreemptLowerPriority'),
};
