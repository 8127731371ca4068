/** apps/v1 Deployment: kube's defaults, scale subresource and its columns (rollout semantics come with the controllers). */
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import { CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN, templateCells } from '../../printers/workloads.js';
import { replicasScale } from '../scale.js';
import { child, ensure, setDefault, setDefaultString } from '../defaults/fields.js';
import { defaultTemplate } from '../defaults/podspec.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { decoding } from '../validation/decode.js';
import { validateDeployment, validateSelectorUpdate } from '../validation/workloads.js';

/** SetDefaults_Deployment: one replica, RollingUpdate 25%/25%, ten old ReplicaSets, a 600s deadline. */
export function defaultDeployment(obj: StoredObject): void {
  const spec = child(obj, 'spec');
  if (!spec) return;
  setDefault(spec, 'replicas', 1);
  const strategy = ensure(spec, 'strategy');
  setDefaultString(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rollingUpdate = ensure(strategy, 'rollingUpdate');
    setDefault(rollingUpdate, 'maxUnavailable', '25%');
    setDefault(rollingUpdate, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(spec.template);
}

export const deploymentStrategy: ResourceStrategy = {
  validate: decoding((obj) => validateDeployment(obj)),
  validateUpdate: decoding((obj, old) => [...validateDeployment(obj), ...validateSelectorUpdate(obj, old)]),
  scale: replicasScale(),
  defaults: defaultDeployment,
  table: {
    columns: [
      NAME_COLUMN,
      column('Ready', 'string', 'Number of ready pods out of the desired replicas.'),
      column('Up-to-date', 'integer', 'Total number of pods running the latest template.'),
      column('Available', 'integer', 'Total number of available pods.'),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      SELECTOR_COLUMN,
    ],
    cells(obj, now) {
      const d = obj as Deployment;
      const s = d.status ?? {};
      return [
        obj.metadata?.name ?? '',
        `${s.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`,
        s.updatedReplicas ?? 0,
        s.availableReplicas ?? 0,
        age(obj, now),
        ...templateCells(d.spec?.template, d.spec?.selector),
      ];
    },
  },
};
