/**
 * The kubelet's crash-loop back-off (client-go's flowcontrol.Backoff as the kubelet uses it): 10 s, doubling
 * per restart up to 5 min, forgotten once a container has stayed up for twice the maximum.
 */
export const INITIAL_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;

interface Entry {
  backoffMs: number;
  lastUpdateMs: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly initialMs = INITIAL_BACKOFF_MS,
    private readonly maxMs = MAX_BACKOFF_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current delay for `key` (0 when it has none). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** When `key` last backed off (its last `next`), if it has. */
  lastUpdate(key: string): number | undefined {
    return this.entries.get(key)?.lastUpdateMs;
  }

  /** Whether `eventTimeMs` (the container's finish) is still inside the current back-off window. */
  isInBackOffSince(key: string, eventTimeMs: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.hasExpired(e, eventTimeMs)) return false;
    return this.now() - eventTimeMs < e.backoffMs;
  }

  /** Records a restart at `eventTimeMs`: the first is `initial`, then doubling up to `max`. */
  next(key: string, eventTimeMs: number): void {
    const e = this.entries.get(key);
    if (!e || this.hasExpired(e, eventTimeMs)) {
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdateMs: eventTimeMs });
      return;
    }
    e.backoffMs = Math.min(e.backoffMs * 2, this.maxMs);
    e.lastUpdateMs = eventTimeMs;
  }

  /** The time a back-off window ends, for scheduling the retry. */
  remainingMs(key: string, eventTimeMs: number): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    return Math.max(0, eventTimeMs + e.backoffMs - this.now());
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  /** Drops everything about keys starting with `prefix` (a deleted pod). */
  forgetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  private hasExpired(e: Entry, eventTimeMs: number): boolean {
    return eventTimeMs - e.lastUpdateMs > this.maxMs * 2;
  }
}
