/** Events: the two views (series <-> count), the events.k8s.io field names, expiry's clock, --event-ttl parsing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUILTIN_RESOURCES } from '../../src/api/resources.js';
import { parseDuration } from '../../src/cli/duration.js';
import { lastObserved } from '../../src/apiserver/registry/core/event-expiry.js';
import { eventStrategy, eventsV1Strategy, seriesAsCount } from '../../src/apiserver/registry/core/events.js';
import { fromStorageVersion, toStorageVersion } from '../../src/apiserver/registry/conversion.js';
import type { StoredObject } from '../../src/apiserver/registry/strategy.js';

const eventsV1 = BUILTIN_RESOURCES.find((r) => r.group === 'events.k8s.io' && r.resource === 'events')!;

test('a series reads as count and lastTimestamp in the core view', () => {
  const ev: StoredObject = { metadata: { name: 'e' }, eventTime: '2026-11-25T10:00:00.123456Z', series: { count: 3, lastObservedTime: '2026-11-25T10:05:00.654321Z' } };
  seriesAsCount(ev);
  assert.deepEqual([ev.count, ev.lastTimestamp, ev.firstTimestamp], [3, '2026-11-25T10:05:00Z', '2026-11-25T10:00:00Z']);
});

test('a counted core event reads as a series in the events.k8s.io view, and converts back', () => {
  const core: StoredObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e' },
    involvedObject: { kind: 'Pod', name: 'web' },
    message: 'Back-off',
    count: 4,
    lastTimestamp: '2026-11-25T10:05:00Z',
  };
  const v1 = fromStorageVersion(core, eventsV1);
  assert.equal(v1.apiVersion, 'events.k8s.io/v1');
  assert.deepEqual(v1.regarding, { kind: 'Pod', name: 'web' });
  assert.equal(v1.note, 'Back-off');
  assert.deepEqual(v1.series, { count: 4, lastObservedTime: '2026-11-25T10:05:00.000000Z' });
  const back = toStorageVersion(v1, eventsV1);
  assert.deepEqual([back.apiVersion, back.involvedObject, back.count], ['v1', { kind: 'Pod', name: 'web' }, 4]);
  // A single occurrence is no series.
  assert.equal(fromStorageVersion({ ...core, count: 1 }, eventsV1).series, undefined);
});

test('field selectors: core names on core events, regarding.* on events.k8s.io, the same values', () => {
  const fields = eventStrategy.fieldValues!({
    metadata: { name: 'e' },
    involvedObject: { kind: 'Pod', name: 'web', uid: 'u1', namespace: 'ns', fieldPath: 'spec.containers{app}' },
    reason: 'Pulled',
    type: 'Normal',
    source: { component: 'kubelet' },
    reportingComponent: 'kubelet',
  });
  assert.equal(fields['involvedObject.name'], 'web');
  assert.equal(fields['regarding.name'], 'web');
  assert.equal(fields['regarding.uid'], 'u1');
  assert.equal(fields['regarding.fieldPath'], 'spec.containers{app}');
  assert.equal(fields.reportingController, 'kubelet');
  assert.ok(!eventStrategy.selectableFields!.includes('regarding.name'));
  assert.ok(eventsV1Strategy.selectableFields!.includes('regarding.name'));
  assert.ok(!eventsV1Strategy.selectableFields!.includes('involvedObject.name'));
});

test('expiry counts from the last observation the event records', () => {
  const at = (s: string) => Date.parse(s);
  assert.equal(lastObserved({ metadata: { creationTimestamp: '2026-11-25T10:00:00Z' } }), at('2026-11-25T10:00:00Z'));
  assert.equal(
    lastObserved({ metadata: { creationTimestamp: '2026-11-25T10:00:00Z' }, lastTimestamp: '2026-11-25T10:30:00Z', series: { lastObservedTime: '2026-11-25T10:45:00.500000Z' } }),
    at('2026-11-25T10:45:00.500Z'),
  );
  assert.ok(Number.isNaN(lastObserved({ metadata: {} })));
});

test('--event-ttl takes Go durations', () => {
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('3s'), 3000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('0'), 0);
  assert.throws(() => parseDuration('10'), /invalid duration "10"/);
  assert.throws(() => parseDuration('1d'), /invalid duration/);
});
