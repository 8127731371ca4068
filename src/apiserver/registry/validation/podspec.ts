/**
 * A pod spec, as kube's ValidatePodSpec checks it for Pods and every template that embeds one: volumes, the
 * three container lists (unique names across them, host ports unique across the pod), restart and DNS policy,
 * node selector, service account, deadlines, hostname, tolerations. Plus ValidatePodTemplateSpec.
 */
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, validateAnnotations, validateLabels } from '../../../apimachinery/names.js';
import { validateContainer, type ContainerKind } from './container.js';
import {
  duplicate,
  inclusiveRange,
  invalid,
  invalidEach,
  notSupported,
  num,
  obj,
  objects,
  required,
  str,
  stringMap,
  type FieldError,
  type Fields,
} from './field.js';
import { validateVolumes } from './volumes.js';

const MAX_INT32 = 2147483647;
export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** The three container lists, in the order kube validates them. */
const LISTS: ReadonlyArray<[string, ContainerKind]> = [
  ['containers', 'container'],
  ['initContainers', 'initContainer'],
  ['ephemeralContainers', 'ephemeralContainer'],
];

/** checkHostPortConflicts: no two ports of the pod take the same protocol/hostIP/hostPort. */
function hostPortConflicts(spec: Fields, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [list] of LISTS.slice(0, 2)) {
    const seen = new Set<string>();
    for (const [ci, c] of objects(spec[list])) {
      for (const [pi, p] of objects(c.ports)) {
        const hostPort = num(p.hostPort) ?? 0;
        if (hostPort === 0) continue;
        const key = `${str(p.protocol)}/${str(p.hostIP)}/${hostPort}`;
        if (seen.has(key)) errs.push(duplicate(`${path}.${list}[${ci}].ports[${pi}].hostPort`, key));
        else seen.add(key);
      }
    }
  }
  return errs;
}

/** ValidateTolerations. */
export function validateTolerations(tolerations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [i, t] of objects(tolerations)) {
    const p = `${path}[${i}]`;
    const key = str(t.key);
    const operator = str(t.operator);
    const effect = str(t.effect);
    const value = str(t.value);
    if (key !== '') errs.push(...invalidEach(`${p}.key`, key, isQualifiedName(key)));
    if (key === '' && operator !== 'Exists') {
      errs.push(invalid(`${p}.operator`, operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && effect !== 'NoExecute') {
      errs.push(invalid(`${p}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (operator === 'Equal' || operator === '') {
      const msgs = isValidLabelValue(value);
      if (msgs.length > 0) errs.push(invalid(`${p}.operator`, value, msgs.join(';')));
    } else if (operator === 'Exists') {
      if (value !== '') errs.push(invalid(`${p}.operator`, value, "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(notSupported(`${p}.operator`, operator, ['Equal', 'Exists']));
    }
    if (effect !== '' && !TAINT_EFFECTS.includes(effect)) errs.push(notSupported(`${p}.effect`, effect, TAINT_EFFECTS));
  }
  return errs;
}

/** An enum field that is required (defaulting fills it, so empty means the user cleared it). */
function requiredEnum(value: unknown, supported: string[], path: string): FieldError[] {
  const v = str(value);
  if (v === '') return [required(path, '')];
  return supported.includes(v) ? [] : [notSupported(path, v, supported)];
}

/** ValidatePodSpec at `path` (`spec` for a Pod, `spec.template.spec` for a workload). */
export function validatePodSpec(spec: Fields | undefined, path: string): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  const { errs: volumeErrs, names: volumes } = validateVolumes(s.volumes, `${path}.volumes`);
  errs.push(...volumeErrs);

  const names = new Set<string>();
  for (const [list, kind] of LISTS) {
    const entries = objects(s[list]);
    if (kind === 'container' && entries.length === 0) {
      errs.push(required(`${path}.containers`, ''));
      continue;
    }
    for (const [i, c] of entries) {
      const p = `${path}.${list}[${i}]`;
      errs.push(...validateContainer(c, kind, volumes, p));
      const name = str(c.name);
      if (names.has(name)) errs.push(duplicate(`${p}.name`, name));
      else names.add(name);
    }
  }
  errs.push(...hostPortConflicts(s, path));

  errs.push(...requiredEnum(s.restartPolicy, RESTART_POLICIES, `${path}.restartPolicy`));
  errs.push(...requiredEnum(s.dnsPolicy, DNS_POLICIES, `${path}.dnsPolicy`));
  errs.push(...validateLabels(stringMap(s.nodeSelector), `${path}.nodeSelector`));
  const account = str(s.serviceAccountName);
  if (account !== '') errs.push(...invalidEach(`${path}.serviceAccountName`, account, isDNS1123Subdomain(account)));
  const nodeName = str(s.nodeName);
  if (nodeName !== '') errs.push(...invalidEach(`${path}.nodeName`, nodeName, isDNS1123Subdomain(nodeName)));
  const deadline = num(s.activeDeadlineSeconds);
  if (deadline !== undefined && (deadline < 1 || deadline > MAX_INT32)) {
    errs.push(invalid(`${path}.activeDeadlineSeconds`, deadline, inclusiveRange(1, MAX_INT32)));
  }
  for (const f of ['hostname', 'subdomain']) {
    const v = str(s[f]);
    if (v !== '') errs.push(...invalidEach(`${path}.${f}`, v, isDNS1123Label(v)));
  }
  errs.push(...validateTolerations(s.tolerations, `${path}.tolerations`));
  const priorityClass = str(s.priorityClassName);
  if (priorityClass !== '') errs.push(...invalidEach(`${path}.priorityClassName`, priorityClass, isDNS1123Subdomain(priorityClass)));
  return errs;
}

/**
 * ValidatePodTemplateSpec: the template's labels and annotations (at `<path>.labels`: kube's path, since
 * ObjectMeta is inlined in Go) and its pod spec.
 */
export function validatePodTemplateSpec(template: Fields | undefined, path: string): FieldError[] {
  if (!template) return [required(path, '')];
  const meta = obj(template.metadata) ?? {};
  return [
    ...validateLabels(stringMap(meta.labels), `${path}.labels`),
    ...validateAnnotations(stringMap(meta.annotations), `${path}.annotations`),
    ...validatePodSpec(obj(template.spec), `${path}.spec`),
  ];
}

/** A Pod on create: its spec, and images without surrounding whitespace (checked for Pods only). */
export function validatePod(pod: Fields): FieldError[] {
  const spec = obj(pod.spec);
  const errs = validatePodSpec(spec, 'spec');
  for (const [list] of LISTS) {
    for (const [i, c] of objects(spec?.[list])) {
      const image = str(c.image);
      if (image !== image.trim()) errs.push(invalid(`spec.${list}[${i}].image`, image, 'must not have leading or trailing whitespace'));
    }
  }
  return errs;
}
