/**
 * A pod as the container runtime sees it: its sandboxes and every container instance (running or dead),
 * read back from CRI by the pod UID label. This is what the sync loop compares with the pod's spec.
 */
import { ContainerState, PodSandboxState, type Container, type ContainerStatus, type PodSandbox, type RuntimeService } from '../cri/types.js';
import {
  CONTAINER_HASH_ANNOTATION,
  CONTAINER_NAME_LABEL,
  CONTAINER_RESTART_COUNT_ANNOTATION,
  CONTAINER_TERMINATION_MESSAGE_HOST_PATH_ANNOTATION,
  POD_UID_LABEL,
} from './labels.js';

export interface RuntimeSandbox {
  id: string;
  attempt: number;
  ready: boolean;
  ip?: string;
  createdAtMs: number;
}

export interface RuntimeContainer {
  id: string;
  name: string;
  sandboxId: string;
  /** CRI metadata attempt: the restart count this instance was started with. */
  attempt: number;
  state: ContainerState;
  createdAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
  exitCode: number;
  reason: string;
  message: string;
  image: string;
  imageRef: string;
  hash: string;
  restartCount: number;
  logPath: string;
  terminationMessageHostPath?: string;
}

export interface PodRuntimeStatus {
  uid: string;
  /** Newest first. */
  sandboxes: RuntimeSandbox[];
  /** Newest first. */
  containers: RuntimeContainer[];
}

/** CRI timestamps are nanoseconds (bigint); 0 means unset. */
export function nanosToMs(ns: bigint | number | undefined): number {
  if (ns === undefined) return 0;
  return Number(BigInt(ns) / 1_000_000n);
}

/**
 * Details of container and sandbox instances that cannot change while their state stays the same (a running
 * container's start time and annotations, an exited one's exit code, a ready sandbox's IP), so a pod sync asks
 * the runtime only about instances that are new or changed state: one list call per pod instead of one call
 * per container.
 */
export class RuntimeDetailCache {
  private readonly containers = new Map<string, { state: ContainerState; status: ContainerStatus }>();
  private readonly sandboxes = new Map<string, { state: PodSandboxState; ip?: string }>();

  async containerStatus(runtime: RuntimeService, id: string, state: ContainerState): Promise<ContainerStatus> {
    const hit = this.containers.get(id);
    if (hit && hit.state === state) return hit.status;
    const status = await runtime.containerStatus(id);
    this.containers.set(id, { state: status.state, status });
    return status;
  }

  async sandboxIP(runtime: RuntimeService, id: string, state: PodSandboxState): Promise<string | undefined> {
    const hit = this.sandboxes.get(id);
    if (hit && hit.state === state) return hit.ip;
    const ip = state === PodSandboxState.SANDBOX_READY ? (await runtime.podSandboxStatus(id)).network?.ip || undefined : undefined;
    this.sandboxes.set(id, { state, ip });
    return ip;
  }

  /** Forgets instances of a pod that is gone. */
  forget(ids: Iterable<string>): void {
    for (const id of ids) {
      this.containers.delete(id);
      this.sandboxes.delete(id);
    }
  }
}

/** A pod's sandboxes and containers as one list of the runtime returned them. */
export interface PodRuntimeLists {
  sandboxes: PodSandbox[];
  containers: Container[];
}

/**
 * Reads a pod's sandboxes and containers from the runtime (details through `cache` when given). `lists` is a
 * recent enough listing of them (the relist's), saving the two list calls.
 */
export async function podRuntimeStatus(runtime: RuntimeService, uid: string, cache?: RuntimeDetailCache, lists?: PodRuntimeLists): Promise<PodRuntimeStatus> {
  const selector = { [POD_UID_LABEL]: uid };
  const [sandboxes, containers] = lists
    ? [lists.sandboxes, lists.containers]
    : await Promise.all([runtime.listPodSandbox({ labelSelector: selector }), runtime.listContainers({ labelSelector: selector })]);
  const sandboxStatuses = await Promise.all(
    sandboxes.map(async (s): Promise<RuntimeSandbox> => {
      const ready = s.state === PodSandboxState.SANDBOX_READY;
      let ip: string | undefined;
      try {
        ip = cache ? await cache.sandboxIP(runtime, s.id, s.state) : ready ? (await runtime.podSandboxStatus(s.id)).network?.ip || undefined : undefined;
      } catch {
        // Gone between list and status: treated as not ready below.
      }
      return { id: s.id, attempt: s.metadata.attempt ?? 0, ready, ip, createdAtMs: nanosToMs(s.createdAt) };
    }),
  );
  const containerStatuses = (
    await Promise.all(
      containers.map(async (c): Promise<RuntimeContainer | undefined> => {
        let st;
        try {
          st = cache ? await cache.containerStatus(runtime, c.id, c.state) : await runtime.containerStatus(c.id);
        } catch {
          return undefined;
        }
        const annotations = st.annotations ?? c.annotations ?? {};
        return {
          id: c.id,
          name: c.labels?.[CONTAINER_NAME_LABEL] ?? c.metadata.name,
          sandboxId: c.podSandboxId,
          attempt: c.metadata.attempt ?? 0,
          state: st.state,
          createdAtMs: nanosToMs(st.createdAt),
          startedAtMs: nanosToMs(st.startedAt),
          finishedAtMs: nanosToMs(st.finishedAt),
          exitCode: st.exitCode ?? 0,
          reason: st.reason ?? '',
          message: st.message ?? '',
          image: st.image?.image ?? c.image?.image ?? '',
          imageRef: st.imageRef ?? c.imageRef ?? '',
          hash: annotations[CONTAINER_HASH_ANNOTATION] ?? '',
          restartCount: Number(annotations[CONTAINER_RESTART_COUNT_ANNOTATION] ?? c.metadata.attempt ?? 0),
          logPath: st.logPath ?? '',
          terminationMessageHostPath: annotations[CONTAINER_TERMINATION_MESSAGE_HOST_PATH_ANNOTATION],
        };
      }),
    )
  ).filter((c): c is RuntimeContainer => c !== undefined);
  sandboxStatuses.sort((a, b) => b.createdAtMs - a.createdAtMs || b.attempt - a.attempt);
  containerStatuses.sort((a, b) => b.createdAtMs - a.createdAtMs || b.attempt - a.attempt);
  return { uid, sandboxes: sandboxStatuses, containers: containerStatuses };
}

/** The newest instance of each container name. */
export function latestByName(status: PodRuntimeStatus): Map<string, RuntimeContainer> {
  const out = new Map<string, RuntimeContainer>();
  for (const c of status.containers) if (!out.has(c.name)) out.set(c.name, c);
  return out;
}

/** The instance before the newest one (for lastState and `logs --previous`). */
export function previousByName(status: PodRuntimeStatus): Map<string, RuntimeContainer> {
  const seen = new Set<string>();
  const out = new Map<string, RuntimeContainer>();
  for (const c of status.containers) {
    if (!seen.has(c.name)) seen.add(c.name);
    else if (!out.has(c.name)) out.set(c.name, c);
  }
  return out;
}
