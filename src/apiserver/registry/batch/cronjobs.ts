/** batch/v1 CronJob: schedule, time zone, suspension and last run as columns. */
import type { CronJob } from 'kubernetes-types/batch/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN, since } from '../../printers/columns.js';
import { CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN, templateCells } from '../../printers/workloads.js';
import { child, setDefault, setDefaultString } from '../defaults/fields.js';
import { defaultTemplate } from '../defaults/podspec.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { decoding } from '../validation/decode.js';
import { validateCronJob } from '../validation/batch.js';

/**
 * SetDefaults_CronJob: Allow, not suspended, keep 3 successful and 1 failed job. The job template gets only
 * its pod template's defaults (a Job's own defaults apply when the controller creates it).
 */
export function defaultCronJob(obj: StoredObject): void {
  const spec = child(obj, 'spec');
  if (!spec) return;
  setDefaultString(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  defaultTemplate(child(child(spec, 'jobTemplate') ?? {}, 'spec')?.template);
}

/** True/False, or `<unset>` when the field is absent (as kubectl prints optional booleans). */
function boolCell(value: boolean | undefined): string {
  if (value === undefined || value === null) return '<unset>';
  return value ? 'True' : 'False';
}

export const cronJobStrategy: ResourceStrategy = {
  validate: decoding((obj) => validateCronJob(obj)),
  validateUpdate: decoding((obj) => validateCronJob(obj)),
  defaults: defaultCronJob,
  table: {
    columns: [
      NAME_COLUMN,
      column('Schedule', 'string', 'The cron schedule jobs are created on.'),
      column('Timezone', 'string', 'The time zone the schedule is read in.'),
      column('Suspend', 'boolean', 'Whether new runs are held back.'),
      column('Active', 'integer', 'Number of jobs currently running.'),
      column('Last Schedule', 'string', 'The time since a job was last scheduled.'),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      SELECTOR_COLUMN,
    ],
    cells(obj, now) {
      const cj = obj as CronJob;
      const last = cj.status?.lastScheduleTime;
      const jobSpec = cj.spec?.jobTemplate?.spec;
      return [
        obj.metadata?.name ?? '',
        cj.spec?.schedule ?? '',
        cj.spec?.timeZone ?? '<none>',
        boolCell(cj.spec?.suspend),
        cj.status?.active?.length ?? 0,
        last ? since(last, now) : '<none>',
        age(obj, now),
        ...templateCells(jobSpec?.template, jobSpec?.selector),
      ];
    },
  },
};
