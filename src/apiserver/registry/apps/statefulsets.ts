/** apps/v1 StatefulSet: scale subresource and its columns. */
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import { CONTAINERS_COLUMN, IMAGES_COLUMN, templateCells } from '../../printers/workloads.js';
import { replicasScale } from '../scale.js';
import type { ResourceStrategy } from '../strategy.js';

export const statefulSetStrategy: ResourceStrategy = {
  scale: replicasScale(),
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
