/**
 * subPath mounts (the kubelet's makeMounts + pkg/volume/util/subpath): the path inside a volume a container
 * mounts instead of the volume's root. It is created if missing, and neither `..` nor a symlink may take it
 * out of the volume: a container could otherwise mount any path of the node.
 */
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { CreateContainerConfigError } from '../envvars.js';

/** Names for kube's messages, which do not reveal host paths to the user. */
export interface SubPathOwner {
  volumeMount: string;
  container: string;
}

const within = (base: string, p: string): boolean => {
  const rel = relative(base, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

/**
 * The host path of `subPath` inside the volume at `volumeHostPath`, created as a directory when it does not
 * exist, resolved through symlinks (the container mounts what it resolves to now). Throws
 * CreateContainerConfigError with kube's messages for absolute paths, `..` and escapes.
 */
export async function resolveSubPath(volumeHostPath: string, subPath: string, owner?: SubPathOwner): Promise<string> {
  if (isAbsolute(subPath)) throw new CreateContainerConfigError(`error SubPath \`${subPath}\` must not be an absolute path`);
  if (subPath.split(/[\\/]/).includes('..')) throw new CreateContainerConfigError(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
  const who = owner ? ` for volumeMount "${owner.volumeMount}" of container "${owner.container}"` : ` "${subPath}"`;
  const base = await realpath(volumeHostPath);
  // Walk one component at a time so a symlink pointing outside is caught before anything is created there.
  let current = base;
  for (const part of subPath.split('/').filter((p) => p !== '' && p !== '.')) {
    const next = join(current, part);
    let exists = true;
    try {
      await lstat(next);
    } catch {
      exists = false;
    }
    if (!exists) {
      try {
        await mkdir(next, { mode: 0o755 });
      } catch {
        throw new CreateContainerConfigError(`failed to create subPath directory${who}`);
      }
      current = next;
      continue;
    }
    const resolved = await realpath(next).catch(() => undefined);
    if (!resolved || !within(base, resolved)) throw new CreateContainerConfigError(`failed to prepare subPath${who}`);
    current = resolved;
  }
  return current;
}
