/** v1 Secret: `type` as a field selector, and `stringData` folded into base64 `data` on write. */
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';

function foldStringData(obj: StoredObject): void {
  const secret = obj as Secret;
  if (!secret.type) secret.type = 'Opaque';
  if (!secret.stringData) return;
  secret.data ??= {};
  for (const [k, v] of Object.entries(secret.stringData)) secret.data[k] = Buffer.from(v, 'utf8').toString('base64');
  delete secret.stringData;
}

export const secretStrategy: ResourceStrategy = {
  selectableFields: ['type'],
  fieldValues: (obj) => ({ type: (obj as Secret).type ?? '' }),
  prepareForCreate: foldStringData,
  prepareForUpdate: foldStringData,
};
