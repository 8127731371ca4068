/** The Job controller's decisions on given pods: counting, creates/deletes, failure policy, deadlines, conditions. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Job, JobSpec, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { formatIndexes, JOB_COMPLETION_INDEX, parseIndexes } from '../../src/controllers/job/indexes.js';
import { JOB_TRACKING_FINALIZER, planJob, remainingBackoffMs } from '../../src/controllers/job/plan.js';
import { podForJob } from '../../src/controllers/job/pods.js';

const NOW = Date.parse('2026-01-01T10:00:00Z');

function job(spec: Partial<JobSpec> = {}, status: JobStatus = {}): Job {
  return {
    metadata: { name: 'pi', namespace: 'default', uid: 'job-uid' },
    spec: { completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } }, ...spec },
    status,
  };
}

let seq = 0;
function pod(phase: string, opts: { index?: number; finalizer?: boolean; deleting?: boolean; ready?: boolean; exitCode?: number; created?: string } = {}): Pod {
  seq++;
  return {
    metadata: {
      name: `pi-${seq}`,
      namespace: 'default',
      uid: `pod-${seq}`,
      creationTimestamp: opts.created ?? `2026-01-01T09:${String(seq % 60).padStart(2, '0')}:00Z`,
      ...(opts.finalizer === false ? {} : { finalizers: [JOB_TRACKING_FINALIZER] }),
      ...(opts.index !== undefined ? { annotations: { [JOB_COMPLETION_INDEX]: String(opts.index) } } : {}),
      ...(opts.deleting ? { deletionTimestamp: '2026-01-01T09:59:00Z' } : {}),
    },
    status: {
      phase,
      ...(opts.ready ? { conditions: [{ type: 'Ready', status: 'True' }] } : {}),
      ...(opts.exitCode !== undefined ? { containerStatuses: [{ name: 'main', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: opts.exitCode } } }] } : {}),
    },
  };
}

const types = (s: JobStatus): string[] => (s.conditions ?? []).filter((c) => c.status === 'True').map((c) => `${c.type}:${c.reason}`);

describe('Job plan', () => {
  test('a new job starts parallelism pods and sets startTime', () => {
    const plan = planJob(job({ completions: 5, parallelism: 2 }), [], NOW);
    assert.deepEqual(plan.create, [undefined, undefined]);
    assert.equal(plan.status.active, 2);
    assert.equal(plan.status.startTime, '2026-01-01T10:00:00Z');
    assert.deepEqual(plan.status.uncountedTerminatedPods, {});
  });

  test('never more than parallelism, nor more than the completions left', () => {
    const running = [pod('Running', { ready: true }), pod('Running')];
    const plan = planJob(job({ completions: 5, parallelism: 2 }, { succeeded: 4, startTime: 'x' }), running, NOW);
    assert.equal(plan.create.length, 0);
    assert.equal(plan.deletePods.length, 1);
    // The not-ready pod goes first.
    assert.equal(plan.deletePods[0]!.metadata!.name, running[1]!.metadata!.name);
    assert.equal(plan.status.ready, 1);
  });

  test('finished pods are recorded as uncounted first, then counted; the finalizer is released', () => {
    const done = pod('Succeeded');
    const plan = planJob(job({ completions: 5, parallelism: 2 }, { startTime: 'x' }), [done, pod('Running')], NOW);
    assert.ok(plan.uncountedChanged);
    assert.deepEqual(plan.uncounted, { succeeded: [done.metadata!.uid], failed: [] });
    assert.deepEqual(plan.releasePods, [done]);
    assert.equal(plan.status.succeeded, 1);
    assert.equal(plan.create.length, 1);
    // Already listed as uncounted: no new status write needed before releasing; still counted once.
    const again = planJob(job({ completions: 5, parallelism: 2 }, { startTime: 'x', uncountedTerminatedPods: { succeeded: [done.metadata!.uid!] } }), [done], NOW);
    assert.equal(again.uncountedChanged, false);
    assert.equal(again.status.succeeded, 1);
    // Released (no finalizer): counted in status already, not again.
    const released = pod('Succeeded', { finalizer: false });
    assert.equal(planJob(job({ completions: 5, parallelism: 2 }, { startTime: 'x', succeeded: 1 }), [released], NOW).status.succeeded, 1);
  });

  test('reaching completions: SuccessCriteriaMet, then Complete with completionTime once nothing runs', () => {
    const plan = planJob(job({ completions: 2, parallelism: 2 }, { startTime: 'x', succeeded: 1 }), [pod('Succeeded')], NOW);
    assert.deepEqual(types(plan.status), ['SuccessCriteriaMet:CompletionsReached', 'Complete:CompletionsReached']);
    assert.equal(plan.status.completionTime, '2026-01-01T10:00:00Z');
    assert.equal(plan.status.conditions!.find((c) => c.type === 'Complete')!.message, 'Reached expected number of succeeded pods');
    assert.equal(plan.create.length, 0);
  });

  test('backoffLimit: more failures than allowed fail the job (FailureTarget, then Failed), deleting what runs', () => {
    const running = pod('Running');
    const plan = planJob(job({ completions: 3, parallelism: 2, backoffLimit: 1 }, { startTime: 'x', failed: 1 }), [pod('Failed'), running], NOW);
    assert.equal(plan.status.failed, 2);
    assert.deepEqual(types(plan.status), ['FailureTarget:BackoffLimitExceeded']);
    assert.deepEqual(plan.deletePods, [running]);
    // Next sync: the deleted pod is terminating; it is released and the job fails.
    const failing = { startTime: 'x', failed: 2, conditions: plan.status.conditions };
    const next = planJob(job({ completions: 3, parallelism: 2, backoffLimit: 1 }, failing), [pod('Running', { deleting: true })], NOW);
    assert.deepEqual(types(next.status), ['FailureTarget:BackoffLimitExceeded', 'Failed:BackoffLimitExceeded']);
    assert.equal(next.status.conditions!.find((c) => c.type === 'Failed')!.message, 'Job has reached the specified backoff limit');
    assert.equal(next.status.completionTime, undefined);
  });

  test('activeDeadlineSeconds: DeadlineExceeded once passed, a requeue at the deadline before', () => {
    const before = planJob(job({ activeDeadlineSeconds: 30 }, { startTime: '2026-01-01T09:59:45Z' }), [pod('Running')], NOW);
    assert.equal(before.requeueAfterMs, 15_000);
    assert.deepEqual(types(before.status), []);
    const after = planJob(job({ activeDeadlineSeconds: 10 }, { startTime: '2026-01-01T09:59:45Z' }), [pod('Running')], NOW);
    assert.deepEqual(types(after.status), ['FailureTarget:DeadlineExceeded']);
    assert.equal(after.deletePods.length, 1);
    assert.equal(after.status.conditions![0]!.message, 'Job was active longer than specified deadline');
  });

  test('pod failure policy: FailJob on an exit code, Ignore leaves the failure uncounted, Count counts', () => {
    const rules = {
      rules: [
        { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        { action: 'Count', onExitCodes: { operator: 'NotIn', values: [0] } },
      ],
    };
    const fatal = pod('Failed', { exitCode: 42 });
    const plan = planJob(job({ completions: 2, podFailurePolicy: rules }, { startTime: 'x' }), [fatal], NOW);
    assert.deepEqual(types(plan.status), ['FailureTarget:PodFailurePolicy', 'Failed:PodFailurePolicy']);
    assert.equal(plan.status.conditions![0]!.message, 'Container main for pod default/' + fatal.metadata!.name + ' failed with exit code 42 matching FailJob rule at index 0');

    const disrupted = pod('Failed', { exitCode: 137 });
    disrupted.status!.conditions = [{ type: 'DisruptionTarget', status: 'True' }];
    const ignored = planJob(job({ completions: 2, podFailurePolicy: rules }, { startTime: 'x' }), [disrupted], NOW);
    assert.equal(ignored.status.failed, undefined);
    assert.deepEqual(ignored.releasePods, [disrupted]);
    assert.equal(ignored.create.length, 1);

    const counted = planJob(job({ completions: 2, podFailurePolicy: rules }, { startTime: 'x' }), [pod('Failed', { exitCode: 1 })], NOW);
    assert.equal(counted.status.failed, 1);
  });

  test('suspend deletes active pods, sets Suspended and clears startTime; resume sets it again', () => {
    const running = pod('Running');
    const plan = planJob(job({ suspend: true, completions: 3, parallelism: 3 }, { startTime: 'x' }), [running], NOW);
    assert.deepEqual(plan.deletePods, [running]);
    assert.deepEqual(types(plan.status), ['Suspended:JobSuspended']);
    assert.equal(plan.status.startTime, undefined);
    // The pod deleted while suspended is let go without counting as a failure.
    const gone = planJob(job({ suspend: true }, plan.status), [pod('Running', { deleting: true })], NOW);
    assert.equal(gone.status.failed, undefined);
    assert.equal(gone.releasePods.length, 1);
    const resumed = planJob(job({ suspend: false, completions: 3, parallelism: 3 }, plan.status), [], NOW);
    const suspended = resumed.status.conditions!.find((c) => c.type === 'Suspended')!;
    assert.deepEqual([suspended.status, suspended.reason, suspended.message], ['False', 'JobResumed', 'Job resumed']);
    assert.equal(resumed.status.startTime, '2026-01-01T10:00:00Z');
    assert.equal(resumed.create.length, 3);
  });

  test('Indexed: creates the lowest pending indexes, records completedIndexes, replaces duplicates', () => {
    const spec = { completionMode: 'Indexed', completions: 5, parallelism: 2 };
    const first = planJob(job(spec), [], NOW);
    assert.deepEqual(first.create, [0, 1]);
    const plan = planJob(job(spec, { startTime: 'x' }), [pod('Succeeded', { index: 0 }), pod('Running', { index: 1 }), pod('Succeeded', { index: 3 })], NOW);
    assert.equal(plan.status.completedIndexes, '0,3');
    assert.equal(plan.status.succeeded, 2);
    assert.deepEqual(plan.create, [2]);
    const dup = planJob(job(spec, { startTime: 'x' }), [pod('Running', { index: 1, ready: true }), pod('Running', { index: 1 })], NOW);
    assert.equal(dup.deletePods.length, 1);
    assert.deepEqual(dup.create, [0]);
  });

  test('a job without completions completes when one pod succeeded and none runs', () => {
    const plan = planJob(job({ completions: undefined, parallelism: 2 }, { startTime: 'x' }), [pod('Succeeded'), pod('Running')], NOW);
    assert.equal(plan.create.length, 0);
    assert.deepEqual(types(plan.status), []);
    const done = planJob(job({ completions: undefined, parallelism: 2 }, { startTime: 'x' }), [pod('Succeeded')], NOW);
    assert.deepEqual(types(done.status), ['SuccessCriteriaMet:CompletionsReached', 'Complete:CompletionsReached']);
  });

  test('failed pods are replaced after a backoff of 10 s doubling per consecutive failure', () => {
    const failedAt = (secondsAgo: number): Pod => {
      const p = pod('Failed', { exitCode: 1, finalizer: false });
      p.status!.containerStatuses![0]!.state!.terminated!.finishedAt = new Date(NOW - secondsAgo * 1000).toISOString();
      return p;
    };
    assert.equal(remainingBackoffMs([failedAt(4)], NOW), 6_000);
    assert.equal(remainingBackoffMs([failedAt(30), failedAt(4)], NOW), 16_000);
    assert.equal(remainingBackoffMs([failedAt(30)], NOW), 0);
    const plan = planJob(job({ completions: 2 }, { startTime: 'x', failed: 1 }), [failedAt(4)], NOW);
    assert.equal(plan.create.length, 0);
    assert.equal(plan.requeueAfterMs, 6_000);
    assert.equal(planJob(job({ completions: 2 }, { startTime: 'x', failed: 1 }), [failedAt(11)], NOW).create.length, 1);
  });

  test('no creates or deletes while expectations are unmet; counting goes on', () => {
    const plan = planJob(job({ completions: 5, parallelism: 2 }, { startTime: 'x' }), [pod('Succeeded')], NOW, false);
    assert.equal(plan.create.length, 0);
    assert.equal(plan.status.succeeded, 1);
  });
});

describe('Job pods and indexes', () => {
  test('completed indexes are compressed intervals', () => {
    assert.equal(formatIndexes([5, 1, 3, 4, 7, 3]), '1,3-5,7');
    assert.deepEqual([...parseIndexes('1,3-5,7,9', 8)], [1, 3, 4, 5, 7]);
  });

  test('a pod carries the template, the owner, the finalizer, and for Indexed jobs the index and hostname', () => {
    const j = job({ completionMode: 'Indexed', completions: 3 });
    j.spec!.template.metadata = { labels: { 'batch.kubernetes.io/job-name': 'pi' } };
    const p = podForJob({ ...j, metadata: j.metadata! }, 2);
    assert.equal(p.metadata.generateName, 'pi-2-');
    assert.equal(p.metadata.annotations?.[JOB_COMPLETION_INDEX], '2');
    assert.equal(p.metadata.labels?.[JOB_COMPLETION_INDEX], '2');
    assert.equal(p.metadata.labels?.['batch.kubernetes.io/job-name'], 'pi');
    assert.equal(p.spec?.hostname, 'pi-2');
    assert.deepEqual(p.metadata.finalizers, [JOB_TRACKING_FINALIZER]);
    assert.equal(p.metadata.ownerReferences?.[0]?.uid, 'job-uid');
    assert.equal(p.spec?.containers[0]?.env?.[0]?.name, 'JOB_COMPLETION_INDEX');
  });
});
