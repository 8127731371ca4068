import type { Logger } from 'pino';
import type { Store } from './interface.js';

export interface CompactorOptions {
  /** History younger than this is always kept (default 5 minutes, as kube-apiserver). */
  retentionMs?: number;
  /** How often to sample the revision and compact (default 1 minute). */
  intervalMs?: number;
  logger?: Logger;
  now?: () => number;
}

/**
 * Compacts a store on a schedule. Every interval it records the current revision; it compacts to the newest
 * revision recorded at least `retentionMs` ago, so at least the last `retentionMs` of history stays
 * watchable. One compactor runs per store (on etcd, per cluster: several would only repeat each other's work).
 */
export class Compactor {
  private readonly samples: Array<{ at: number; revision: number }> = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly retentionMs: number;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(private readonly store: Store, private readonly opts: CompactorOptions = {}) {
    this.retentionMs = opts.retentionMs ?? 5 * 60_000;
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round: sample, then compact to the newest sample older than the retention. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.compactOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async compactOnce(): Promise<void> {
    try {
      const at = this.now();
      this.samples.push({ at, revision: await this.store.currentRevision() });
      let target = 0;
      while (this.samples.length > 0 && this.samples[0]!.at <= at - this.retentionMs) target = this.samples.shift()!.revision;
      if (target > (await this.store.compactedRevision())) {
        const started = this.now();
        await this.store.compact(target);
        this.opts.logger?.info({ revision: target, ms: this.now() - started }, 'compacted storage history');
      }
    } catch (err) {
      // A failed round is retried next interval; storage faults are reported where writes fail.
      this.opts.logger?.warn({ err }, 'storage compaction failed');
    }
  }
}
