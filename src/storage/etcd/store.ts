import { ExponentialBackoff, handleWhen, noop, retry } from 'cockatiel';
import {
  ClientClosedError,
  Etcd3,
  GRPCCancelledError,
  GRPCDeadlineExceededError,
  GRPCUnavailableError,
  Range,
  type ICompare,
  type IEvent,
  type IRequestOp,
  type IKeyValue,
  type IResponseHeader,
  type Watcher as EtcdWatcher,
} from 'etcd3';
import { decodeContinue, encodeContinue } from '../continue.js';
import { StorageError } from '../errors.js';
import type {
  GuaranteedUpdateOptions,
  KeyValue,
  ListOptions,
  ListResult,
  Preconditions,
  Store,
  UpdateFunc,
  WatchEvent,
  Watcher,
  WatchOptions,
} from '../interface.js';
import { checkPreconditions } from '../preconditions.js';
import { WatchChannel } from '../watch-channel.js';

export interface EtcdStoreOptions {
  /** Client URLs, e.g. `http://127.0.0.1:2379`. */
  endpoints: string[];
  /** Every key is stored under this prefix, so several clusters (or tests) can share one etcd. */
  prefix?: string;
  /** Undelivered live events a watcher may hold before it is ended with TooSlow. */
  watchCapacity?: number;
  /** Deadline of every unary call, so a dead etcd is a prompt Unavailable error, not a hang (default 5000). */
  requestTimeoutMs?: number;
}

const ZERO = Buffer.from([0]);
const EMPTY = Buffer.alloc(0);
/** List responses are as large as the list (10,000 objects easily pass gRPC's default 4 MB); etcd bounds requests. */
const MAX_MESSAGE_BYTES = 2 ** 31 - 1;
/** How long `close` waits for etcd to confirm that watches are cancelled. */
const CLOSE_GRACE_MS = 1000;

/**
 * The Store contract on etcd v3, for clusters of several machines. Revisions are etcd's own; optimistic
 * concurrency is an etcd transaction comparing the key's mod_revision; a watch is an etcd watch with previous
 * values that survives etcd restarts, resuming right after the last event it delivered.
 */
export class EtcdStore implements Store {
  private readonly prefix: string;
  /** The oldest readable revision as far as we know: our own compactions and what "compacted" errors taught us. */
  private compactRev = 0;
  /** The etcd watch each watcher is fed by, and per key the one later watchers may join. */
  private readonly feedOf = new Map<WatchChannel, Feed>();
  private readonly feeds = new Map<string, Feed>();
  private readonly cancelling = new Set<Promise<void>>();
  private closed = false;

  private constructor(private readonly client: Etcd3, private readonly opts: EtcdStoreOptions) {
    this.prefix = opts.prefix ?? '';
  }

  /** Connects and checks that etcd answers (a typed Unavailable error when it does not). */
  static async open(opts: EtcdStoreOptions): Promise<EtcdStore> {
    const timeout = opts.requestTimeoutMs ?? 5000;
    const client = new Etcd3({
      hosts: opts.endpoints,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
      grpcOptions: {
        'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
        // Reconnect within a second of etcd coming back, and notice a silent peer on a long-lived watch stream.
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5000,
      },
      // etcd3's defaults (3 retries behind a circuit breaker that stays open for 5 s) make a dead etcd slow to
      // report and slow to recover. Faults surface at once as typed errors; callers own retrying. The one retry
      // kept is a refused connection with several endpoints: the request never left, so another host may take it.
      faultHandling: {
        host: () => noop,
        global:
          opts.endpoints.length > 1
            ? retry(handleWhen((err) => err instanceof GRPCUnavailableError && /ECONNREFUSED/.test(err.message)), {
                maxAttempts: opts.endpoints.length - 1,
              })
            : noop,
        watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }).next(),
      },
    });
    const store = new EtcdStore(client, opts);
    try {
      await store.currentRevision();
    } catch (err) {
      client.close();
      throw err;
    }
    return store;
  }

  async create(key: string, value: Buffer): Promise<KeyValue> {
    const k = this.k(key);
    const rev = await this.swap(k, undefined, { request_put: { key: k, value } });
    if (typeof rev !== 'number') throw StorageError.alreadyExists(key);
    return { key, value, createRevision: rev, modRevision: rev };
  }

  async get(key: string): Promise<KeyValue> {
    const current = await this.latest(key);
    if (!current) throw StorageError.notFound(key);
    return current;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    let revision = opts.revision ?? 0;
    let start = this.k(prefix);
    if (opts.continue) {
      const token = decodeContinue(prefix, opts.continue);
      revision = token.revision;
      // The next page starts strictly after the last key returned: the smallest key greater than it.
      start = Buffer.concat([this.k(token.afterKey), ZERO]);
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const res = await this.call(
      () => this.client.kv.range({ key: nonEmpty(start), range_end: rangeEnd(this.k(prefix)), revision, limit }),
      revision,
    );
    const listRevision = revision || revisionOf(res.header);
    const result: ListResult = { items: res.kvs.map((kv) => this.toKeyValue(kv)), revision: listRevision };
    if (res.more && result.items.length > 0) {
      result.continue = encodeContinue(prefix, listRevision, result.items[result.items.length - 1]!.key);
      // etcd counts the whole range from the start of this page, not only what it returned.
      result.remainingItemCount = Number(res.count) - result.items.length;
    }
    return result;
  }

  async guaranteedUpdate(key: string, tryUpdate: UpdateFunc, opts: GuaranteedUpdateOptions = {}): Promise<KeyValue> {
    const k = this.k(key);
    let current = await this.latest(key);
    for (;;) {
      if (!current && !opts.ignoreNotFound) throw StorageError.notFound(key);
      if (current && opts.preconditions) checkPreconditions(key, current, opts.preconditions);
      const value = await tryUpdate(current);
      if (current && value.equals(current.value)) return current;
      const rev = await this.swap(k, current, { request_put: { key: k, value } });
      if (typeof rev === 'number') return { key, value, createRevision: current?.createRevision ?? rev, modRevision: rev };
      current = rev.now;
    }
  }

  async delete(key: string, preconditions?: Preconditions): Promise<KeyValue> {
    const k = this.k(key);
    let current = await this.latest(key);
    for (;;) {
      if (!current) throw StorageError.notFound(key);
      if (preconditions) checkPreconditions(key, current, preconditions);
      const rev = await this.swap(k, current, { request_delete_range: { key: k } });
      if (typeof rev === 'number') return { ...current, modRevision: rev };
      current = rev.now;
    }
  }

  /**
   * One compare-and-swap: runs `op` if the key is still at `current`'s modRevision (or, for undefined, still
   * absent), resolving to the write's revision; otherwise resolves to what the key is `now`, read by the same
   * transaction, so a retry costs one round trip.
   */
  private async swap(k: Buffer, current: KeyValue | undefined, op: IRequestOp): Promise<number | { now?: KeyValue }> {
    const compare: ICompare = current
      ? { key: k, target: 'Mod', result: 'Equal', mod_revision: current.modRevision }
      : { key: k, target: 'Create', result: 'Equal', create_revision: 0 };
    const res = await this.call(() => this.client.kv.txn({ compare: [compare], success: [op], failure: [{ request_range: { key: k } }] }));
    if (res.succeeded) return revisionOf(res.header);
    const kv = res.responses[0]?.response_range?.kvs[0];
    return { now: kv ? this.toKeyValue(kv) : undefined };
  }

  async count(prefix: string): Promise<number> {
    const p = this.k(prefix);
    const res = await this.call(() => this.client.kv.range({ key: nonEmpty(p), range_end: rangeEnd(p), count_only: true }));
    return Number(res.count);
  }

  watch(key: string, opts: WatchOptions = {}): Watcher {
    const recursive = opts.recursive ?? key.endsWith('/');
    const channel: WatchChannel = new WatchChannel(opts.fromRevision ?? 0, () => this.leave(channel), this.opts.watchCapacity);
    if (this.closed) channel.fail(StorageError.unavailable('storage is closed'));
    else this.join(key, recursive, opts.fromRevision, channel).catch((err: unknown) => channel.fail(translateError(err)));
    return channel;
  }

  /**
   * Attaches a channel to an etcd watch. A probe read at the start revision first tells a compacted start
   * (Expired) apart, and pins "now": the history up to it arrives in large etcd messages that no consumer keeps
   * up with, so only later events count against the channel's capacity. Watchers of one key share one etcd
   * watch (decoded once) when it is not past their start, as informers watching from "now" are.
   */
  private async join(key: string, recursive: boolean, from: number | undefined, channel: WatchChannel): Promise<void> {
    if (from !== undefined && from < this.compactRev) throw StorageError.expired(from, this.compactRev);
    let now = from ?? 0;
    try {
      const probe = await this.call(() => this.client.kv.range({ key: nonEmpty(this.k(key)), revision: from ?? 0, count_only: true }), from ?? 0);
      now = revisionOf(probe.header);
    } catch (err) {
      // A start in the future is no error: the watch waits for it, as on SQLite.
      if (!(err instanceof StorageError && err.code === 'Invalid' && from !== undefined)) throw err;
    }
    if (channel.closed) return;
    if (this.closed) return channel.stop();
    channel.lastRevision = from ?? now;
    channel.allowBurstUntil(now);
    const id = `${recursive ? 'prefix' : 'key'} ${key}`;
    let feed = this.feeds.get(id);
    if (!feed || feed.position > channel.lastRevision) {
      feed = this.openFeed(id, key, recursive, channel.lastRevision);
      if (!this.feeds.has(id)) this.feeds.set(id, feed);
    }
    feed.channels.add(channel);
    this.feedOf.set(channel, feed);
  }

  private leave(channel: WatchChannel): void {
    const feed = this.feedOf.get(channel);
    this.feedOf.delete(channel);
    if (!feed) return;
    feed.channels.delete(channel);
    if (feed.channels.size === 0) this.retire(feed);
  }

  /** Takes a feed out of sharing and cancels its etcd watch (unless etcd cancelled it). */
  private retire(feed: Feed): void {
    if (this.feeds.get(feed.id) === feed) this.feeds.delete(feed.id);
    if (feed.cancelled) return;
    feed.cancelled = true;
    const done = feed.watcher.cancel().catch(() => undefined);
    this.cancelling.add(done);
    void done.then(() => this.cancelling.delete(done));
  }

  /** Opens an etcd watch delivering every event after `position` to the feed's channels. */
  private openFeed(id: string, key: string, recursive: boolean, position: number): Feed {
    const k = this.k(key);
    const builder = this.client.watch().withPreviousKV().startRevision(String(position + 1));
    // watcher(), not create(): listeners go on synchronously, before any response can arrive.
    const watcher = (recursive ? builder.inRange(new Range(nonEmpty(k), rangeEnd(k))) : builder.key(k)).watcher();
    const feed: Feed = { id, watcher, position, channels: new Set(), cancelled: false };
    // etcd3 resumes a reconnected watch after the revision in the last response header, which runs ahead of the
    // events while history replays (and is "now" on 'connected'): a reconnect would skip events. These listeners
    // run after etcd3's own and move the resume point back to right after the last event delivered.
    const resumeAfterDelivered = (): void => {
      watcher.request.start_revision = String(feed.position + 1);
    };
    watcher.on('connected', resumeAfterDelivered);
    watcher.on('data', (res) => {
      for (const e of res.events) {
        const event = this.toWatchEvent(e);
        feed.position = event.revision;
        for (const channel of feed.channels) channel.push(event);
      }
      resumeAfterDelivered();
    });
    // etcd3 reports only cancellations here (connection faults it rides out, reconnecting with backoff),
    // and the watcher is already off its stream.
    watcher.on('error', (err: Error) => {
      feed.cancelled = true;
      this.retire(feed);
      void this.feedCancelled(feed, err);
    });
    return feed;
  }

  /** Ends the channels of a feed that etcd cancelled: Expired when its resume point is compacted away. */
  private async feedCancelled(feed: Feed, err: Error): Promise<void> {
    let failure: StorageError;
    try {
      const compacted = /compacted/.test(err.message) || !(await this.readable(feed.position));
      failure = compacted ? await this.expired(feed.position) : translateError(err);
    } catch (probeErr) {
      failure = translateError(probeErr);
    }
    for (const channel of [...feed.channels]) channel.fail(failure);
  }

  async currentRevision(): Promise<number> {
    const res = await this.call(() => this.client.kv.range({ key: this.k('/'), count_only: true }));
    return revisionOf(res.header);
  }

  async compact(revision: number): Promise<void> {
    if (this.closed) throw StorageError.unavailable('storage is closed');
    try {
      await this.client.kv.compact({ revision });
    } catch (err) {
      const message = err instanceof Error ? err.message : '';
      // Beyond the current revision: compact everything there is, as SQLite does.
      if (/future revision/.test(message)) return this.compact(await this.currentRevision());
      // "Compacted": someone (another apiserver's compactor) compacted as far or further already.
      if (!isCompacted(err)) throw translateError(err);
    }
    this.compactRev = Math.max(this.compactRev, revision);
  }

  async compactedRevision(): Promise<number> {
    return this.compactRev;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const channel of [...this.feedOf.keys()]) channel.stop();
    // Cancelled watches leave etcd3's stream; a watcher left on it would keep reconnecting to a closed client.
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)));
    await Promise.race([Promise.all(this.cancelling), grace]);
    clearTimeout(timer);
    this.client.close();
  }

  private async latest(key: string): Promise<KeyValue | undefined> {
    const res = await this.call(() => this.client.kv.range({ key: this.k(key) }));
    const kv = res.kvs[0];
    return kv ? this.toKeyValue(kv) : undefined;
  }

  /** Runs one etcd call, turning its failures into typed storage errors (`revision`: the one it reads at). */
  private async call<T>(fn: () => Promise<T>, revision = 0): Promise<T> {
    if (this.closed) throw StorageError.unavailable('storage is closed');
    try {
      return await fn();
    } catch (err) {
      if (isCompacted(err)) throw await this.expired(revision);
      throw translateError(err);
    }
  }

  /**
   * The Expired error for a read at `revision`. etcd's "compacted" error names no revision, so unless we already
   * know a compaction past it, find the oldest readable revision by bisection (reads at it succeed, before it fail).
   */
  private async expired(revision: number): Promise<StorageError> {
    if (this.compactRev <= revision) {
      let lo = revision + 1;
      try {
        let hi = await this.currentRevision();
        while (lo < hi) {
          const mid = Math.floor((lo + hi) / 2);
          if (await this.readable(mid)) hi = mid;
          else lo = mid + 1;
        }
      } catch {
        // etcd went away while we looked: what we know is still a correct lower bound.
      }
      this.compactRev = Math.max(this.compactRev, lo);
    }
    return StorageError.expired(revision, this.compactRev);
  }

  /** Whether etcd can still read at `revision` (it is not compacted away). */
  private async readable(revision: number): Promise<boolean> {
    try {
      await this.client.kv.range({ key: this.k('/'), revision, count_only: true });
      return true;
    } catch (err) {
      if (isCompacted(err)) return false;
      throw translateError(err);
    }
  }

  private k(key: string): Buffer {
    return Buffer.from(this.prefix + key);
  }

  private toKeyValue(kv: IKeyValue): KeyValue {
    return {
      key: kv.key.toString().slice(this.prefix.length),
      value: kv.value,
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  private toWatchEvent({ type, kv, prev_kv: prev }: IEvent): WatchEvent {
    const key = kv.key.toString().slice(this.prefix.length);
    const revision = Number(kv.mod_revision);
    // A delete's kv is a tombstone: the last value comes from prev_kv (absent only if compacted away).
    if (type === 'Delete') return { type: 'DELETED', key, revision, value: prev?.value ?? EMPTY, prevValue: prev?.value };
    if (kv.create_revision === kv.mod_revision) return { type: 'ADDED', key, revision, value: kv.value };
    return { type: 'MODIFIED', key, revision, value: kv.value, prevValue: prev?.value };
  }
}

/** One etcd watch and the watchers it feeds, in revision order. */
interface Feed {
  id: string;
  watcher: EtcdWatcher;
  /** The revision of the last event delivered: the watch resumes after it. */
  position: number;
  channels: Set<WatchChannel>;
  cancelled: boolean;
}

function revisionOf(header: IResponseHeader): number {
  return Number(header.revision);
}

/** etcd refuses an empty key; the zero byte is the smallest key there is (the whole keyspace, with no prefix). */
function nonEmpty(key: Buffer): Buffer {
  return key.length === 0 ? ZERO : key;
}

/** The exclusive end of the range of keys with this prefix: the prefix with its last byte below 0xff plus one. */
function rangeEnd(prefix: Buffer): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const end = Buffer.from(prefix.subarray(0, i + 1));
      end[i]!++;
      return end;
    }
  }
  return ZERO; // etcd: every key from the start on
}

function isCompacted(err: unknown): boolean {
  return err instanceof Error && /required revision has been compacted/.test(err.message);
}

/** etcd answers that mean "try again shortly": no leader, an overloaded or stopping member. */
const TRANSIENT = /etcdserver: (request timed out|leader changed|no leader|not capable|too many requests|server stopped)/;

/** Maps etcd and gRPC failures to typed storage errors: Unavailable (503) for an etcd we cannot use right now. */
function translateError(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/required revision is a future revision/.test(message)) {
    return StorageError.invalid(`the requested revision is newer than the current revision (${message})`);
  }
  if (/database space exceeded/.test(message)) {
    return StorageError.unavailable(`etcd is unavailable: insufficient storage: etcd's database is full (${message})`, err);
  }
  if (/request is too large/.test(message)) return StorageError.invalid(`the value is too large for etcd (${message})`);
  if (
    err instanceof GRPCUnavailableError ||
    err instanceof GRPCDeadlineExceededError ||
    err instanceof GRPCCancelledError ||
    err instanceof ClientClosedError ||
    TRANSIENT.test(message)
  ) {
    return StorageError.unavailable(`etcd is unavailable: ${message}`, err);
  }
  return StorageError.internal(`etcd: ${message}`, err);
}
