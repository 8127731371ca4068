/** tmpfs mounts for memory-backed volumes, and the mount table the teardown reads (Linux, needs root). */
import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Mounts and unmounts; one implementation over mount(8), replaceable in tests that run without root. */
export interface Mounter {
  mountTmpfs(dir: string, sizeBytes: bigint | undefined): Promise<void>;
  unmount(dir: string): Promise<void>;
  /** Mount points currently mounted (absolute paths). */
  mountPoints(): Promise<string[]>;
}

/** /proc/mounts escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Reads the mount points of /proc/mounts. */
export async function readMountPoints(file = '/proc/mounts'): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => unescapeMountPath(line.split(' ')[1] ?? ''));
}

/** The system's mount(8)/umount(8). */
export class SystemMounter implements Mounter {
  async mountTmpfs(dir: string, sizeBytes: bigint | undefined): Promise<void> {
    const args = ['-t', 'tmpfs'];
    if (sizeBytes !== undefined && sizeBytes > 0n) args.push('-o', `size=${sizeBytes}`);
    await run('mount', [...args, 'tmpfs', dir]);
  }

  async unmount(dir: string): Promise<void> {
    await run('umount', [dir]);
  }

  mountPoints(): Promise<string[]> {
    return readMountPoints();
  }
}

/** Whether `dir` is a mount point; the mount table holds resolved paths, so `dir` is resolved first. */
export async function isMountPoint(mounter: Mounter, dir: string): Promise<boolean> {
  const resolved = await realpath(dir).catch(() => dir);
  return (await mounter.mountPoints()).includes(resolved);
}
