/**
 * The volume plugin interface (kube's pkg/volume VolumePlugin + Mounter, reduced to what a node agent on one
 * machine needs) and the host every plugin reads its sources from.
 */
import type { TokenRequestSpec, TokenRequestStatus } from 'kubernetes-types/authentication/v1.js';
import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Volume } from 'kubernetes-types/core/v1.js';
import type { ResourceList } from '../fieldpath.js';
import type { Mounter } from './mount.js';
import type { TokenManager } from './token-manager.js';

/** Asks the apiserver for a service account token (`POST .../serviceaccounts/{name}/token`). */
export type TokenRequester = (namespace: string, serviceAccountName: string, spec: TokenRequestSpec) => Promise<TokenRequestStatus>;

/** Where volume sources come from; every getter answers undefined for an object that does not exist. */
export interface VolumeHost {
  /** The kubelet's root dir: pod volumes live under `<rootDir>/pods/<uid>/volumes`. */
  rootDir: string;
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
  getPVC(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined>;
  getPV(name: string): Promise<PersistentVolume | undefined>;
  /** Needed by projected serviceAccountToken sources. */
  requestToken?: TokenRequester;
  /** The node's allocatable resources: the size of memory-backed volumes, unset limits in the downward API. */
  nodeAllocatable(): ResourceList;
}

/** A set-up volume as containers mount it. */
export interface MountedVolume {
  hostPath: string;
  readOnly: boolean;
}

/** What a plugin is given to set up one volume of one pod. */
export interface SetUpContext {
  host: VolumeHost;
  /** `<rootDir>/pods/<uid>/volumes/<plugin dir>/<volume name>`; plugins that keep data there create it. */
  dir: string;
  mounter: Mounter;
  tokens: TokenManager;
  /** Whether secret, downwardAPI and projected volumes get a tmpfs, as kube's memory-backed wrappers do. */
  memoryBackedAPIVolumes: boolean;
}

/** One volume type. setUp is idempotent: called again it refreshes the content and returns the same path. */
export interface VolumePlugin {
  /** kube's plugin name, e.g. `kubernetes.io/configmap`; its dir under the pod is the name with `/` -> `~`. */
  readonly name: string;
  /** Whether its content follows API objects and must be rewritten by the periodic resync. */
  readonly refreshable: boolean;
  /** Whether the pod's fsGroup is applied to the files it sets up (not to node paths like hostPath). */
  readonly supportsFsGroup: boolean;
  canSupport(volume: Volume): boolean;
  setUp(pod: Pod, volume: Volume, ctx: SetUpContext): Promise<MountedVolume>;
}

/** A file a volume projects: content and permission bits. */
export interface FileProjection {
  data: Buffer;
  mode: number;
}

/** A volume that could not be set up; `message` is what kube puts after `MountVolume.SetUp failed for volume`. */
export class VolumeError extends Error {
  override readonly name = 'VolumeError';
}

/** The directory name of a plugin under a pod's volumes dir (`kubernetes.io~configmap`). */
export function pluginDirName(pluginName: string): string {
  return pluginName.replaceAll('/', '~');
}
