/** apps/v1 StatefulSet: scale subresource and its columns. */
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import { CONTAINERS_COLUMN, IMAGES_COLUMN, templateCells } from '../../printers/workloads.js';
import { replicasScale } from '../scale.js';
import { child, ensure, items, setDefault, setDefaultString } from '../defaults/fields.js';
import { defaultTemplate } from '../defaults/podspec.js';
import { defaultClaimSpec } from '../defaults/volumes.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { decoding } from '../validation/decode.js';
import { validateStatefulSet, validateStatefulSetUpdate } from '../validation/workloads.js';

/**
 * SetDefaults_StatefulSet: OrderedReady, RollingUpdate from partition 0, Retain/Retain claim retention, one
 * replica, ten revisions; each claim template defaulted as a claim (volumeMode, Pending phase).
 */
export function defaultStatefulSet(obj: StoredObject): void {
  const spec = child(obj, 'spec');
  if (!spec) return;
  setDefaultString(spec, 'podManagementPolicy', 'OrderedReady');
  const updateStrategy = ensure(spec, 'updateStrategy');
  if (!updateStrategy.type) {
    updateStrategy.type = 'RollingUpdate';
    ensure(updateStrategy, 'rollingUpdate');
  }
  const rollingUpdate = child(updateStrategy, 'rollingUpdate');
  if (updateStrategy.type === 'RollingUpdate' && rollingUpdate) setDefault(rollingUpdate, 'partition', 0);
  const retention = ensure(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefaultString(retention, 'whenDeleted', 'Retain');
  setDefaultString(retention, 'whenScaled', 'Retain');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(spec.template);
  for (const claim of items(spec, 'volumeClaimTemplates')) {
    defaultClaimSpec(child(claim, 'spec'));
    setDefaultString(ensure(claim, 'status'), 'phase', 'Pending');
  }
}

export const statefulSetStrategy: ResourceStrategy = {
  validate: decoding((obj) => validateStatefulSet(obj)),
  validateUpdate: decoding((obj, old) => validateStatefulSetUpdate(obj, old)),
  scale: replicasScale(),
  defaults: defaultStatefulSet,
  table: {
    columns: [
      NAME_COLUMN,
      column('Ready', 'string', 'Number of ready pods out of the desired replicas.'),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
    ],
    cells(obj, now) {
      const sts = obj as StatefulSet;
      const [containers, images] = templateCells(sts.spec?.template, sts.spec?.selector);
      return [obj.metadata?.name ?? '', `${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 1}`, age(obj, now), containers, images];
    },
  },
};
