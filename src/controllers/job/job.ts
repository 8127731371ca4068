/**
 * The Job controller (kube's job-controller): runs a job's pods to completion. Each sync counts the job's
 * finished pods, releases them from the `batch.kubernetes.io/job-tracking` finalizer only once their UIDs are
 * in status.uncountedTerminatedPods (so a result is counted exactly once even if the pod is then deleted),
 * creates or deletes pods toward parallelism and completions (per index for Indexed jobs), and writes the
 * status kube writes. The decisions are in plan.ts; this file reads caches and performs writes.
 */
import type { JobStatus } from 'kubernetes-types/batch/v1.js';
import { Controller } from '../../client/controller.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { UIDTrackingControllerExpectations } from '../../client/expectations.js';
import { metaNamespaceKey, OWNER_UID_INDEX, ownerUIDIndexFunc, splitMetaNamespaceKey } from '../../client/indexer.js';
import type { SharedInformer } from '../../client/informer.js';
import { PODS } from '../../client/resources.js';
import type { ResourceClient } from '../../client/client.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { isFinished, JOB_TRACKING_FINALIZER, planJob } from './plan.js';
import { controllingJobKey, JOBS, podForJob, type JobObject, type PodObject } from './pods.js';

/** Keys of orphaned pods (their job is gone) whose finalizer must come off. */
const ORPHAN_POD_PREFIX = 'pod:';

export class JobController implements ManagedController {
  readonly name = 'job-controller';
  private readonly controller: Controller;
  private readonly recorder: EventRecorder;
  readonly expectations = new UIDTrackingControllerExpectations();
  private jobs!: SharedInformer<JobObject>;
  private pods!: SharedInformer<PodObject>;

  constructor(private readonly ctx: ControllerContext) {
    const log = ctx.logger.child({ controller: this.name });
    this.controller = new Controller({ name: this.name, sync: (key) => this.syncJob(key), logger: log });
    this.recorder = new EventRecorder(ctx.client, 'job-controller', '', log);
  }

  async init(): Promise<void> {
    this.jobs = this.ctx.informers.informerFor<JobObject>(JOBS);
    this.pods = this.ctx.informers.informerFor<PodObject>(PODS);
    this.pods.addIndexers({ [OWNER_UID_INDEX]: ownerUIDIndexFunc });
    this.jobs.addEventHandler({
      onAdd: (job) => this.controller.enqueue(metaNamespaceKey(job)),
      onUpdate: (_old, job) => this.controller.enqueue(metaNamespaceKey(job)),
      onDelete: (job) => this.expectations.deleteExpectations(metaNamespaceKey(job)),
    });
    this.pods.addEventHandler({
      onAdd: (pod) => {
        const key = controllingJobKey(pod);
        if (!key) return;
        this.expectations.creationObserved(key);
        if (pod.metadata.deletionTimestamp) this.expectations.deletionObservedOf(key, metaNamespaceKey(pod));
        this.enqueuePod(key, pod);
      },
      onUpdate: (_old, pod) => {
        const key = controllingJobKey(pod);
        if (!key) return;
        if (pod.metadata.deletionTimestamp) this.expectations.deletionObservedOf(key, metaNamespaceKey(pod));
        this.enqueuePod(key, pod);
      },
      onDelete: (pod) => {
        const key = controllingJobKey(pod);
        if (!key) return;
        this.expectations.deletionObservedOf(key, metaNamespaceKey(pod));
        this.controller.enqueue(key);
      },
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.jobs.waitForSync(), this.pods.waitForSync()]);
    this.controller.run(4);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  /** Wakes the pod's job, or (job gone) takes the pod's tracking finalizer off. */
  private enqueuePod(jobKey: string, pod: PodObject): void {
    if (this.jobs.indexer.get(jobKey)) this.controller.enqueue(jobKey);
    else if ((pod.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)) this.controller.enqueue(ORPHAN_POD_PREFIX + metaNamespaceKey(pod));
  }

  /** One sync of a job key (or of an orphaned pod's `pod:` key); throws to be retried. */
  async syncJob(key: string): Promise<void> {
    if (key.startsWith(ORPHAN_POD_PREFIX)) {
      const pod = this.pods.indexer.get(key.slice(ORPHAN_POD_PREFIX.length));
      const jobKey = pod && controllingJobKey(pod);
      if (pod && jobKey && !this.jobs.indexer.get(jobKey)) await this.releasePods([pod]);
      return;
    }
    const job = this.jobs.indexer.get(key);
    if (!job) {
      this.expectations.deleteExpectations(key);
      return;
    }
    const uid = job.metadata.uid!;
    const pods = this.pods.indexer.byIndex(OWNER_UID_INDEX, uid).filter((p) => (p.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.controller));
    if (isFinished(job) || job.metadata.deletionTimestamp) {
      await this.releasePods(pods.filter((p) => (p.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)));
      return;
    }
    const plan = planJob(job, pods, Date.now(), this.expectations.satisfiedExpectations(key));
    const jobs = this.ctx.client.resource<JobObject>(JOBS).namespace(job.metadata.namespace!);
    let current = job;
    if (plan.uncountedChanged) {
      // Results first go to uncountedTerminatedPods: once the finalizers are off, the pods may vanish.
      // It may carry FailureTarget (a FailJob rule must not be forgotten), never a terminal condition: a job
      // is Complete or Failed only with every result counted.
      const conditions = (plan.status.conditions ?? []).filter((c) => c.type !== 'Complete' && c.type !== 'Failed');
      const interim: JobStatus = { ...job.status, conditions, uncountedTerminatedPods: plan.uncounted };
      current = await this.writeStatus(jobs, current, interim);
    }
    await this.releasePods(plan.releasePods);
    await this.managePods(key, current, plan.create, plan.deletePods);
    if (statusChanged(current.status ?? {}, plan.status)) await this.writeStatus(jobs, current, plan.status);
    for (const e of plan.events) void this.recorder.event(current, e.type, e.reason, e.message);
    if (plan.requeueAfterMs !== undefined) this.controller.enqueueAfter(key, plan.requeueAfterMs + 50);
  }

  private async writeStatus(jobs: ResourceClient<JobObject>, job: JobObject, status: JobStatus): Promise<JobObject> {
    try {
      return await jobs.updateStatus({ ...job, status });
    } catch (err) {
      // A stale cache: the next event for the job brings a fresh copy and the sync runs again.
      if (isConflict(err)) this.controller.log.debug({ job: job.metadata.name }, 'job status conflict; retrying');
      throw err;
    }
  }

  private async managePods(key: string, job: JobObject, create: Array<number | undefined>, remove: PodObject[]): Promise<void> {
    const { namespace } = splitMetaNamespaceKey(key);
    const pods = this.ctx.client.resource<PodObject>(PODS).namespace(namespace);
    if (remove.length) {
      this.expectations.expectDeletionsOf(key, remove.map((p) => metaNamespaceKey(p)));
      await Promise.all(
        remove.map(async (pod) => {
          try {
            await pods.delete(pod.metadata.name!, { preconditions: { uid: pod.metadata.uid! } });
            void this.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
          } catch (err) {
            this.expectations.deletionObservedOf(key, metaNamespaceKey(pod));
            if (!isNotFound(err)) throw err;
          }
        }),
      );
    }
    if (create.length) {
      this.expectations.expectCreations(key, create.length);
      const errors: unknown[] = [];
      await Promise.all(
        create.map(async (index) => {
          try {
            const pod = await pods.create(podForJob(job, index));
            void this.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
          } catch (err) {
            this.expectations.creationObserved(key);
            errors.push(err);
          }
        }),
      );
      if (errors.length) throw errors[0];
    }
  }

  /** Takes the tracking finalizer off pods whose result is recorded (a pod already gone is fine). */
  private async releasePods(pods: PodObject[]): Promise<void> {
    await Promise.all(
      pods.map(async (pod) => {
        const finalizers = (pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
        try {
          await this.ctx.client
            .resource<PodObject>(PODS)
            .namespace(pod.metadata.namespace!)
            .patch(pod.metadata.name!, 'json', [
              { op: 'test', path: '/metadata/uid', value: pod.metadata.uid },
              { op: 'replace', path: '/metadata/finalizers', value: finalizers },
            ]);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }),
    );
  }
}

/** Whether the status to write differs from the stored one (probe times aside, nothing is written for nothing). */
function statusChanged(old: JobStatus, next: JobStatus): boolean {
  return JSON.stringify(normalize(old)) !== JSON.stringify(normalize(next));
}

function normalize(s: JobStatus): unknown {
  const { conditions, ...rest } = s;
  const sorted = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && v !== 0).sort(([a], [b]) => a.localeCompare(b)));
  const u = s.uncountedTerminatedPods;
  return { ...sorted, uncountedTerminatedPods: (u?.succeeded?.length ?? 0) + (u?.failed?.length ?? 0), conditions: (conditions ?? []).map((c) => [c.type, c.status, c.reason]) };
}
