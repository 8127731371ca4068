/**
 * The Job controller's decisions as a pure function of the job, its pods and the time: which finished pods
 * to count (and release from the job-tracking finalizer), which pods to create or delete, and the status kube
 * 1.32 writes — active/ready/terminating, succeeded/failed, completedIndexes, startTime/completionTime and the
 * conditions: SuccessCriteriaMet then Complete, FailureTarget then Failed (the terminal condition waits until
 * no pod of the job runs any more), Suspended.
 */
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { matchPodFailurePolicy } from './failure-policy.js';
import { formatIndexes, parseIndexes, podCompletionIndex } from './indexes.js';
import { rfc3339 } from '../../apimachinery/time.js';

/** The finalizer that keeps a job's finished pods until their result is counted in the job's status. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface JobPlan<P extends Pod = Pod> {
  /** UIDs of finished pods to record in status.uncountedTerminatedPods before their finalizers come off. */
  uncounted: { succeeded: string[]; failed: string[] };
  /** Whether `uncounted` holds pods the stored status does not list yet (a status write must go first). */
  uncountedChanged: boolean;
  /** Finished pods still holding the job-tracking finalizer. */
  releasePods: P[];
  /** Pods to create: one entry per pod, its completion index for Indexed jobs. */
  create: Array<number | undefined>;
  deletePods: P[];
  /** The status once the uncounted pods are counted and the creates and deletes are done. */
  status: JobStatus;
  events: JobEvent[];
  /** Sync again after this long (the active deadline). */
  requeueAfterMs?: number;
}


export function isFinished(job: Job): boolean {
  return (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

function condition(job: Job, type: string): JobCondition | undefined {
  return (job.status?.conditions ?? []).find((c) => c.type === type);
}

const isTerminal = (p: Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const hasFinalizer = (p: Pod): boolean => (p.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
const isReady = (p: Pod): boolean => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Newest first, not-ready first: the pods to delete when there are too many (kube ranks similarly). */
function deletionOrder(a: Pod, b: Pod): number {
  if (isReady(a) !== isReady(b)) return isReady(a) ? 1 : -1;
  return (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? '');
}

/** kube's pod failure backoff: 10 s doubled per consecutive failure, at most 6 minutes. */
export const DEFAULT_JOB_BACKOFF_MS = 10_000;
export const MAX_JOB_BACKOFF_MS = 360_000;

/** When a pod finished: its containers' last finishedAt, else its creation. */
function finishedAt(p: Pod): number {
  const times = [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])]
    .map((c) => Date.parse(c.state?.terminated?.finishedAt ?? ''))
    .filter((t) => Number.isFinite(t));
  return times.length ? Math.max(...times) : Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
}

/**
 * How long new pods must still wait after failures (0: none): failures since the last success count as
 * consecutive, and the wait runs from the newest one.
 */
export function remainingBackoffMs(pods: Pod[], nowMs: number): number {
  const lastSuccess = Math.max(0, ...pods.filter((p) => p.status?.phase === 'Succeeded').map(finishedAt));
  const failures = pods.filter((p) => p.status?.phase === 'Failed').map(finishedAt).filter((t) => t >= lastSuccess);
  if (failures.length === 0) return 0;
  const backoff = Math.min(MAX_JOB_BACKOFF_MS, DEFAULT_JOB_BACKOFF_MS * 2 ** (failures.length - 1));
  return Math.max(0, Math.max(...failures) + backoff - nowMs);
}

function setCondition(conditions: JobCondition[], type: string, status: 'True' | 'False', reason: string, message: string, now: string): void {
  const i = conditions.findIndex((c) => c.type === type);
  const next: JobCondition = { type, status, reason, message, lastProbeTime: now, lastTransitionTime: now };
  if (i < 0) conditions.push(next);
  else if (conditions[i]!.status !== status) conditions[i] = next;
}

/**
 * Decides what to do for `job` given its pods (those it controls) at time `nowMs`. `manage` is false while the
 * controller's expectations for the job are unmet: counting and status go on, creates and deletes wait.
 */
export function planJob<P extends Pod>(job: Job, pods: P[], nowMs: number, manage = true): JobPlan<P> {
  const spec = job.spec!;
  const old = job.status ?? {};
  const now = rfc3339(nowMs);
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions ?? undefined;
  const parallelism = spec.parallelism ?? 1;
  const suspended = spec.suspend === true;
  const events: JobEvent[] = [];
  const conditions: JobCondition[] = (old.conditions ?? []).map((c) => ({ ...c }));

  // Count finished pods: those still holding the finalizer are new results (or results already written to
  // uncountedTerminatedPods whose finalizer did not come off yet).
  const unSucceeded = new Set(old.uncountedTerminatedPods?.succeeded ?? []);
  const unFailed = new Set(old.uncountedTerminatedPods?.failed ?? []);
  const before = unSucceeded.size + unFailed.size;
  const releasePods: P[] = [];
  let failJob: string | undefined;
  for (const pod of pods) {
    if (!hasFinalizer(pod)) continue;
    const uid = pod.metadata!.uid!;
    if (pod.status?.phase === 'Succeeded') {
      unSucceeded.add(uid);
      releasePods.push(pod);
    } else if (pod.status?.phase === 'Failed' || (pod.metadata?.deletionTimestamp && !suspended)) {
      const match = matchPodFailurePolicy(spec.podFailurePolicy, pod);
      if (match?.action === 'FailJob') failJob ??= match.message;
      if (match?.action !== 'Ignore') unFailed.add(uid);
      releasePods.push(pod);
    } else if (pod.metadata?.deletionTimestamp) {
      // Deleted while the job is suspended: not a failure, just let it go.
      releasePods.push(pod);
    }
  }
  const uncountedChanged = unSucceeded.size + unFailed.size !== before;
  const failed = (old.failed ?? 0) + unFailed.size;
  let succeeded = (old.succeeded ?? 0) + unSucceeded.size;
  let completed = new Set<number>();
  if (indexed) {
    completed = parseIndexes(old.completedIndexes, completions ?? 0);
    for (const pod of pods) {
      const index = podCompletionIndex(pod, completions ?? 0);
      if (pod.status?.phase === 'Succeeded' && index !== undefined) completed.add(index);
    }
    succeeded = completed.size;
  }

  const active = pods.filter((p) => !isTerminal(p) && !p.metadata?.deletionTimestamp);
  const terminating = pods.filter((p) => !isTerminal(p) && p.metadata?.deletionTimestamp && hasFinalizer(p) === false).length;
  let startTime = old.startTime;
  let completionTime = old.completionTime;
  const create: Array<number | undefined> = [];
  // podReplacementPolicy Failed: a replacement only once the pod it replaces has fully terminated.
  const backoffMs = remainingBackoffMs(pods, nowMs);
  const holdReplacements = backoffMs > 0 || (spec.podReplacementPolicy === 'Failed' && pods.some((p) => !isTerminal(p) && p.metadata?.deletionTimestamp && !hasFinalizer(p)));
  const deletePods: P[] = [];
  let requeueAfterMs: number | undefined = backoffMs > 0 ? backoffMs : undefined;

  // Resume: the active deadline counts from the resume.
  const suspendedCondition = condition(job, 'Suspended');
  if (!suspended && suspendedCondition?.status === 'True') {
    setCondition(conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
    events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
    startTime = now;
  }
  if (!suspended && !startTime) startTime = now;

  // Success and failure criteria (once met, they stay: the interim conditions remember them).
  let successMet = condition(job, 'SuccessCriteriaMet')?.status === 'True';
  let failureTarget = condition(job, 'FailureTarget');
  if (!successMet && !failureTarget) {
    let failure: { reason: string; message: string } | undefined;
    if (failJob !== undefined) failure = { reason: 'PodFailurePolicy', message: failJob };
    else if (failed > (spec.backoffLimit ?? 6)) failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    else if (!suspended && startTime && spec.activeDeadlineSeconds != null) {
      const deadline = Date.parse(startTime) + spec.activeDeadlineSeconds * 1000;
      if (nowMs >= deadline) failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
      else requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, deadline - nowMs);
    }
    if (failure) {
      setCondition(conditions, 'FailureTarget', 'True', failure.reason, failure.message, now);
      failureTarget = conditions.find((c) => c.type === 'FailureTarget');
      events.push({ type: 'Warning', reason: failure.reason, message: failure.message });
    } else {
      const reached = completions == null ? succeeded > 0 && active.length === 0 : succeeded >= completions;
      if (reached) {
        setCondition(conditions, 'SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
        successMet = true;
      }
    }
  }

  if (successMet || failureTarget) {
    // Finishing: stop whatever still runs; the terminal condition once nothing does.
    if (manage) deletePods.push(...active);
    if (active.length === 0) {
      if (failureTarget && condition(job, 'Failed')?.status !== 'True') {
        setCondition(conditions, 'Failed', 'True', failureTarget.reason ?? '', failureTarget.message ?? '', now);
      } else if (successMet && condition(job, 'Complete')?.status !== 'True') {
        setCondition(conditions, 'Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
        completionTime = now;
        events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
      }
    }
  } else if (suspended) {
    if (manage) deletePods.push(...active);
    if (suspendedCondition?.status !== 'True') {
      setCondition(conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
      events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
    }
    startTime = undefined;
  } else if (manage && indexed) {
    const byIndex = new Map<number, P[]>();
    for (const pod of active) {
      const index = podCompletionIndex(pod, completions ?? 0);
      // A pod without a valid index, or for an index already completed, has nothing to do.
      if (index === undefined || completed.has(index)) deletePods.push(pod);
      else byIndex.set(index, [...(byIndex.get(index) ?? []), pod]);
    }
    for (const dup of byIndex.values()) deletePods.push(...dup.sort(deletionOrder).slice(0, dup.length - 1));
    const running = byIndex.size;
    if (running > parallelism) {
      const extra = [...byIndex.entries()].sort((a, b) => b[0] - a[0]).slice(0, running - parallelism);
      for (const [, ps] of extra) deletePods.push(...ps);
    } else {
      for (let i = 0; !holdReplacements && i < (completions ?? 0) && create.length < parallelism - running; i++) {
        if (!completed.has(i) && !byIndex.has(i)) create.push(i);
      }
    }
  } else if (manage) {
    const want = completions == null ? (succeeded > 0 ? Math.min(active.length, parallelism) : parallelism) : Math.max(0, Math.min(parallelism, completions - succeeded));
    if (active.length > want) deletePods.push(...[...active].sort(deletionOrder).slice(0, active.length - want));
    for (let i = active.length; !holdReplacements && i < want; i++) create.push(undefined);
  }

  const deleted = new Set(deletePods.map((p) => p.metadata!.uid));
  const stillActive = active.filter((p) => !deleted.has(p.metadata!.uid));
  const status: JobStatus = {
    ...(conditions.length ? { conditions } : {}),
    ...(startTime ? { startTime } : {}),
    ...(completionTime ? { completionTime } : {}),
    ...(stillActive.length + create.length ? { active: stillActive.length + create.length } : {}),
    ...(succeeded ? { succeeded } : {}),
    ...(failed ? { failed } : {}),
    ...(indexed && completed.size ? { completedIndexes: formatIndexes(completed) } : {}),
    terminating: terminating + deletePods.length,
    uncountedTerminatedPods: {},
    ready: stillActive.filter(isReady).length,
  };
  return {
    uncounted: { succeeded: [...unSucceeded], failed: [...unFailed] },
    uncountedChanged,
    releasePods,
    create,
    deletePods,
    status,
    events,
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  };
}
