/**
 * kube's ValidatePodUpdate: a running pod's spec is fixed except container images, a shrinking
 * activeDeadlineSeconds, added tolerations (or a changed tolerationSeconds), removed scheduling gates, and a
 * negative grace period set to 1. Anything else is `spec: Forbidden: pod updates may not change fields other
 * than ...` followed by what changed.
 */
import { forbidden, invalid, inclusiveRange, list, num, obj, objects, required, semanticEqual, specDiff, str, type FieldError, type Fields } from './field.js';
import { validatePod, validateTolerations } from './podspec.js';

const MAX_INT32 = 2147483647;

/** kube's updatablePodSpecFields, joined as its message joins them (with "," and no space). */
const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
].join(',');

/** ValidateContainerUpdates: the same number of containers, each with an image; `stop` ends validation. */
function containerUpdates(next: unknown, old: unknown, path: string): { errs: FieldError[]; stop: boolean } {
  const n = objects(next);
  if (n.length !== objects(old).length) return { errs: [forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  for (const [i, c] of n) {
    const image = str(c.image);
    if (image === '') errs.push(required(`${path}[${i}].image`, ''));
    if (image.trim() !== image) errs.push(invalid(`${path}[${i}].image`, image, 'must not have leading or trailing whitespace'));
  }
  return { errs, stop: false };
}

/** validateOnlyAddedTolerations: every old toleration is still there (its tolerationSeconds may change). */
function onlyAddedTolerations(next: unknown, old: unknown, path: string): FieldError[] {
  const nextList = objects(next).map(([, t]) => t);
  for (const [, o] of objects(old)) {
    const found = nextList.some((t) => semanticEqual({ ...o, tolerationSeconds: t.tolerationSeconds }, t));
    if (!found) return [forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(next, path);
}

/** ValidatePodUpdate (after the new pod passes ValidatePod). */
export function validatePodUpdate(pod: Fields, old: Fields): FieldError[] {
  const errs = validatePod(pod);
  const spec = obj(pod.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  for (const listName of ['containers', 'initContainers']) {
    const r = containerUpdates(spec[listName], oldSpec[listName], `spec.${listName}`);
    errs.push(...r.errs);
    if (r.stop) return errs;
  }

  const deadline = num(spec.activeDeadlineSeconds);
  const oldDeadline = num(oldSpec.activeDeadlineSeconds);
  if (deadline !== undefined) {
    if (deadline < 0 || deadline > MAX_INT32) {
      errs.push(invalid('spec.activeDeadlineSeconds', deadline, inclusiveRange(0, MAX_INT32)));
      return errs;
    }
    if (oldDeadline !== undefined && oldDeadline < deadline) {
      errs.push(invalid('spec.activeDeadlineSeconds', deadline, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (oldDeadline !== undefined) {
    errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...onlyAddedTolerations(spec.tolerations, oldSpec.tolerations, 'spec.tolerations'));
  const oldGates = new Set(objects(oldSpec.schedulingGates).map(([, g]) => str(g.name)));
  for (const [i, g] of objects(spec.schedulingGates)) {
    if (!oldGates.has(str(g.name))) errs.push(forbidden(`spec.schedulingGates[${i}]`, 'only deletion is allowed, but found new scheduling gate'));
  }
  if (semanticEqual(spec, oldSpec)) return errs;

  // Put back what may change, then anything still different is forbidden.
  const munged: Fields = structuredClone(spec);
  for (const listName of ['containers', 'initContainers']) {
    const oldList = list(oldSpec[listName]);
    list(munged[listName]).forEach((c, i) => {
      const o = obj(oldList[i]);
      if (obj(c)) (c as Fields).image = o?.image;
    });
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  // kube sets a pod's node through the binding subresource, outside this rule; k8ts writes bindings through the
  // same update path, so an unbound pod may get its node once (and never change it after).
  if (str(oldSpec.nodeName) === '' && str(spec.nodeName) !== '') munged.nodeName = oldSpec.nodeName;
  const oldGrace = num(oldSpec.terminationGracePeriodSeconds);
  if (oldGrace !== undefined && oldGrace < 0 && num(munged.terminationGracePeriodSeconds) === 1) munged.terminationGracePeriodSeconds = oldGrace;
  if (!semanticEqual(munged, oldSpec)) {
    errs.push(forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS}\n${specDiff(oldSpec, munged, 'spec')}`));
  }
  return errs;
}
