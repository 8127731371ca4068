/**
 * What one sync of a pod must do, decided from its spec and what the runtime holds (the kubelet's
 * computePodActions): create a sandbox or not, which init container runs next, which sidecars and containers
 * (re)start, which containers are killed and why. A pure function, so every rule has a unit test.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { ContainerState } from '../cri/types.js';
import { containerHash } from './container-hash.js';
import { latestByName, type PodRuntimeStatus, type RuntimeContainer } from './runtime-status.js';

export type ContainerKind = 'init' | 'sidecar' | 'regular';

export interface ContainerToStart {
  container: Container;
  kind: ContainerKind;
  /** The restart count the new instance gets (CRI attempt). */
  restartCount: number;
  /** The instance it replaces (for the back-off key and events). */
  previous?: RuntimeContainer;
}

export interface ContainerToKill {
  name: string;
  reason: string;
  message: string;
  /** A probe's own terminationGracePeriodSeconds, when it set one. */
  gracePeriodSeconds?: number;
}

export interface PodActions {
  /** Kill every container and the sandbox (sandbox changed, or nothing left to run). */
  killPod: boolean;
  createSandbox: boolean;
  /** The ready sandbox to use when not creating one. */
  sandboxId?: string;
  sandboxAttempt: number;
  /** Containers to start this sync, in order (an init container, sidecars, regular containers). */
  containersToStart: ContainerToStart[];
  containersToKill: Map<string, ContainerToKill>;
  /** An init container failed and the pod may not restart it: the pod is Failed. */
  initFailed: boolean;
  /** Every init container has completed (and every sidecar started). */
  initialized: boolean;
}

/** What the probes know about a container instance. */
export interface ProbeView {
  /** A liveness or startup probe failed past its threshold for this container instance. */
  shouldRestart(containerId: string): { reason: string; message: string; gracePeriodSeconds?: number } | undefined;
  /** The startup probe passed (or there is none) for the container's running instance. */
  isStarted(podUid: string, containerName: string): boolean;
}

const RUNNING = ContainerState.CONTAINER_RUNNING;
const CREATED = ContainerState.CONTAINER_CREATED;

function isRunning(c: RuntimeContainer | undefined): boolean {
  return c?.state === RUNNING;
}

function isExited(c: RuntimeContainer | undefined): boolean {
  return c !== undefined && c.state !== RUNNING && c.state !== CREATED;
}

export function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

/** Whether an exited container may be started again under the pod's restartPolicy. */
export function shouldRestart(restartPolicy: string | undefined, exited: RuntimeContainer): boolean {
  if (restartPolicy === 'Never') return false;
  if (restartPolicy === 'OnFailure') return exited.exitCode !== 0;
  return true;
}

function nextRestartCount(previous: RuntimeContainer | undefined): number {
  return previous ? previous.restartCount + 1 : 0;
}

export function computePodActions(pod: Pod, status: PodRuntimeStatus, probes: ProbeView): PodActions {
  const spec = pod.spec!;
  const restartPolicy = spec.restartPolicy ?? 'Always';
  const latest = latestByName(status);
  const actions: PodActions = {
    killPod: false,
    createSandbox: false,
    sandboxAttempt: 0,
    containersToStart: [],
    containersToKill: new Map(),
    initFailed: false,
    initialized: false,
  };
  const inits = spec.initContainers ?? [];
  const regular = spec.containers ?? [];

  const ready = status.sandboxes.filter((s) => s.ready);
  const newest = status.sandboxes[0];
  if (ready.length !== 1 || newest !== ready[0]) {
    // No sandbox, or the newest one died (or several are ready): start over with a new sandbox.
    const everRan = status.containers.length > 0;
    actions.sandboxAttempt = newest ? newest.attempt + 1 : 0;
    if (restartPolicy === 'Never' && newest && everRan) {
      // A Never pod whose sandbox died does not get a new one: it is finished, whatever its containers did.
      actions.killPod = status.sandboxes.some((s) => s.ready) || status.containers.some(isRunning);
      return actions;
    }
    actions.killPod = status.sandboxes.length > 0;
    actions.createSandbox = true;
    const hasRegularStarted = regular.some((c) => latest.has(c.name));
    if (inits.length > 0 && !hasRegularStarted) {
      actions.containersToStart.push({ container: inits[0]!, kind: isSidecar(inits[0]!) ? 'sidecar' : 'init', restartCount: nextRestartCount(latest.get(inits[0]!.name)), previous: latest.get(inits[0]!.name) });
      return actions;
    }
    actions.initialized = true;
    for (const c of inits.filter(isSidecar)) actions.containersToStart.push({ container: c, kind: 'sidecar', restartCount: nextRestartCount(latest.get(c.name)), previous: latest.get(c.name) });
    for (const c of regular) {
      const prev = latest.get(c.name);
      if (prev && isExited(prev) && !shouldRestart(restartPolicy, prev)) continue;
      actions.containersToStart.push({ container: c, kind: 'regular', restartCount: nextRestartCount(prev), previous: prev });
    }
    return actions;
  }
  actions.sandboxId = newest.id;
  actions.sandboxAttempt = newest.attempt;

  const hasRegularStarted = regular.some((c) => latest.has(c.name));
  actions.initialized = initContainerActions(inits, latest, restartPolicy, probes, hasRegularStarted, actions, pod.metadata!.uid!);
  if (actions.initFailed) {
    actions.killPod = true;
    return actions;
  }

  let keep = 0;
  for (const c of regular) {
    const cur = latest.get(c.name);
    if (isRunning(cur)) {
      const reason = restartReason(c, cur!, probes);
      if (!reason) {
        keep++;
        continue;
      }
      actions.containersToKill.set(cur!.id, { name: c.name, ...reason });
      if (restartPolicy !== 'Never' || reason.specChanged) {
        actions.containersToStart.push({ container: c, kind: 'regular', restartCount: nextRestartCount(cur), previous: cur });
      }
      continue;
    }
    if (!actions.initialized) continue;
    if (cur?.state === CREATED) {
      // Created but never started (the agent stopped between create and start): start a fresh one.
      actions.containersToKill.set(cur.id, { name: c.name, reason: 'Created', message: 'container was created but not started' });
    }
    if (!cur || cur.state === CREATED || shouldRestart(restartPolicy, cur)) {
      actions.containersToStart.push({ container: c, kind: 'regular', restartCount: cur && cur.state !== CREATED ? nextRestartCount(cur) : (cur?.restartCount ?? 0), previous: cur?.state === CREATED ? undefined : cur });
    }
  }
  const sidecarsRunning = inits.some((c) => isSidecar(c) && isRunning(latest.get(c.name)));
  if (actions.initialized && keep === 0 && actions.containersToStart.length === 0) {
    // Nothing runs and nothing will: the pod is done (Succeeded or Failed); release the sandbox. Sidecars are
    // stopped once the main containers have all exited.
    actions.killPod = true;
    if (sidecarsRunning) {
      for (const c of inits.filter(isSidecar)) {
        const cur = latest.get(c.name);
        if (isRunning(cur)) actions.containersToKill.set(cur!.id, { name: c.name, reason: 'Completed', message: 'main containers have exited' });
      }
    }
  }
  return actions;
}

interface RestartReason {
  reason: string;
  message: string;
  gracePeriodSeconds?: number;
  specChanged?: boolean;
}

function restartReason(c: Container, cur: RuntimeContainer, probes: ProbeView): RestartReason | undefined {
  if (cur.hash && cur.hash !== containerHash(c)) {
    return { reason: 'Killing', message: `Container ${c.name} definition changed, will be restarted`, specChanged: true };
  }
  return probes.shouldRestart(cur.id);
}

/**
 * Walks the init containers in order; returns whether the pod is initialized. A regular init container must
 * complete before the next starts; a sidecar (restartPolicy Always) must be started (startup probe passed)
 * before the next init container, and is restarted whenever it exits.
 */
function initContainerActions(
  inits: Container[],
  latest: Map<string, RuntimeContainer>,
  restartPolicy: string,
  probes: ProbeView,
  hasRegularStarted: boolean,
  actions: PodActions,
  podUid: string,
): boolean {
  for (const c of inits) {
    const cur = latest.get(c.name);
    if (isSidecar(c)) {
      if (isRunning(cur)) {
        const reason = restartReason(c, cur!, probes);
        if (reason) {
          actions.containersToKill.set(cur!.id, { name: c.name, ...reason });
          actions.containersToStart.push({ container: c, kind: 'sidecar', restartCount: nextRestartCount(cur), previous: cur });
          if (!hasRegularStarted) return false;
          continue;
        }
        if (!hasRegularStarted && !probes.isStarted(podUid, c.name)) return false;
        continue;
      }
      actions.containersToStart.push({ container: c, kind: 'sidecar', restartCount: cur && cur.state !== CREATED ? nextRestartCount(cur) : 0, previous: cur?.state === CREATED ? undefined : cur });
      if (!hasRegularStarted) return false;
      continue;
    }
    // Once a regular container has run, the init containers are done for good (even if GC removed them).
    if (hasRegularStarted) continue;
    if (!cur) {
      actions.containersToStart.push({ container: c, kind: 'init', restartCount: 0 });
      return false;
    }
    if (isRunning(cur) || cur.state === CREATED) {
      if (cur.state === CREATED) {
        actions.containersToKill.set(cur.id, { name: c.name, reason: 'Created', message: 'container was created but not started' });
        actions.containersToStart.push({ container: c, kind: 'init', restartCount: cur.restartCount });
      }
      return false;
    }
    if (cur.exitCode === 0) continue;
    if (restartPolicy === 'Never') {
      actions.initFailed = true;
      return false;
    }
    actions.containersToStart.push({ container: c, kind: 'init', restartCount: nextRestartCount(cur), previous: cur });
    return false;
  }
  return true;
}
