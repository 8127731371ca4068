import { StorageError } from './errors.js';
import type { WatchEvent, Watcher } from './interface.js';

/** How many undelivered events a watcher may hold before it is ended with TooSlow. */
export const DEFAULT_WATCH_CAPACITY = 100_000;

/**
 * The consumer side of one watch: a bounded FIFO between a backend (which pushes events in revision order)
 * and an async iterator. A consumer that falls more than `capacity` events behind is ended with an explicit
 * `TooSlow` error after it has drained what it holds, never by dropping events.
 * Backends that can pace themselves (history replay) wait on `hasSpace()` before pushing more.
 */
export class WatchChannel implements Watcher {
  private buffer: WatchEvent[] = [];
  private head = 0;
  private waiter?: () => void;
  private spaceWaiters: Array<() => void> = [];
  private failure?: Error;
  private stopped = false;
  /** Events up to this revision (a replay the backend cannot pace) do not count against the capacity. */
  private burstUntil = 0;
  /** Revision of the last event pushed (for resumption after a reconnect). */
  lastRevision: number;

  constructor(
    fromRevision: number,
    private readonly onStop: () => void,
    private readonly capacity = DEFAULT_WATCH_CAPACITY,
  ) {
    this.lastRevision = fromRevision;
  }

  /** True once stopped or failed: the backend should stop feeding it. */
  get closed(): boolean {
    return this.stopped || this.failure !== undefined;
  }

  get pending(): number {
    return this.buffer.length - this.head;
  }

  /** Queues an event. Events at or before the last pushed revision are ignored (replay overlap). */
  push(event: WatchEvent): void {
    if (this.closed || event.revision <= this.lastRevision) return;
    if (this.pending >= this.capacity && event.revision > this.burstUntil) {
      this.fail(
        new StorageError('TooSlow', `watch consumer fell more than ${this.capacity} events behind at revision ${this.lastRevision}`),
      );
      return;
    }
    this.lastRevision = event.revision;
    this.buffer.push(event);
    this.wake();
  }

  /**
   * Lets history up to `revision` through whatever its size: for backends whose replay arrives faster than any
   * consumer and cannot be paused (etcd sends it in large messages). Live events after it are bounded.
   */
  allowBurstUntil(revision: number): void {
    this.burstUntil = revision;
  }

  /** Ends the watch with an error, delivered after the events already queued. */
  fail(err: Error): void {
    if (this.closed) return;
    this.failure = err;
    this.onStop();
    this.wake();
    this.releaseSpaceWaiters();
  }

  stop(): void {
    if (this.closed) return;
    this.stopped = true;
    this.buffer = [];
    this.head = 0;
    this.onStop();
    this.wake();
    this.releaseSpaceWaiters();
  }

  /** How many more events fit before the consumer counts as too slow. */
  get space(): number {
    return Math.max(0, this.capacity - this.pending);
  }

  /** Resolves when the consumer has drained to half capacity (or the watch closed). */
  hasSpace(): Promise<void> {
    if (this.closed || this.pending <= this.capacity / 2) return Promise.resolve();
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return {
      next: () => this.next(),
      return: async () => {
        this.stop();
        return { done: true, value: undefined };
      },
    };
  }

  private async next(): Promise<IteratorResult<WatchEvent>> {
    for (;;) {
      if (this.head < this.buffer.length) {
        const event = this.buffer[this.head++]!;
        if (this.head > 4096 && this.head * 2 > this.buffer.length) {
          this.buffer = this.buffer.slice(this.head);
          this.head = 0;
        }
        if (this.spaceWaiters.length > 0 && this.pending <= this.capacity / 2) this.releaseSpaceWaiters();
        return { done: false, value: event };
      }
      if (this.failure) throw this.failure;
      if (this.stopped) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private releaseSpaceWaiters(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** Whether `key` is watched by a watch on `watchKey` (a prefix when recursive). */
export function watchMatches(watchKey: string, recursive: boolean, key: string): boolean {
  return recursive ? key.startsWith(watchKey) : key === watchKey;
}
