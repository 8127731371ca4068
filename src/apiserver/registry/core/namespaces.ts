/** v1 Namespace: the kubernetes.io/metadata.name label, Active on create (the lifecycle with Terminating and content deletion is its own issue). */
import { isDNS1123Label } from '../../../apimachinery/names.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';

const namespaceTable = {
  columns: [NAME_COLUMN, column('Status', 'string', 'The phase of the namespace (Active or Terminating).'), AGE_COLUMN],
  cells: (obj: StoredObject, now: number) => [obj.metadata.name ?? '', (obj.status as { phase?: string } | undefined)?.phase ?? '', age(obj, now)],
};

export const namespaceStrategy: ResourceStrategy = {
  table: namespaceTable,
  selectableFields: ['status.phase'],
  fieldValues: (obj) => ({ 'status.phase': (obj.status as { phase?: string } | undefined)?.phase ?? '' }),
  validateName: isDNS1123Label,
  // SetDefaults_Namespace: every named namespace carries its name as a label, for namespace selectors.
  defaults(obj) {
    if (obj.metadata.name) obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
  },
  prepareForCreate(obj) {
    obj.status = { phase: 'Active' };
  },
};
