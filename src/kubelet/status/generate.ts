/**
 * The API status of a pod, generated from what the runtime holds (the kubelet's generateAPIPodStatus and
 * getPhase): container statuses with their state, lastState, restartCount, ready and started; the pod phase;
 * the conditions PodReadyToStartContainers, Initialized, ContainersReady and Ready; IPs and start time.
 */
import type { Container, ContainerState as ApiContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from '../../apimachinery/time.js';
import { ContainerState } from '../cri/types.js';
import { isSidecar } from '../kuberuntime/actions.js';
import { latestByName, previousByName, type PodRuntimeStatus, type RuntimeContainer } from '../kuberuntime/runtime-status.js';

export interface WaitingReason {
  reason: string;
  message?: string;
}

export interface StatusInputs {
  pod: Pod;
  runtime: PodRuntimeStatus;
  /** Why a container is not running, from the last sync (ErrImagePull, CrashLoopBackOff, ...). */
  waiting: ReadonlyMap<string, WaitingReason>;
  isReady(containerName: string): boolean;
  isStarted(containerName: string): boolean;
  /** Termination messages read after containers exited, by container ID. */
  terminationMessages: ReadonlyMap<string, string>;
  hostIP: string;
  /** An init container failed under restartPolicy Never. */
  initFailed?: boolean;
  /** The pod is being torn down (deleted or past its deadline). */
  terminating?: boolean;
  /** Unix ms the agent first saw the pod (startTime). */
  startTimeMs: number;
}

const CONTAINER_ID_PREFIX = 'containerd://';

function time(ms: number): string | undefined {
  return ms > 0 ? rfc3339(ms) : undefined;
}

function terminatedState(c: RuntimeContainer, messages: ReadonlyMap<string, string>): ApiContainerState {
  const message = messages.get(c.id) || c.message || undefined;
  return {
    terminated: {
      exitCode: c.exitCode,
      reason: c.reason || (c.exitCode === 0 ? 'Completed' : 'Error'),
      ...(message ? { message } : {}),
      startedAt: time(c.startedAtMs),
      finishedAt: time(c.finishedAtMs),
      containerID: CONTAINER_ID_PREFIX + c.id,
    },
  };
}

function containerStatus(spec: Container, cur: RuntimeContainer | undefined, prev: RuntimeContainer | undefined, inputs: StatusInputs, defaultWaiting: string): ContainerStatus {
  const waiting = inputs.waiting.get(spec.name);
  const status: ContainerStatus = {
    name: spec.name,
    image: spec.image ?? '',
    imageID: cur?.imageRef ?? '',
    ready: false,
    restartCount: cur?.restartCount ?? 0,
    started: false,
    state: { waiting: { reason: waiting?.reason ?? defaultWaiting, ...(waiting?.message ? { message: waiting.message } : {}) } },
  };
  if (cur) status.containerID = CONTAINER_ID_PREFIX + cur.id;
  if (prev && prev.state === ContainerState.CONTAINER_EXITED) status.lastState = terminatedState(prev, inputs.terminationMessages);
  if (!cur) return status;
  if (cur.state === ContainerState.CONTAINER_RUNNING) {
    status.state = { running: { startedAt: time(cur.startedAtMs) ?? rfc3339() } };
    status.started = inputs.isStarted(spec.name);
    status.ready = status.started && inputs.isReady(spec.name) && !inputs.terminating;
    return status;
  }
  if (cur.state === ContainerState.CONTAINER_EXITED || cur.state === ContainerState.CONTAINER_UNKNOWN) {
    if (waiting && !inputs.terminating) {
      // Waiting to be restarted (CrashLoopBackOff, ErrImagePull of the new image...): the exit is lastState.
      status.lastState = terminatedState(cur, inputs.terminationMessages);
    } else {
      status.state = terminatedState(cur, inputs.terminationMessages);
    }
  }
  return status;
}

/** kube's getPhase over the regular containers' statuses (init containers decided by the caller). */
function phaseOf(statuses: ContainerStatus[], restartPolicy: string): PodStatus['phase'] {
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, old: PodCondition[] | undefined, reason?: string, message?: string): PodCondition {
  const status = ok ? 'True' : 'False';
  const prev = old?.find((c) => c.type === type);
  return {
    type,
    status,
    lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(),
    ...(!ok && reason ? { reason } : {}),
    ...(!ok && message ? { message } : {}),
  };
}

/** The pod's status as the node agent reports it. */
export function generatePodStatus(inputs: StatusInputs): PodStatus {
  const { pod, runtime } = inputs;
  const spec = pod.spec!;
  const restartPolicy = spec.restartPolicy ?? 'Always';
  const latest = latestByName(runtime);
  const previous = previousByName(runtime);
  const inits = spec.initContainers ?? [];
  const regularStarted = spec.containers.some((c) => latest.has(c.name));

  const initStatuses = inits.map((c) => containerStatus(c, latest.get(c.name), previous.get(c.name), inputs, 'PodInitializing'));
  // An init container is done once it completed (a sidecar: once started), or once regular containers run.
  const initPending = inits.filter((c, i) => {
    if (regularStarted) return false;
    const s = initStatuses[i]!;
    return isSidecar(c) ? !s.started : s.state?.terminated?.exitCode !== 0;
  });
  const initialized = initPending.length === 0;
  const containerStatuses = spec.containers.map((c) => containerStatus(c, latest.get(c.name), previous.get(c.name), inputs, initialized ? 'ContainerCreating' : 'PodInitializing'));

  let phase: PodStatus['phase'];
  if (inputs.initFailed) phase = 'Failed';
  else if (!initialized) phase = 'Pending';
  else phase = phaseOf(containerStatuses, restartPolicy);
  // A terminal phase never goes back (the kubelet never moves a pod out of Succeeded or Failed).
  const oldPhase = pod.status?.phase;
  if (oldPhase === 'Succeeded' || oldPhase === 'Failed') phase = oldPhase;

  const old = pod.status?.conditions;
  const sandbox = runtime.sandboxes[0];
  const sandboxReady = !!sandbox?.ready && !!sandbox.ip;
  const unready = containerStatuses.filter((s) => !s.ready).map((s) => s.name);
  const done = phase === 'Succeeded' || phase === 'Failed';
  const containersReady = unready.length === 0 && !done && !inputs.terminating;
  const readyReason = done ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = done ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const conditions: PodCondition[] = [
    condition('PodReadyToStartContainers', sandboxReady, old),
    condition('Initialized', initialized, old, done ? 'PodCompleted' : 'ContainersNotInitialized', done ? undefined : `containers with incomplete status: [${initPending.map((c) => c.name).join(' ')}]`),
    condition('Ready', containersReady, old, readyReason, readyMessage),
    condition('ContainersReady', containersReady, old, readyReason, readyMessage),
    ...(old ?? []).filter((c) => !['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'].includes(c.type)),
  ];

  const podIP = sandbox?.ready ? sandbox.ip : pod.status?.podIP;
  return {
    phase,
    conditions,
    hostIP: inputs.hostIP,
    hostIPs: [{ ip: inputs.hostIP }],
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: pod.status?.startTime ?? rfc3339(inputs.startTimeMs),
    ...(inits.length > 0 ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses,
    qosClass: pod.status?.qosClass,
  };
}
