/** v1 PersistentVolumeClaim: phase, bound volume, capacity, access modes and class columns. */
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import { ensure } from '../defaults/fields.js';
import { defaultClaimSpec } from '../defaults/volumes.js';
import type { ResourceStrategy } from '../strategy.js';
import { accessModesString, pendingOnCreate, storageClassOf, VOLUME_ATTRIBUTES_CLASS_COLUMN, VOLUME_MODE_COLUMN, volumePhase } from './persistentvolumes.js';
import { decoding } from '../validation/decode.js';
import { validateClaim, validateClaimUpdate } from '../validation/storage.js';

export const persistentVolumeClaimStrategy: ResourceStrategy = {
  validate: decoding((obj) => validateClaim(obj)),
  validateUpdate: decoding((obj, old) => validateClaimUpdate(obj, old)),
  // SetDefaults_PersistentVolumeClaimSpec: volumeMode Filesystem.
  defaults: (obj) => defaultClaimSpec(ensure(obj, 'spec')),
  prepareForCreate: pendingOnCreate,
  table: {
    columns: [
      NAME_COLUMN,
      column('Status', 'string', 'The phase of the claim.'),
      column('Volume', 'string', 'The volume the claim is bound to.'),
      column('Capacity', 'string', 'The storage size of the bound volume.'),
      column('Access Modes', 'string', 'How the bound volume can be mounted (RWO, ROX, RWX, RWOP).'),
      column('StorageClass', 'string', 'The storage class the claim asks for.'),
      VOLUME_ATTRIBUTES_CLASS_COLUMN,
      AGE_COLUMN,
      VOLUME_MODE_COLUMN,
    ],
    cells(obj, now) {
      const pvc = obj as PersistentVolumeClaim;
      const volume = pvc.spec?.volumeName ?? '';
      // Capacity and access modes are the bound volume's, so an unbound claim shows neither.
      return [
        obj.metadata?.name ?? '',
        volumePhase(pvc.metadata, pvc.status?.phase),
        volume,
        volume ? (pvc.status?.capacity?.storage ?? '0') : '',
        volume ? accessModesString(pvc.status?.accessModes) : '',
        storageClassOf(pvc.metadata, pvc.spec?.storageClassName),
        pvc.spec?.volumeAttributesClassName ?? '<unset>',
        age(obj, now),
        pvc.spec?.volumeMode ?? '<unset>',
      ];
    },
  },
};
