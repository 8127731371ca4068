/** v1 Namespace: Active on create (the lifecycle with Terminating and content deletion is its own issue). */
import { isDNS1123Label } from '../../../apimachinery/names.js';
import type { ResourceStrategy } from '../strategy.js';

export const namespaceStrategy: ResourceStrategy = {
  selectableFields: ['status.phase'],
  fieldValues: (obj) => ({ 'status.phase': (obj.status as { phase?: string } | undefined)?.phase ?? '' }),
  validateName: isDNS1123Label,
  prepareForCreate(obj) {
    obj.status = { phase: 'Active' };
  },
};
