/**
 * One worker per pod (the kubelet's podWorkers): syncs of a pod never overlap; a wake-up while a sync runs
 * makes exactly one more sync after it, with the newest state. Different pods sync concurrently.
 */
import type { Logger } from 'pino';

interface Worker {
  running: boolean;
  again: boolean;
  done?: Promise<void>;
  failures: number;
}

/** Retry delay after a failed sync: 1 s doubling to 30 s. */
const MAX_RETRY_MS = 30_000;

export class PodWorkers {
  private readonly workers = new Map<string, Worker>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly sync: (uid: string) => Promise<void>,
    private readonly log: Logger,
  ) {}

  /** Wakes the pod's worker. */
  enqueue(uid: string): void {
    if (this.stopped) return;
    let w = this.workers.get(uid);
    if (!w) {
      w = { running: false, again: false, failures: 0 };
      this.workers.set(uid, w);
    }
    if (w.running) {
      w.again = true;
      return;
    }
    w.running = true;
    w.done = this.loop(uid, w);
  }

  private async loop(uid: string, w: Worker): Promise<void> {
    do {
      w.again = false;
      try {
        await this.sync(uid);
        w.failures = 0;
      } catch (err) {
        w.failures++;
        const delay = Math.min(MAX_RETRY_MS, 1000 * 2 ** (w.failures - 1));
        this.log.warn({ err, pod: uid, retryMs: delay }, 'pod sync failed');
        this.retryAfter(uid, delay);
      }
    } while (w.again && !this.stopped);
    w.running = false;
  }

  private retryAfter(uid: string, ms: number): void {
    if (this.retries.has(uid)) return;
    const t = setTimeout(() => {
      this.retries.delete(uid);
      this.enqueue(uid);
    }, ms);
    t.unref();
    this.retries.set(uid, t);
  }

  /** Drops a finished pod's worker. */
  forget(uid: string): void {
    const t = this.retries.get(uid);
    if (t) clearTimeout(t);
    this.retries.delete(uid);
    const w = this.workers.get(uid);
    if (w && !w.again) this.workers.delete(uid);
  }

  /** Stops waking workers and waits for the syncs in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retries.values()) clearTimeout(t);
    this.retries.clear();
    await Promise.all([...this.workers.values()].map((w) => w.done));
  }
}
