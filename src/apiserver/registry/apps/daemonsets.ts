/** apps/v1 DaemonSet: its scheduling counters and node selector as columns. */
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import { CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN, templateCells } from '../../printers/workloads.js';
import { selectorString } from '../scale.js';
import { child, ensure, setDefault, setDefaultString } from '../defaults/fields.js';
import { defaultTemplate } from '../defaults/podspec.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { decoding } from '../validation/decode.js';
import { validateDaemonSet, validateSelectorUpdate } from '../validation/workloads.js';

/** SetDefaults_DaemonSet: RollingUpdate one node at a time without surge, ten revisions. */
export function defaultDaemonSet(obj: StoredObject): void {
  const spec = child(obj, 'spec');
  if (!spec) return;
  const updateStrategy = ensure(spec, 'updateStrategy');
  setDefaultString(updateStrategy, 'type', 'RollingUpdate');
  if (updateStrategy.type === 'RollingUpdate') {
    const rollingUpdate = ensure(updateStrategy, 'rollingUpdate');
    setDefault(rollingUpdate, 'maxUnavailable', 1);
    setDefault(rollingUpdate, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(spec.template);
}

export const daemonSetStrategy: ResourceStrategy = {
  validate: decoding((obj) => validateDaemonSet(obj)),
  validateUpdate: decoding((obj, old) => [...validateDaemonSet(obj), ...validateSelectorUpdate(obj, old)]),
  defaults: defaultDaemonSet,
  table: {
    columns: [
      NAME_COLUMN,
      column('Desired', 'integer', 'Number of nodes that should run the daemon pod.'),
      column('Current', 'integer', 'Number of nodes running at least one daemon pod.'),
      column('Ready', 'integer', 'Number of nodes whose daemon pod is ready.'),
      column('Up-to-date', 'integer', 'Number of nodes running the latest template.'),
      column('Available', 'integer', 'Number of nodes whose daemon pod is available.'),
      column('Node Selector', 'string', 'The node labels the pod template selects.'),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      SELECTOR_COLUMN,
    ],
    cells(obj, now) {
      const ds = obj as DaemonSet;
      const s = ds.status;
      return [
        obj.metadata?.name ?? '',
        s?.desiredNumberScheduled ?? 0,
        s?.currentNumberScheduled ?? 0,
        s?.numberReady ?? 0,
        s?.updatedNumberScheduled ?? 0,
        s?.numberAvailable ?? 0,
        selectorString(ds.spec?.template?.spec?.nodeSelector, true) || '<none>',
        age(obj, now),
        ...templateCells(ds.spec?.template, ds.spec?.selector),
      ];
    },
  },
};
