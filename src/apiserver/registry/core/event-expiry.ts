/**
 * Event expiry (kube-apiserver's `--event-ttl`, 1 h by default): events are deleted once they have not been
 * observed for the TTL.
 *
 * Why a sweeper over the events watch cache rather than a TTL on storage writes: kube-apiserver attaches an
 * etcd lease to every event write, but our Store interface has no TTL and SQLite has no leases (kine emulates
 * them with a sweep of its own). A sweeper in the apiserver gives the same behaviour on every backend with no
 * change to the Store contract, and it survives restarts because it decides from what the events themselves
 * record (the last of series.lastObservedTime, lastTimestamp, eventTime, firstTimestamp, creationTimestamp),
 * not from in-memory timers. Like a lease, an event that is observed again (its series or count bumped) lives
 * on. Events are not in the watch cache (as in kube), so the sweeper follows them itself: one paged list,
 * then a watch, keeping only each event's expiry time and revision; only expired events cost a storage write
 * (a delete at the revision seen, so an event updated meanwhile is kept).
 */
import type { Logger } from 'pino';
import { StatusError } from '../../../apimachinery/status.js';
import type { CachedObject } from '../../../storage/cacher/cacher.js';
import type { GenericRegistry } from '../generic.js';
import type { StoredObject } from '../strategy.js';

/** kube-apiserver's default `--event-ttl`. */
export const DEFAULT_EVENT_TTL_SECONDS = 3600;

/** The last time an event was observed, in ms since the epoch (NaN when it records none). */
export function lastObserved(ev: StoredObject): number {
  const series = ev.series as { lastObservedTime?: string } | undefined;
  const candidates = [series?.lastObservedTime, ev.lastTimestamp, ev.eventTime, ev.firstTimestamp, ev.metadata.creationTimestamp];
  let last = NaN;
  for (const c of candidates) {
    const t = typeof c === 'string' ? Date.parse(c) : NaN;
    if (!Number.isNaN(t) && !(t <= last)) last = t;
  }
  return last;
}

export interface EventExpiryOptions {
  ttlSeconds: number;
  /** How often to sweep; default a third of the TTL, between 1 s and 60 s. */
  intervalMs?: number;
  logger: Logger;
}

export class EventExpiry {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly ttlMs: number;
  private readonly intervalMs: number;
  /** When each event (by key, at its revision) expires, as the list and watch of events last told. */
  private readonly expiries = new Map<string, { revision: number; at: number }>();
  /** Resolves once the first list is in `expiries`. */
  private followed: Promise<void> | undefined;
  private unfollow: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly events: GenericRegistry,
    private readonly opts: EventExpiryOptions,
  ) {
    this.ttlMs = opts.ttlSeconds * 1000;
    this.intervalMs = opts.intervalMs ?? Math.min(60_000, Math.max(1000, Math.floor(this.ttlMs / 3)));
  }

  start(): void {
    if (this.ttlMs <= 0) return;
    this.followed = this.follow();
    const tick = (): void => {
      this.sweeping = this.sweep()
        .then(() => undefined)
        .catch((err: unknown) => this.opts.logger.warn({ err }, 'event expiry sweep failed'))
        .finally(() => {
          this.sweeping = undefined;
          if (this.timer) this.timer = setTimeout(tick, this.intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, Math.min(this.intervalMs, 1000)).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.unfollow?.();
    await this.sweeping;
  }

  /** Deletes every event not observed within the TTL; returns how many went. */
  async sweep(now = Date.now()): Promise<number> {
    await this.followed;
    let deleted = 0;
    for (const [key, e] of [...this.expiries]) {
      if (e.at > now || this.stopped) continue;
      // Keys are <prefix><namespace>/<name>.
      const [namespace, name] = key.slice(this.events.prefix.length).split('/') as [string, string];
      try {
        await this.events.delete(namespace, name, { preconditions: { resourceVersion: String(e.revision) } });
        deleted++;
      } catch (err) {
        // Gone already, or observed again since: nothing to do.
        if (!(err instanceof StatusError && (err.code === 404 || err.code === 409))) throw err;
      }
    }
    if (deleted > 0) this.opts.logger.debug({ deleted }, 'expired events deleted');
    return deleted;
  }

  /** Lists every event (a page at a time) and then follows their changes; starts over if the watch ends. */
  private async follow(): Promise<void> {
    try {
      this.expiries.clear();
      let revision = 0;
      let token: string | undefined;
      do {
        const page = await this.events.list({ limit: 1000, ...(token ? { continue: token } : {}) });
        for (const o of page.items) this.observe(o);
        revision = page.revision;
        token = page.continue;
      } while (token && !this.stopped);
      const pending = this.events.watchSource(this.events.prefix, { initial: false, revision }, () => true);
      const source = pending instanceof Promise ? await pending : pending;
      if (source.tooOld) throw source.tooOld;
      if (this.stopped) return;
      this.unfollow = source.attach({
        event: (ev) => {
          if (ev.type === 'DELETED') this.expiries.delete(ev.object.key);
          else this.observe(ev.object);
          return !this.stopped;
        },
        terminate: () => this.refollow(),
      });
    } catch (err) {
      this.opts.logger.warn({ err }, 'event expiry lost track of events; listing again');
      this.refollow();
    }
  }

  private refollow(): void {
    if (!this.stopped) setTimeout(() => (this.followed = this.follow()), 1000).unref();
  }

  private observe(o: CachedObject): void {
    const seen = lastObserved(JSON.parse(o.json) as StoredObject);
    // An event recording no time at all is kept for a TTL from when this apiserver first saw it.
    const previous = this.expiries.get(o.key);
    const at = Number.isNaN(seen) ? (previous?.at ?? Date.now() + this.ttlMs) : seen + this.ttlMs;
    this.expiries.set(o.key, { revision: o.revision, at });
  }
}
