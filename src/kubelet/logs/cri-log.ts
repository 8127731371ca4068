/**
 * The CRI container log format, as containerd writes it: one record per line,
 * `<RFC3339Nano time> <stdout|stderr> <F|P> <content>`. `P` marks a partial line (the runtime split a long
 * line or the container wrote no newline yet): its content continues in the next record of the same stream.
 */

/** One parsed record of a CRI log file. */
export interface CRILogRecord {
  /** Milliseconds since the epoch (for since filters). */
  timeMs: number;
  /** The timestamp normalized to RFC3339 with nine fraction digits in UTC, as the kubelet prints it. */
  timestamp: string;
  stream: 'stdout' | 'stderr';
  /** False for a `P` (partial) record. */
  full: boolean;
  content: Buffer;
}

const SPACE = 0x20;

/**
 * Parses one line (without its trailing newline). Returns undefined for a line that is not a CRI record,
 * which the kubelet skips too (it logs and carries on).
 */
export function parseCRILogLine(line: Buffer): CRILogRecord | undefined {
  const s1 = line.indexOf(SPACE);
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(SPACE, s1 + 1);
  if (s2 < 0) return undefined;
  const stream = line.toString('latin1', s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  // The tag may be missing in very old runtimes (then the record is a full line).
  let full = true;
  let contentStart = s2 + 1;
  const s3 = line.indexOf(SPACE, s2 + 1);
  const tag = s3 < 0 ? line.toString('latin1', s2 + 1) : line.toString('latin1', s2 + 1, s3);
  if (tag === 'P' || tag === 'F') {
    full = tag === 'F';
    contentStart = s3 < 0 ? line.length : s3 + 1;
  }
  const parsed = parseRFC3339Nano(line.toString('latin1', 0, s1));
  if (!parsed) return undefined;
  return { ...parsed, stream, full, content: line.subarray(contentStart) };
}

/** `2026-11-25T14:00:00.123456789+01:00` -> milliseconds and the fixed-width UTC form. */
export function parseRFC3339Nano(text: string): { timeMs: number; timestamp: string } | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  const fraction = (m[2] ?? '').padEnd(9, '0');
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  const timeMs = seconds + Number(fraction.slice(0, 3));
  const utc = new Date(seconds).toISOString().slice(0, 19);
  return { timeMs, timestamp: `${utc}.${fraction}Z` };
}

/** Formats a time as the runtime writes it (RFC3339Nano, UTC), for writers of CRI logs (tests, fakes). */
export function formatCRITimestamp(date: Date, nanos = 0): string {
  const frac = String(date.getUTCMilliseconds() * 1_000_000 + nanos).padStart(9, '0').replace(/0+$/, '');
  return `${date.toISOString().slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

/** One CRI record line as a runtime writes it (with the newline). */
export function formatCRILogLine(time: Date, stream: 'stdout' | 'stderr', content: string, partial = false): string {
  return `${formatCRITimestamp(time)} ${stream} ${partial ? 'P' : 'F'} ${content}\n`;
}

/**
 * Joins partial records into whole lines, per stream: feed records in file order, get back the complete
 * lines (each carrying the time of its first part).
 */
export class PartialLineJoiner {
  private readonly pending = new Map<string, CRILogRecord>();

  push(record: CRILogRecord): CRILogRecord | undefined {
    const open = this.pending.get(record.stream);
    const joined = open ? { ...open, full: record.full, content: Buffer.concat([open.content, record.content]) } : record;
    if (!record.full) {
      this.pending.set(record.stream, joined);
      return undefined;
    }
    this.pending.delete(record.stream);
    return joined;
  }

  /** What is still open (the container stopped in the middle of a line), in arrival order of the streams. */
  drain(): CRILogRecord[] {
    const rest = [...this.pending.values()].sort((a, b) => a.timeMs - b.timeMs);
    this.pending.clear();
    return rest;
  }
}
