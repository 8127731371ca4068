/**
 * Container log rotation, as the kubelet's container log manager does it: when a running container's log
 * passes `containerLogMaxSize`, rename it to `<path>.<timestamp>`, ask the runtime to reopen the log
 * (CRI ReopenContainerLog, so it writes a fresh file at `path`), gzip older rotated files and keep at most
 * `containerLogMaxFiles` files in all (the live one included).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Logger } from 'pino';
import type { RuntimeService } from '../cri/types.js';

/** kubelet's defaults: --container-log-max-size=10Mi, --container-log-max-files=5. */
export const DEFAULT_CONTAINER_LOG_MAX_SIZE = 10 * 1024 * 1024;
export const DEFAULT_CONTAINER_LOG_MAX_FILES = 5;

/** A container whose log may need rotating. */
export interface RotatableContainer {
  id: string;
  /** Absolute path of the log file the runtime writes. */
  logPath: string;
}

export interface ContainerLogRotatorOptions {
  runtime: Pick<RuntimeService, 'reopenContainerLog'>;
  /** The running containers (rotation only applies to them, as in the kubelet). */
  containers: () => RotatableContainer[] | Promise<RotatableContainer[]>;
  logger: Logger;
  maxSize?: number;
  maxFiles?: number;
  /** Gzip rotated files except the newest (default true). */
  compress?: boolean;
  /** How often `start` checks (default 10 s, the kubelet's monitor period). */
  periodMs?: number;
}

/** `20261125-142233` (UTC), the suffix kube's log manager gives rotated files. */
function rotationTimestamp(now: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
}

export class ContainerLogRotator {
  private readonly maxSize: number;
  private readonly maxFiles: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: ContainerLogRotatorOptions) {
    this.maxSize = opts.maxSize ?? DEFAULT_CONTAINER_LOG_MAX_SIZE;
    this.maxFiles = Math.max(2, opts.maxFiles ?? DEFAULT_CONTAINER_LOG_MAX_FILES);
  }

  /** Checks every container now; rotation failures of one container are logged and do not stop others. */
  async rotateLogs(): Promise<void> {
    for (const c of await this.opts.containers()) {
      try {
        await this.rotateIfNeeded(c);
      } catch (err) {
        this.opts.logger.warn({ err, containerID: c.id, path: c.logPath }, 'failed to rotate container log');
      }
    }
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.rotateLogs().finally(() => (this.running = undefined));
    }, this.opts.periodMs ?? 10_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** The rotated files of `logPath`, oldest first. */
  async rotatedFiles(logPath: string): Promise<string[]> {
    const dir = dirname(logPath);
    const prefix = `${basename(logPath)}.`;
    const names = await readdir(dir).catch(() => [] as string[]);
    // Timestamps sort as text; a `.tmp` is a compression in progress, never a kept file.
    return names.filter((n) => n.startsWith(prefix) && !n.endsWith('.tmp')).sort().map((n) => join(dir, n));
  }

  private async rotateIfNeeded(c: RotatableContainer): Promise<void> {
    const info = await stat(c.logPath).catch(() => undefined);
    if (!info || info.size < this.maxSize) return;
    await this.cleanup(c.logPath, this.maxFiles - 2);
    const rotated = `${c.logPath}.${rotationTimestamp(new Date())}`;
    await rename(c.logPath, rotated);
    try {
      await this.opts.runtime.reopenContainerLog(c.id);
    } catch (err) {
      // The runtime still writes the renamed file: put it back so the log is not lost.
      await rename(rotated, c.logPath).catch(() => undefined);
      throw err;
    }
    if (this.opts.compress ?? true) await this.compressOlder(c.logPath);
  }

  /** Removes the oldest rotated files so at most `keep` remain. */
  private async cleanup(logPath: string, keep: number): Promise<void> {
    const files = await this.rotatedFiles(logPath);
    for (const f of files.slice(0, Math.max(0, files.length - keep))) await unlink(f).catch(() => undefined);
  }

  /** Gzips every rotated file but the newest (a reader following the log may still be finishing it). */
  private async compressOlder(logPath: string): Promise<void> {
    const files = (await this.rotatedFiles(logPath)).filter((f) => !f.endsWith('.gz'));
    for (const f of files.slice(0, -1)) {
      await pipeline(createReadStream(f), createGzip(), createWriteStream(`${f}.tmp`));
      await rename(`${f}.tmp`, `${f}.gz`);
      await unlink(f);
    }
  }
}
