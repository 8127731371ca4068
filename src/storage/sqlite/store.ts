import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as DB } from 'better-sqlite3';
import { decodeContinue, encodeContinue, prefixEnd } from '../continue.js';
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
  WatchOptions,
  Watcher,
} from '../interface.js';
import { checkPreconditions } from '../preconditions.js';
import { WatchChannel, watchMatches } from '../watch-channel.js';

export interface SQLiteStoreOptions {
  /** Path of the database file (created with its directory if missing). */
  path: string;
  /** Undelivered events a watcher may hold before it is ended with TooSlow. */
  watchCapacity?: number;
}

/** A row of the revision log: one row per write, the rev being the cluster-wide revision. */
interface Row {
  rev: number;
  key: string;
  deleted: number;
  create_rev: number;
  prev_rev: number;
  value: Buffer;
}

interface EventRow extends Row {
  prev_value: Buffer | null;
}

type WriteOp =
  | { kind: 'create'; key: string; value: Buffer }
  | { kind: 'update'; key: string; value: Buffer; expectedModRevision: number; preconditions?: Preconditions }
  | { kind: 'delete'; key: string; preconditions?: Preconditions };

/** A queued write and how to answer it. `stale` means the key moved since it was read: retry. */
interface PendingWrite {
  op: WriteOp;
  resolve: (result: KeyValue | 'stale') => void;
  reject: (err: unknown) => void;
}

interface LiveWatch {
  key: string;
  recursive: boolean;
  channel: WatchChannel;
}

const HISTORY_CHUNK = 1000;
const COMPACT_BATCH = 10_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  rev INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  create_rev INTEGER NOT NULL,
  prev_rev INTEGER NOT NULL,
  value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_key_rev ON kv (key, rev);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

/**
 * The embedded store: a log of revisions in one SQLite file, like k3s's kine. Each write appends a row whose
 * rowid is its revision; a read at revision R takes, per key, the newest row at or before R.
 *
 * Durability: WAL with synchronous=FULL, so a commit is on disk before it returns. Writes arriving in the same
 * turn of the event loop are applied in one transaction (group commit) and acknowledged after it commits.
 * Watchers are fed synchronously after each commit, so a watch never misses or reorders an event.
 */
export class SQLiteStore implements Store {
  private readonly db: DB;
  private rev: number;
  private compactRev: number;
  private queue: PendingWrite[] = [];
  private flushScheduled = false;
  private readonly watches = new Set<LiveWatch>();
  private closed = false;
  private readonly stmts: ReturnType<SQLiteStore['prepare']>;

  private constructor(db: DB, private readonly opts: SQLiteStoreOptions) {
    this.db = db;
    this.stmts = this.prepare();
    const maxRev = (this.stmts.maxRev.get() as { rev: number | null }).rev ?? 0;
    this.compactRev = this.readMeta('compact_rev');
    // Compaction may have removed the newest rows (tombstones), so the revision never goes below it.
    this.rev = Math.max(maxRev, this.compactRev, this.readMeta('rev_floor'));
  }

  /** Opens (creating if needed) the database file. Corrupt or unreadable files fail with a typed error. */
  static open(opts: SQLiteStoreOptions): SQLiteStore {
    let db: DB | undefined;
    try {
      mkdirSync(dirname(opts.path), { recursive: true });
      db = new Database(opts.path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new StorageError('Internal', `database ${opts.path} is corrupt: ${String(check)}`);
      return new SQLiteStore(db, opts);
    } catch (err) {
      db?.close();
      throw translateError(err, `open database ${opts.path}`);
    }
  }

  private prepare() {
    const db = this.db;
    return {
      maxRev: db.prepare('SELECT MAX(rev) AS rev FROM kv'),
      meta: db.prepare('SELECT value FROM meta WHERE name = ?').pluck(),
      setMeta: db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
      latest: db.prepare('SELECT rev, key, deleted, create_rev, prev_rev, value FROM kv WHERE key = ? ORDER BY rev DESC LIMIT 1'),
      insert: db.prepare('INSERT INTO kv (rev, key, deleted, create_rev, prev_rev, value) VALUES (?, ?, ?, ?, ?, ?)'),
      // Per key, the newest row at or before the revision (SQLite takes bare columns from the MAX row).
      listPage: db.prepare(`
        SELECT key, MAX(rev) AS rev, deleted, create_rev, value FROM kv
        WHERE key >= ? AND key > ? AND key < ? AND rev <= ? GROUP BY key HAVING deleted = 0 ORDER BY key LIMIT ?`),
      countRange: db.prepare(`
        SELECT COUNT(*) FROM (SELECT MAX(rev), deleted FROM kv
        WHERE key >= ? AND key > ? AND key < ? AND rev <= ? GROUP BY key HAVING deleted = 0)`).pluck(),
      history: db.prepare(`
        SELECT k.rev, k.key, k.deleted, k.create_rev, k.prev_rev, k.value, p.value AS prev_value
        FROM kv k LEFT JOIN kv p ON p.rev = k.prev_rev
        WHERE k.rev > ? AND k.key >= ? AND k.key < ? ORDER BY k.rev LIMIT ?`),
      historyKey: db.prepare(`
        SELECT k.rev, k.key, k.deleted, k.create_rev, k.prev_rev, k.value, p.value AS prev_value
        FROM kv k LEFT JOIN kv p ON p.rev = k.prev_rev
        WHERE k.key = ? AND k.rev > ? ORDER BY k.rev LIMIT ?`),
      compactSuperseded: db.prepare(`
        DELETE FROM kv WHERE rev IN (
          SELECT o.rev FROM kv n JOIN kv o ON o.key = n.key AND o.rev < n.rev WHERE n.rev > ? AND n.rev <= ?)`),
      compactTombstones: db.prepare('DELETE FROM kv WHERE deleted = 1 AND rev > ? AND rev <= ?'),
    };
  }

  private readMeta(name: string): number {
    return (this.stmts.meta.get(name) as number | undefined) ?? 0;
  }

  async create(key: string, value: Buffer): Promise<KeyValue> {
    return (await this.enqueue({ kind: 'create', key, value })) as KeyValue;
  }

  async get(key: string): Promise<KeyValue> {
    this.assertOpen();
    const row = this.read(() => this.stmts.latest.get(key) as Row | undefined);
    if (!row || row.deleted) throw StorageError.notFound(key);
    return toKeyValue(row);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    let revision = opts.revision || this.rev;
    let after = '';
    if (opts.continue) {
      const token = decodeContinue(prefix, opts.continue);
      revision = token.revision;
      after = token.afterKey;
    }
    if (revision > this.rev) throw StorageError.invalid(`revision ${revision} is newer than the current revision ${this.rev}`);
    if (revision < this.compactRev) throw StorageError.expired(revision, this.compactRev);
    const end = prefixEnd(prefix);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
    return this.read(() => {
      const rows = this.stmts.listPage.all(prefix, after, end, revision, limit === -1 ? -1 : limit + 1) as Row[];
      const result: ListResult = { items: [], revision };
      const more = limit !== -1 && rows.length > limit;
      if (more) rows.length = limit;
      for (const row of rows) result.items.push(toKeyValue(row));
      if (more) {
        const last = rows[rows.length - 1]!.key;
        result.continue = encodeContinue(prefix, revision, last);
        result.remainingItemCount = this.stmts.countRange.get(prefix, last, end, revision) as number;
      }
      return result;
    });
  }

  async guaranteedUpdate(key: string, tryUpdate: UpdateFunc, opts: GuaranteedUpdateOptions = {}): Promise<KeyValue> {
    this.assertOpen();
    let current = this.latestLive(key);
    for (;;) {
      if (!current && !opts.ignoreNotFound) throw StorageError.notFound(key);
      if (current && opts.preconditions) checkPreconditions(key, current, opts.preconditions);
      const value = await tryUpdate(current);
      if (current && value.equals(current.value)) return current;
      const result = current
        ? await this.enqueue({ kind: 'update', key, value, expectedModRevision: current.modRevision, preconditions: opts.preconditions })
        : await this.enqueue({ kind: 'create', key, value }).catch((err) => {
            if (err instanceof StorageError && err.code === 'AlreadyExists') return 'stale' as const;
            throw err;
          });
      if (result !== 'stale') return result;
      current = this.latestLive(key);
    }
  }

  async delete(key: string, preconditions?: Preconditions): Promise<KeyValue> {
    return (await this.enqueue({ kind: 'delete', key, preconditions })) as KeyValue;
  }

  async count(prefix: string): Promise<number> {
    this.assertOpen();
    return this.read(() => this.stmts.countRange.get(prefix, '', prefixEnd(prefix), this.rev) as number);
  }

  watch(key: string, opts: WatchOptions = {}): Watcher {
    this.assertOpen();
    const recursive = opts.recursive ?? key.endsWith('/');
    const from = opts.fromRevision ?? this.rev;
    const live: LiveWatch = { key, recursive, channel: undefined as unknown as WatchChannel };
    const channel = new WatchChannel(from, () => this.watches.delete(live), this.opts.watchCapacity);
    live.channel = channel;
    if (from < this.compactRev) {
      channel.fail(StorageError.expired(from, this.compactRev));
    } else if (from >= this.rev) {
      this.watches.add(live);
    } else {
      void this.replay(live).catch((err) => channel.fail(translateError(err, `watch ${key}`)));
    }
    return channel;
  }

  /**
   * Streams history after the watch's start revision in chunks, pacing itself on the consumer, then joins the
   * live feed. The last chunk read and joining happen in one synchronous step, so no commit falls between.
   */
  private async replay(live: LiveWatch): Promise<void> {
    const { channel, key, recursive } = live;
    const end = prefixEnd(key);
    for (;;) {
      if (channel.closed || this.closed) return;
      if (channel.lastRevision < this.compactRev) {
        channel.fail(StorageError.expired(channel.lastRevision, this.compactRev));
        return;
      }
      const chunk = Math.min(HISTORY_CHUNK, channel.space);
      if (chunk === 0) {
        await channel.hasSpace();
        continue;
      }
      const rows = (
        recursive
          ? this.stmts.history.all(channel.lastRevision, key, end, chunk)
          : this.stmts.historyKey.all(key, channel.lastRevision, chunk)
      ) as EventRow[];
      for (const row of rows) channel.push(toWatchEvent(row));
      if (rows.length < chunk) {
        this.watches.add(live);
        return;
      }
      await channel.hasSpace();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  async currentRevision(): Promise<number> {
    this.assertOpen();
    return this.rev;
  }

  async compactedRevision(): Promise<number> {
    return this.compactRev;
  }

  /**
   * Removes every row at or before `revision` that a newer row of the same key at or before it supersedes,
   * and tombstones at or before it. Runs in batches so writes and reads interleave with a long compaction.
   */
  async compact(revision: number): Promise<void> {
    this.assertOpen();
    const target = Math.min(revision, this.rev);
    if (target <= this.compactRev) return;
    const from = this.compactRev;
    // Raise the mark first: from here on nobody may read or watch below it.
    this.compactRev = target;
    for (let lo = from; lo < target; lo += COMPACT_BATCH) {
      const hi = Math.min(lo + COMPACT_BATCH, target);
      try {
        this.db.transaction(() => {
          this.stmts.compactSuperseded.run(lo, hi);
          this.stmts.compactTombstones.run(lo, hi);
          this.stmts.setMeta.run('compact_rev', hi);
          this.stmts.setMeta.run('rev_floor', this.rev);
        })();
      } catch (err) {
        throw translateError(err, 'compact');
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const live of [...this.watches]) live.channel.stop();
    this.db.close();
  }

  private latestLive(key: string): KeyValue | undefined {
    const row = this.read(() => this.stmts.latest.get(key) as Row | undefined);
    return row && !row.deleted ? toKeyValue(row) : undefined;
  }

  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw translateError(err, 'read');
    }
  }

  private assertOpen(): void {
    if (this.closed) throw StorageError.unavailable('storage is closed');
  }

  private enqueue(op: WriteOp): Promise<KeyValue | 'stale'> {
    if (this.closed) return Promise.reject(StorageError.unavailable('storage is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Group commit: applies every queued write in one transaction, then answers them and feeds watchers. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const startRev = this.rev;
    const outcomes: Array<{ result?: KeyValue | 'stale'; error?: unknown; event?: WatchEvent }> = [];
    try {
      this.db.transaction(() => {
        for (const write of batch) outcomes.push(this.apply(write.op));
      })();
    } catch (err) {
      this.rev = startRev;
      const error = translateError(err, 'commit');
      for (const write of batch) write.reject(error);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const event = outcomes[i]!.event;
      if (event) this.dispatch(event);
    }
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.error !== undefined) batch[i]!.reject(outcome.error);
      else batch[i]!.resolve(outcome.result!);
    }
  }

  /** Applies one write inside the batch transaction; refusals are returned, not thrown, so the batch goes on. */
  private apply(op: WriteOp): { result?: KeyValue | 'stale'; error?: unknown; event?: WatchEvent } {
    const row = this.stmts.latest.get(op.key) as Row | undefined;
    const current = row && !row.deleted ? toKeyValue(row) : undefined;
    const rev = this.rev + 1;
    switch (op.kind) {
      case 'create': {
        if (current) return { error: StorageError.alreadyExists(op.key) };
        this.stmts.insert.run(rev, op.key, 0, rev, 0, op.value);
        this.rev = rev;
        const kv = { key: op.key, value: op.value, createRevision: rev, modRevision: rev };
        return { result: kv, event: { type: 'ADDED', key: op.key, revision: rev, value: op.value } };
      }
      case 'update': {
        if (!current || current.modRevision !== op.expectedModRevision) {
          if (op.preconditions?.modRevision !== undefined) {
            return { error: StorageError.conflict(op.key, `modRevision ${op.preconditions.modRevision} does not match ${current?.modRevision ?? 'a missing key'}`) };
          }
          return { result: 'stale' };
        }
        this.stmts.insert.run(rev, op.key, 0, current.createRevision, current.modRevision, op.value);
        this.rev = rev;
        const kv = { key: op.key, value: op.value, createRevision: current.createRevision, modRevision: rev };
        return { result: kv, event: { type: 'MODIFIED', key: op.key, revision: rev, value: op.value, prevValue: current.value } };
      }
      case 'delete': {
        if (!current) return { error: StorageError.notFound(op.key) };
        try {
          if (op.preconditions) checkPreconditions(op.key, current, op.preconditions);
        } catch (error) {
          return { error };
        }
        this.stmts.insert.run(rev, op.key, 1, current.createRevision, current.modRevision, Buffer.alloc(0));
        this.rev = rev;
        const kv = { key: op.key, value: current.value, createRevision: current.createRevision, modRevision: rev };
        return { result: kv, event: { type: 'DELETED', key: op.key, revision: rev, value: current.value, prevValue: current.value } };
      }
    }
  }

  private dispatch(event: WatchEvent): void {
    for (const live of this.watches) {
      if (watchMatches(live.key, live.recursive, event.key)) live.channel.push(event);
    }
  }
}

function toKeyValue(row: Row): KeyValue {
  return { key: row.key, value: row.value, createRevision: row.create_rev, modRevision: row.rev };
}

function toWatchEvent(row: EventRow): WatchEvent {
  const prevValue = row.prev_value ?? undefined;
  if (row.deleted) return { type: 'DELETED', key: row.key, revision: row.rev, value: prevValue ?? Buffer.alloc(0), prevValue };
  if (row.prev_rev === 0) return { type: 'ADDED', key: row.key, revision: row.rev, value: row.value };
  return { type: 'MODIFIED', key: row.key, revision: row.rev, value: row.value, prevValue };
}

/** Maps SQLite failures to typed storage errors the apiserver reports as 503 (transient) or 500. */
function translateError(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) return err;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string') {
    if (code === 'SQLITE_FULL') return StorageError.unavailable(`${what}: insufficient storage: the disk is full (${message})`, err);
    if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      return StorageError.unavailable(`${what}: storage I/O error: ${message}`, err);
    }
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
      return StorageError.internal(`${what}: the database file is corrupt or not a SQLite database: ${message}`, err);
    }
    if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM')) {
      return StorageError.internal(`${what}: the database file cannot be opened for writing: ${message}`, err);
    }
  }
  return StorageError.internal(`${what}: ${message}`, err);
}
