/** v1 ConfigMap: its DATA column. */
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import type { ResourceStrategy } from '../strategy.js';
import { validateConfigMap, validateConfigMapUpdate } from '../validation/config.js';

export const configMapStrategy: ResourceStrategy = {
  validate: (obj) => validateConfigMap(obj),
  validateUpdate: (obj, old) => validateConfigMapUpdate(obj, old),
  table: {
    columns: [NAME_COLUMN, column('Data', 'integer', 'The number of items in data and binaryData.'), AGE_COLUMN],
    cells(obj, now) {
      const cm = obj as ConfigMap;
      return [obj.metadata?.name ?? '', Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(obj, now)];
    },
  },
};
