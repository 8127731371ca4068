/**
 * The kubelet's volume manager, reduced to one node without attach/detach: sets up every volume of a pod
 * under `<rootDir>/pods/<uid>/volumes/<plugin>/<name>`, keeps configMap, secret, downwardAPI and projected
 * content in step with the API (a periodic resync, as the kubelet's propagation does) and tears it all down,
 * tmpfs mounts included, when the pod is gone.
 */
import { readdir, realpath, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import { componentLogger, type Logger } from '../../util/log.js';
import { SystemMounter, type Mounter } from './mount.js';
import { setVolumeOwnership } from './ownership.js';
import { DEFAULT_VOLUME_PLUGINS } from './plugins.js';
import { resolveSubPath, type SubPathOwner } from './subpath.js';
import { TokenManager } from './token-manager.js';
import { pluginDirName, type MountedVolume, type SetUpContext, type VolumeHost, type VolumePlugin } from './types.js';

/** One volume that failed, worded as kube's FailedMount event. */
export interface VolumeFailure {
  volume: string;
  message: string;
}

/** Some volumes of a pod could not be set up; the pod's containers must not start. */
export class VolumeSetUpError extends Error {
  override readonly name = 'VolumeSetUpError';
  readonly reason = 'FailedMount';
  constructor(readonly failures: readonly VolumeFailure[]) {
    super(failures.map((f) => f.message).join('; '));
  }
}

export interface VolumeManagerOptions {
  /** How often configMap/secret/downwardAPI/projected content is re-read (default 30 s). */
  resyncIntervalMs?: number;
  /** tmpfs for secret, downwardAPI and projected volumes, as kube (default: when running as root). */
  memoryBackedAPIVolumes?: boolean;
  mounter?: Mounter;
  plugins?: readonly VolumePlugin[];
  /** The clock of token refreshes (tests move it). */
  now?: () => number;
  logger?: Logger;
}

interface PodRecord {
  pod: Pod;
  volumes: Map<string, MountedVolume>;
}

/** Sets up, refreshes and tears down pod volumes. */
export class VolumeManager {
  private readonly pods = new Map<string, PodRecord>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly plugins: readonly VolumePlugin[];
  private readonly mounter: Mounter;
  private readonly tokens: TokenManager;
  private readonly memoryBacked: boolean;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: VolumeHost,
    private readonly opts: VolumeManagerOptions = {},
  ) {
    this.plugins = opts.plugins ?? DEFAULT_VOLUME_PLUGINS;
    this.mounter = opts.mounter ?? new SystemMounter();
    this.tokens = new TokenManager(host.requestToken, opts.now);
    this.memoryBacked = opts.memoryBackedAPIVolumes ?? process.getuid?.() === 0;
    this.log = opts.logger ?? componentLogger('volume-manager');
  }

  /** `<rootDir>/pods/<uid>/volumes`. */
  podVolumesDir(podUid: string): string {
    return join(this.host.rootDir, 'pods', podUid, 'volumes');
  }

  /** Starts the periodic resync. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.resync(), this.opts.resyncIntervalMs ?? 30_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs `fn` after every earlier operation on the same pod, so a resync never races a setup or teardown. */
  private withPodLock<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(uid) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.locks.set(uid, settled);
    void settled.then(() => {
      if (this.locks.get(uid) === settled) this.locks.delete(uid);
    });
    return run;
  }

  private pluginFor(volume: Volume): VolumePlugin | undefined {
    return this.plugins.find((p) => p.canSupport(volume));
  }

  private async setUpVolume(pod: Pod, volume: Volume, plugin: VolumePlugin, firstTime: boolean): Promise<MountedVolume> {
    const ctx: SetUpContext = {
      host: this.host,
      dir: join(this.podVolumesDir(pod.metadata!.uid!), pluginDirName(plugin.name), volume.name),
      mounter: this.mounter,
      tokens: this.tokens,
      memoryBackedAPIVolumes: this.memoryBacked,
    };
    const mounted = await plugin.setUp(pod, volume, ctx);
    const sc = pod.spec?.securityContext;
    // API-backed content is rewritten, so its ownership is re-applied; other volumes keep what they got once.
    if (sc?.fsGroup !== undefined && plugin.supportsFsGroup && (firstTime || plugin.refreshable)) {
      await setVolumeOwnership(mounted.hostPath, sc.fsGroup, mounted.readOnly, sc.fsGroupChangePolicy);
    }
    return mounted;
  }

  /**
   * Sets up (or brings up to date) every volume of the pod and answers where each is on the host. Idempotent:
   * the kubelet calls it on every pod sync; a newer pod object refreshes downward API files. Throws
   * VolumeSetUpError listing the volumes that failed, after trying them all.
   */
  setUpPod(pod: Pod): Promise<Map<string, MountedVolume>> {
    const uid = pod.metadata?.uid;
    if (!uid) return Promise.reject(new Error('pod has no UID'));
    return this.withPodLock(uid, async () => {
      const record = this.pods.get(uid) ?? { pod, volumes: new Map<string, MountedVolume>() };
      record.pod = pod;
      this.pods.set(uid, record);
      const failures: VolumeFailure[] = [];
      for (const volume of pod.spec?.volumes ?? []) {
        const plugin = this.pluginFor(volume);
        try {
          if (!plugin) throw new Error('no volume plugin matched');
          record.volumes.set(volume.name, await this.setUpVolume(pod, volume, plugin, !record.volumes.has(volume.name)));
        } catch (err) {
          failures.push({ volume: volume.name, message: `MountVolume.SetUp failed for volume "${volume.name}" : ${(err as Error).message}` });
        }
      }
      if (failures.length > 0) throw new VolumeSetUpError(failures);
      return new Map(record.volumes);
    });
  }

  /** Rewrites the API-backed content of one pod's volumes now; answers the volumes that failed (kept as they were). */
  refresh(podUid: string): Promise<VolumeFailure[]> {
    return this.withPodLock(podUid, async () => {
      const record = this.pods.get(podUid);
      if (!record) return [];
      const failures: VolumeFailure[] = [];
      for (const volume of record.pod.spec?.volumes ?? []) {
        const plugin = this.pluginFor(volume);
        if (!plugin?.refreshable) continue;
        try {
          record.volumes.set(volume.name, await this.setUpVolume(record.pod, volume, plugin, !record.volumes.has(volume.name)));
        } catch (err) {
          failures.push({ volume: volume.name, message: `MountVolume.SetUp failed for volume "${volume.name}" : ${(err as Error).message}` });
        }
      }
      return failures;
    });
  }

  /** One resync pass over every pod the manager holds. */
  async resync(): Promise<void> {
    for (const uid of [...this.pods.keys()]) {
      try {
        const failures = await this.refresh(uid);
        for (const f of failures) this.log.warn({ podUid: uid, volume: f.volume }, f.message);
      } catch (err) {
        this.log.warn({ podUid: uid, err }, 'volume resync failed');
      }
    }
  }

  /**
   * Unmounts the pod's tmpfs volumes and removes its volume dirs (the pod dir too when nothing else is left
   * in it). Works for pods this process never set up (after a restart): it reads the mount table.
   */
  tearDownPod(podUid: string): Promise<void> {
    return this.withPodLock(podUid, async () => {
      this.pods.delete(podUid);
      this.tokens.deleteServiceAccountTokens(podUid);
      const dir = await realpath(this.podVolumesDir(podUid)).catch(() => this.podVolumesDir(podUid));
      const mounted = (await this.mounter.mountPoints()).filter((m) => m.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
      // Unmount deepest first; a mount left in place must stop the removal, which would empty what it covers.
      for (const m of mounted) await this.mounter.unmount(m);
      await rm(dir, { recursive: true, force: true });
      await rmdir(join(this.host.rootDir, 'pods', podUid)).catch(() => undefined);
    });
  }

  /** Tears down the volumes of every pod dir under `<rootDir>/pods` whose UID is not in `activePodUids`. */
  async cleanupOrphanedPods(activePodUids: ReadonlySet<string>): Promise<void> {
    const entries = await readdir(join(this.host.rootDir, 'pods')).catch(() => [] as string[]);
    for (const uid of entries) {
      if (activePodUids.has(uid)) continue;
      await this.tearDownPod(uid).catch((err: unknown) => this.log.warn({ podUid: uid, err }, 'orphaned pod volumes not cleaned up'));
    }
  }

  /** See resolveSubPath: a subPath inside a volume, created and checked against escapes. */
  resolveSubPath(volumeHostPath: string, subPath: string, owner?: SubPathOwner): Promise<string> {
    return resolveSubPath(volumeHostPath, subPath, owner);
  }
}
