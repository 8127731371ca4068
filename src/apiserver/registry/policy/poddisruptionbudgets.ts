/** policy/v1 PodDisruptionBudget: kube's validation of its budget and selector, and its table columns. */
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import type { ResourceStrategy } from '../strategy.js';
import { validatePodDisruptionBudget } from '../validation/cluster.js';

/** An int-or-string budget as kubectl shows it, N/A when unset. */
const budget = (v: number | string | undefined): string => (v === undefined || v === null ? 'N/A' : String(v));

export const podDisruptionBudgetStrategy: ResourceStrategy = {
  validate: (obj) => validatePodDisruptionBudget(obj),
  validateUpdate: (obj) => validatePodDisruptionBudget(obj),
  table: {
    columns: [
      NAME_COLUMN,
      column('Min Available', 'string', 'The minimum number or percentage of pods that must be available after an eviction.'),
      column('Max Unavailable', 'string', 'The maximum number or percentage of pods that may be unavailable after an eviction.'),
      column('Allowed Disruptions', 'integer', 'Number of pod disruptions that are currently allowed.'),
      AGE_COLUMN,
    ],
    cells: (obj, now) => {
      const pdb = obj as PodDisruptionBudget;
      return [obj.metadata?.name ?? '', budget(pdb.spec?.minAvailable), budget(pdb.spec?.maxUnavailable), pdb.status?.disruptionsAllowed ?? 0, age(obj, now)];
    },
  },
};
