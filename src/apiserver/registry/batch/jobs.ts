/** batch/v1 Job: STATUS, COMPLETIONS and DURATION columns. */
import type { Job } from 'kubernetes-types/batch/v1.js';
import { age, AGE_COLUMN, column, humanDuration, NAME_COLUMN, since } from '../../printers/columns.js';
import { CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN, templateCells } from '../../printers/workloads.js';
import { child, copyMap, isEmptyMap, isFields, items, setDefault, setDefaultString } from '../defaults/fields.js';
import { defaultTemplate } from '../defaults/podspec.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { decoding } from '../validation/decode.js';
import { validateJob, validateJobUpdate } from '../validation/batch.js';

/**
 * SetDefaults_Job: completions and parallelism 1 when both are unset, backoffLimit 6 (unbounded with a
 * per-index limit), NonIndexed, not suspended, the replacement policy its failure policy implies, and the
 * job's labels from its template's. The template's restartPolicy is the user's (validation requires one).
 */
export function defaultJob(obj: StoredObject): void {
  const spec = child(obj, 'spec');
  if (!spec) return;
  const unset = (v: unknown): boolean => v === undefined || v === null;
  if (unset(spec.completions) && unset(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', unset(spec.backoffLimitPerIndex) ? 6 : 2147483647);
  const labels = child(child(spec, 'template') ?? {}, 'metadata')?.labels;
  if (isFields(labels) && isEmptyMap(obj.metadata.labels)) obj.metadata.labels = copyMap(labels) as Record<string, string>;
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  const failurePolicy = child(spec, 'podFailurePolicy');
  for (const rule of items(failurePolicy, 'rules')) {
    for (const condition of items(rule, 'onPodConditions')) setDefaultString(condition, 'status', 'True');
  }
  setDefault(spec, 'podReplacementPolicy', failurePolicy ? 'Failed' : 'TerminatingOrFailed');
  defaultTemplate(spec.template);
}

/** The labels the generated selector and the pods of a job carry (kube's batch.kubernetes.io labels and their legacy forms). */
const JOB_NAME_LABELS = ['job-name', 'batch.kubernetes.io/job-name'];
const CONTROLLER_UID_LABELS = ['controller-uid', 'batch.kubernetes.io/controller-uid'];

/**
 * kube's generateSelector, run on create unless spec.manualSelector is true: the template gets the job-name and
 * controller-uid labels (unless the user set them: a conflict is then rejected by validation), and the selector
 * matches the controller-uid, which makes the job's pods its own. It needs the UID, so it runs after the
 * server has filled in metadata. The job's labels, when it has none, are its template's (as kube's defaulting
 * on read gives them).
 */
export function generateJobSelector(obj: StoredObject): void {
  const spec = child(obj, 'spec');
  if (!spec || spec.manualSelector === true) return;
  const template = child(spec, 'template');
  if (!template) return;
  if (!isFields(template.metadata)) template.metadata = {};
  const meta = template.metadata as Record<string, unknown>;
  if (!isFields(meta.labels)) meta.labels = {};
  const labels = meta.labels as Record<string, string>;
  for (const key of JOB_NAME_LABELS) labels[key] ??= obj.metadata.name ?? '';
  for (const key of CONTROLLER_UID_LABELS) labels[key] ??= obj.metadata.uid ?? '';
  if (!isFields(spec.selector)) spec.selector = {};
  const selector = spec.selector as Record<string, unknown>;
  if (!isFields(selector.matchLabels)) selector.matchLabels = {};
  const matchLabels = selector.matchLabels as Record<string, string>;
  matchLabels['batch.kubernetes.io/controller-uid'] ??= obj.metadata.uid ?? '';
  if (isEmptyMap(obj.metadata.labels)) obj.metadata.labels = copyMap(labels) as Record<string, string>;
}

/** Whether the job's first condition of `type` is True. */
function hasCondition(job: Job, type: string): boolean {
  return job.status?.conditions?.find((c) => c.type === type)?.status === 'True';
}

/** The STATUS column: a finished condition wins over Terminating, which wins over Suspended/FailureTarget. */
export function jobStatus(job: Job): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

/** `succeeded/completions`; a job without completions needs one success (`0/1`, or `0/1 of 3` with parallelism). */
export function jobCompletions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const completions = job.spec?.completions;
  if (completions !== undefined && completions !== null) return `${succeeded}/${completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** Start to completion, or start to now while running; empty before the job starts. */
export function jobDuration(job: Job, now: number): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime;
  return end ? humanDuration(Date.parse(end) - Date.parse(start)) : since(start, now);
}

export const jobStrategy: ResourceStrategy = {
  validate: decoding((obj) => validateJob(obj)),
  validateUpdate: decoding((obj, old) => validateJobUpdate(obj, old)),
  defaults: defaultJob,
  prepareForCreate: generateJobSelector,
  table: {
    columns: [
      NAME_COLUMN,
      column('Status', 'string', 'Whether the job is running, complete, failed, suspended or terminating.'),
      column('Completions', 'string', 'Successful pods out of the completions the job needs.'),
      column('Duration', 'string', 'How long the job ran (or has been running).'),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      SELECTOR_COLUMN,
    ],
    cells(obj, now) {
      const job = obj as Job;
      return [
        obj.metadata?.name ?? '',
        jobStatus(job),
        jobCompletions(job),
        jobDuration(job, now),
        age(obj, now),
        ...templateCells(job.spec?.template, job.spec?.selector),
      ];
    },
  },
};
