/**
 * apps/v1 workloads (kube's pkg/apis/apps/validation): Deployment, ReplicaSet, StatefulSet and DaemonSet
 * specs — a selector that is required, non-empty and matches the template's labels, a template whose pods
 * restart Always, strategies and counts — and what an update may not change (the selector; most of a
 * StatefulSet's spec).
 */
import { validateAnnotations, validateLabels } from '../../../apimachinery/names.js';
import { forbidden, goStringMap, immutable, invalid, nonNegative, notSupported, num, obj, objects, rendered, required, str, stringMap, type BadValue, type FieldError, type Fields } from './field.js';
import { validatePodSpec, validatePodTemplateSpec } from './podspec.js';
import { labelSelectorString, selectorIsEmpty, selectorMatches, validateLabelSelector } from './selector.js';

const PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** An IntOrString as kube prints it (its String(): the number, or the string unquoted). */
function intOrString(v: unknown): BadValue {
  return rendered(typeof v === 'number' ? String(v) : str(v));
}

/** ValidatePositiveIntOrPercent. */
export function validatePositiveIntOrPercent(v: unknown, path: string): FieldError[] {
  if (typeof v === 'string') return /^[0-9]+%$/.test(v) ? [] : [invalid(path, intOrString(v), PERCENT_MSG)];
  if (typeof v === 'number') return nonNegative(path, v);
  if (v === undefined || v === null) return [];
  return [invalid(path, intOrString(v), "must be an integer or percentage (e.g '5%')")];
}

/** An int-or-percent's value (percent without the sign), for the "both zero" rules. */
export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  const m = /^([0-9]+)%$/.exec(str(v));
  return m ? Number(m[1]) : 0;
}

/** IsNotMoreThan100Percent. */
export function notMoreThan100Percent(v: unknown, path: string): FieldError[] {
  return typeof v === 'string' && intOrPercentValue(v) > 100 ? [invalid(path, intOrString(v), 'must not be greater than 100%')] : [];
}

/**
 * The selector rules every workload shares: required (unless `optional`), well-formed, non-empty. Returns the
 * errors and whether the selector converts to a label selector (kube skips template checks when it does not).
 */
function validateWorkloadSelector(selector: Fields | undefined, what: string, path: string, optional = false): { errs: FieldError[]; usable: boolean } {
  const errs: FieldError[] = [];
  if (!selector) {
    if (!optional) errs.push(required(path, ''));
    return { errs, usable: true };
  }
  const selectorErrs = validateLabelSelector(selector, path);
  errs.push(...selectorErrs);
  if (selectorIsEmpty(selector)) errs.push(invalid(path, labelSelectorString(selector), `empty selector is invalid for ${what}`));
  return { errs, usable: selectorErrs.length === 0 };
}

/** The template's labels must satisfy the selector (a missing selector selects nothing, so never matches). */
function selectorMatchesTemplate(selector: Fields | undefined, template: Fields | undefined, path: string): FieldError[] {
  const labels = stringMap(obj(template?.metadata)?.labels);
  if (selector && selectorIsEmpty(selector)) return [];
  if (selector && selectorMatches(selector, labels)) return [];
  return [invalid(`${path}.metadata.labels`, goStringMap(labels), '`selector` does not match template `labels`')];
}

/** ValidatePodTemplateSpecForReplicaSet: selector match, the template, restartPolicy Always, no deadline. */
function replicaSetTemplate(spec: Fields, selector: Fields | undefined, path: string): FieldError[] {
  const template = obj(spec.template);
  if (!template) return [required(path, '')];
  const errs = selectorMatchesTemplate(selector, template, path);
  errs.push(...validatePodTemplateSpec(template, path));
  errs.push(...alwaysRestart(template, path, 'ReplicaSet'));
  return errs;
}

function alwaysRestart(template: Fields | undefined, path: string, what: string): FieldError[] {
  const podSpec = obj(template?.spec);
  const errs: FieldError[] = [];
  const policy = str(podSpec?.restartPolicy);
  if (policy !== 'Always') errs.push(notSupported(`${path}.spec.restartPolicy`, policy, ['Always']));
  if (podSpec?.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(
      what === 'DaemonSet'
        ? invalid(`${path}.spec.activeDeadlineSeconds`, num(podSpec.activeDeadlineSeconds) ?? null, 'activeDeadlineSeconds must be nil for DaemonSets')
        : forbidden(`${path}.spec.activeDeadlineSeconds`, `activeDeadlineSeconds in ${what} is not Supported`),
    );
  }
  return errs;
}

/** ValidateDeploymentSpec. */
export function validateDeployment(d: Fields): FieldError[] {
  const spec = obj(d.spec) ?? {};
  const errs = nonNegative('spec.replicas', spec.replicas);
  const selector = obj(spec.selector);
  const sel = validateWorkloadSelector(selector, 'deployment', 'spec.selector');
  errs.push(...sel.errs);
  if (!sel.usable) errs.push(invalid('spec.selector', labelSelectorString(selector), 'invalid label selector'));
  else errs.push(...replicaSetTemplate(spec, selector, 'spec.template'));

  const strategy = obj(spec.strategy) ?? {};
  const type = str(strategy.type);
  const rollingUpdate = obj(strategy.rollingUpdate);
  if (type === 'Recreate') {
    if (rollingUpdate) errs.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
  } else if (type === 'RollingUpdate') {
    if (!rollingUpdate) errs.push(required('spec.strategy.rollingUpdate', 'this should be defaulted and never be nil'));
    else {
      const p = 'spec.strategy.rollingUpdate';
      errs.push(...validatePositiveIntOrPercent(rollingUpdate.maxUnavailable, `${p}.maxUnavailable`));
      errs.push(...validatePositiveIntOrPercent(rollingUpdate.maxSurge, `${p}.maxSurge`));
      if (intOrPercentValue(rollingUpdate.maxUnavailable) === 0 && intOrPercentValue(rollingUpdate.maxSurge) === 0) {
        errs.push(invalid(`${p}.maxUnavailable`, intOrString(rollingUpdate.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...notMoreThan100Percent(rollingUpdate.maxUnavailable, `${p}.maxUnavailable`));
    }
  } else {
    const ru = rollingUpdate ? '(*apps.RollingUpdateDeployment)(0xc000000000)' : '(*apps.RollingUpdateDeployment)(nil)';
    errs.push(notSupported('spec.strategy', rendered(`apps.DeploymentStrategy{Type:${JSON.stringify(type)}, RollingUpdate:${ru}}`), ['Recreate', 'RollingUpdate']));
  }
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  errs.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  const deadline = num(spec.progressDeadlineSeconds);
  if (deadline !== undefined) {
    errs.push(...nonNegative('spec.progressDeadlineSeconds', deadline));
    if (deadline <= (num(spec.minReadySeconds) ?? 0)) errs.push(invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'));
  }
  return errs;
}

/** ValidateReplicaSetSpec (kube's message says "deployment" here too). */
export function validateReplicaSet(rs: Fields): FieldError[] {
  const spec = obj(rs.spec) ?? {};
  const errs = [...nonNegative('spec.replicas', spec.replicas), ...nonNegative('spec.minReadySeconds', spec.minReadySeconds)];
  const selector = obj(spec.selector);
  const sel = validateWorkloadSelector(selector, 'deployment', 'spec.selector');
  errs.push(...sel.errs);
  if (!sel.usable) errs.push(invalid('spec.selector', labelSelectorString(selector), 'invalid label selector'));
  else errs.push(...replicaSetTemplate(spec, selector, 'spec.template'));
  return errs;
}

/** ValidateDaemonSetUpdateStrategy: OnDelete, or RollingUpdate with exactly one of maxUnavailable and maxSurge. */
function daemonSetUpdateStrategy(strategy: Fields, path: string): FieldError[] {
  const type = str(strategy.type);
  if (type === 'OnDelete') return [];
  if (type !== 'RollingUpdate') {
    const ru = obj(strategy.rollingUpdate) ? '(*apps.RollingUpdateDaemonSet)(0xc000000000)' : '(*apps.RollingUpdateDaemonSet)(nil)';
    return [notSupported(path, rendered(`apps.DaemonSetUpdateStrategy{Type:${JSON.stringify(type)}, RollingUpdate:${ru}}`), ['RollingUpdate', 'OnDelete'])];
  }
  const ru = obj(strategy.rollingUpdate);
  if (!ru) return [required(`${path}.rollingUpdate`, '')];
  const p = `${path}.rollingUpdate`;
  const errs = [
    ...validatePositiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`),
    ...validatePositiveIntOrPercent(ru.maxSurge, `${p}.maxSurge`),
    ...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`),
    ...notMoreThan100Percent(ru.maxSurge, `${p}.maxSurge`),
  ];
  const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
  const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
  if (hasUnavailable && hasSurge) errs.push(invalid(`${p}.maxSurge`, intOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
  else if (!hasUnavailable && !hasSurge) errs.push(required(`${p}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
  return errs;
}

/** ValidateDaemonSetSpec. */
export function validateDaemonSet(ds: Fields): FieldError[] {
  const spec = obj(ds.spec) ?? {};
  const selector = obj(spec.selector);
  const template = obj(spec.template);
  const selectorErrs = validateLabelSelector(selector, 'spec.selector');
  const errs = [...selectorErrs];
  if (selectorErrs.length === 0) errs.push(...selectorMatchesTemplate(selector, template, 'spec.template'));
  if (selector && selectorIsEmpty(selector)) errs.push(invalid('spec.selector', labelSelectorString(selector), 'empty selector is invalid for daemonset'));
  errs.push(...validatePodTemplateSpec(template, 'spec.template'));
  errs.push(...alwaysRestart(template, 'spec.template', 'DaemonSet'));
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  errs.push(...daemonSetUpdateStrategy(obj(spec.updateStrategy) ?? {}, 'spec.updateStrategy'));
  errs.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  return errs;
}

/** ValidateStatefulSetSpec. Claim templates count as volumes, so mounts may name them. */
export function validateStatefulSet(sts: Fields): FieldError[] {
  const spec = obj(sts.spec) ?? {};
  const errs: FieldError[] = [];
  const policy = str(spec.podManagementPolicy);
  if (policy === '') errs.push(required('spec.podManagementPolicy', ''));
  else if (policy !== 'OrderedReady' && policy !== 'Parallel') errs.push(invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'"));
  const type = str(obj(spec.updateStrategy)?.type);
  if (type === '') errs.push(required('spec.updateStrategy', ''));
  else if (type === 'OnDelete' && obj(obj(spec.updateStrategy)?.rollingUpdate)) {
    errs.push(invalid('spec.updateStrategy.rollingUpdate', rendered('&apps.RollingUpdateStatefulSetStrategy{}'), "only allowed for updateStrategy 'RollingUpdate'"));
  } else if (type !== 'OnDelete' && type !== 'RollingUpdate') {
    errs.push(invalid('spec.updateStrategy', rendered(`apps.StatefulSetUpdateStrategy{Type:${JSON.stringify(type)}}`), "must be 'RollingUpdate' or 'OnDelete'"));
  }
  errs.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  errs.push(...nonNegative('spec.replicas', spec.replicas));
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  const selector = obj(spec.selector);
  const sel = validateWorkloadSelector(selector, 'statefulset', 'spec.selector');
  errs.push(...sel.errs);
  const template = obj(spec.template);
  if (!sel.usable) errs.push(invalid('spec.selector', labelSelectorString(selector), ''));
  else if (!template) errs.push(required('spec.template', ''));
  else {
    errs.push(...selectorMatchesTemplate(selector, template, 'spec.template'));
    const meta = obj(template.metadata) ?? {};
    errs.push(...validateLabels(stringMap(meta.labels), 'spec.template.labels'));
    errs.push(...validateAnnotations(stringMap(meta.annotations), 'spec.template.annotations'));
    const podSpec: Fields = { ...(obj(template.spec) ?? {}) };
    const claims = objects(spec.volumeClaimTemplates).map(([, c]) => ({ name: str(obj(c.metadata)?.name), persistentVolumeClaim: { claimName: 'template' } }));
    podSpec.volumes = [...objects(podSpec.volumes).map(([, v]) => v), ...claims];
    errs.push(...validatePodSpec(podSpec, 'spec.template.spec'));
  }
  errs.push(...alwaysRestart(template, 'spec.template', 'StatefulSet'));
  for (const [i, c] of objects(spec.volumeClaimTemplates)) {
    const name = str(obj(c.metadata)?.name);
    if (name === '') errs.push(required(`spec.volumeClaimTemplates[${i}].metadata.name`, 'name or generateName is required'));
  }
  return errs;
}

/** The selector of Deployments, ReplicaSets and DaemonSets never changes (apps/v1 made it immutable). */
export function validateSelectorUpdate(next: Fields, old: Fields): FieldError[] {
  const selector = obj(obj(next.spec)?.selector);
  return immutable('spec.selector', selector, obj(obj(old.spec)?.selector), labelSelectorString(selector));
}

/** ValidateStatefulSetUpdate: only replicas, ordinals, template, updateStrategy, history limit, retention policy and minReadySeconds may change. */
export function validateStatefulSetUpdate(next: Fields, old: Fields): FieldError[] {
  const spec = { ...(obj(next.spec) ?? {}) };
  const oldSpec = obj(old.spec) ?? {};
  for (const f of ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy']) spec[f] = oldSpec[f];
  const errs = validateStatefulSet(next);
  if (immutable('spec', spec, oldSpec, null).length > 0) {
    errs.push(
      forbidden(
        'spec',
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  }
  return errs;
}

/** ValidateReplicationControllerSpec: a non-empty plain-map selector matching the template, pods restarting Always. */
export function validateReplicationController(rc: Fields): FieldError[] {
  const spec = obj(rc.spec) ?? {};
  const errs = nonNegative('spec.minReadySeconds', spec.minReadySeconds);
  const selector = stringMap(spec.selector) ?? {};
  if (Object.keys(selector).length === 0) errs.push(required('spec.selector', ''));
  errs.push(...nonNegative('spec.replicas', spec.replicas));
  const template = obj(spec.template);
  if (!template) {
    errs.push(required('spec.template', ''));
    return errs;
  }
  if (Object.keys(selector).length > 0) errs.push(...selectorMatchesTemplate({ matchLabels: selector }, template, 'spec.template'));
  errs.push(...validatePodTemplateSpec(template, 'spec.template'));
  errs.push(...alwaysRestart(template, 'spec.template', 'ReplicationController'));
  return errs;
}
