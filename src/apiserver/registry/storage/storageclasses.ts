/** storage.k8s.io/v1 StorageClass: provisioned volumes are deleted with their claim and bound at once. */
import { setDefault } from '../defaults/fields.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { validateStorageClass, validateStorageClassUpdate } from '../validation/storage.js';

/** SetDefaults_StorageClass: reclaimPolicy Delete, volumeBindingMode Immediate. */
export function defaultStorageClass(obj: StoredObject): void {
  setDefault(obj, 'reclaimPolicy', 'Delete');
  setDefault(obj, 'volumeBindingMode', 'Immediate');
}

export const storageClassStrategy: ResourceStrategy = {
  validate: (obj) => validateStorageClass(obj),
  validateUpdate: (obj, old) => validateStorageClassUpdate(obj, old),
  defaults: defaultStorageClass,
};
