/**
 * v1 Event: the involvedObject field selectors `kubectl describe` uses to find an object's events, and the
 * LAST SEEN/TYPE/REASON/OBJECT/MESSAGE columns (with source, first seen, count and name under `-o wide`).
 * Core events are also the storage of events.k8s.io/v1 events (the two are views of one object; see
 * conversion.ts): their field selectors (regarding.*, reportingController) and series are kept here too.
 */
import type { Event } from 'kubernetes-types/core/v1.js';
import { column, since } from '../../printers/columns.js';
import type { TableConvertor } from '../../table.js';
import type { KubeObject, ResourceStrategy, StoredObject } from '../strategy.js';

/** `component, instance` of whoever reported the event (the newer reporting fields fill in for `source`). */
export function eventSource(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const instance = ev.source?.host || ev.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

/** First seen, last seen and count, falling back to eventTime and the series the newer API records. */
export function eventTimes(ev: Event, now: number): { first: string; last: string; count: number } {
  const first = ev.firstTimestamp ? since(ev.firstTimestamp, now) : since(ev.eventTime, now);
  if (ev.series) return { first, last: since(ev.series.lastObservedTime, now), count: ev.series.count ?? 0 };
  // Singleton events of the newer API carry no count.
  return { first, last: ev.lastTimestamp ? since(ev.lastTimestamp, now) : first, count: ev.count || 1 };
}

const eventTable: TableConvertor = {
  // The wide columns sit among the others, so `-o wide` shows them in this order.
  columns: [
    column('Last Seen', 'string', 'The time since the event was last observed.'),
    column('Type', 'string', 'Normal or Warning.'),
    column('Reason', 'string', 'A short machine-readable reason for the event.'),
    column('Object', 'string', 'The object the event is about, as kind/name.'),
    column('Subobject', 'string', 'The part of the object the event is about (a field path).', 1),
    column('Source', 'string', 'The component (and host) that reported the event.', 1),
    column('Message', 'string', 'What happened, for humans.'),
    column('First Seen', 'string', 'The time since the event was first observed.', 1),
    column('Count', 'string', 'How many times the event was observed.', 1),
    column('Name', 'string', 'Name must be unique within a namespace.', 1, 'name'),
  ],
  cells(obj, now) {
    // The same columns for the events.k8s.io/v1 view, whose fields have the newer names.
    const ev = (obj.regarding !== undefined || obj.note !== undefined ? toCoreNames(obj) : obj) as unknown as Event;
    const io = ev.involvedObject ?? {};
    const kind = (io.kind ?? '').toLowerCase();
    const times = eventTimes(ev, now);
    return [
      times.last,
      ev.type ?? '',
      ev.reason ?? '',
      io.name ? `${kind}/${io.name}` : kind,
      io.fieldPath ?? '',
      eventSource(ev),
      (ev.message ?? '').trim(),
      times.first,
      times.count,
      obj.metadata?.name ?? '',
    ];
  },
};

/** The events.k8s.io/v1 field names, with the core name each stands for. */
const EVENTS_V1_NAMES: Record<string, string> = {
  'regarding.kind': 'involvedObject.kind',
  'regarding.namespace': 'involvedObject.namespace',
  'regarding.name': 'involvedObject.name',
  'regarding.uid': 'involvedObject.uid',
  'regarding.apiVersion': 'involvedObject.apiVersion',
  'regarding.resourceVersion': 'involvedObject.resourceVersion',
  'regarding.fieldPath': 'involvedObject.fieldPath',
  reportingController: 'reportingComponent',
};

/** An events.k8s.io/v1 view read with core names (only what the table needs). */
function toCoreNames(obj: KubeObject): KubeObject {
  return {
    ...obj,
    involvedObject: obj.regarding,
    message: obj.note,
    reportingComponent: obj.reportingController,
    source: obj.deprecatedSource,
    firstTimestamp: obj.deprecatedFirstTimestamp,
    lastTimestamp: obj.deprecatedLastTimestamp,
    count: obj.deprecatedCount,
  };
}

/** A MicroTime (`...:05.123456Z`) as a Time (`...:05Z`). */
export function microToTime(t: string): string {
  return t.replace(/\.\d+(?=Z|[+-]\d\d:\d\d$)/, '');
}

/**
 * An event recorded as a series (events.k8s.io's way of aggregating repeats) also reads as count and
 * lastTimestamp in the core view, so `kubectl get events` and describe show it counted.
 */
export function seriesAsCount(obj: StoredObject): void {
  const series = obj.series as { count?: number; lastObservedTime?: string } | undefined;
  if (!series || typeof series !== 'object') return;
  if (typeof series.count === 'number') obj.count = series.count;
  if (typeof series.lastObservedTime === 'string' && series.lastObservedTime) obj.lastTimestamp = microToTime(series.lastObservedTime);
  if (!obj.firstTimestamp && typeof obj.eventTime === 'string' && obj.eventTime) obj.firstTimestamp = microToTime(obj.eventTime);
}

/** events.k8s.io/v1 Event: served from core events' storage; only its field selector names differ. */
export const eventsV1Strategy: ResourceStrategy = {
  table: eventTable,
  selectableFields: [...Object.keys(EVENTS_V1_NAMES), 'reason', 'type'],
};

export const eventStrategy: ResourceStrategy = {
  table: eventTable,
  // Not defaulting (kube defaults nothing on events): the core view's reading of a series, kept on every write.
  prepareForCreate: seriesAsCount,
  prepareForUpdate: seriesAsCount,
  selectableFields: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  fieldValues(obj) {
    const ev = obj as unknown as Event;
    const io = ev.involvedObject ?? {};
    const fields: Record<string, string> = {
      'involvedObject.kind': io.kind ?? '',
      'involvedObject.namespace': io.namespace ?? '',
      'involvedObject.name': io.name ?? '',
      'involvedObject.uid': io.uid ?? '',
      'involvedObject.apiVersion': io.apiVersion ?? '',
      'involvedObject.resourceVersion': io.resourceVersion ?? '',
      'involvedObject.fieldPath': io.fieldPath ?? '',
      reason: ev.reason ?? '',
      reportingComponent: ev.reportingComponent ?? '',
      source: ev.source?.component ?? '',
      type: ev.type ?? '',
    };
    // The events.k8s.io/v1 view selects on the same values under its own names.
    for (const [v1, core] of Object.entries(EVENTS_V1_NAMES)) fields[v1] = fields[core]!;
    return fields;
  },
};
