/** CronJob schedules: parsing, next run times (in time zones), missed start times, and job naming. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jobFromCronJob, jobNameFor, CRONJOB_SCHEDULED_TIMESTAMP } from '../../src/controllers/cronjob/cronjob.js';
import { mostRecentScheduleTime } from '../../src/controllers/cronjob/missed.js';
import { formatInZone, parseSchedule } from '../../src/controllers/cronjob/schedule.js';

const t = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The next `n` run times after `from`. */
function runs(schedule: string, from: string, n: number, tz?: string): string[] {
  const s = parseSchedule(schedule, tz);
  const out: string[] = [];
  let at = t(from);
  for (let i = 0; i < n; i++) {
    at = s.next(at)!;
    out.push(new Date(at).toISOString());
  }
  return out;
}

describe('cron schedule parsing and next times', () => {
  test('every minute, steps, ranges and lists', () => {
    assert.deepEqual(runs('*/1 * * * *', '2026-01-01T10:00:30Z', 2), ['2026-01-01T10:01:00.000Z', '2026-01-01T10:02:00.000Z']);
    // Strictly after: a time on the schedule is not its own next time.
    assert.deepEqual(runs('* * * * *', '2026-01-01T10:00:00Z', 1), ['2026-01-01T10:01:00.000Z']);
    assert.deepEqual(runs('*/15 9-10 * * *', '2026-01-01T10:40:00Z', 3), ['2026-01-01T10:45:00.000Z', '2026-01-02T09:00:00.000Z', '2026-01-02T09:15:00.000Z']);
    assert.deepEqual(runs('5,35 */6 * * *', '2026-01-01T00:10:00Z', 3), ['2026-01-01T00:35:00.000Z', '2026-01-01T06:05:00.000Z', '2026-01-01T06:35:00.000Z']);
    // `a/step` runs from a to the end of the range.
    assert.deepEqual(runs('50/5 0 * * *', '2026-01-01T00:00:00Z', 3), ['2026-01-01T00:50:00.000Z', '2026-01-01T00:55:00.000Z', '2026-01-02T00:50:00.000Z']);
  });

  test('month and weekday names, Sunday as 0 or 7, and day-of-month OR day-of-week when both are set', () => {
    // 2026-01-01 is a Thursday.
    assert.deepEqual(runs('0 12 * * MON-FRI', '2026-01-02T13:00:00Z', 1), ['2026-01-05T12:00:00.000Z']);
    assert.deepEqual(runs('0 0 * * 7', '2026-01-01T00:00:00Z', 1), ['2026-01-04T00:00:00.000Z']);
    assert.deepEqual(runs('0 0 * * 0', '2026-01-01T00:00:00Z', 1), ['2026-01-04T00:00:00.000Z']);
    assert.deepEqual(runs('0 0 1 feb *', '2026-01-01T00:00:00Z', 1), ['2026-02-01T00:00:00.000Z']);
    // The 13th or any Friday.
    assert.deepEqual(runs('0 0 13 * 5', '2026-01-01T00:00:00Z', 3), ['2026-01-02T00:00:00.000Z', '2026-01-09T00:00:00.000Z', '2026-01-13T00:00:00.000Z']);
    // Feb 29 is found years ahead.
    assert.deepEqual(runs('0 0 29 2 *', '2026-01-01T00:00:00Z', 1), ['2028-02-29T00:00:00.000Z']);
  });

  test('macros and @every', () => {
    assert.deepEqual(runs('@hourly', '2026-01-01T10:20:00Z', 1), ['2026-01-01T11:00:00.000Z']);
    assert.deepEqual(runs('@daily', '2026-01-01T10:20:00Z', 1), ['2026-01-02T00:00:00.000Z']);
    assert.deepEqual(runs('@midnight', '2026-01-01T10:20:00Z', 1), ['2026-01-02T00:00:00.000Z']);
    assert.deepEqual(runs('@weekly', '2026-01-01T10:20:00Z', 1), ['2026-01-04T00:00:00.000Z']);
    assert.deepEqual(runs('@monthly', '2026-01-01T10:20:00Z', 1), ['2026-02-01T00:00:00.000Z']);
    assert.deepEqual(runs('@yearly', '2026-01-01T10:20:00Z', 1), ['2027-01-01T00:00:00.000Z']);
    assert.deepEqual(runs('@annually', '2026-01-01T10:20:00Z', 1), ['2027-01-01T00:00:00.000Z']);
    assert.deepEqual(runs('@every 1h30m', '2026-01-01T10:20:00Z', 2), ['2026-01-01T11:50:00.000Z', '2026-01-01T13:20:00.000Z']);
  });

  test('time zones: spec.timeZone and the TZ= prefix, across a DST change', () => {
    // 09:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer (DST starts 2026-03-08).
    assert.deepEqual(runs('0 9 * * *', '2026-03-06T15:00:00Z', 3, 'America/New_York'), ['2026-03-07T14:00:00.000Z', '2026-03-08T13:00:00.000Z', '2026-03-09T13:00:00.000Z']);
    assert.deepEqual(runs('TZ=Asia/Tokyo 0 9 * * *', '2026-01-01T00:00:00Z', 1), ['2026-01-02T00:00:00.000Z']);
    assert.deepEqual(runs('CRON_TZ=Europe/Berlin 30 0 * * *', '2026-07-01T00:00:00Z', 1), ['2026-07-01T22:30:00.000Z']);
  });

  test('bad schedules are refused with robfig-style messages', () => {
    assert.throws(() => parseSchedule('* * * *'), /expected exactly 5 fields, found 4/);
    assert.throws(() => parseSchedule('60 * * * *'), /end of range \(60\) above maximum \(59\)/);
    assert.throws(() => parseSchedule('5-1 * * * *'), /beginning of range \(5\) beyond end of range \(1\)/);
    assert.throws(() => parseSchedule('x * * * *'), /failed to parse int from x/);
    assert.throws(() => parseSchedule('@fortnightly'), /unrecognized descriptor: @fortnightly/);
    assert.throws(() => parseSchedule('* * * * *', 'Mars/Olympus'), /unknown time zone Mars\/Olympus/);
    assert.throws(() => parseSchedule('*/0 * * * *'), /step of range should be a positive number/);
  });

  test('the scheduled timestamp is RFC 3339 in the CronJob time zone', () => {
    assert.equal(formatInZone(t('2026-01-01T10:01:00Z')), '2026-01-01T10:01:00Z');
    assert.equal(formatInZone(t('2026-01-01T10:01:00Z'), 'Europe/Berlin'), '2026-01-01T11:01:00+01:00');
    assert.equal(formatInZone(t('2026-01-01T10:01:00Z'), 'America/New_York'), '2026-01-01T05:01:00-05:00');
  });
});

describe('missed start times', () => {
  const everyMinute = parseSchedule('*/1 * * * *');

  test('nothing is due before the first schedule time; then the most recent one', () => {
    assert.deepEqual(mostRecentScheduleTime(everyMinute, t('2026-01-01T10:00:10Z'), t('2026-01-01T10:00:50Z')), { missed: 0, next: t('2026-01-01T10:01:00Z') });
    const d = mostRecentScheduleTime(everyMinute, t('2026-01-01T10:00:10Z'), t('2026-01-01T10:03:05Z'));
    assert.equal(iso(d.scheduled), '2026-01-01T10:03:00.000Z');
    assert.equal(d.missed, 3);
    assert.equal(iso(d.next), '2026-01-01T10:04:00.000Z');
  });

  test('startingDeadlineSeconds bounds how far back to look', () => {
    // Down for an hour: without a deadline 60 runs were missed; with 90 s only the last one (11:00; 10:59 is the bound itself) counts.
    const down = mostRecentScheduleTime(everyMinute, t('2026-01-01T10:00:00Z'), t('2026-01-01T11:00:30Z'));
    assert.equal(down.missed, 60);
    const bounded = mostRecentScheduleTime(everyMinute, t('2026-01-01T10:00:00Z'), t('2026-01-01T11:00:30Z'), 90);
    assert.equal(bounded.missed, 1);
    assert.equal(iso(bounded.scheduled), '2026-01-01T11:00:00.000Z');
  });

  test('more than 100 missed times are counted (kube warns: too many missed start times), even over years', () => {
    const d = mostRecentScheduleTime(everyMinute, t('2026-01-01T00:00:00Z'), t('2026-01-01T03:00:30Z'));
    assert.equal(d.missed, 180);
    const years = mostRecentScheduleTime(everyMinute, t('2020-01-01T00:00:00Z'), t('2026-01-01T00:00:30Z'));
    assert.equal(iso(years.scheduled), '2026-01-01T00:00:00.000Z');
    assert.ok(years.missed > 3_000_000, String(years.missed));
  });
});

describe('jobs a CronJob creates', () => {
  test('are named by the scheduled time in minutes and carry the scheduled-timestamp annotation and owner', () => {
    const at = t('2026-01-01T10:01:00Z');
    assert.equal(jobNameFor('hello', at), `hello-${at / 60_000}`);
    const job = jobFromCronJob(
      {
        metadata: { name: 'hello', namespace: 'default', uid: 'u1' },
        spec: { schedule: '* * * * *', timeZone: 'Europe/Berlin', jobTemplate: { metadata: { labels: { app: 'x' } }, spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } } },
      },
      at,
    );
    assert.equal(job.metadata.name, `hello-${at / 60_000}`);
    assert.deepEqual(job.metadata.labels, { app: 'x' });
    assert.equal(job.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP], '2026-01-01T11:01:00+01:00');
    assert.deepEqual(job.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
  });
});
