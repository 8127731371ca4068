/** v1 ServiceAccount: the SECRETS column (how many secrets it lists). */
import type { ServiceAccount } from 'kubernetes-types/core/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import type { ResourceStrategy } from '../strategy.js';

export const serviceAccountStrategy: ResourceStrategy = {
  table: {
    columns: [NAME_COLUMN, column('Secrets', 'string', 'Number of secrets the service account lists.'), AGE_COLUMN],
    cells: (obj, now) => [obj.metadata?.name ?? '', (obj as ServiceAccount).secrets?.length ?? 0, age(obj, now)],
  },
};
