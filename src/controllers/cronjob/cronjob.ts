/**
 * The CronJob controller (kube's cronjob-controller v2): keeps status.active in step with the jobs it owns,
 * removes finished jobs beyond the history limits, and at each schedule time (in spec.timeZone) creates the
 * job `<cronjob>-<scheduled time in minutes>` unless suspended, too late (startingDeadlineSeconds) or held back
 * by the concurrency policy (Forbid skips, Replace deletes the running jobs). Each sync requeues itself for
 * the next schedule time, so no periodic polling is needed.
 */
import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import { Controller } from '../../client/controller.js';
import { isAlreadyExists, isNotFound } from '../../client/errors.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { OWNER_UID_INDEX, ownerUIDIndexFunc } from '../../client/indexer.js';
import type { SharedInformer } from '../../client/informer.js';
import { builtinResource } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { isFinished } from '../job/plan.js';
import { JOBS, type JobObject } from '../job/pods.js';
import { MAX_MISSED_START_TIMES, mostRecentScheduleTime } from './missed.js';
import { formatInZone, parseSchedule, type Schedule } from './schedule.js';
import { rfc3339 } from '../../apimachinery/time.js';

export const CRONJOBS = builtinResource('batch', 'v1', 'cronjobs');
/** The annotation recording which schedule time a job was created for. */
export const CRONJOB_SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

type CronJobObject = CronJob & KubeObject;

const isComplete = (job: Job): boolean => (job.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');

/** The name of the job for a schedule time: the time in minutes since the epoch (kube's getTimeHashInMinutes). */
export function jobNameFor(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60_000)}`;
}

/** The job a CronJob creates for `scheduledMs`. */
export function jobFromCronJob(cj: CronJobObject, scheduledMs: number): JobObject {
  const template = structuredClone(cj.spec!.jobTemplate);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj.metadata.name!, scheduledMs),
      namespace: cj.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      annotations: { ...(template.metadata?.annotations ?? {}), [CRONJOB_SCHEDULED_TIMESTAMP]: formatInZone(scheduledMs, cj.spec?.timeZone ?? 'UTC') },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name!, uid: cj.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: template.spec,
  } as JobObject;
}

function jobRef(job: JobObject): ObjectReference {
  return { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, namespace: job.metadata.namespace, uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion };
}

/** When a finished job finished, for ordering the history (oldest goes first). */
function finishedAt(job: Job): string {
  return job.status?.completionTime ?? job.status?.conditions?.find((c) => c.type === 'Failed')?.lastTransitionTime ?? job.metadata?.creationTimestamp ?? '';
}

export class CronJobController implements ManagedController {
  readonly name = 'cronjob-controller';
  private readonly controller: Controller;
  private readonly recorder: EventRecorder;
  private cronJobs!: SharedInformer<CronJobObject>;
  private jobs!: SharedInformer<JobObject>;

  constructor(private readonly ctx: ControllerContext) {
    const log = ctx.logger.child({ controller: this.name });
    this.controller = new Controller({ name: this.name, sync: (key) => this.syncCronJob(key), logger: log });
    this.recorder = new EventRecorder(ctx.client, 'cronjob-controller', '', log);
  }

  async init(): Promise<void> {
    this.cronJobs = this.ctx.informers.informerFor<CronJobObject>(CRONJOBS);
    this.jobs = this.ctx.informers.informerFor<JobObject>(JOBS);
    this.jobs.addIndexers({ [OWNER_UID_INDEX]: ownerUIDIndexFunc });
    this.cronJobs.addEventHandler(this.controller.handler());
    const owner = (job: JobObject): string | undefined => {
      const ref = (job.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === 'CronJob');
      return ref ? `${job.metadata.namespace}/${ref.name}` : undefined;
    };
    this.jobs.addEventHandler(this.controller.handler(owner));
  }

  async run(): Promise<void> {
    await Promise.all([this.cronJobs.waitForSync(), this.jobs.waitForSync()]);
    this.controller.run(2);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  /** One sync of a CronJob key: status, history, and the run that is due; requeues for the next one. */
  async syncCronJob(key: string, nowMs = Date.now()): Promise<void> {
    const cj = this.cronJobs.indexer.get(key);
    if (!cj) return;
    const ns = cj.metadata.namespace!;
    const jobsClient = this.ctx.client.resource<JobObject>(JOBS).namespace(ns);
    const owned = this.jobs.indexer.byIndex(OWNER_UID_INDEX, cj.metadata.uid!).filter((j) => (j.metadata.ownerReferences ?? []).some((r) => r.uid === cj.metadata.uid && r.controller));
    const old = cj.status ?? {};
    let lastSuccessful = old.lastSuccessfulTime;
    const active: ObjectReference[] = [];
    for (const job of owned) {
      const wasActive = (old.active ?? []).some((r) => r.uid === job.metadata.uid);
      if (!isFinished(job)) {
        // Running jobs it owns are active, also those it did not create itself (`kubectl create job --from`).
        active.push(jobRef(job));
        continue;
      }
      if (wasActive) void this.recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, condition: ${isComplete(job) ? 'Complete' : 'Failed'}`);
      if (isComplete(job) && job.status?.completionTime && (!lastSuccessful || job.status.completionTime > lastSuccessful)) lastSuccessful = job.status.completionTime;
    }
    // A job created moments ago may not be in the cache yet: keep it while the server still has it.
    for (const ref of old.active ?? []) {
      if (active.some((r) => r.uid === ref.uid) || owned.some((j) => j.metadata.uid === ref.uid)) continue;
      try {
        const job = await jobsClient.get(ref.name ?? '');
        if (job.metadata.uid === ref.uid && !isFinished(job)) active.push(ref);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        void this.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
      }
    }
    await this.cleanupHistory(cj, owned);

    const status: CronJobStatus = { ...old, active };
    if (lastSuccessful) status.lastSuccessfulTime = lastSuccessful;
    const finish = async (requeueAtMs?: number): Promise<void> => {
      await this.writeStatus(cj, status);
      if (requeueAtMs !== undefined) this.controller.enqueueAfter(key, Math.max(0, requeueAtMs - Date.now()) + 100);
    };
    if (cj.metadata.deletionTimestamp || cj.spec?.suspend) return finish();

    let schedule: Schedule;
    try {
      schedule = parseSchedule(cj.spec!.schedule, cj.spec?.timeZone ?? undefined);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const reason = message.startsWith('provided bad location') ? 'UnknownTimeZone' : 'UnparseableSchedule';
      void this.recorder.event(cj, 'Warning', reason, `unparseable schedule: ${JSON.stringify(cj.spec!.schedule)} : ${message}`);
      return finish();
    }
    const now = nowMs;
    const since = Date.parse(old.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '') || now;
    const decision = mostRecentScheduleTime(schedule, since, now, cj.spec?.startingDeadlineSeconds ?? undefined);
    if (decision.missed > MAX_MISSED_START_TIMES) {
      void this.recorder.event(cj, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${decision.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    }
    const scheduled = decision.scheduled;
    if (scheduled === undefined) return finish(decision.next);
    const deadline = cj.spec?.startingDeadlineSeconds;
    if (deadline != null && scheduled + deadline * 1000 < now) {
      void this.recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${formatInZone(scheduled, cj.spec?.timeZone ?? 'UTC')}`);
      return finish(decision.next);
    }
    const name = jobNameFor(cj.metadata.name!, scheduled);
    if (active.some((r) => r.name === name) || (old.lastScheduleTime && Date.parse(old.lastScheduleTime) >= scheduled)) return finish(decision.next);
    const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && active.length > 0) {
      void this.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return finish(decision.next);
    }
    if (policy === 'Replace') {
      for (const ref of active.splice(0)) {
        try {
          await jobsClient.delete(ref.name ?? '', { propagationPolicy: 'Background', preconditions: { uid: ref.uid! } });
          void this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${ref.name}`);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
    let created: JobObject;
    try {
      created = await jobsClient.create(jobFromCronJob(cj, scheduled));
      void this.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
    } catch (err) {
      if (!isAlreadyExists(err)) {
        void this.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
      // Created by an earlier sync whose status write was lost: take it as this run's job.
      created = await jobsClient.get(name);
    }
    if (!isFinished(created) && !active.some((r) => r.uid === created.metadata.uid)) active.push(jobRef(created));
    status.lastScheduleTime = rfc3339(scheduled);
    return finish(decision.next);
  }

  /** Deletes the oldest finished jobs beyond successfulJobsHistoryLimit and failedJobsHistoryLimit. */
  private async cleanupHistory(cj: CronJobObject, owned: JobObject[]): Promise<void> {
    const jobsClient = this.ctx.client.resource<JobObject>(JOBS).namespace(cj.metadata.namespace!);
    const finished = owned.filter((j) => isFinished(j) && !j.metadata.deletionTimestamp).sort((a, b) => finishedAt(a).localeCompare(finishedAt(b)));
    const prune = async (jobs: JobObject[], limit: number | undefined): Promise<void> => {
      if (limit == null) return;
      for (const job of jobs.slice(0, Math.max(0, jobs.length - limit))) {
        try {
          await jobsClient.delete(job.metadata.name!, { propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid! } });
          void this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    };
    await prune(finished.filter(isComplete), cj.spec?.successfulJobsHistoryLimit ?? undefined);
    await prune(finished.filter((j) => !isComplete(j)), cj.spec?.failedJobsHistoryLimit ?? undefined);
  }

  private async writeStatus(cj: CronJobObject, status: CronJobStatus): Promise<void> {
    const next: CronJobStatus = { ...status };
    if (!next.active?.length) delete next.active;
    const same = (a: CronJobStatus): string => JSON.stringify([(a.active ?? []).map((r) => r.uid).sort(), a.lastScheduleTime, a.lastSuccessfulTime]);
    if (same(cj.status ?? {}) === same(next)) return;
    await this.ctx.client.resource<CronJobObject>(CRONJOBS).namespace(cj.metadata.namespace!).updateStatus({ ...cj, status: next });
  }
}
