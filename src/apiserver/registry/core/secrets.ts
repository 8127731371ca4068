/** v1 Secret: `type` as a field selector, and `stringData` folded into base64 `data` on write. */
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import { validateSecret, validateSecretUpdate } from '../validation/config.js';

function foldStringData(obj: StoredObject): void {
  const secret = obj as Secret;
  if (!secret.type) secret.type = 'Opaque';
  if (!secret.stringData) return;
  secret.data ??= {};
  for (const [k, v] of Object.entries(secret.stringData)) secret.data[k] = Buffer.from(v, 'utf8').toString('base64');
  delete secret.stringData;
}

const secretTable = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'The type of the secret.'),
    column('Data', 'integer', 'The number of items in the secret.'),
    AGE_COLUMN,
  ],
  cells: (obj: StoredObject, now: number) => {
    const secret = obj as Secret;
    return [obj.metadata.name ?? '', secret.type ?? '', Object.keys(secret.data ?? {}).length, age(obj, now)];
  },
};

export const secretStrategy: ResourceStrategy = {
  validate: (obj) => validateSecret(obj),
  validateUpdate: (obj, old) => validateSecretUpdate(obj, old),
  table: secretTable,
  selectableFields: ['type'],
  fieldValues: (obj) => ({ type: (obj as Secret).type ?? '' }),
  prepareForCreate: foldStringData,
  prepareForUpdate: foldStringData,
};
