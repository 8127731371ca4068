/**
 * Job and CronJob controllers on fake informers against a fake apiserver: the writes each sync makes, in order
 * (results recorded before finalizers come off), expectations against duplicate creates, orphaned pods
 * released, and CronJob runs: due, not yet due, Forbid, Replace, history limits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { PODS } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { CRONJOBS, CronJobController } from '../../src/controllers/cronjob/cronjob.js';
import { JobController } from '../../src/controllers/job/job.js';
import { JOB_TRACKING_FINALIZER } from '../../src/controllers/job/plan.js';
import { JOBS } from '../../src/controllers/job/pods.js';
import { expiresAt, TTLAfterFinishedController } from '../../src/controllers/ttlafterfinished/ttlafterfinished.js';
import { fakeContext, type RecordedRequest } from './fake-client.js';

type JobObject = Job & KubeObject;
type PodObject = Pod & KubeObject;
type CronJobObject = CronJob & KubeObject;

function job(spec: Partial<Job['spec']> = {}, status: Job['status'] = {}, extra: Partial<JobObject['metadata']> = {}): JobObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'ns', uid: 'job-uid', resourceVersion: '5', ...extra },
    spec: { completions: 3, parallelism: 2, backoffLimit: 6, completionMode: 'NonIndexed', template: { metadata: { labels: { 'job-name': 'pi' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } }, ...spec },
    status,
  } as JobObject;
}

function pod(name: string, phase: string, finalizer = true, owner: { kind: string; name: string; uid: string } = { kind: 'Job', name: 'pi', uid: 'job-uid' }): PodObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      creationTimestamp: '2026-01-01T00:00:00Z',
      ...(finalizer ? { finalizers: [JOB_TRACKING_FINALIZER] } : {}),
      ownerReferences: [{ apiVersion: 'batch/v1', ...owner, controller: true }],
    },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    status: { phase },
  };
}

/** A Job controller over fake informers holding `jobs` and `pods`; the fake server echoes writes back. */
async function jobController(jobs: JobObject[], pods: PodObject[]) {
  let n = 0;
  const fake = fakeContext((req) => {
    if (req.method === 'POST') {
      const meta = req.body!['metadata'] as Record<string, unknown>;
      return { status: 201, body: { ...req.body, metadata: { ...meta, name: `${String(meta['generateName'])}${n++}`, uid: `new-${n}` } } };
    }
    return { status: 200, body: req.body ?? {} };
  });
  const ctl = new JobController(fake.ctx);
  await ctl.init();
  for (const j of jobs) fake.ctx.informers.informerFor<JobObject>(JOBS).indexer.upsert(j);
  for (const p of pods) fake.ctx.informers.informerFor<PodObject>(PODS).indexer.upsert(p);
  return { ctl, requests: fake.requests };
}

const verbs = (rs: RecordedRequest[]): string[] => rs.map((r) => `${r.method} ${r.path.replace(/\?.*$/, '')}`);

describe('Job controller sync', () => {
  test('creates parallelism pods once; expectations hold back a second sync until the creates are seen', async () => {
    const { ctl, requests } = await jobController([job()], []);
    await ctl.syncJob('ns/pi');
    const creates = requests((r) => r.method === 'POST');
    assert.equal(creates.length, 2);
    const meta = creates[0]!.body!['metadata'] as { generateName: string; finalizers: string[]; labels: Record<string, string> };
    assert.equal(meta.generateName, 'pi-');
    assert.deepEqual(meta.finalizers, [JOB_TRACKING_FINALIZER]);
    assert.equal(meta.labels['job-name'], 'pi');
    const status = requests((r) => r.method === 'PUT').at(-1)!.body!['status'] as Job['status'];
    assert.equal(status!.active, 2);
    await ctl.syncJob('ns/pi');
    assert.equal(requests((r) => r.method === 'POST').length, 2);
    ctl.expectations.creationObserved('ns/pi');
    ctl.expectations.creationObserved('ns/pi');
    await ctl.syncJob('ns/pi');
    assert.equal(requests((r) => r.method === 'POST').length, 4, 'observed, and the cache still shows none: create again');
  });

  test('a finished pod is written to uncountedTerminatedPods, released, then counted', async () => {
    const { ctl, requests } = await jobController([job({}, { startTime: '2026-01-01T00:00:00Z', active: 2 })], [pod('a', 'Succeeded'), pod('b', 'Running')]);
    await ctl.syncJob('ns/pi');
    assert.deepEqual(verbs(requests()), [
      'PUT /apis/batch/v1/namespaces/ns/jobs/pi/status',
      'PATCH /api/v1/namespaces/ns/pods/a',
      'POST /api/v1/namespaces/ns/pods',
      'PUT /apis/batch/v1/namespaces/ns/jobs/pi/status',
    ]);
    const [interim, , , final] = requests();
    assert.deepEqual((interim!.body!['status'] as Job['status'])!.uncountedTerminatedPods, { succeeded: ['uid-a'], failed: [] });
    assert.equal((interim!.body!['status'] as Job['status'])!.succeeded, undefined);
    assert.deepEqual(requests()[1]!.body, [
      { op: 'test', path: '/metadata/uid', value: 'uid-a' },
      { op: 'replace', path: '/metadata/finalizers', value: [] },
    ]);
    const status = final!.body!['status'] as Job['status'];
    assert.equal(status!.succeeded, 1);
    assert.deepEqual(status!.uncountedTerminatedPods, {});
  });

  test('pods of a deleted job are released from the tracking finalizer', async () => {
    const running = pod('o', 'Running');
    const orphan = { ...running, metadata: { ...running.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    const { ctl, requests } = await jobController([], [orphan]);
    await ctl.syncJob('pod:ns/o');
    assert.deepEqual(verbs(requests()), ['PATCH /api/v1/namespaces/ns/pods/o']);
  });

  test('a finished job writes nothing more and only releases leftover pods', async () => {
    const done = job({}, { succeeded: 3, conditions: [{ type: 'Complete', status: 'True' }] });
    const { ctl, requests } = await jobController([done], [pod('x', 'Succeeded', false), pod('y', 'Failed')]);
    await ctl.syncJob('ns/pi');
    assert.deepEqual(verbs(requests()), ['PATCH /api/v1/namespaces/ns/pods/y']);
  });
});

const T0 = Date.parse('2026-01-01T10:00:00Z');

function cronJob(spec: Partial<CronJob['spec']> = {}, status: CronJob['status'] = {}): CronJobObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: 'ns', uid: 'cj-uid', resourceVersion: '3', creationTimestamp: '2026-01-01T09:58:30Z' },
    spec: { schedule: '*/1 * * * *', concurrencyPolicy: 'Allow', successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1, jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } } }, ...spec },
    status,
  } as CronJobObject;
}

function childJob(name: string, finished?: 'Complete' | 'Failed', completionTime?: string): JobObject {
  return job({}, finished ? { conditions: [{ type: finished, status: 'True', lastTransitionTime: completionTime }], ...(finished === 'Complete' ? { completionTime } : {}) } : {}, {
    name,
    uid: `uid-${name}`,
    ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: 'cj-uid', controller: true }],
  });
}

async function cronController(cj: CronJobObject, jobs: JobObject[]) {
  const fake = fakeContext((req) => ({ status: req.method === 'POST' ? 201 : 200, body: req.method === 'POST' ? { ...req.body, metadata: { ...(req.body!['metadata'] as object), uid: 'created-uid' } } : (req.body ?? {}) }));
  const ctl = new CronJobController(fake.ctx);
  await ctl.init();
  fake.ctx.informers.informerFor<CronJobObject>(CRONJOBS).indexer.upsert(cj);
  for (const j of jobs) fake.ctx.informers.informerFor<JobObject>(JOBS).indexer.upsert(j);
  return { ctl, requests: fake.requests };
}

describe('CronJob controller sync', () => {
  test('creates the job of the most recent schedule time and records it in status', async () => {
    const { ctl, requests } = await cronController(cronJob(), []);
    await ctl.syncCronJob('ns/tick', T0 + 5_000);
    const [create, status] = requests();
    assert.equal(create!.method, 'POST');
    const minutes = T0 / 60_000;
    assert.equal((create!.body!['metadata'] as { name: string }).name, `tick-${minutes}`);
    const s = status!.body!['status'] as CronJob['status'];
    assert.equal(s!.lastScheduleTime, '2026-01-01T10:00:00Z');
    assert.deepEqual(s!.active!.map((r) => r.name), [`tick-${minutes}`]);
    await ctl.stop();
  });

  test('nothing before the next schedule time; nothing twice for the same time', async () => {
    const early = await cronController(cronJob({}, { lastScheduleTime: '2026-01-01T10:00:00Z' }), []);
    await early.ctl.syncCronJob('ns/tick', T0 + 30_000);
    assert.equal(early.requests((r) => r.method === 'POST').length, 0);
    await early.ctl.stop();
  });

  test('Forbid skips a run while one is active; Replace deletes the active one first', async () => {
    const forbid = await cronController(cronJob({ concurrencyPolicy: 'Forbid' }, { lastScheduleTime: '2026-01-01T09:59:00Z' }), [childJob('tick-old')]);
    await forbid.ctl.syncCronJob('ns/tick', T0 + 5_000);
    assert.equal(forbid.requests((r) => r.method === 'POST').length, 0);
    await forbid.ctl.stop();
    const replace = await cronController(cronJob({ concurrencyPolicy: 'Replace' }, { lastScheduleTime: '2026-01-01T09:59:00Z' }), [childJob('tick-old')]);
    await replace.ctl.syncCronJob('ns/tick', T0 + 5_000);
    assert.deepEqual(verbs(replace.requests()).slice(0, 2), ['DELETE /apis/batch/v1/namespaces/ns/jobs/tick-old', 'POST /apis/batch/v1/namespaces/ns/jobs']);
    await replace.ctl.stop();
  });

  test('finished jobs beyond the history limits are deleted, oldest first; a late start is skipped', async () => {
    const jobs = [
      childJob('ok-1', 'Complete', '2026-01-01T09:50:00Z'),
      childJob('ok-2', 'Complete', '2026-01-01T09:55:00Z'),
      childJob('bad-1', 'Failed', '2026-01-01T09:51:00Z'),
      childJob('bad-2', 'Failed', '2026-01-01T09:52:00Z'),
    ];
    const { ctl, requests } = await cronController(cronJob({ startingDeadlineSeconds: 10 }, { lastScheduleTime: '2026-01-01T09:59:00Z' }), jobs);
    // 30 s after 10:00 with a 10 s deadline: too late to start the 10:00 run.
    await ctl.syncCronJob('ns/tick', T0 + 30_000);
    assert.deepEqual(verbs(requests((r) => r.method === 'DELETE')), ['DELETE /apis/batch/v1/namespaces/ns/jobs/ok-1', 'DELETE /apis/batch/v1/namespaces/ns/jobs/bad-1']);
    assert.equal(requests((r) => r.method === 'POST').length, 0);
    const status = requests((r) => r.method === 'PUT').at(-1)?.body?.['status'] as CronJob['status'];
    assert.equal(status!.lastSuccessfulTime, '2026-01-01T09:55:00Z');
    await ctl.stop();
  });
});

describe('TTL-after-finished controller', () => {
  const finished = (ttl: number | undefined, at: string): JobObject =>
    job({ ...(ttl !== undefined ? { ttlSecondsAfterFinished: ttl } : {}) }, { conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: at }] });

  test('a finished job expires ttlSecondsAfterFinished after its Complete/Failed transition', () => {
    assert.equal(expiresAt(finished(100, '2026-01-01T10:00:00Z')), Date.parse('2026-01-01T10:01:40Z'));
    assert.equal(expiresAt(finished(undefined, '2026-01-01T10:00:00Z')), undefined);
    assert.equal(expiresAt(job({ ttlSecondsAfterFinished: 0 })), undefined, 'not finished');
  });

  test('deletes an expired job in the foreground, with a UID precondition; waits for one not yet expired', async () => {
    const fake = fakeContext((req) => ({ status: 200, body: req.body ?? {} }));
    const ctl = new TTLAfterFinishedController(fake.ctx);
    await ctl.init();
    const jobs = fake.ctx.informers.informerFor<JobObject>(JOBS);
    jobs.indexer.upsert(finished(0, '2026-01-01T10:00:00Z'));
    await ctl.syncJob('ns/pi');
    const [del] = fake.requests();
    assert.equal(`${del!.method} ${del!.path}`, 'DELETE /apis/batch/v1/namespaces/ns/jobs/pi');
    assert.equal(del!.body!['propagationPolicy'], 'Foreground');
    assert.deepEqual(del!.body!['preconditions'], { uid: 'job-uid' });
    jobs.indexer.upsert(finished(3600, new Date().toISOString()));
    await ctl.syncJob('ns/pi');
    assert.equal(fake.requests().length, 1);
    await ctl.stop();
  });
});
