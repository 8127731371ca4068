/** v1 PersistentVolume: capacity, access modes, reclaim policy, phase, claim and class columns. */
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { PersistentVolume } from 'kubernetes-types/core/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import { child, ensure, setDefaultString } from '../defaults/fields.js';
import { defaultPersistentSources } from '../defaults/volumes.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { decoding } from '../validation/decode.js';
import { validateVolume } from '../validation/storage.js';

/** SetDefaults_PersistentVolume: Retain, Filesystem, and the volume source's own defaults. */
export function defaultPersistentVolume(obj: StoredObject): void {
  const spec = ensure(obj, 'spec');
  setDefaultString(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  setDefaultString(spec, 'volumeMode', 'Filesystem');
  defaultPersistentSources(spec);
}

/** A new volume (or claim) starts Pending, whatever status the client sent. */
export function pendingOnCreate(obj: StoredObject): void {
  const status = child(obj, 'status') ?? {};
  setDefaultString(status, 'phase', 'Pending');
  obj.status = status;
}

const ACCESS_MODES: ReadonlyArray<[string, string]> = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** Access modes abbreviated and in a fixed order (`RWO,ROX`), whatever order the object lists them in. */
export function accessModesString(modes: readonly string[] | undefined): string {
  return ACCESS_MODES.filter(([mode]) => modes?.includes(mode)).map(([, short]) => short).join(',');
}

/** The beta storage-class annotation wins over `spec.storageClassName` (volumes and claims alike). */
export function storageClassOf(meta: ObjectMeta | undefined, specClass: string | undefined): string {
  const annotated = meta?.annotations?.['volume.beta.kubernetes.io/storage-class'];
  return annotated ?? specClass ?? '';
}

/** The phase, or Terminating once deletion has started. */
export function volumePhase(meta: ObjectMeta | undefined, phase: string | undefined): string {
  return meta?.deletionTimestamp ? 'Terminating' : (phase ?? '');
}

export const VOLUME_ATTRIBUTES_CLASS_COLUMN = column('VolumeAttributesClass', 'string', 'The volume attributes class the object asks for.');
export const VOLUME_MODE_COLUMN = column('VolumeMode', 'string', 'Filesystem or Block.', 1);

export const persistentVolumeStrategy: ResourceStrategy = {
  validate: decoding((obj) => validateVolume(obj)),
  validateUpdate: decoding((obj) => validateVolume(obj)),
  defaults: defaultPersistentVolume,
  prepareForCreate: pendingOnCreate,
  table: {
    columns: [
      NAME_COLUMN,
      column('Capacity', 'string', 'The storage size of the volume.'),
      column('Access Modes', 'string', 'How the volume can be mounted (RWO, ROX, RWX, RWOP).'),
      column('Reclaim Policy', 'string', 'What happens to the volume when its claim goes away.'),
      column('Status', 'string', 'The phase of the volume.'),
      column('Claim', 'string', 'The claim bound to the volume, as namespace/name.'),
      column('StorageClass', 'string', 'The storage class of the volume.'),
      VOLUME_ATTRIBUTES_CLASS_COLUMN,
      column('Reason', 'string', 'Why the volume is in its phase, when it failed.'),
      AGE_COLUMN,
      VOLUME_MODE_COLUMN,
    ],
    cells(obj, now) {
      const pv = obj as PersistentVolume;
      const claim = pv.spec?.claimRef;
      return [
        obj.metadata?.name ?? '',
        pv.spec?.capacity?.storage ?? '0',
        accessModesString(pv.spec?.accessModes),
        pv.spec?.persistentVolumeReclaimPolicy ?? '',
        volumePhase(pv.metadata, pv.status?.phase),
        claim ? `${claim.namespace ?? ''}/${claim.name ?? ''}` : '',
        storageClassOf(pv.metadata, pv.spec?.storageClassName),
        pv.spec?.volumeAttributesClassName ?? '<unset>',
        pv.status?.reason ?? '',
        age(obj, now),
        pv.spec?.volumeMode ?? '<unset>',
      ];
    },
  },
};
