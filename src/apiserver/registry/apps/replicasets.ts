/** apps/v1 ReplicaSet: scale subresource and its columns. */
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import { CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN, templateCells } from '../../printers/workloads.js';
import { replicasScale } from '../scale.js';
import { child, setDefault } from '../defaults/fields.js';
import { defaultTemplate } from '../defaults/podspec.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { decoding } from '../validation/decode.js';
import { validateReplicaSet, validateSelectorUpdate } from '../validation/workloads.js';

/** SetDefaults_ReplicaSet: one replica (plus the template's pod spec defaults). */
export function defaultReplicaSet(obj: StoredObject): void {
  const spec = child(obj, 'spec');
  if (!spec) return;
  setDefault(spec, 'replicas', 1);
  defaultTemplate(spec.template);
}

export const replicaSetStrategy: ResourceStrategy = {
  validate: decoding((obj) => validateReplicaSet(obj)),
  validateUpdate: decoding((obj, old) => [...validateReplicaSet(obj), ...validateSelectorUpdate(obj, old)]),
  scale: replicasScale(),
  defaults: defaultReplicaSet,
  table: {
    columns: [
      NAME_COLUMN,
      column('Desired', 'integer', 'Number of desired pods.'),
      column('Current', 'integer', 'Number of pods currently running.'),
      column('Ready', 'integer', 'Number of ready pods.'),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      SELECTOR_COLUMN,
    ],
    cells(obj, now) {
      const rs = obj as ReplicaSet;
      return [
        obj.metadata?.name ?? '',
        rs.spec?.replicas ?? 1,
        rs.status?.replicas ?? 0,
        rs.status?.readyReplicas ?? 0,
        age(obj, now),
        ...templateCells(rs.spec?.template, rs.spec?.selector),
      ];
    },
  },
};
