/**
 * metav1.LabelSelector: kube's ValidateLabelSelector, matching a selector against labels, and the selector's
 * String() (gogo-protobuf's rendering, which kube prints when a selector is the bad value: `field is immutable`).
 */
import { isQualifiedName, validateLabels } from '../../../apimachinery/names.js';
import { forbidden, invalid, invalidEach, list, obj, objects, rendered, required, str, stringMap, type FieldError, type Fields, type GoRendered } from './field.js';

/** ValidateLabelSelector: matchLabels as labels, each matchExpression's key, operator and values. */
export function validateLabelSelector(selector: Fields | undefined, path: string): FieldError[] {
  if (!selector) return [];
  const errs: FieldError[] = [];
  for (const [i, req] of objects(selector.matchExpressions)) {
    const p = `${path}.matchExpressions[${i}]`;
    const op = str(req.operator);
    const values = list(req.values);
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) errs.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) errs.push(forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(invalid(`${p}.operator`, op, 'not a valid selector operator'));
    }
    errs.push(...invalidEach(`${p}.key`, str(req.key), isQualifiedName(str(req.key))));
  }
  errs.push(...validateLabels(stringMap(selector.matchLabels), `${path}.matchLabels`));
  return errs;
}

/** Whether a selector has no requirements at all (it then selects everything, or for workloads, is invalid). */
export function selectorIsEmpty(selector: Fields | undefined): boolean {
  return Object.keys(obj(selector?.matchLabels) ?? {}).length === 0 && list(selector?.matchExpressions).length === 0;
}

/** Whether `labels` satisfy every requirement of the selector (an empty selector matches everything). */
export function selectorMatches(selector: Fields | undefined, labels: Record<string, string> | undefined): boolean {
  const set = labels ?? {};
  for (const [k, v] of Object.entries(stringMap(selector?.matchLabels) ?? {})) if (set[k] !== v) return false;
  for (const [, req] of objects(selector?.matchExpressions)) {
    const key = str(req.key);
    const values = list(req.values).map(String);
    const has = Object.prototype.hasOwnProperty.call(set, key);
    switch (str(req.operator)) {
      case 'In':
        if (!has || !values.includes(set[key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(set[key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/**
 * A *LabelSelector as kube prints it in a field error: its generated String(),
 * `&LabelSelector{MatchLabels:map[string]string{app: web,},MatchExpressions:[]LabelSelectorRequirement{},}`.
 * A missing selector prints as `null`.
 */
export function labelSelectorString(selector: Fields | undefined): GoRendered {
  if (!selector) return rendered('null');
  const labels = stringMap(selector.matchLabels) ?? {};
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}: ${labels[k]},`)
    .join('');
  const exprs = objects(selector.matchExpressions)
    .map(([, r]) => `LabelSelectorRequirement{Key:${str(r.key)},Operator:${str(r.operator)},Values:[${list(r.values).map(String).join(' ')}],},`)
    .join('');
  return rendered(`&LabelSelector{MatchLabels:map[string]string{${pairs}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`);
}
