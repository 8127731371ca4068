import { join } from 'node:path';
import { StorageError } from './errors.js';
import type { Store } from './interface.js';
import { SQLiteStore } from './sqlite/store.js';

/** Where state lives: the embedded SQLite file under the data dir, or an etcd cluster. */
export type Datastore = { kind: 'sqlite'; path: string } | { kind: 'etcd'; endpoints: string[] };

/**
 * Parses `--datastore`: absent or `sqlite` for `<data-dir>/db/state.db`, `sqlite:///path/to/file.db`, or
 * `etcd://host:2379[,host:2379]` (`etcds://` for TLS endpoints).
 */
export function parseDatastore(datastore: string | undefined, dataDir: string): Datastore {
  if (!datastore || datastore === 'sqlite') return { kind: 'sqlite', path: join(dataDir, 'db', 'state.db') };
  const match = /^(sqlite|etcds?):\/\/(.*)$/.exec(datastore);
  if (!match) throw StorageError.invalid(`unsupported --datastore ${JSON.stringify(datastore)}: use sqlite:///path or etcd://host:port[,host:port]`);
  const [, scheme, rest] = match as unknown as [string, string, string];
  if (scheme === 'sqlite') {
    if (!rest.startsWith('/')) throw StorageError.invalid(`--datastore sqlite:// needs an absolute path, got ${JSON.stringify(rest)}`);
    return { kind: 'sqlite', path: rest };
  }
  const endpoints = rest.split(',').map((host) => host.trim()).filter(Boolean);
  if (endpoints.length === 0) throw StorageError.invalid('--datastore etcd:// needs at least one host:port');
  const proto = scheme === 'etcds' ? 'https' : 'http';
  return { kind: 'etcd', endpoints: endpoints.map((host) => `${proto}://${host.replace(/\/+$/, '')}`) };
}

/** Opens the configured backend. */
export async function openStore(datastore: Datastore): Promise<Store> {
  if (datastore.kind === 'sqlite') return SQLiteStore.open({ path: datastore.path });
  // Loaded on demand: the gRPC stack costs start-up time that a SQLite cluster never needs.
  const { EtcdStore } = await import('./etcd/store.js');
  return EtcdStore.open({ endpoints: datastore.endpoints });
}

/** A human-readable name of the datastore, for logs and the CLI. */
export function describeDatastore(datastore: Datastore): string {
  return datastore.kind === 'sqlite' ? `sqlite ${datastore.path}` : `etcd ${datastore.endpoints.join(',')}`;
}
