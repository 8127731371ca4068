import { ConstantBackoff, noop } from 'cockatiel';
import {
  ClientClosedError,
  Etcd3,
  GRPCDeadlineExceededError,
  GRPCUnavailableError,
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
  Watcher,
  WatchEvent,
  WatchOptions,
} from '../interface.js';
import { checkPreconditions } from '../preconditions.js';
import { WatchChannel } from '../watch-channel.js';

export interface EtcdStoreOptions {
  /** Client URLs, e.g. `http://127.0.0.1:2379`. */
  endpoints: string[];
  /** Every key is stored under this prefix (several clusters, or tests, can share one etcd). */
  prefix?: string;
  /** Undelivered live events a watcher may hold before it is ended with TooSlow. */
  watchCapacity?: number;
  /** Deadline of every unary call, so a dead etcd is an error, not a hang (default 5 s). */
  requestTimeoutMs?: number;
}

/** The compare-and-swap targets of etcd transactions (etcd's CompareTarget / CompareResult numbers). */
const CREATE = 1;
const MOD = 2;
const EQUAL = 0;

/**
 * The distributed store: the Store contract on etcd v3. Revisions are etcd's own; optimistic concurrency is an
 * etcd transaction comparing the key's mod_revision; watches are etcd watches with previous values, resumed
 * after the last delivered event when the connection to etcd comes back.
 */
export class EtcdStore implements Store {
  private readonly prefix: string;
  private compactRev = 0;
  /** The shared etcd stream per watched key, and which stream feeds each watcher. */
  private readonly shared = new Map<string, SharedWatch>();
  private readonly subscriptions = new Map<WatchChannel, SharedWatch>();

  private constructor(private readonly client: Etcd3, private readonly opts: EtcdStoreOptions) {
    this.prefix = opts.prefix ?? '';
  }

  /** Connects and checks that etcd answers (a typed Unavailable error when it does not). */
  static async open(opts: EtcdStoreOptions): Promise<EtcdStore> {
    const timeout = opts.requestTimeoutMs ?? 5000;
    const client = new Etcd3({
      hosts: opts.endpoints,
      dialTimeout: timeout,
      // Unpaged lists of a large resource exceed gRPC's 4 MiB default; kube-apiserver lifts the limit too.
      grpcOptions: { 'grpc.max_receive_message_length': -1 },
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
      // Faults surface at once as typed errors; callers (the apiserver, informers) own retrying.
      faultHandling: { host: () => noop, global: noop, watchBackoff: new ConstantBackoff(250).next() },
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
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [{ key: k, target: CREATE, result: EQUAL, create_revision: 0 }],
        success: [{ request_put: { key: k, value } }],
      }),
    );
    if (!res.succeeded) throw StorageError.alreadyExists(key);
    const rev = revisionOf(res.header);
    return { key, value, createRevision: rev, modRevision: rev };
  }

  async get(key: string): Promise<KeyValue> {
    const current = await this.latest(key);
    if (!current) throw StorageError.notFound(key);
    return current;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    let revision = opts.revision ?? 0;
    let after: string | undefined;
    if (opts.continue) {
      const token = decodeContinue(prefix, opts.continue);
      revision = token.revision;
      after = token.afterKey;
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const start = after === undefined ? this.k(prefix) : Buffer.concat([this.k(after), Buffer.from([0])]);
    const res = await this.call(() =>
      this.client.kv.range({ key: start, range_end: rangeEnd(this.k(prefix)), revision, limit }),
    );
    const listRevision = revision || revisionOf(res.header);
    const result: ListResult = { items: res.kvs.map((kv) => this.toKeyValue(kv)), revision: listRevision };
    if (res.more && result.items.length > 0) {
      result.continue = encodeContinue(prefix, listRevision, result.items[result.items.length - 1]!.key);
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
      const compare = current
        ? { key: k, target: MOD, result: EQUAL, mod_revision: current.modRevision }
        : { key: k, target: CREATE, result: EQUAL, create_revision: 0 };
      const res = await this.call(() =>
        this.client.kv.txn({ compare: [compare], success: [{ request_put: { key: k, value } }], failure: [{ request_range: { key: k } }] }),
      );
      if (res.succeeded) {
        const rev = revisionOf(res.header);
        return { key, value, createRevision: current?.createRevision ?? rev, modRevision: rev };
      }
      // Someone wrote in between: go again from what the failed transaction read.
      const kv = res.responses[0]?.response_range?.kvs[0];
      current = kv ? this.toKeyValue(kv) : undefined;
    }
  }

  async delete(key: string, preconditions?: Preconditions): Promise<KeyValue> {
    const k = this.k(key);
    let current = await this.latest(key);
    for (;;) {
      if (!current) throw StorageError.notFound(key);
      if (preconditions) checkPreconditions(key, current, preconditions);
      const res = await this.call(() =>
        this.client.kv.txn({
          compare: [{ key: k, target: MOD, result: EQUAL, mod_revision: current!.modRevision }],
          success: [{ request_delete_range: { key: k, prev_kv: true } }],
          failure: [{ request_range: { key: k } }],
        }),
      );
      if (res.succeeded) return { ...current, modRevision: revisionOf(res.header) };
      const kv = res.responses[0]?.response_range?.kvs[0];
      current = kv ? this.toKeyValue(kv) : undefined;
    }
  }

  async count(prefix: string): Promise<number> {
    const p = this.k(prefix);
    const res = await this.call(() => this.client.kv.range({ key: p, range_end: rangeEnd(p), count_only: true }));
    return Number(res.count);
  }

  watch(key: string, opts: WatchOptions = {}): Watcher {
    const recursive = opts.recursive ?? key.endsWith('/');
    const channel: WatchChannel = new WatchChannel(opts.fromRevision ?? 0, () => this.unsubscribe(channel), this.opts.watchCapacity);
    void this.subscribe(key, recursive, opts.fromRevision, channel).catch((err) => channel.fail(translateError(err, `watch ${key}`)));
    return channel;
  }

  /**
   * Attaches a watcher to an etcd watch: the shared one for its key when that stream is not past the watcher's
   * start (the usual case: many informers watching one resource from "now" cost one etcd stream, decoded
   * once), or a stream of its own that replays the older history.
   */
  private async subscribe(key: string, recursive: boolean, from: number | undefined, channel: WatchChannel): Promise<void> {
    // A probe at the start revision: tells Expired apart and pins "now" for the replay burst.
    const probe = await this.call(() => this.client.kv.range({ key: this.k(key), revision: from ?? 0, count_only: true }));
    const current = revisionOf(probe.header);
    const start = from ?? current;
    channel.lastRevision = start;
    // History up to now arrives in large etcd messages; only live events count against the capacity.
    channel.allowBurstUntil(current);
    if (channel.closed) return;
    const id = `${recursive ? 'prefix' : 'key'}:${key}`;
    const existing = this.shared.get(id);
    if (existing && !existing.failed && existing.position <= start) {
      existing.subscribers.add(channel);
      this.subscriptions.set(channel, existing);
      return;
    }
    const stream = new SharedWatch(start);
    if (!existing || existing.failed) {
      this.shared.set(id, stream);
      stream.shared = id;
    }
    stream.subscribers.add(channel);
    this.subscriptions.set(channel, stream);
    try {
      stream.watcher = await this.openEtcdWatch(key, recursive, stream);
    } catch (err) {
      this.retire(stream);
      stream.fail(translateError(err, `watch ${key}`));
      return;
    }
    if (stream.subscribers.size === 0) this.retire(stream);
  }

  private unsubscribe(channel: WatchChannel): void {
    const stream = this.subscriptions.get(channel);
    if (!stream) return;
    this.subscriptions.delete(channel);
    stream.subscribers.delete(channel);
    if (stream.subscribers.size === 0 && stream.watcher) this.retire(stream);
  }

  /** Cancels a stream nobody listens to any more and forgets it. */
  private retire(stream: SharedWatch): void {
    if (stream.shared && this.shared.get(stream.shared) === stream) this.shared.delete(stream.shared);
    void stream.watcher?.cancel().catch(() => undefined);
    stream.watcher = undefined;
  }

  private async openEtcdWatch(key: string, recursive: boolean, stream: SharedWatch): Promise<EtcdWatcher> {
    const builder = this.client.watch().withPreviousKV().startRevision(String(stream.position + 1));
    const k = this.k(key);
    const watcher = await (recursive ? builder.prefix(k) : builder.key(k)).create();
    const request = (watcher as unknown as { request: { start_revision?: string } }).request;
    // etcd3 resumes from header revisions, which run ahead of the events during a replay; resume after the
    // last event actually delivered instead, so a reconnect neither skips nor repeats.
    const pinResume = (): void => void (request.start_revision = String(stream.position + 1));
    watcher.on('connected', pinResume);
    watcher.on('put', (kv, prev) => {
      const rev = Number(kv.mod_revision);
      const value = kv.value;
      if (kv.create_revision === kv.mod_revision) stream.deliver({ type: 'ADDED', key: this.unk(kv.key), revision: rev, value });
      else stream.deliver({ type: 'MODIFIED', key: this.unk(kv.key), revision: rev, value, prevValue: prev?.value });
      pinResume();
    });
    watcher.on('delete', (kv, prev) => {
      const value = prev?.value ?? Buffer.alloc(0);
      stream.deliver({ type: 'DELETED', key: this.unk(kv.key), revision: Number(kv.mod_revision), value, prevValue: prev?.value });
      pinResume();
    });
    watcher.on('error', (err: Error) => {
      this.retire(stream);
      void this.expiredOr(stream.position, err, key).then((e) => stream.fail(e));
    });
    return watcher;
  }

  /** Why a watch ended: Expired when its next revision is compacted away, else the error itself. */
  private async expiredOr(revision: number, err: Error, key: string): Promise<StorageError> {
    try {
      await this.call(() => this.client.kv.range({ key: this.k(key), revision, count_only: true }));
    } catch (probeErr) {
      if (probeErr instanceof StorageError) return probeErr;
    }
    return translateError(err, `watch ${key}`);
  }

  async currentRevision(): Promise<number> {
    const res = await this.call(() => this.client.kv.range({ key: this.k('/'), count_only: true }));
    return revisionOf(res.header);
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.call(() => this.client.kv.compact({ revision, physical: false }));
    } catch (err) {
      // Someone (another apiserver) compacted further already: that is what was asked.
      if (!(err instanceof StorageError && err.code === 'Expired')) throw err;
    }
    this.compactRev = Math.max(this.compactRev, revision);
  }

  async compactedRevision(): Promise<number> {
    return this.compactRev;
  }

  async close(): Promise<void> {
    for (const channel of [...this.subscriptions.keys()]) channel.stop();
    this.client.close();
  }

  private async latest(key: string): Promise<KeyValue | undefined> {
    const res = await this.call(() => this.client.kv.range({ key: this.k(key) }));
    const kv = res.kvs[0];
    return kv ? this.toKeyValue(kv) : undefined;
  }

  /** Runs one etcd call, turning its failures into typed storage errors. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const typed = translateError(err, 'etcd');
      if (typed.code === 'Expired') {
        this.compactRev = Math.max(this.compactRev, typed.compactedRevision ?? 0);
      }
      throw typed;
    }
  }

  private k(key: string): Buffer {
    return Buffer.from(this.prefix + key);
  }

  private unk(key: Buffer): string {
    return key.toString().slice(this.prefix.length);
  }

  private toKeyValue(kv: IKeyValue): KeyValue {
    return { key: this.unk(kv.key), value: kv.value, createRevision: Number(kv.create_revision), modRevision: Number(kv.mod_revision) };
  }
}

/** One etcd watch stream and the watchers it feeds, all in revision order. */
class SharedWatch {
  readonly subscribers = new Set<WatchChannel>();
  watcher?: EtcdWatcher;
  /** Set when this is the stream later watchers of the same key may join. */
  shared?: string;
  failed = false;

  /** @param position the revision of the last event delivered (the stream delivers everything after it) */
  constructor(public position: number) {}

  deliver(event: WatchEvent): void {
    this.position = event.revision;
    for (const channel of this.subscribers) channel.push(event);
  }

  fail(err: Error): void {
    this.failed = true;
    for (const channel of [...this.subscribers]) channel.fail(err);
  }
}

function revisionOf(header: IResponseHeader): number {
  return Number(header.revision);
}

/** The exclusive end of the etcd range holding every key with this prefix (the prefix plus one, in bytes). */
function rangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** Maps etcd and gRPC failures to typed storage errors: 503 for an unreachable etcd, 410 for compacted. */
function translateError(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/required revision has been compacted/.test(message)) {
    return new StorageError('Expired', `${what}: the requested revision has been compacted`, undefined, undefined, { cause: err });
  }
  if (/required revision is a future revision/.test(message)) return StorageError.invalid(`${what}: ${message}`);
  if (
    err instanceof GRPCUnavailableError ||
    err instanceof GRPCDeadlineExceededError ||
    err instanceof ClientClosedError ||
    /ECONNREFUSED|No connection established|Failed to connect|connect|deadline/i.test(message)
  ) {
    return StorageError.unavailable(`etcd is unavailable: ${message}`, err);
  }
  return StorageError.internal(`${what}: ${message}`, err);
}
