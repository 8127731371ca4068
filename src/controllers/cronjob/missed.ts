/**
 * Which scheduled time a CronJob should run now (kube's mostRecentScheduleTime): the latest schedule time
 * after the last one run (or the CronJob's creation) and not after now, bounded below by startingDeadlineSeconds;
 * with how many times were missed, which kube warns about past 100.
 */
import type { Schedule } from './schedule.js';

/** Past this many missed start times kube records TooManyMissedTimes. */
export const MAX_MISSED_START_TIMES = 100;
/** Steps walked one by one before extrapolating a regular interval (a CronJob idle for years). */
const MAX_WALK = 1000;

export interface ScheduleDecision {
  /** The most recent schedule time not yet run, if any (ms). */
  scheduled?: number;
  /** How many schedule times passed since the earliest time considered. */
  missed: number;
  /** The first schedule time after now (ms). */
  next?: number;
}

/**
 * `lastScheduleMs` is status.lastScheduleTime (else the creation time); `startingDeadlineSeconds` narrows how far
 * back to look, as kube does, so a CronJob that was down for long starts only what is still in time.
 */
export function mostRecentScheduleTime(schedule: Schedule, lastScheduleMs: number, nowMs: number, startingDeadlineSeconds?: number): ScheduleDecision {
  let earliest = lastScheduleMs;
  if (startingDeadlineSeconds != null) earliest = Math.max(earliest, nowMs - startingDeadlineSeconds * 1000);
  let scheduled: number | undefined;
  let missed = 0;
  let t = schedule.next(earliest);
  let walked = 0;
  while (t !== undefined && t <= nowMs) {
    const prev = t;
    scheduled = t;
    missed++;
    t = schedule.next(t);
    if (++walked === MAX_WALK && t !== undefined && t <= nowMs) {
      // Jump ahead by whole intervals, leaving the last few to walk exactly.
      const interval = t - prev;
      const skip = Math.floor((nowMs - t) / interval) - 2;
      if (skip > 0) {
        missed += skip;
        t = schedule.next(t + skip * interval - 1) ?? t + skip * interval;
      }
    }
  }
  return { ...(scheduled !== undefined ? { scheduled } : {}), missed, ...(schedule.next(nowMs) !== undefined ? { next: schedule.next(nowMs)! } : {}) };
}
