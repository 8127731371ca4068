/** hostPath (kube's pkg/volume/hostpath): a path of the node, checked against its declared type first. */
import { constants } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { Volume } from 'kubernetes-types/core/v1.js';
import { VolumeError, type MountedVolume, type VolumePlugin } from './types.js';

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Checks (and for the `...OrCreate` types makes) `path` as kube's hostPath type checker does, with its
 * messages (`hostPath type check failed: /x is not a directory`).
 */
export async function checkHostPathType(path: string, type: string | undefined): Promise<void> {
  if (!type) return; // "" skips every check
  let st = await statOrUndefined(path);
  if (type === 'DirectoryOrCreate' && !st) {
    await mkdir(path, { recursive: true, mode: 0o755 });
    return;
  }
  if (type === 'FileOrCreate' && !st) {
    // Like kube, the parent must exist: only the file itself is created.
    const fh = await open(path, constants.O_CREAT | constants.O_RDONLY, 0o644);
    await fh.close();
    st = await stat(path);
  }
  switch (type) {
    case 'DirectoryOrCreate':
    case 'Directory':
      if (!st?.isDirectory()) throw new VolumeError(`hostPath type check failed: ${path} is not a directory`);
      return;
    case 'FileOrCreate':
    case 'File':
      if (!st?.isFile()) throw new VolumeError(`hostPath type check failed: ${path} is not a file`);
      return;
    case 'Socket':
      if (!st?.isSocket()) throw new VolumeError(`hostPath type check failed: ${path} is not a socket file`);
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) throw new VolumeError(`hostPath type check failed: ${path} is not a character device`);
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) throw new VolumeError(`hostPath type check failed: ${path} is not a block device`);
      return;
    default:
      throw new VolumeError(`${type} is an invalid volume type`);
  }
}

export const hostPathPlugin: VolumePlugin = {
  name: 'kubernetes.io/host-path',
  refreshable: false,
  supportsFsGroup: false,
  canSupport: (v: Volume) => !!v.hostPath,
  async setUp(_pod, volume): Promise<MountedVolume> {
    const { path, type } = volume.hostPath!;
    await checkHostPathType(path, type);
    return { hostPath: path, readOnly: false };
  },
};
