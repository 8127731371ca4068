/**
 * The work queue (client-go's workqueue): items are keys; an item is never processed by two workers at once;
 * an item added while it is being processed is processed again after `done`; an item added many times while
 * waiting is processed once (dirty/processing sets). The delaying and rate-limited forms add later.
 */
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  /** Items that need processing (queued, or re-added while processing). */
  private readonly dirty = new Set<K>();
  /** Items a worker holds. */
  private readonly processing = new Set<K>();
  private readonly waiters: Array<(item: K | undefined) => void> = [];
  private shutdown = false;
  private head = 0;

  /** Marks `item` for processing (once, however often it is added before a worker takes it). */
  add(item: K): void {
    if (this.shutdown || this.dirty.has(item)) return;
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.take(item);
      waiter(item);
      return;
    }
    this.queue.push(item);
  }

  /** The next item (the caller must call `done` with it), or undefined once the queue is shut down and empty. */
  get(): Promise<K | undefined> {
    if (this.head < this.queue.length) {
      const item = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.take(item);
      return Promise.resolve(item);
    }
    if (this.shutdown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The worker finished `item`; if it was added meanwhile it goes back in the queue. */
  done(item: K): void {
    this.processing.delete(item);
    if (this.dirty.has(item)) {
      this.dirty.delete(item);
      this.add(item);
    }
  }

  /** Items waiting (not those being processed). */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Stops handing out items; waiting workers get undefined. */
  shutDown(): void {
    this.shutdown = true;
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  get shuttingDown(): boolean {
    return this.shutdown;
  }

  private take(item: K): void {
    this.processing.add(item);
    this.dirty.delete(item);
  }
}

/** A work queue that can add an item after a delay (the earliest of several pending delays wins). */
export class DelayingQueue<K = string> extends WorkQueue<K> {
  private readonly timers = new Map<K, { at: number; timer: NodeJS.Timeout }>();

  addAfter(item: K, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(item);
      return;
    }
    const at = performance.now() + delayMs;
    const pending = this.timers.get(item);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(item);
      this.add(item);
    }, delayMs);
    // Kept referenced: a pending retry is work the process still has (shutDown clears it).
    this.timers.set(item, { at, timer });
  }

  override shutDown(): void {
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    super.shutDown();
  }
}

/** A delaying queue whose retries wait as its rate limiter says. */
export class RateLimitingQueue<K = string> extends DelayingQueue<K> {
  constructor(readonly rateLimiter: RateLimiter<K> = defaultControllerRateLimiter<K>()) {
    super();
  }

  /** Adds `item` after the rate limiter's wait for it (a retry). */
  addRateLimited(item: K): void {
    this.addAfter(item, this.rateLimiter.when(item));
  }

  /** `item` succeeded: its backoff starts over. */
  forget(item: K): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: K): number {
    return this.rateLimiter.numRequeues(item);
  }
}
