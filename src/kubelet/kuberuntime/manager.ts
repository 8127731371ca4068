/**
 * Drives one pod toward its spec through CRI (the kubelet's kubeGenericRuntimeManager.SyncPod/KillPod): makes
 * the sandbox, pulls images by imagePullPolicy, starts init containers one at a time, sidecars, then the
 * containers, restarts what crashed under crash-loop back-off, and stops containers gracefully (preStop hook,
 * the stop signal, SIGKILL after the grace period).
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, LifecycleHandler, Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { CriError, ContainerState, type AuthConfig, type DNSConfig, type ImageService, type Mount, type PodSandboxConfig, type RuntimeService } from '../cri/types.js';
import { CreateContainerConfigError, expandCommandAndArgs, expandSubPathExpr, makeEnvironment, type EnvironmentContext } from '../envvars.js';
import { computePodActions, type ContainerToStart, type PodActions, type ProbeView } from './actions.js';
import { Backoff } from './backoff.js';
import { containerConfig, etcHosts, podDNS, sandboxConfig } from './container-config.js';
import { podRuntimeStatus, RuntimeDetailCache, type PodRuntimeLists, type PodRuntimeStatus, type RuntimeContainer } from './runtime-status.js';
import type { WaitingReason } from '../status/generate.js';
import { readContainerLogs } from '../logs/reader.js';

/** Where a pod's volumes are on the host (the volume manager's answer). */
export interface PodVolumes {
  get(name: string): { hostPath: string; readOnly: boolean } | undefined;
}

export interface VolumeHost {
  setUpPod(pod: Pod): Promise<PodVolumes>;
  /** Resolves (and creates) a subPath inside a volume, refusing escapes; `owner` names it in errors. */
  resolveSubPath(volumeHostPath: string, subPath: string, owner: { volumeMount: string; container: string }): Promise<string>;
}

export interface RecordEvent {
  (pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface ProbeHost extends ProbeView {
  /** Whether the container's readiness probe (if any) passed. */
  isReady(podUid: string, containerName: string): boolean;
  /** The pod is gone: its probes stop. */
  removePod(podUid: string): void;
  /** A container instance started: its probes begin (initialDelaySeconds counts from here). */
  containerStarted(pod: Pod, containerName: string, containerId: string, podIP: string): void;
  /** A container instance is being stopped: it is no longer ready and its probes stop. */
  containerStopped(podUid: string, containerName: string, containerId: string): void;
}

export interface RuntimeManagerOptions {
  runtime: RuntimeService;
  images: ImageService;
  /** `<rootDir>/pods/<uid>/...`: etc-hosts and termination message files. */
  rootDir: string;
  /** Containers' logs: `<logRoot>/<ns>_<name>_<uid>/<container>/<restart>.log`. */
  logRoot: string;
  hostDNS: DNSConfig;
  memoryCapacityBytes: number;
  volumes: VolumeHost;
  env: Omit<EnvironmentContext, 'podIPs'>;
  probes: ProbeHost;
  recordEvent: RecordEvent;
  /** Registry credentials from the pod's imagePullSecrets for `image`. */
  pullCredentials(pod: Pod, image: string): Promise<AuthConfig | undefined>;
  /** Asks for another sync of the pod after `ms` (back-off ends). */
  resyncAfter(pod: Pod, ms: number): void;
  logger: Logger;
}

/** What one sync learned, for the pod's status. */
export interface SyncResult {
  runtime: PodRuntimeStatus;
  actions: PodActions;
  waiting: Map<string, WaitingReason>;
}

const IMAGE_BACKOFF_INITIAL_MS = 10_000;

export class KubeRuntimeManager {
  /** Crash-loop back-off per pod UID and container name. */
  readonly crashBackoff = new Backoff();
  /** Image pull back-off per pod UID and image. */
  private readonly pullBackoff = new Backoff(IMAGE_BACKOFF_INITIAL_MS);
  /** What the runtime said about container and sandbox instances, reused while their state holds. */
  readonly details = new RuntimeDetailCache();
  /** The pod IP each pod's /etc/hosts was written for. */
  private readonly etcHostsFor = new Map<string, string>();
  /** Waiting reasons that outlive one sync (ErrImagePull while in ImagePullBackOff, ...). */
  private readonly waitingByPod = new Map<string, Map<string, WaitingReason>>();

  constructor(private readonly o: RuntimeManagerOptions) {}

  logDirectory(pod: Pod): string {
    return join(this.o.logRoot, `${pod.metadata!.namespace}_${pod.metadata!.name}_${pod.metadata!.uid}`);
  }

  podDir(uid: string): string {
    return join(this.o.rootDir, 'pods', uid);
  }

  /**
   * One sync of a running (not deleted, not finished) pod. `lists` is the relist's view of its instances when
   * that is newer than anything this agent did to the pod; otherwise they are listed now.
   */
  async syncPod(pod: Pod, lists?: PodRuntimeLists): Promise<SyncResult> {
    const uid = pod.metadata!.uid!;
    let runtime = await podRuntimeStatus(this.o.runtime, uid, this.details, lists);
    const actions = computePodActions(pod, runtime, this.o.probes);
    const waiting = this.waitingByPod.get(uid) ?? new Map<string, WaitingReason>();
    this.waitingByPod.set(uid, waiting);

    if (actions.killPod) {
      await this.killPod(pod, runtime, undefined, actions.createSandbox ? 'SandboxChanged' : 'Completed');
      if (!actions.createSandbox) return { runtime: await podRuntimeStatus(this.o.runtime, uid, this.details), actions, waiting };
    }
    // Probes asked for these to be killed (or the spec changed): stop them before starting their successors.
    await Promise.all(
      [...actions.containersToKill].map(async ([id, why]) => {
        const spec = this.containerSpec(pod, why.name);
        if (why.reason !== 'Created') this.o.recordEvent(pod, 'Normal', 'Killing', why.message.startsWith('Container') ? why.message : `Stopping container ${why.name}`);
        await this.killContainer(pod, id, spec, why.gracePeriodSeconds);
      }),
    );

    let sandboxId = actions.sandboxId;
    let podIP = runtime.sandboxes.find((s) => s.id === sandboxId)?.ip ?? '';
    let volumes: PodVolumes;
    try {
      volumes = await this.o.volumes.setUpPod(pod);
    } catch (err) {
      // The containers wait in ContainerCreating until every volume is there; the sync is retried.
      const failures = (err as { failures?: { message: string }[] }).failures ?? [{ message: (err as Error).message }];
      for (const f of failures) this.o.recordEvent(pod, 'Warning', 'FailedMount', f.message);
      this.o.resyncAfter(pod, 2000);
      return { runtime, actions, waiting };
    }
    const sbConfig = sandboxConfig(pod, { attempt: actions.sandboxAttempt, logDirectory: this.logDirectory(pod), dns: podDNS(pod, this.o.hostDNS) });
    if (actions.createSandbox) {
      await mkdir(this.logDirectory(pod), { recursive: true });
      const t0 = performance.now();
      try {
        sandboxId = await this.o.runtime.runPodSandbox(sbConfig);
      } catch (err) {
        const message = `Failed to create pod sandbox: ${(err as Error).message}`;
        this.o.recordEvent(pod, 'Warning', 'FailedCreatePodSandBox', message);
        throw err;
      }
      podIP = (await this.o.runtime.podSandboxStatus(sandboxId)).network?.ip ?? '';
      this.o.logger.debug({ pod: uid, ms: Math.round(performance.now() - t0) }, 'sandbox created');
      if (actions.sandboxAttempt > 0) this.o.recordEvent(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    }
    if (!pod.spec?.hostNetwork) await this.writeEtcHosts(pod, podIP);

    for (const start of actions.containersToStart) {
      const t0 = performance.now();
      const ok = await this.startContainer(pod, start, sandboxId!, sbConfig, podIP, volumes, waiting);
      this.o.logger.debug({ pod: uid, container: start.container.name, ok, ms: Math.round(performance.now() - t0) }, 'container started');
      // Init containers run one at a time, and a sidecar must be up before the next init container.
      if (start.kind !== 'regular' && (!ok || !actions.initialized)) break;
    }
    runtime = await podRuntimeStatus(this.o.runtime, uid, this.details);
    return { runtime, actions, waiting };
  }

  private containerSpec(pod: Pod, name: string): Container | undefined {
    return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === name);
  }

  /** Starts one container; returns false (with a waiting reason) when it could not. */
  private async startContainer(
    pod: Pod,
    start: ContainerToStart,
    sandboxId: string,
    sbConfig: PodSandboxConfig,
    podIP: string,
    volumes: PodVolumes,
    waiting: Map<string, WaitingReason>,
  ): Promise<boolean> {
    const { container, previous } = start;
    const uid = pod.metadata!.uid!;
    const key = `${uid}/${container.name}`;
    if (previous && previous.state !== ContainerState.CONTAINER_RUNNING) {
      if (this.crashBackoff.isInBackOffSince(key, previous.finishedAtMs)) {
        const seconds = Math.round(this.crashBackoff.get(key) / 1000);
        const message = `back-off ${formatBackoff(seconds)} restarting failed container=${container.name} pod=${pod.metadata!.name}_${pod.metadata!.namespace}(${uid})`;
        waiting.set(container.name, { reason: 'CrashLoopBackOff', message });
        this.o.recordEvent(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${container.name} in pod ${pod.metadata!.name}_${pod.metadata!.namespace}(${uid})`);
        this.o.resyncAfter(pod, this.crashBackoff.remainingMs(key, previous.finishedAtMs) + 50);
        return false;
      }
      this.crashBackoff.next(key, previous.finishedAtMs);
    }

    const imageRef = await this.ensureImage(pod, container, waiting);
    if (!imageRef) return false;

    let config;
    try {
      const env = await makeEnvironment(pod, container, { ...this.o.env, podIPs: podIP ? [podIP] : [] });
      for (const w of env.warnings) this.o.recordEvent(pod, 'Warning', w.reason, w.message);
      const { command, args } = expandCommandAndArgs(container, env.env);
      const mounts = await this.mounts(pod, container, volumes, env.env, start.restartCount);
      config = containerConfig(pod, container, {
        kind: start.kind,
        restartCount: start.restartCount,
        imageRef,
        command,
        args,
        envs: env.env,
        mounts: mounts.mounts,
        terminationMessageHostPath: mounts.terminationMessageHostPath,
        memoryCapacityBytes: this.o.memoryCapacityBytes,
      });
    } catch (err) {
      const message = (err as Error).message;
      const reason = err instanceof CreateContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerConfigError';
      waiting.set(container.name, { reason, message });
      this.o.recordEvent(pod, 'Warning', 'Failed', `Error: ${message}`);
      this.o.resyncAfter(pod, 2000);
      return false;
    }

    let id: string;
    try {
      id = await this.o.runtime.createContainer(sandboxId, config, sbConfig);
    } catch (err) {
      const message = criMessage(err);
      waiting.set(container.name, { reason: 'CreateContainerError', message });
      this.o.recordEvent(pod, 'Warning', 'Failed', `Error: ${message}`);
      this.o.resyncAfter(pod, 2000);
      return false;
    }
    this.o.recordEvent(pod, 'Normal', 'Created', `Created container ${container.name}`);
    try {
      await this.o.runtime.startContainer(id);
    } catch (err) {
      const message = criMessage(err);
      waiting.set(container.name, { reason: 'RunContainerError', message });
      this.o.recordEvent(pod, 'Warning', 'Failed', `Error: ${message}`);
      return false;
    }
    waiting.delete(container.name);
    this.o.recordEvent(pod, 'Normal', 'Started', `Started container ${container.name}`);
    this.o.probes.containerStarted(pod, container.name, id, podIP);
    if (container.lifecycle?.postStart) {
      const failure = await this.runHook(pod, id, container, container.lifecycle.postStart, podIP, 30);
      if (failure) {
        this.o.recordEvent(pod, 'Warning', 'FailedPostStartHook', failure);
        await this.killContainer(pod, id, container, undefined, true);
        return false;
      }
    }
    return true;
  }

  /** Pulls the image as imagePullPolicy says; resolves to the image reference, or undefined (waiting set). */
  private async ensureImage(pod: Pod, container: Container, waiting: Map<string, WaitingReason>): Promise<string | undefined> {
    const image = container.image ?? '';
    const policy = container.imagePullPolicy ?? (image.endsWith(':latest') || !/:[^/]+$/.test(image) ? 'Always' : 'IfNotPresent');
    const present = policy === 'Always' ? undefined : await this.o.images.imageStatus({ image });
    if (present) {
      this.o.recordEvent(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return present.id;
    }
    if (policy === 'Never') {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      waiting.set(container.name, { reason: 'ErrImageNeverPull', message });
      this.o.recordEvent(pod, 'Warning', 'ErrImageNeverPull', message);
      return undefined;
    }
    const key = `${pod.metadata!.uid}/${image}`;
    // The last failed pull is the back-off's last step.
    const lastFailure = this.pullBackoff.lastUpdate(key);
    if (lastFailure !== undefined && this.pullBackoff.isInBackOffSince(key, lastFailure)) {
      const message = `Back-off pulling image "${image}"`;
      waiting.set(container.name, { reason: 'ImagePullBackOff', message });
      this.o.recordEvent(pod, 'Normal', 'BackOff', message);
      this.o.resyncAfter(pod, this.pullBackoff.remainingMs(key, lastFailure) + 50);
      return undefined;
    }
    this.o.recordEvent(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const started = performance.now();
    try {
      const auth = await this.o.pullCredentials(pod, image);
      const ref = await this.o.images.pullImage({ image }, auth);
      this.pullBackoff.forget(key);
      const seconds = ((performance.now() - started) / 1000).toFixed(3);
      this.o.recordEvent(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${seconds}s`);
      return ref;
    } catch (err) {
      const now = Date.now();
      this.pullBackoff.next(key, now);
      const message = `Failed to pull image "${image}": ${criMessage(err)}`;
      waiting.set(container.name, { reason: 'ErrImagePull', message });
      this.o.recordEvent(pod, 'Warning', 'Failed', message);
      this.o.recordEvent(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
      this.o.resyncAfter(pod, this.pullBackoff.get(key) + 50);
      return undefined;
    }
  }


  private async mounts(pod: Pod, container: Container, volumes: PodVolumes, env: { key: string; value: string }[], restartCount: number): Promise<{ mounts: Mount[]; terminationMessageHostPath?: string }> {
    const mounts: Mount[] = [];
    for (const vm of container.volumeMounts ?? []) {
      const vol = volumes.get(vm.name);
      if (!vol) throw new CreateContainerConfigError(`cannot find volume "${vm.name}" to mount into container "${container.name}"`);
      let hostPath = vol.hostPath;
      const sub = vm.subPathExpr ? expandSubPathExpr(vm.subPathExpr, env) : vm.subPath;
      if (sub) hostPath = await this.o.volumes.resolveSubPath(vol.hostPath, sub, { volumeMount: vm.name, container: container.name });
      mounts.push({
        containerPath: vm.mountPath,
        hostPath,
        readonly: vm.readOnly ?? vol.readOnly,
        propagation: vm.mountPropagation === 'HostToContainer' ? 1 : vm.mountPropagation === 'Bidirectional' ? 2 : 0,
      });
    }
    const podDir = this.podDir(pod.metadata!.uid!);
    const mountsPath = (p: string): boolean => mounts.some((m) => m.containerPath === p);
    if (!pod.spec?.hostNetwork && !mountsPath('/etc/hosts')) mounts.push({ containerPath: '/etc/hosts', hostPath: join(podDir, 'etc-hosts') });
    let terminationMessageHostPath: string | undefined;
    const tmPath = container.terminationMessagePath ?? '/dev/termination-log';
    if (tmPath && !mountsPath(tmPath)) {
      const dir = join(podDir, 'containers', container.name);
      await mkdir(dir, { recursive: true });
      terminationMessageHostPath = join(dir, `${restartCount}-${Date.now().toString(36)}`);
      await writeFile(terminationMessageHostPath, '');
      // Any user the container runs as may write it (the creation mode is cut by the umask).
      await chmod(terminationMessageHostPath, 0o666);
      mounts.push({ containerPath: tmPath, hostPath: terminationMessageHostPath });
    }
    return { mounts, terminationMessageHostPath };
  }

  private async writeEtcHosts(pod: Pod, podIP: string): Promise<void> {
    // Written when the sandbox (and so the IP) is new, not on every sync.
    if (this.etcHostsFor.get(pod.metadata!.uid!) === podIP) return;
    this.etcHostsFor.set(pod.metadata!.uid!, podIP);
    const dir = this.podDir(pod.metadata!.uid!);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'etc-hosts'), etcHosts(pod, podIP), { mode: 0o644 });
  }

  /**
   * Runs a lifecycle hook (exec in the container, or an HTTP GET to the pod); resolves to a failure message,
   * or undefined when it succeeded.
   */
  private async runHook(pod: Pod, containerId: string, container: Container, hook: LifecycleHandler, podIP: string, timeoutSeconds: number): Promise<string | undefined> {
    try {
      if (hook.exec?.command) {
        const res = await this.o.runtime.execSync(containerId, hook.exec.command, timeoutSeconds);
        if (res.exitCode !== 0) return `Exec lifecycle hook (${hook.exec.command.join(' ')}) for Container "${container.name}" in Pod "${pod.metadata!.name}_${pod.metadata!.namespace}(${pod.metadata!.uid})" failed - error: command '${hook.exec.command.join(' ')}' exited with ${res.exitCode}: ${res.stderr.toString()}, message: "${res.stdout.toString()}"`;
        return undefined;
      }
      if (hook.httpGet) {
        const port = typeof hook.httpGet.port === 'number' ? hook.httpGet.port : (container.ports?.find((p) => p.name === hook.httpGet!.port)?.containerPort ?? Number(hook.httpGet.port));
        const url = `${(hook.httpGet.scheme ?? 'HTTP').toLowerCase()}://${hook.httpGet.host ?? podIP}:${port}${hook.httpGet.path ?? '/'}`;
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutSeconds * 1000) });
        if (res.status >= 400) return `HTTP lifecycle hook (${hook.httpGet.path ?? '/'}) for Container "${container.name}" in Pod "${pod.metadata!.name}_${pod.metadata!.namespace}(${pod.metadata!.uid})" failed - error: HTTP status ${res.status}`;
        return undefined;
      }
      if (hook.sleep) {
        await new Promise((r) => setTimeout(r, Math.min(hook.sleep!.seconds, timeoutSeconds) * 1000));
      }
      return undefined;
    } catch (err) {
      return `lifecycle hook for Container "${container.name}" in Pod "${pod.metadata!.name}_${pod.metadata!.namespace}(${pod.metadata!.uid})" failed - error: ${(err as Error).message}`;
    }
  }

  /**
   * Stops a container: its preStop hook within the grace period, then the stop signal with what is left of it,
   * then SIGKILL (CRI StopContainer's timeout).
   */
  async killContainer(pod: Pod, containerId: string, container: Container | undefined, gracePeriodSeconds: number | undefined, skipPreStop = false): Promise<void> {
    let grace = gracePeriodSeconds ?? pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    const preStop = container?.lifecycle?.preStop;
    if (preStop && !skipPreStop && grace > 0) {
      const started = Date.now();
      const failure = await this.runHook(pod, containerId, container!, preStop, '', grace);
      if (failure) this.o.recordEvent(pod, 'Warning', 'FailedPreStopHook', failure);
      grace = Math.max(2, grace - Math.floor((Date.now() - started) / 1000));
    }
    if (container) this.o.probes.containerStopped(pod.metadata!.uid!, container.name, containerId);
    try {
      await this.o.runtime.stopContainer(containerId, grace);
    } catch (err) {
      if (!(err instanceof CriError && err.code === 5)) throw err;
    }
  }

  /**
   * Stops every running container (regular ones first, then sidecars in reverse order, as the kubelet does)
   * and the sandbox. Containers are kept for their logs and exit codes.
   */
  async killPod(pod: Pod, runtime: PodRuntimeStatus, gracePeriodSeconds: number | undefined, why: string): Promise<void> {
    const running = runtime.containers.filter((c) => c.state === ContainerState.CONTAINER_RUNNING || c.state === ContainerState.CONTAINER_CREATED);
    const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
    const stop = async (c: RuntimeContainer): Promise<void> => {
      const spec = this.containerSpec(pod, c.name);
      if (c.state === ContainerState.CONTAINER_RUNNING && why !== 'Completed') this.o.recordEvent(pod, 'Normal', 'Killing', `Stopping container ${c.name}`);
      await this.killContainer(pod, c.id, spec, gracePeriodSeconds);
    };
    await Promise.all(running.filter((c) => !sidecars.has(c.name)).map(stop));
    const sidecarOrder = (pod.spec?.initContainers ?? []).map((c) => c.name).reverse();
    for (const name of sidecarOrder) {
      for (const c of running.filter((r) => r.name === name)) await stop(c);
    }
    for (const s of runtime.sandboxes.filter((s) => s.ready)) {
      try {
        await this.o.runtime.stopPodSandbox(s.id);
      } catch (err) {
        if (!(err instanceof CriError && err.code === 5)) throw err;
      }
    }
  }

  /** Removes every container and sandbox of a pod (after its deletion). */
  async removePod(uid: string): Promise<void> {
    const runtime = await podRuntimeStatus(this.o.runtime, uid, this.details);
    this.details.forget([...runtime.sandboxes.map((s) => s.id), ...runtime.containers.map((c) => c.id)]);
    this.etcHostsFor.delete(uid);
    for (const s of runtime.sandboxes) {
      try {
        await this.o.runtime.stopPodSandbox(s.id);
        await this.o.runtime.removePodSandbox(s.id);
      } catch (err) {
        if (!(err instanceof CriError && err.code === 5)) this.o.logger.warn({ err, pod: uid }, 'removing sandbox failed');
      }
    }
    this.waitingByPod.delete(uid);
    this.crashBackoff.forgetPrefix(`${uid}/`);
    this.pullBackoff.forgetPrefix(`${uid}/`);
  }

  /** Termination messages of exited containers (the file the container wrote, or the log tail on FallbackToLogsOnError). */
  async terminationMessages(pod: Pod, runtime: PodRuntimeStatus, cache: Map<string, string>): Promise<void> {
    for (const c of runtime.containers) {
      if (c.state !== ContainerState.CONTAINER_EXITED || cache.has(c.id)) continue;
      let message = '';
      if (c.terminationMessageHostPath) {
        try {
          message = (await readFile(c.terminationMessageHostPath, 'utf8')).slice(0, 4096);
        } catch {
          message = '';
        }
      }
      const spec = this.containerSpec(pod, c.name);
      if (!message && spec?.terminationMessagePolicy === 'FallbackToLogsOnError' && c.exitCode !== 0 && c.logPath) {
        message = await logTail(c.logPath, 80, 2048);
      }
      cache.set(c.id, message);
    }
  }
}

/** The last lines a container wrote (its CRI log file read as `kubectl logs --tail` reads it), at most `maxBytes`. */
async function logTail(path: string, lines: number, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    await readContainerLogs(path, { tailLines: lines }, { write: async (chunk) => void chunks.push(chunk) });
  } catch {
    return '';
  }
  return Buffer.concat(chunks).toString('utf8').slice(-maxBytes);
}

function criMessage(err: unknown): string {
  return err instanceof CriError ? err.details : (err as Error).message;
}

/** Go's time.Duration string for whole seconds (`10s`, `1m20s`, `5m0s`). */
function formatBackoff(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}
