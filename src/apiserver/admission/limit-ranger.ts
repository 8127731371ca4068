/**
 * LimitRanger: applies a namespace's LimitRanges. It fills in each container's default limits and requests
 * (recording what it set in the `kubernetes.io/limit-ranger` annotation), then enforces min, max and
 * maxLimitRequestRatio per Container, per Pod and per PersistentVolumeClaim, worded as Kubernetes words them.
 * Pods are checked on create only (their resources cannot change); claims on create and update.
 */
import { ensure, isFields, items, type Fields } from '../registry/defaults/fields.js';
import type { StoredObject } from '../registry/strategy.js';
import { admissionForbidden, isResource, type AdmissionAttributes, type AdmissionPlugin, type ObjectReader } from './admission.js';
import { cmp, formatQuantity, max, milliValue, parseResourceList, value, ZERO, add, type Quantity } from './quantity-usage.js';

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';
const LIMIT_RANGES = { group: '', resource: 'limitranges' };
/** resource.MaxMilliValue: beyond it a ratio is compared in whole units. */
const MAX_MILLI_VALUE = 9223372036854775n;

type ResourceList = Map<string, Quantity>;

/** One item of a LimitRange with its quantities parsed (and SetDefaults_LimitRangeItem applied). */
export interface LimitItem {
  type: string;
  min: ResourceList;
  max: ResourceList;
  default: ResourceList;
  defaultRequest: ResourceList;
  maxLimitRequestRatio: ResourceList;
}

/**
 * A LimitRange's items; for Container items a missing default limit is the max, and a missing default
 * request is the default limit, else the min (SetDefaults_LimitRangeItem).
 */
export function limitItems(lr: StoredObject): LimitItem[] {
  const spec = isFields(lr.spec) ? lr.spec : {};
  return items(spec, 'limits').map((raw) => {
    const item: LimitItem = {
      type: typeof raw.type === 'string' ? raw.type : '',
      min: parseResourceList(raw.min),
      max: parseResourceList(raw.max),
      default: parseResourceList(raw.default),
      defaultRequest: parseResourceList(raw.defaultRequest),
      maxLimitRequestRatio: parseResourceList(raw.maxLimitRequestRatio),
    };
    if (item.type === 'Container') {
      for (const [k, v] of item.max) if (!item.default.has(k)) item.default.set(k, v);
      for (const [k, v] of item.default) if (!item.defaultRequest.has(k)) item.defaultRequest.set(k, v);
      for (const [k, v] of item.min) if (!item.defaultRequest.has(k)) item.defaultRequest.set(k, v);
    }
    return item;
  });
}

function sortedEntries(list: ResourceList): Array<[string, Quantity]> {
  return [...list.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Fills unset limits and requests of one container; returns the annotation fragments. */
function mergeContainerResources(container: Fields, item: LimitItem, prefix: string): string[] {
  const resources = ensure(container, 'resources');
  const setLimits: string[] = [];
  const setRequests: string[] = [];
  if (item.default.size > 0) {
    const limits = ensure(resources, 'limits');
    for (const [k, v] of item.default) {
      if (limits[k] === undefined) {
        limits[k] = formatQuantity(v);
        setLimits.push(k);
      }
    }
  }
  if (item.defaultRequest.size > 0) {
    const requests = ensure(resources, 'requests');
    for (const [k, v] of item.defaultRequest) {
      if (requests[k] === undefined) {
        requests[k] = formatQuantity(v);
        setRequests.push(k);
      }
    }
  }
  const out: string[] = [];
  if (setRequests.length > 0) out.push(`${setRequests.sort().join(', ')} request for ${prefix} ${String(container.name ?? '')}`);
  if (setLimits.length > 0) out.push(`${setLimits.sort().join(', ')} limit for ${prefix} ${String(container.name ?? '')}`);
  return out;
}

/** Applies a LimitRange's container defaults to a pod spec (and annotates what was set). */
export function applyContainerDefaults(pod: StoredObject, ranges: readonly LimitItem[][]): void {
  const spec = isFields(pod.spec) ? pod.spec : undefined;
  if (!spec) return;
  const annotations: string[] = [];
  for (const range of ranges) {
    for (const item of range) {
      if (item.type !== 'Container') continue;
      for (const c of items(spec, 'containers')) annotations.push(...mergeContainerResources(c, item, 'container'));
      for (const c of items(spec, 'initContainers')) annotations.push(...mergeContainerResources(c, item, 'init container'));
    }
  }
  if (annotations.length > 0) {
    pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${annotations.join('; ')}` };
  }
}

function requests(container: Fields): ResourceList {
  return parseResourceList((container.resources as Fields | undefined)?.requests);
}

function limits(container: Fields): ResourceList {
  return parseResourceList((container.resources as Fields | undefined)?.limits);
}

function minConstraint(type: string, name: string, enforced: Quantity, req: ResourceList, lim: ResourceList): string | undefined {
  const r = req.get(name);
  const l = lim.get(name);
  const e = formatQuantity(enforced);
  if (!r) return `minimum ${name} usage per ${type} is ${e}.  No request is specified`;
  if (cmp(r, enforced) < 0) return `minimum ${name} usage per ${type} is ${e}, but request is ${formatQuantity(r)}`;
  if (l && cmp(l, enforced) < 0) return `minimum ${name} usage per ${type} is ${e}, but limit is ${formatQuantity(l)}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: Quantity, req: ResourceList, lim: ResourceList): string | undefined {
  const r = req.get(name);
  const l = lim.get(name);
  const e = formatQuantity(enforced);
  if (!l) return `maximum ${name} usage per ${type} is ${e}.  No limit is specified`;
  if (cmp(l, enforced) > 0) return `maximum ${name} usage per ${type} is ${e}, but limit is ${formatQuantity(l)}`;
  if (r && cmp(r, enforced) > 0) return `maximum ${name} usage per ${type} is ${e}, but request is ${formatQuantity(r)}`;
  return undefined;
}

function maxRequestConstraint(type: string, name: string, enforced: Quantity, req: ResourceList): string | undefined {
  const r = req.get(name);
  const e = formatQuantity(enforced);
  if (!r) return `maximum ${name} usage per ${type} is ${e}.  No request is specified`;
  if (cmp(r, enforced) > 0) return `maximum ${name} usage per ${type} is ${e}, but request is ${formatQuantity(r)}`;
  return undefined;
}

/** Go's %f: six decimals. */
function ratioConstraint(type: string, name: string, enforced: Quantity, req: ResourceList, lim: ResourceList): string | undefined {
  const r = req.get(name);
  const l = lim.get(name);
  const e = formatQuantity(enforced);
  // Compared in milli-units, as kube does for values that fit.
  const useMilli = value(enforced) <= MAX_MILLI_VALUE;
  const unit = (q: Quantity): bigint => (useMilli ? milliValue(q) : value(q));
  if (!r || unit(r) === 0n) return `${name} max limit to request ratio per ${type} is ${e}, but no request is specified or request is 0`;
  if (!l || unit(l) === 0n) return `${name} max limit to request ratio per ${type} is ${e}, but no limit is specified or limit is 0`;
  const observed = Number(unit(l)) / Number(unit(r));
  const allowed = useMilli ? Number(milliValue(enforced)) / 1000 : Number(value(enforced));
  if (observed > allowed) return `${name} max limit to request ratio per ${type} is ${e}, but provided ratio is ${observed.toFixed(6)}`;
  return undefined;
}

/** Checks one requests/limits pair against an item's min, max and ratio. */
function checkBounds(type: string, item: LimitItem, req: ResourceList, lim: ResourceList, errs: string[]): void {
  const push = (e: string | undefined): void => {
    if (e && !errs.includes(e)) errs.push(e);
  };
  for (const [k, v] of sortedEntries(item.min)) push(minConstraint(type, k, v, req, lim));
  for (const [k, v] of sortedEntries(item.max)) push(maxConstraint(type, k, v, req, lim));
  for (const [k, v] of sortedEntries(item.maxLimitRequestRatio)) push(ratioConstraint(type, k, v, req, lim));
}

/** A pod's requests or limits: the sum over containers, raised to any init container's (podRequests). */
function podTotal(spec: Fields, of: (c: Fields) => ResourceList): ResourceList {
  const total: ResourceList = new Map();
  for (const c of items(spec, 'containers')) for (const [k, v] of of(c)) total.set(k, add(total.get(k) ?? ZERO, v));
  for (const c of items(spec, 'initContainers')) for (const [k, v] of of(c)) total.set(k, max(total.get(k) ?? ZERO, v));
  return total;
}

/** Every violation of `ranges` by a pod, in kube's wording. */
export function podViolations(pod: StoredObject, ranges: readonly LimitItem[][]): string[] {
  const spec = isFields(pod.spec) ? pod.spec : {};
  const errs: string[] = [];
  for (const range of ranges) {
    for (const item of range) {
      if (item.type === 'Container') {
        for (const c of [...items(spec, 'containers'), ...items(spec, 'initContainers')]) checkBounds('Container', item, requests(c), limits(c), errs);
      } else if (item.type === 'Pod') {
        checkBounds('Pod', item, podTotal(spec, requests), podTotal(spec, limits), errs);
      }
    }
  }
  return errs;
}

/** Every violation of `ranges` by a claim (its requested storage against min and max). */
export function claimViolations(pvc: StoredObject, ranges: readonly LimitItem[][]): string[] {
  const spec = isFields(pvc.spec) ? pvc.spec : {};
  const req = parseResourceList((spec.resources as Fields | undefined)?.requests);
  const errs: string[] = [];
  for (const range of ranges) {
    for (const item of range) {
      if (item.type !== 'PersistentVolumeClaim') continue;
      for (const [k, v] of sortedEntries(item.min)) {
        const e = minConstraint('PersistentVolumeClaim', k, v, req, new Map());
        if (e && !errs.includes(e)) errs.push(e);
      }
      for (const [k, v] of sortedEntries(item.max)) {
        const e = maxRequestConstraint('PersistentVolumeClaim', k, v, req);
        if (e && !errs.includes(e)) errs.push(e);
      }
    }
  }
  return errs;
}

/** utilerrors.NewAggregate's message: one error as is, several as `[a, b]`. */
export function aggregate(errs: readonly string[]): string {
  return errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`;
}

export class LimitRanger implements AdmissionPlugin {
  readonly name = 'LimitRanger';

  constructor(private readonly objects: ObjectReader) {}

  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (attrs.operation !== 'CREATE' || !isResource(attrs, '', 'pods') || !attrs.object) return;
    const ranges = await this.ranges(attrs.namespace);
    if (ranges.length > 0) applyContainerDefaults(attrs.object, ranges);
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    const obj = attrs.object;
    if (!obj) return;
    let errs: string[];
    if (attrs.operation === 'CREATE' && isResource(attrs, '', 'pods')) errs = podViolations(obj, await this.ranges(attrs.namespace));
    else if (attrs.operation !== 'DELETE' && isResource(attrs, '', 'persistentvolumeclaims')) errs = claimViolations(obj, await this.ranges(attrs.namespace));
    else return;
    if (errs.length > 0) throw admissionForbidden(attrs, aggregate(errs));
  }

  private async ranges(namespace: string): Promise<LimitItem[][]> {
    await this.objects.fresh();
    return this.objects.list(LIMIT_RANGES, namespace).map(limitItems);
  }
}
