/**
 * batch/v1 Job and CronJob (kube's pkg/apis/batch/validation): non-negative counts, a template whose pods
 * restart OnFailure or Never, a selector that matches it, a valid cron schedule and concurrency policy, and
 * what a Job update may not change (its selector, completion mode, and the pod template once started).
 */
import { goStringMap, immutable, invalid, nonNegative, notSupported, num, obj, rendered, required, semanticEqual, str, stringMap, type FieldError, type Fields } from './field.js';
import { validatePodTemplateSpec } from './podspec.js';
import { cronScheduleError } from './cron.js';
import { labelSelectorString, selectorMatches, validateLabelSelector } from './selector.js';

/** validateJobSpec: counts, completion mode, the template and its restart policy. */
function validateJobSpec(spec: Fields, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']) {
    errs.push(...nonNegative(`${path}.${f}`, spec[f]));
  }
  const mode = str(spec.completionMode);
  if (mode !== '' && mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(`${path}.completionMode`, mode, ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed' && num(spec.completions) === undefined) errs.push(required(`${path}.completions`, 'when completion mode is Indexed'));
  const template = obj(spec.template);
  errs.push(...validatePodTemplateSpec(template, `${path}.template`));
  const policy = str(obj(template?.spec)?.restartPolicy);
  // Defaulting makes an unset restartPolicy Always, so both mean "the user did not choose one a Job can use".
  if (policy === 'Always' || policy === '') errs.push(required(`${path}.template.spec.restartPolicy`, 'valid values: "OnFailure", "Never"'));
  else if (policy !== 'OnFailure' && policy !== 'Never') errs.push(notSupported(`${path}.template.spec.restartPolicy`, policy, ['OnFailure', 'Never']));
  return errs;
}

/** ValidateJobSpec: the spec, and a selector (when given) that is valid and matches the template. */
export function validateJob(job: Fields): FieldError[] {
  const spec = obj(job.spec) ?? {};
  const errs = validateJobSpec(spec, 'spec');
  const selector = obj(spec.selector);
  // kube's Job strategy generates the selector on create; until k8ts does, a Job without one is accepted.
  if (selector) {
    const selectorErrs = validateLabelSelector(selector, 'spec.selector');
    errs.push(...selectorErrs);
    const labels = stringMap(obj(obj(spec.template)?.metadata)?.labels);
    if (selectorErrs.length === 0 && !selectorMatches(selector, labels)) {
      errs.push(invalid('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`'));
    }
  }
  return errs;
}

/** ValidateJobSpecUpdate: the selector, completion mode and failure policy stay; the template too. */
export function validateJobUpdate(job: Fields, old: Fields): FieldError[] {
  const spec = obj(job.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  const errs = validateJob(job);
  // Indexed jobs may scale completions together with parallelism (elastic indexed jobs).
  const elastic = str(spec.completionMode) === 'Indexed' && num(spec.completions) === num(spec.parallelism);
  if (!elastic) errs.push(...immutable('spec.completions', spec.completions, oldSpec.completions, num(spec.completions) ?? null));
  errs.push(...immutable('spec.selector', spec.selector, oldSpec.selector, labelSelectorString(obj(spec.selector))));
  if (!semanticEqual(spec.template, oldSpec.template)) {
    errs.push(invalid('spec.template', rendered('core.PodTemplateSpec{...}'), 'field is immutable'));
  }
  errs.push(...immutable('spec.completionMode', spec.completionMode, oldSpec.completionMode, str(spec.completionMode)));
  errs.push(...immutable('spec.podFailurePolicy', spec.podFailurePolicy, oldSpec.podFailurePolicy, rendered('&batch.PodFailurePolicy{...}')));
  return errs;
}

/** validateCronJobSpec. */
export function validateCronJob(cj: Fields): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(obj(cj.metadata)?.name);
  const spec = obj(cj.spec) ?? {};
  const schedule = str(spec.schedule);
  if (schedule === '') errs.push(required('spec.schedule', ''));
  else {
    const parseError = cronScheduleError(schedule);
    if (parseError) errs.push(invalid('spec.schedule', schedule, parseError));
    if (schedule.includes('TZ')) errs.push(invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  errs.push(...nonNegative('spec.startingDeadlineSeconds', spec.startingDeadlineSeconds));
  const policy = str(spec.concurrencyPolicy);
  if (policy === '') errs.push(required('spec.concurrencyPolicy', ''));
  else if (!['Allow', 'Forbid', 'Replace'].includes(policy)) errs.push(notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']));
  const jobTemplate = obj(spec.jobTemplate) ?? {};
  const jobSpec = obj(jobTemplate.spec) ?? {};
  errs.push(...validateJobSpec(jobSpec, 'spec.jobTemplate.spec'));
  if (obj(jobSpec.selector)) errs.push(invalid('spec.jobTemplate.spec.selector', labelSelectorString(obj(jobSpec.selector)), '`selector` will be auto-generated'));
  if (jobSpec.manualSelector === true) errs.push(notSupported('spec.jobTemplate.spec.manualSelector', rendered('true'), ['nil', 'false']));
  errs.push(...nonNegative('spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit));
  errs.push(...nonNegative('spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit));
  // The controller names each Job `<cronjob>-<11 characters>`, and a Job name must fit in 63.
  if (name.length > 52) errs.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  return errs;
}
