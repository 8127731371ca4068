/**
 * The TTL-after-finished controller (kube's ttl-after-finished-controller): deletes a finished Job (Complete
 * or Failed) once spec.ttlSecondsAfterFinished has passed since it finished, with its pods (foreground
 * propagation, as kube), and wakes up again for jobs whose time has not come yet.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import { Controller } from '../../client/controller.js';
import { isNotFound } from '../../client/errors.js';
import type { SharedInformer } from '../../client/informer.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { JOBS, type JobObject } from '../job/pods.js';

/** When the job finished (its Complete or Failed condition's transition), if it has. */
export function finishTime(job: Job): number | undefined {
  const c = (job.status?.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  if (!c) return undefined;
  const t = Date.parse(c.lastTransitionTime ?? '');
  return Number.isFinite(t) ? t : undefined;
}

/** When a finished job with a TTL expires (ms), or undefined when it has no TTL or has not finished. */
export function expiresAt(job: Job): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  const finished = finishTime(job);
  if (ttl == null || finished === undefined || job.metadata?.deletionTimestamp) return undefined;
  return finished + ttl * 1000;
}

export class TTLAfterFinishedController implements ManagedController {
  readonly name = 'ttl-after-finished-controller';
  private readonly controller: Controller;
  private jobs!: SharedInformer<JobObject>;

  constructor(private readonly ctx: ControllerContext) {
    this.controller = new Controller({ name: this.name, sync: (key) => this.syncJob(key), logger: ctx.logger.child({ controller: this.name }) });
  }

  async init(): Promise<void> {
    this.jobs = this.ctx.informers.informerFor<JobObject>(JOBS);
    const handler = this.controller.handler<JobObject>((job) => (job.spec?.ttlSecondsAfterFinished != null ? `${job.metadata.namespace}/${job.metadata.name}` : undefined));
    this.jobs.addEventHandler({ onAdd: handler.onAdd!, onUpdate: handler.onUpdate! });
  }

  async run(): Promise<void> {
    await this.jobs.waitForSync();
    this.controller.run(2);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  /** One sync of a job key: deletes it once expired, else wakes up again at expiry. */
  async syncJob(key: string): Promise<void> {
    const job = this.jobs.indexer.get(key);
    if (!job) return;
    const at = expiresAt(job);
    if (at === undefined) return;
    const now = Date.now();
    if (at > now) {
      this.controller.enqueueAfter(key, at - now + 50);
      return;
    }
    try {
      // The uid precondition: a job recreated under the same name is not deleted by mistake.
      await this.ctx.client
        .resource<JobObject>(JOBS)
        .namespace(job.metadata.namespace!)
        .delete(job.metadata.name!, { propagationPolicy: 'Foreground', preconditions: { uid: job.metadata.uid! } });
      this.controller.log.info({ job: key }, 'deleted finished job after its TTL');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
