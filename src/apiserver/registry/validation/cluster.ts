/**
 * The smaller kinds users write by hand: PodDisruptionBudget, HorizontalPodAutoscaler (autoscaling/v2, the
 * storage version), PriorityClass, Lease, and RBAC roles and bindings — each checked as kube's validation for
 * its group checks it.
 */
import { isDNS1123Subdomain, isQualifiedName, isValidPathSegmentName } from '../../../apimachinery/names.js';
import { forbidden, immutable, invalid, invalidEach, list, notSupported, num, obj, objects, rendered, required, str, type FieldError, type Fields } from './field.js';
import { decodeQuantity } from './resources.js';
import { validateLabelSelector } from './selector.js';
import { notMoreThan100Percent, validatePositiveIntOrPercent } from './workloads.js';

/** ValidatePodDisruptionBudgetSpec. */
export function validatePodDisruptionBudget(pdb: Fields): FieldError[] {
  const spec = obj(pdb.spec) ?? {};
  const errs: FieldError[] = [];
  const has = (v: unknown): boolean => v !== undefined && v !== null;
  if (has(spec.minAvailable) && has(spec.maxUnavailable)) {
    errs.push(invalid('spec', rendered('policy.PodDisruptionBudgetSpec{...}'), 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const f of ['minAvailable', 'maxUnavailable']) {
    if (!has(spec[f])) continue;
    errs.push(...validatePositiveIntOrPercent(spec[f], `spec.${f}`));
    errs.push(...notMoreThan100Percent(spec[f], `spec.${f}`));
  }
  errs.push(...validateLabelSelector(obj(spec.selector), 'spec.selector'));
  const policy = str(spec.unhealthyPodEvictionPolicy);
  if (has(spec.unhealthyPodEvictionPolicy) && policy !== 'AlwaysAllow' && policy !== 'IfHealthyBudget') {
    errs.push(notSupported('spec.unhealthyPodEvictionPolicy', policy, ['AlwaysAllow', 'IfHealthyBudget']));
  }
  return errs;
}

const METRIC_TYPES = ['Object', 'Pods', 'Resource', 'External', 'ContainerResource'];

/** validateMetricTarget. */
function metricTarget(target: Fields | undefined, path: string): FieldError[] {
  if (!target) return [required(path, 'must specify a metric target')];
  const errs: FieldError[] = [];
  const type = str(target.type);
  if (type === '') errs.push(required(`${path}.type`, 'must specify a metric target type'));
  if (!['Utilization', 'Value', 'AverageValue'].includes(type)) errs.push(invalid(`${path}.type`, type, 'must be either Utilization, Value, or AverageValue'));
  for (const f of ['value', 'averageValue']) {
    if (target[f] === undefined || target[f] === null) continue;
    const q = decodeQuantity(target[f]);
    if (q.sign() !== 1) errs.push(invalid(`${path}.${f}`, rendered(q.toString()), 'must be positive'));
  }
  const utilization = num(target.averageUtilization);
  if (utilization !== undefined && utilization < 1) errs.push(invalid(`${path}.averageUtilization`, utilization, 'must be greater than 0'));
  return errs;
}

/** ValidateHorizontalPodAutoscalerSpec (v2). */
export function validateHorizontalPodAutoscaler(hpa: Fields): FieldError[] {
  const spec = obj(hpa.spec) ?? {};
  const errs: FieldError[] = [];
  const min = num(spec.minReplicas);
  const max = num(spec.maxReplicas) ?? 0;
  if (min !== undefined && min < 1) errs.push(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (max < 1) errs.push(invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (min !== undefined && max < min) errs.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  const ref = obj(spec.scaleTargetRef) ?? {};
  for (const f of ['kind', 'name']) {
    const v = str(ref[f]);
    if (v === '') errs.push(required(`spec.scaleTargetRef.${f}`, ''));
    else errs.push(...invalidEach(`spec.scaleTargetRef.${f}`, v, isValidPathSegmentName(v)));
  }
  for (const [i, m] of objects(spec.metrics)) {
    const path = `spec.metrics[${i}]`;
    const type = str(m.type);
    if (type === '') errs.push(required(`${path}.type`, 'must specify a metric source type'));
    if (!METRIC_TYPES.includes(type)) {
      errs.push(notSupported(`${path}.type`, type, METRIC_TYPES));
      continue;
    }
    if (type === 'Resource' || type === 'ContainerResource') {
      const field = type === 'Resource' ? 'resource' : 'containerResource';
      const source = obj(m[field]);
      if (!source) {
        errs.push(required(`${path}.${field}`, `must populate information for the given metric source (only allowed when type is ${type})`));
        continue;
      }
      if (str(source.name) === '') errs.push(required(`${path}.${field}.name`, 'must specify a resource name'));
      errs.push(...metricTarget(obj(source.target), `${path}.${field}.target`));
    }
  }
  return errs;
}

/** The priority above which only system classes may go. */
const HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000;
const SYSTEM_PRIORITY_CLASSES: Record<string, number> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };

/** ValidatePriorityClass. */
export function validatePriorityClass(pc: Fields): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(obj(pc.metadata)?.name);
  const value = num(pc.value) ?? 0;
  if (name.startsWith('system-')) {
    const known = SYSTEM_PRIORITY_CLASSES[name];
    let why = '';
    if (known === undefined) why = `${name} is not a known system priority class`;
    else if (known !== value) why = `value of ${name} PriorityClass must be ${known}`;
    else if (pc.globalDefault === true) why = `globalDefault of ${name} PriorityClass must be false`;
    if (why) errs.push(forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`));
  } else if (value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  const policy = str(pc.preemptionPolicy);
  if (policy !== '' && policy !== 'Never' && policy !== 'PreemptLowerPriority') errs.push(notSupported('preemptionPolicy', policy, ['Never', 'PreemptLowerPriority']));
  return errs;
}

/** ValidatePriorityClassUpdate: the value and preemption policy are fixed. */
export function validatePriorityClassUpdate(pc: Fields, old: Fields): FieldError[] {
  const errs = validatePriorityClass(pc);
  if (num(pc.value) !== num(old.value)) errs.push(forbidden('value', 'may not be changed in an update.'));
  errs.push(...immutable('preemptionPolicy', pc.preemptionPolicy, old.preemptionPolicy, str(pc.preemptionPolicy)));
  return errs;
}

/** ValidateLeaseSpec. */
export function validateLease(lease: Fields): FieldError[] {
  const spec = obj(lease.spec) ?? {};
  const errs: FieldError[] = [];
  const duration = num(spec.leaseDurationSeconds);
  if (duration !== undefined && duration <= 0) errs.push(invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  const transitions = num(spec.leaseTransitions);
  if (transitions !== undefined && transitions < 0) errs.push(invalid('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  return errs;
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** ValidatePolicyRule for each of a role's rules. */
export function validateRole(role: Fields, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  for (const [i, rule] of objects(role.rules)) {
    const path = `rules[${i}]`;
    if (list(rule.verbs).length === 0) errs.push(required(`${path}.verbs`, 'verbs must contain at least one value'));
    const urls = list(rule.nonResourceURLs).map(String);
    if (urls.length > 0) {
      const value = rendered(`[]string{${urls.map((u) => JSON.stringify(u)).join(', ')}}`);
      if (namespaced) errs.push(invalid(`${path}.nonResourceURLs`, value, 'namespaced rules cannot apply to non-resource URLs'));
      if (list(rule.apiGroups).length > 0 || list(rule.resources).length > 0 || list(rule.resourceNames).length > 0) {
        errs.push(invalid(`${path}.nonResourceURLs`, value, 'rules cannot apply to both regular resources and non-resource URLs'));
      }
      continue;
    }
    if (list(rule.apiGroups).length === 0) errs.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
    if (list(rule.resources).length === 0) errs.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  }
  return errs;
}

/** ValidateRoleBinding / ValidateClusterRoleBinding. */
export function validateRoleBinding(binding: Fields, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = obj(binding.roleRef) ?? {};
  if (str(ref.apiGroup) !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', str(ref.apiGroup), [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(str(ref.kind))) errs.push(notSupported('roleRef.kind', str(ref.kind), kinds));
  const name = str(ref.name);
  if (name === '') errs.push(required('roleRef.name', ''));
  else errs.push(...invalidEach('roleRef.name', name, isValidPathSegmentName(name)));
  for (const [i, s] of objects(binding.subjects)) {
    const path = `subjects[${i}]`;
    const subjectName = str(s.name);
    const group = str(s.apiGroup);
    if (subjectName === '') errs.push(required(`${path}.name`, ''));
    switch (str(s.kind)) {
      case 'ServiceAccount':
        if (subjectName !== '') errs.push(...invalidEach(`${path}.name`, subjectName, isDNS1123Subdomain(subjectName)));
        if (group !== '') errs.push(notSupported(`${path}.apiGroup`, group, ['']));
        if (!namespaced && str(s.namespace) === '') errs.push(required(`${path}.namespace`, ''));
        break;
      case 'User':
      case 'Group':
        // v1 defaults an empty apiGroup to rbac.authorization.k8s.io for users and groups.
        if (group !== '' && group !== RBAC_GROUP) errs.push(notSupported(`${path}.apiGroup`, group, [RBAC_GROUP]));
        break;
      default:
        errs.push(notSupported(`${path}.kind`, str(s.kind), ['ServiceAccount', 'User', 'Group']));
    }
  }
  return errs;
}

/** A binding's roleRef never changes. */
export function validateRoleBindingUpdate(binding: Fields, old: Fields, namespaced: boolean): FieldError[] {
  const errs = validateRoleBinding(binding, namespaced);
  const ref = obj(binding.roleRef) ?? {};
  const oldRef = obj(old.roleRef) ?? {};
  if (str(ref.apiGroup) !== str(oldRef.apiGroup) || str(ref.kind) !== str(oldRef.kind) || str(ref.name) !== str(oldRef.name)) {
    const value = `rbac.RoleRef{APIGroup:${JSON.stringify(str(ref.apiGroup))}, Kind:${JSON.stringify(str(ref.kind))}, Name:${JSON.stringify(str(ref.name))}}`;
    errs.push(invalid('roleRef', rendered(value), 'cannot change roleRef'));
  }
  return errs;
}

/** ValidateNamespace: each spec.finalizer is `kubernetes` or a domain-qualified name. */
export function validateNamespace(ns: Fields): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of list(obj(ns.spec)?.finalizers).map(String)) {
    const msgs = isQualifiedName(f);
    errs.push(...invalidEach('spec.finalizers', f, msgs));
    if (msgs.length === 0 && !f.includes('/') && f !== 'kubernetes') {
      errs.push(invalid('spec.finalizers', f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
  return errs;
}
