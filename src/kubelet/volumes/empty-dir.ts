/**
 * emptyDir (kube's pkg/volume/emptydir): a directory under the pod that lives as long as the pod; with
 * `medium: Memory` a tmpfs sized like the kubelet sizes it (the smallest of node allocatable memory, the pod's
 * memory limit and the volume's sizeLimit). The secret, downwardAPI and projected plugins use the same
 * memory-backed directory so their content never touches the disk.
 */
import { chmod, mkdir } from 'node:fs/promises';
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../apimachinery/quantity.js';
import type { ResourceList } from '../fieldpath.js';
import { isMountPoint, type Mounter } from './mount.js';
import { VolumeError, type MountedVolume, type SetUpContext, type VolumePlugin } from './types.js';

/** Whole bytes of a quantity string, rounded up; undefined when absent. */
function bytes(q: string | undefined): bigint | undefined {
  if (q === undefined) return undefined;
  const v = parseQuantity(q);
  return v.num % v.den === 0n ? v.num / v.den : v.num / v.den + 1n;
}

/**
 * The pod's memory limit as its cgroup gets it: only when every container declares one, the larger of the
 * sum over app containers and the largest init container, plus the pod overhead.
 */
export function podMemoryLimit(pod: Pod): bigint | undefined {
  const spec = pod.spec;
  if (!spec) return undefined;
  const limitOf = (c: { resources?: { limits?: Record<string, string> } }): bigint | undefined => bytes(c.resources?.limits?.memory);
  let sum = 0n;
  for (const c of spec.containers) {
    const l = limitOf(c);
    if (l === undefined) return undefined;
    sum += l;
  }
  let total = sum;
  for (const c of spec.initContainers ?? []) {
    const l = limitOf(c);
    if (l === undefined) return undefined;
    // Sidecars (restartPolicy Always) run alongside the app containers.
    if (c.restartPolicy === 'Always') total += l;
    else if (l > total) total = l;
  }
  return total + (bytes(spec.overhead?.memory) ?? 0n);
}

/** The tmpfs size of a memory-backed volume (kube's calculateEmptyDirMemorySize). */
export function memoryVolumeSize(pod: Pod, allocatable: ResourceList, sizeLimit?: string): bigint | undefined {
  let size = bytes(allocatable.memory);
  for (const candidate of [podMemoryLimit(pod), bytes(sizeLimit)]) {
    if (candidate !== undefined && candidate > 0n && (size === undefined || candidate <= size)) size = candidate;
  }
  return size;
}

/** Creates the volume dir (mode 0777 whatever the umask, as kube's emptyDir) and mounts a tmpfs when asked. */
export async function setUpDir(dir: string, mounter: Mounter, tmpfsSize: bigint | undefined | false): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (tmpfsSize !== false) {
    if (!(await isMountPoint(mounter, dir))) {
      await chmod(dir, 0o777);
      await mounter.mountTmpfs(dir, tmpfsSize);
    }
    return;
  }
  await chmod(dir, 0o777);
}

/** The memory-backed dir of secret, downwardAPI and projected volumes (a plain dir when disabled). */
export function setUpAPIVolumeDir(pod: Pod, ctx: SetUpContext): Promise<void> {
  return setUpDir(ctx.dir, ctx.mounter, ctx.memoryBackedAPIVolumes ? memoryVolumeSize(pod, ctx.host.nodeAllocatable()) : false);
}

export const emptyDirPlugin: VolumePlugin = {
  name: 'kubernetes.io/empty-dir',
  refreshable: false,
  supportsFsGroup: true,
  canSupport: (v: Volume) => !!v.emptyDir,
  async setUp(pod: Pod, volume: Volume, ctx: SetUpContext): Promise<MountedVolume> {
    const medium = volume.emptyDir?.medium ?? '';
    if (medium === 'Memory') {
      await setUpDir(ctx.dir, ctx.mounter, memoryVolumeSize(pod, ctx.host.nodeAllocatable(), volume.emptyDir?.sizeLimit));
    } else if (medium === '') {
      await setUpDir(ctx.dir, ctx.mounter, false);
    } else {
      throw new VolumeError(`unknown storage medium "${medium}"`);
    }
    return { hostPath: ctx.dir, readOnly: false };
  },
};
