/**
 * fsGroup ownership (kube's volume.SetVolumeOwnership): every file and dir of a volume gets the pod's fsGroup
 * as its group, group read (and write unless the volume is read-only) and, on dirs, setgid so new files
 * inherit the group. With `fsGroupChangePolicy: OnRootMismatch` the walk is skipped when the root already
 * has the right group and permissions.
 */
import { chmod, chown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const RW_MASK = 0o660;
const RO_MASK = 0o440;
const EXEC_MASK = 0o110;
const SETGID = 0o2000;

function wantedMode(mode: number, isDir: boolean, readOnly: boolean): number {
  let mask = readOnly ? RO_MASK : RW_MASK;
  if (isDir) mask |= SETGID | EXEC_MASK;
  return (mode & 0o7777) | mask;
}

async function walk(path: string, fsGroup: number, readOnly: boolean): Promise<void> {
  const st = await lstat(path);
  // Symlinks (the AtomicWriter's user-visible names, `..data`) are left alone: their targets are walked.
  if (st.isSymbolicLink()) return;
  if (st.gid !== fsGroup) await chown(path, -1, fsGroup);
  const mode = wantedMode(st.mode, st.isDirectory(), readOnly);
  if ((st.mode & 0o7777) !== mode) await chmod(path, mode);
  if (st.isDirectory()) for (const name of await readdir(path)) await walk(join(path, name), fsGroup, readOnly);
}

/** Applies the pod's fsGroup to the volume at `dir`. */
export async function setVolumeOwnership(dir: string, fsGroup: number, readOnly: boolean, changePolicy?: string): Promise<void> {
  if (changePolicy === 'OnRootMismatch') {
    const st = await lstat(dir);
    if (st.gid === fsGroup && (st.mode & 0o7777) === wantedMode(st.mode, true, readOnly)) return;
  }
  await walk(dir, fsGroup, readOnly);
}
