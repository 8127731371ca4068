/**
 * End-to-end: the Job, CronJob and TTL-after-finished controllers in `k8ts up` on simulated nodes, driven with
 * the real kubectl — parallel jobs complete without exceeding parallelism, Indexed jobs give each pod its index,
 * deadlines fail jobs, suspended jobs wait, finished jobs with a TTL vanish, and a CronJob creates its job on time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { Pod, PodList } from 'kubernetes-types/core/v1.js';
import { APIClient } from '../helpers/api-client.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { manifest, ok } from '../helpers/kubectl-e2e.js';
import { until } from '../helpers/wait.js';

const RUN = 'sim.k8ts.io/run-seconds';

function job(name: string, spec: Record<string, unknown>, runSeconds?: string): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      ...spec,
      template: {
        metadata: runSeconds ? { annotations: { [RUN]: runSeconds } } : {},
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
      },
    },
  };
}

const isTrue = (j: Job, type: string): boolean => (j.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

describe('Job, CronJob and TTL-after-finished controllers', () => {
  let cluster: TestCluster;
  let api: APIClient;
  let cronCreatedAt = 0;

  const getJob = async (name: string): Promise<Job | undefined> => {
    const r = await api.json<Job>('GET', `/apis/batch/v1/namespaces/default/jobs/${name}`);
    return r.status === 200 ? r.object : undefined;
  };
  const jobPods = async (name: string): Promise<Pod[]> =>
    (await api.json<PodList>('GET', `/api/v1/namespaces/default/pods?labelSelector=batch.kubernetes.io/job-name%3D${name}`)).object.items;
  const apply = async (...objects: object[]): Promise<void> => {
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: manifest(...objects) }));
  };
  const waitFor = (name: string, type: string, timeoutMs = 30_000): Promise<Job> =>
    until(`job ${name} ${type}`, async () => {
      const j = await getJob(name);
      return j && isTrue(j, type) ? j : undefined;
    }, timeoutMs, 100);

  before(async () => {
    cluster = await startCluster({ controllerManager: true, args: ['--sim-nodes', '3', '--sim-pod-start-delay', '150ms'] });
    api = await APIClient.fromKubeconfig(cluster.kubeconfig);
    // Created first, so the wait for its first minute overlaps the other tests.
    const cron: CronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick' },
      spec: { schedule: '*/1 * * * *', jobTemplate: { spec: job('x', {}, '1').spec! } },
    };
    await apply(cron);
    cronCreatedAt = Date.now();
  });
  after(async () => {
    api?.close();
    await cluster?.stop();
  });

  test('a Job with completions 5 and parallelism 2 completes, never running more than 2 pods', async () => {
    await apply(job('pi', { completions: 5, parallelism: 2 }, '1'));
    let maxActive = 0;
    let maxRunningPods = 0;
    const done = await until('job pi Complete', async () => {
      const j = await getJob('pi');
      const pods = await jobPods('pi');
      const running = pods.filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase ?? '') && !p.metadata?.deletionTimestamp).length;
      maxActive = Math.max(maxActive, j?.status?.active ?? 0);
      maxRunningPods = Math.max(maxRunningPods, running);
      // Complete only with every result counted.
      if (j && isTrue(j, 'Complete')) assert.equal(j.status?.succeeded, 5);
      return j && isTrue(j, 'Complete') ? j : undefined;
    }, 60_000, 100);
    assert.ok(maxActive <= 2 && maxActive > 0, `status.active peaked at ${maxActive}`);
    assert.ok(maxRunningPods <= 2, `${maxRunningPods} pods ran at once`);
    assert.equal(done.status?.succeeded, 5);
    assert.equal(done.status?.active, undefined);
    assert.ok(done.status?.startTime && done.status.completionTime);
    assert.deepEqual(done.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [
      ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
      ['Complete', 'True', 'CompletionsReached'],
    ]);

    const row = ok(await cluster.kubectl(['get', 'job', 'pi', '--no-headers'])).trim().split(/\s+/);
    assert.deepEqual(row.slice(0, 3), ['pi', 'Complete', '5/5']);

    // The generated selector, the labels every pod carries, and no tracking finalizer left behind.
    const uid = done.metadata!.uid!;
    assert.deepEqual(done.spec?.selector?.matchLabels, { 'batch.kubernetes.io/controller-uid': uid });
    assert.equal(done.metadata?.labels?.['job-name'], 'pi');
    const pods = await jobPods('pi');
    assert.equal(pods.length, 5);
    for (const p of pods) {
      assert.equal(p.status?.phase, 'Succeeded');
      assert.equal(p.metadata?.labels?.['batch.kubernetes.io/controller-uid'], uid);
      assert.equal(p.metadata?.labels?.['controller-uid'], uid);
      assert.equal(p.metadata?.labels?.['job-name'], 'pi');
      assert.deepEqual(p.metadata?.finalizers ?? [], []);
      assert.equal(p.metadata?.ownerReferences?.[0]?.kind, 'Job');
    }
    ok(await cluster.kubectl(['wait', '--for=condition=complete', 'job/pi', '--timeout=5s']));
    const described = ok(await cluster.kubectl(['describe', 'job', 'pi']));
    assert.match(described, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 5 Succeeded \/ 0 Failed/);
    assert.match(described, /Completed At:/);
  });

  test('deleting a running job deletes its pods (their tracking finalizer released)', async () => {
    await apply(job('doomed', { parallelism: 2, completions: 4 }));
    await until('two pods of job doomed running', async () => (await jobPods('doomed')).filter((p) => p.status?.phase === 'Running').length === 2, 15_000, 100);
    ok(await cluster.kubectl(['delete', 'job', 'doomed']));
    await until('the pods of job doomed gone', async () => (await jobPods('doomed')).length === 0, 20_000, 100);
  });

  test('an Indexed job gives each pod its completion index and hostname', async () => {
    await apply(job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }, '1'));
    const done = await waitFor('idx', 'Complete');
    assert.equal(done.status?.completedIndexes, '0-2');
    assert.equal(done.status?.succeeded, 3);
    const pods = await jobPods('idx');
    const indexes = pods.map((p) => p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index']).sort();
    assert.deepEqual(indexes, ['0', '1', '2']);
    for (const p of pods) {
      const index = p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'];
      assert.equal(p.metadata?.labels?.['batch.kubernetes.io/job-completion-index'], index);
      assert.equal(p.spec?.hostname, `idx-${index}`);
      assert.ok(p.metadata?.name?.startsWith(`idx-${index}-`), p.metadata?.name);
    }
  });

  test('activeDeadlineSeconds fails a job that runs too long, stopping its pods', async () => {
    // Pods without a run time never finish on their own.
    await apply(job('slow', { activeDeadlineSeconds: 2, parallelism: 2, completions: 2 }));
    const failed = await waitFor('slow', 'Failed');
    const c = failed.status!.conditions!.find((x) => x.type === 'Failed')!;
    assert.deepEqual([c.reason, c.message], ['DeadlineExceeded', 'Job was active longer than specified deadline']);
    assert.ok(isTrue(failed, 'FailureTarget'));
    assert.equal(failed.status?.completionTime, undefined);
    const row = ok(await cluster.kubectl(['get', 'job', 'slow', '--no-headers'])).trim().split(/\s+/);
    assert.deepEqual(row.slice(0, 3), ['slow', 'Failed', '0/2']);
    await until('the deadline job pods gone', async () => (await jobPods('slow')).length === 0, 15_000, 100);
  });

  test('a suspended job runs no pods until resumed', async () => {
    await apply(job('later', { suspend: true }, '1'));
    const suspended = await waitFor('later', 'Suspended');
    assert.deepEqual(suspended.status?.conditions?.map((c) => [c.type, c.reason, c.message]), [['Suspended', 'JobSuspended', 'Job suspended']]);
    assert.equal((await jobPods('later')).length, 0);
    assert.equal(ok(await cluster.kubectl(['get', 'job', 'later', '--no-headers'])).trim().split(/\s+/)[1], 'Suspended');
    ok(await cluster.kubectl(['patch', 'job', 'later', '--type=merge', '-p', '{"spec":{"suspend":false}}']));
    const done = await waitFor('later', 'Complete');
    const resumed = done.status!.conditions!.find((c) => c.type === 'Suspended')!;
    assert.deepEqual([resumed.status, resumed.reason], ['False', 'JobResumed']);
  });

  test('ttlSecondsAfterFinished deletes a finished job and its pods', async () => {
    await apply(job('brief', { ttlSecondsAfterFinished: 1 }, '1'));
    await waitFor('brief', 'Complete');
    await until('job brief deleted', async () => (await getJob('brief')) === undefined, 20_000, 100);
    await until('job brief pods deleted', async () => (await jobPods('brief')).length === 0, 20_000, 100);
  });

  test('a CronJob */1 * * * * creates its job on time; kubectl create job --from=cronjob works', async () => {
    // The one long wait of this file: up to the next minute boundary after the CronJob was made (~70 s).
    const cronJob = async (): Promise<CronJob> => (await api.json<CronJob>('GET', '/apis/batch/v1/namespaces/default/cronjobs/tick')).object;
    const created = await until('a job from cronjob tick', async () => {
      const jobs = (await api.json<{ items: Job[] }>('GET', '/apis/batch/v1/namespaces/default/jobs')).object.items;
      // The newest, should a slow machine have let more than one minute pass.
      const runs = jobs.filter((j) => j.metadata?.ownerReferences?.some((r) => r.kind === 'CronJob' && r.name === 'tick') && j.metadata?.name !== 'by-hand');
      return runs.sort((a, b) => b.metadata!.name!.localeCompare(a.metadata!.name!))[0];
    }, Math.max(5_000, cronCreatedAt + 75_000 - Date.now()), 200);
    const minutes = Number(created.metadata!.name!.slice('tick-'.length));
    const scheduled = minutes * 60_000;
    assert.equal(created.metadata!.name, `tick-${minutes}`);
    assert.equal(created.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(scheduled).toISOString().replace('.000Z', 'Z'));
    // On time: created within a few seconds of its schedule time.
    const lag = Date.parse(created.metadata!.creationTimestamp!) - scheduled;
    assert.ok(lag >= 0 && lag <= 5_000, `created ${lag} ms after its schedule time`);
    assert.equal((await cronJob()).status?.lastScheduleTime, new Date(scheduled).toISOString().replace('.000Z', 'Z'));

    await waitFor(created.metadata!.name!, 'Complete');
    const cj = await until('cronjob tick sees the job finish', async () => {
      const c = await cronJob();
      return c.status?.lastSuccessfulTime && !c.status.active?.length ? c : undefined;
    }, 15_000, 100);
    assert.ok(cj.status?.lastSuccessfulTime);
    const row = ok(await cluster.kubectl(['get', 'cronjob', 'tick', '--no-headers'])).trim().split(/\s+/);
    assert.deepEqual(row.slice(0, 5), ['tick', '*/1', '*', '*', '*']);

    ok(await cluster.kubectl(['create', 'job', 'by-hand', '--from=cronjob/tick']));
    const manual = await waitFor('by-hand', 'Complete');
    assert.equal(manual.metadata?.annotations?.['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.equal(manual.metadata?.ownerReferences?.[0]?.name, 'tick');
    assert.equal(manual.status?.succeeded, 1);
  });
});
