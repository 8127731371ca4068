/**
 * Conversions between a served version and the storage version, for the resources served in more than one
 * group/version: autoscaling/v1 <-> v2 HorizontalPodAutoscaler and events.k8s.io/v1 <-> core v1 Event.
 */
import { apiVersionOf, type GroupVersion, type ResourceInfo } from '../../api/registry.js';
import type { StoredObject } from './strategy.js';

type Obj = Record<string, unknown>;
type Converter = (obj: StoredObject) => StoredObject;

/** Moves fields named in `pairs` (from -> to), leaving the rest as they are. */
function rename(obj: StoredObject, pairs: ReadonlyArray<readonly [string, string]>): StoredObject {
  const out: StoredObject = { ...obj };
  for (const [from, to] of pairs) {
    if (from in out) {
      out[to] = out[from];
      delete out[from];
    }
  }
  return out;
}

const EVENT_FIELDS = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
] as const;
const EVENT_FIELDS_BACK = EVENT_FIELDS.map(([a, b]) => [b, a] as const);

/**
 * A stored (core) event in the events.k8s.io/v1 view. A core event counted several times (count and
 * lastTimestamp, the older way of aggregating repeats) reads as a series there, as a series reads as count
 * and lastTimestamp in the core view (core/events.ts).
 */
function eventToV1(obj: StoredObject): StoredObject {
  const out = rename(obj, EVENT_FIELDS);
  const count = out.deprecatedCount;
  const last = out.deprecatedLastTimestamp;
  if (out.series === undefined && typeof count === 'number' && count > 1 && typeof last === 'string' && last) {
    out.series = { count, lastObservedTime: last.replace(/Z$/, '.000000Z') };
  }
  return out;
}

function hpaV2ToV1(obj: StoredObject): StoredObject {
  const out: StoredObject = { ...obj };
  const spec = { ...((obj.spec as Obj | undefined) ?? {}) };
  const metrics = (spec.metrics as Obj[] | undefined) ?? [];
  const cpu = metrics.find((m) => m.type === 'Resource' && (m.resource as Obj | undefined)?.name === 'cpu');
  const target = ((cpu?.resource as Obj | undefined)?.target as Obj | undefined)?.averageUtilization;
  delete spec.metrics;
  delete spec.behavior;
  if (typeof target === 'number') spec.targetCPUUtilizationPercentage = target;
  out.spec = spec;
  if (obj.status) {
    const status = { ...(obj.status as Obj) };
    const current = ((status.currentMetrics as Obj[] | undefined) ?? []).find((m) => (m.resource as Obj | undefined)?.name === 'cpu');
    const utilization = ((current?.resource as Obj | undefined)?.current as Obj | undefined)?.averageUtilization;
    delete status.currentMetrics;
    delete status.conditions;
    if (typeof utilization === 'number') status.currentCPUUtilizationPercentage = utilization;
    out.status = status;
  }
  return out;
}

function hpaV1ToV2(obj: StoredObject): StoredObject {
  const out: StoredObject = { ...obj };
  const spec = { ...((obj.spec as Obj | undefined) ?? {}) };
  const target = spec.targetCPUUtilizationPercentage;
  delete spec.targetCPUUtilizationPercentage;
  if (typeof target === 'number') {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }];
  }
  out.spec = spec;
  if (obj.status) {
    const status = { ...(obj.status as Obj) };
    const current = status.currentCPUUtilizationPercentage;
    delete status.currentCPUUtilizationPercentage;
    if (typeof current === 'number') {
      status.currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: current } } }];
    }
    out.status = status;
  }
  return out;
}

/** Keyed by `<served group/version>|<kind>`: [to storage, from storage]. */
const CONVERTERS = new Map<string, readonly [Converter, Converter]>([
  ['events.k8s.io/v1|Event', [(o) => rename(o, EVENT_FIELDS_BACK), eventToV1]],
  ['autoscaling/v1|HorizontalPodAutoscaler', [hpaV1ToV2, hpaV2ToV1]],
]);

function converters(info: ResourceInfo): readonly [Converter, Converter] | undefined {
  return CONVERTERS.get(`${apiVersionOf(info)}|${info.kind}`);
}

/** The group/version objects of `info` are stored as. */
export function storageVersionOf(info: ResourceInfo): GroupVersion {
  return info.storage ?? { group: info.group, version: info.version };
}

/** A request object (in `info`'s version) in the storage version. */
export function toStorageVersion(obj: StoredObject, info: ResourceInfo): StoredObject {
  if (!info.storage) return obj;
  const converted = converters(info)?.[0](obj) ?? { ...obj };
  converted.apiVersion = apiVersionOf(info.storage);
  return converted;
}

/** A stored object (in the storage version) in `info`'s version. */
export function fromStorageVersion(obj: StoredObject, info: ResourceInfo): StoredObject {
  if (!info.storage) return obj;
  const converted = converters(info)?.[1](obj) ?? { ...obj };
  converted.apiVersion = apiVersionOf(info);
  return converted;
}
