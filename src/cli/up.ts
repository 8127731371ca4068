import { Compactor } from '../storage/compactor.js';
import { describeDatastore, openStore, parseDatastore, type Datastore } from '../storage/factory.js';
import type { Store } from '../storage/interface.js';
import { componentLogger } from '../util/log.js';

export interface UpOptions {
  dataDir: string;
  datastore?: string;
  compactionInterval: number;
  compactionRetention: number;
}

/**
 * `k8ts up`: brings up every component on this machine. So far that is the storage engine (SQLite under the
 * data dir, or etcd) with its compactor; the apiserver and the rest join here as they land.
 * SIGINT/SIGTERM finish in-flight writes, close the store and exit 0.
 */
export async function up(opts: UpOptions): Promise<void> {
  const log = componentLogger('up');
  const started = performance.now();
  let datastore: Datastore;
  let store: Store;
  try {
    datastore = parseDatastore(opts.datastore, opts.dataDir);
    store = await openStore(datastore);
  } catch (err) {
    log.fatal({ err }, 'cannot open the datastore');
    console.error(`k8ts: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  const compactor = new Compactor(store, {
    intervalMs: opts.compactionInterval * 1000,
    retentionMs: opts.compactionRetention * 1000,
    logger: componentLogger('storage'),
  });
  compactor.start();
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await compactor.stop();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', (s) => void shutdown(s));
  process.on('SIGTERM', (s) => void shutdown(s));
  const revision = await store.currentRevision();
  log.info({ datastore: describeDatastore(datastore), revision, ms: Math.round(performance.now() - started) }, 'storage ready');
  console.error(`k8ts: storage ready (${describeDatastore(datastore)}) at revision ${revision}; press Ctrl-C to stop`);
}
