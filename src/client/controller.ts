/**
 * The shape every controller has (client-go's controller pattern): informers feed keys into a rate-limited
 * work queue; workers take keys and call the controller's idempotent `sync(key)`, which reads the current
 * state from the informers' caches and makes the world match. A failed sync is retried with per-key
 * exponential backoff; a successful one resets it. Missing an event never loses work: the next event or
 * resync for the key runs `sync` again.
 */
import type { Logger } from 'pino';
import { componentLogger } from '../util/log.js';
import { metaNamespaceKey } from './indexer.js';
import type { ResourceEventHandler } from './informer.js';
import type { RateLimiter } from './rate-limiter.js';
import type { KubeObject } from './types.js';
import { RateLimitingQueue } from './workqueue.js';

export interface ControllerOptions {
  name: string;
  /** Makes the world match the key's desired state; throws to be retried with backoff. */
  sync: (key: string) => Promise<void>;
  logger?: Logger;
  rateLimiter?: RateLimiter<string>;
}

export class Controller {
  readonly queue: RateLimitingQueue<string>;
  readonly log: Logger;
  private workers: Promise<void>[] = [];

  constructor(private readonly opts: ControllerOptions) {
    this.queue = new RateLimitingQueue<string>(opts.rateLimiter);
    this.log = opts.logger ?? componentLogger(opts.name);
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  enqueueAfter(key: string, delayMs: number): void {
    this.queue.addAfter(key, delayMs);
  }

  /** An event handler that enqueues `keyOf(obj)` (default: the object's namespace/name) on every event. */
  handler<T extends KubeObject>(keyOf: (obj: T) => string | undefined = metaNamespaceKey): ResourceEventHandler<T> {
    const add = (obj: T): void => {
      const key = keyOf(obj);
      if (key !== undefined) this.enqueue(key);
    };
    return { onAdd: add, onUpdate: (_old, obj) => add(obj), onDelete: add };
  }

  /** Starts `workers` workers; they run until `stop`. */
  run(workers: number): void {
    for (let i = 0; i < workers; i++) this.workers.push(this.worker());
  }

  /** Stops handing out keys and waits for the syncs in flight. */
  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.workers);
  }

  private async worker(): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      try {
        await this.opts.sync(key);
        this.queue.forget(key);
      } catch (err) {
        this.log.warn({ key, err: err instanceof Error ? err.message : String(err), retries: this.queue.numRequeues(key) }, 'sync failed; will retry');
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }
}
