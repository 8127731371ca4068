/** v1 Node: `spec.unschedulable` as a field selector. */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { ResourceStrategy } from '../strategy.js';

export const nodeStrategy: ResourceStrategy = {
  selectableFields: ['spec.unschedulable'],
  fieldValues: (obj) => ({ 'spec.unschedulable': String((obj as Node).spec?.unschedulable ?? false) }),
};
