/**
 * kube's AtomicWriter (pkg/volume/util/atomic_writer.go): projects a set of files into a volume dir so that a
 * reader never sees a half-updated set. The files live in a timestamped dir `..<time>.<random>`; a `..data`
 * symlink points at the current one and is swapped with one rename; the user-visible names are symlinks
 * through `..data` (`key -> ..data/key`), so they keep their path while their content changes.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { FileProjection } from './types.js';

const DATA_DIR = '..data';
const NEW_DATA_DIR = '..data_tmp';
const MAX_PATH = 4096;
const MAX_FILE_NAME = 255;

/** A payload that cannot be projected; the message is kube's. */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
}

function validatePath(p: string): void {
  if (p.length > MAX_PATH) throw new InvalidPayloadError(`invalid path: must be less than or equal to ${MAX_PATH} characters`);
  if (p.startsWith('/')) throw new InvalidPayloadError(`invalid path: must be relative path: ${p}`);
  for (const segment of p.split('/')) {
    if (segment.length > MAX_FILE_NAME) throw new InvalidPayloadError(`invalid path: filenames must be less than or equal to ${MAX_FILE_NAME} characters`);
    if (segment === '..') throw new InvalidPayloadError(`invalid path: must not contain '..': ${p}`);
  }
  if (p.startsWith('..')) throw new InvalidPayloadError(`invalid path: must not start with '..': ${p}`);
}

/** Cleans and checks the payload's paths (kube's validatePayload). */
export function validatePayload(payload: ReadonlyMap<string, FileProjection>): Map<string, FileProjection> {
  const clean = new Map<string, FileProjection>();
  for (const [p, file] of payload) {
    validatePath(p);
    clean.set(posix.normalize(p).replace(/\/+$/, ''), file);
  }
  return clean;
}

/** The timestamp prefix kube gives a data dir: `..2006_01_02_15_04_05.`. */
function timestampPrefix(now: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}.`;
}

/** Relative paths of the files under `dir` (recursively). */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}

const topLevel = (p: string): string => p.split('/')[0]!;

/** Writes payloads into one target dir; one writer per volume. */
export class AtomicWriter {
  constructor(
    readonly targetDir: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Makes the target dir hold exactly `payload`. Returns whether anything changed; when nothing did, nothing
   * is written (so readers and inotify watchers see no churn).
   */
  async write(payload: ReadonlyMap<string, FileProjection>): Promise<boolean> {
    const files = validatePayload(payload);
    await mkdir(this.targetDir, { recursive: true });
    const dataLink = join(this.targetDir, DATA_DIR);
    const oldTsName = await readlink(dataLink).catch(() => '');
    const oldTsDir = oldTsName ? join(this.targetDir, oldTsName) : '';
    const oldFiles = oldTsDir ? await listFiles(oldTsDir).catch(() => [] as string[]) : [];
    const removed = oldFiles.filter((p) => !files.has(p));

    if (oldTsDir && removed.length === 0 && !(await this.differs(oldTsDir, files))) {
      // Same content: still make sure every user-visible link exists (a crash may have left one out).
      await this.createUserVisibleFiles(files);
      return false;
    }

    const tsDir = await mkdtemp(join(this.targetDir, timestampPrefix(this.now())));
    // Readable by group and other whatever the umask, so a container running as any user can descend.
    await chmod(tsDir, 0o755);
    for (const [p, file] of files) {
      const full = join(tsDir, p);
      await mkdir(dirname(full), { recursive: true, mode: 0o755 });
      await writeFile(full, file.data, { mode: file.mode });
      await chmod(full, file.mode);
    }
    await this.createUserVisibleFiles(files);

    // Swap `..data` in one rename: readers see the old set or the new one.
    const tmpLink = join(this.targetDir, NEW_DATA_DIR);
    await rm(tmpLink, { force: true });
    await symlink(tsDir.slice(this.targetDir.length + 1), tmpLink);
    await rename(tmpLink, dataLink);

    if (oldTsDir) await rm(oldTsDir, { recursive: true, force: true });
    await this.removeUserVisiblePaths(removed, files);
    return true;
  }

  private async differs(oldTsDir: string, files: ReadonlyMap<string, FileProjection>): Promise<boolean> {
    for (const [p, file] of files) {
      const full = join(oldTsDir, p);
      try {
        // Content only, as kube: modes cannot change (volumes are immutable) and fsGroup widens them.
        if (!(await readFile(full)).equals(file.data)) return true;
      } catch {
        return true;
      }
    }
    return false;
  }

  /** `<name> -> ..data/<name>` for every top-level entry of the payload. */
  private async createUserVisibleFiles(files: ReadonlyMap<string, FileProjection>): Promise<void> {
    for (const name of new Set([...files.keys()].map(topLevel))) {
      const visible = join(this.targetDir, name);
      const exists = await readlink(visible).then(
        () => true,
        () => false,
      );
      if (!exists) await symlink(`${DATA_DIR}/${name}`, visible);
    }
  }

  /** Removes the user-visible links of top-level entries the new payload no longer has. */
  private async removeUserVisiblePaths(removed: readonly string[], files: ReadonlyMap<string, FileProjection>): Promise<void> {
    const kept = new Set([...files.keys()].map(topLevel));
    for (const name of new Set(removed.map(topLevel))) {
      if (!kept.has(name)) await unlink(join(this.targetDir, name)).catch(() => undefined);
    }
  }
}
