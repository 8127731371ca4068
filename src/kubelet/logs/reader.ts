/**
 * Reads a container's CRI log file the way the kubelet serves `GET /containerLogs` (kube's
 * kuberuntime/logs.ReadLogs): PodLogOptions' sinceTime/sinceSeconds, tailLines, timestamps, limitBytes, and
 * follow, which tails the file, moves on to the new file when the log is rotated, and stops once the
 * container has exited and everything it wrote was sent.
 */
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCRILogLine, PartialLineJoiner, type CRILogRecord } from './cri-log.js';

/** kube's PodLogOptions as the kubelet receives them (sinceSeconds already turned into sinceTime). */
export interface ContainerLogOptions {
  follow?: boolean;
  /** Only lines at or after this time. */
  sinceTime?: Date;
  /** Only the last N lines (before follow starts); undefined or negative = all. */
  tailLines?: number;
  /** Prefix each line with its RFC3339Nano timestamp. */
  timestamps?: boolean;
  /** Stop after this many bytes of output. */
  limitBytes?: number;
}

/** Where the lines go; resolves when the sink can take more (back-pressure). */
export interface LogSink {
  write(chunk: Buffer): Promise<void>;
}

export interface FollowOptions {
  /** Whether the container still runs; follow ends at EOF once this says false. */
  isRunning: () => boolean | Promise<boolean>;
  /** The reader stops when this aborts (the client went away). */
  signal?: AbortSignal;
  /** How often to look for new lines (default 100 ms). */
  pollMs?: number;
}

const NEWLINE = 0x0a;

/** Writes records to a sink, applying timestamps and limitBytes. */
class LogWriter {
  private written = 0;
  constructor(
    private readonly sink: LogSink,
    private readonly opts: ContainerLogOptions,
  ) {}

  /** False once limitBytes is reached (stop reading). */
  get open(): boolean {
    return this.opts.limitBytes === undefined || this.written < this.opts.limitBytes;
  }

  async write(record: CRILogRecord): Promise<boolean> {
    if (!this.open) return false;
    if (this.opts.sinceTime && record.timeMs < this.opts.sinceTime.getTime()) return true;
    const parts: Buffer[] = [];
    if (this.opts.timestamps) parts.push(Buffer.from(`${record.timestamp} `));
    parts.push(record.content);
    if (record.full) parts.push(Buffer.from('\n'));
    let chunk = Buffer.concat(parts);
    if (this.opts.limitBytes !== undefined && this.written + chunk.length > this.opts.limitBytes) {
      chunk = chunk.subarray(0, this.opts.limitBytes - this.written);
    }
    this.written += chunk.length;
    await this.sink.write(chunk);
    return this.open;
  }
}

/** Splits complete lines off `data`; returns the records and how many bytes were consumed. */
function parseLines(data: Buffer, includeTrailing: boolean): { records: CRILogRecord[]; consumed: number } {
  const records: CRILogRecord[] = [];
  let start = 0;
  for (;;) {
    const nl = data.indexOf(NEWLINE, start);
    if (nl < 0) break;
    const record = parseCRILogLine(data.subarray(start, nl));
    if (record) records.push(record);
    start = nl + 1;
  }
  if (includeTrailing && start < data.length) {
    const record = parseCRILogLine(data.subarray(start));
    if (record) records.push(record);
    start = data.length;
  }
  return { records, consumed: start };
}

/** Joins partial records and keeps the whole lines (and, at the end, what is left open). */
function joinLines(records: CRILogRecord[], joiner: PartialLineJoiner, flush: boolean): CRILogRecord[] {
  const lines: CRILogRecord[] = [];
  for (const r of records) {
    const line = joiner.push(r);
    if (line) lines.push(line);
  }
  if (flush) lines.push(...joiner.drain());
  return lines;
}

/**
 * Writes the container log at `path` to `sink` as PodLogOptions ask. Without `follow` it reads what is there
 * and returns; with `follow` it keeps reading until the container exits (`follow.isRunning`), the sink's
 * limit is reached or `follow.signal` aborts.
 */
export async function readContainerLogs(path: string, opts: ContainerLogOptions, sink: LogSink, follow?: FollowOptions): Promise<void> {
  const writer = new LogWriter(sink, opts);
  const joiner = new PartialLineJoiner();
  if (!opts.follow || !follow) {
    const data = await readFile(path);
    let lines = joinLines(parseLines(data, true).records, joiner, true);
    if (opts.sinceTime) lines = lines.filter((l) => l.timeMs >= opts.sinceTime!.getTime());
    if (opts.tailLines !== undefined && opts.tailLines >= 0) lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
    for (const line of lines) if (!(await writer.write(line))) return;
    return;
  }
  await followLogs(path, opts, writer, joiner, follow);
}

async function followLogs(path: string, opts: ContainerLogOptions, writer: LogWriter, joiner: PartialLineJoiner, follow: FollowOptions): Promise<void> {
  const pollMs = follow.pollMs ?? 100;
  let fd: FileHandle = await open(path, 'r');
  try {
    let ino = (await fd.stat()).ino;
    let position = 0;
    let pending: Buffer = Buffer.alloc(0);
    // Reads what the open file has past `position`; the first read applies tailLines.
    const readMore = async (first: boolean, final: boolean): Promise<boolean> => {
      const size = (await fd.stat()).size;
      if (size > position) {
        const buf = Buffer.alloc(size - position);
        const { bytesRead } = await fd.read(buf, 0, buf.length, position);
        position += bytesRead;
        pending = pending.length ? Buffer.concat([pending, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      }
      const { records, consumed } = parseLines(pending, final);
      pending = pending.subarray(consumed);
      let lines = joinLines(records, joiner, final);
      if (first) {
        if (opts.sinceTime) lines = lines.filter((l) => l.timeMs >= opts.sinceTime!.getTime());
        if (opts.tailLines !== undefined && opts.tailLines >= 0) lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
      }
      for (const line of lines) if (!(await writer.write(line))) return false;
      return true;
    };
    if (!(await readMore(true, false))) return;
    for (;;) {
      if (follow.signal?.aborted) return;
      const running = await follow.isRunning();
      if (!(await readMore(false, false))) return;
      // Rotated: the runtime reopened a new file at `path`; finish the old one, then carry on with the new.
      const current = await stat(path).catch(() => undefined);
      if (current && current.ino !== ino) {
        if (!(await readMore(false, false))) return;
        await fd.close();
        fd = await open(path, 'r');
        ino = (await fd.stat()).ino;
        position = 0;
        pending = Buffer.alloc(0);
        continue;
      }
      if (current && current.size < position) {
        // Truncated in place (copytruncate): start again from the top.
        position = 0;
        pending = Buffer.alloc(0);
        continue;
      }
      if (!running) {
        // The container is gone: what it wrote is all there is; send any half line too.
        await readMore(false, true);
        return;
      }
      await sleep(pollMs, undefined, follow.signal ? { signal: follow.signal } : undefined).catch(() => undefined);
    }
  } finally {
    await fd.close().catch(() => undefined);
  }
}
