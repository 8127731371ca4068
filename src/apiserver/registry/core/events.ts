/**
 * v1 Event: the involvedObject field selectors `kubectl describe` uses to find an object's events, and the
 * LAST SEEN/TYPE/REASON/OBJECT/MESSAGE columns (with source, first seen, count and name under `-o wide`).
 */
import type { Event } from 'kubernetes-types/core/v1.js';
import { column, since } from '../../printers/columns.js';
import type { TableConvertor } from '../../table.js';
import type { ResourceStrategy } from '../strategy.js';

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
    const ev = obj as unknown as Event;
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

export const eventStrategy: ResourceStrategy = {
  table: eventTable,
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
    return {
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
  },
};
