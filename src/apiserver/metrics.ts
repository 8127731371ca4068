/**
 * The apiserver's Prometheus metrics, named as kube-apiserver names them: request counts and latencies by
 * verb/resource/code, registered watchers, and storage latency by operation.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../storage/interface.js';

export class APIServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<string>;
  readonly requestDuration: Histogram<string>;
  readonly watchers: Gauge<string>;
  readonly storageDuration: Histogram<string>;

  constructor(watcherCounts: () => Array<{ group: string; resource: string; count: number }>) {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, group, version, resource, subresource, scope and HTTP response code.',
      labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'code'],
      registers: [this.registry],
    });
    this.requestDuration = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, group, version, resource, subresource and scope.',
      labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'scope'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    });
    this.watchers = new Gauge({
      name: 'apiserver_registered_watchers',
      help: 'Number of currently registered watchers for a given resource',
      labelNames: ['group', 'resource'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const w of watcherCounts()) this.set({ group: w.group, resource: w.resource }, w.count);
      },
    });
    this.storageDuration = new Histogram({
      name: 'apiserver_storage_request_duration_seconds',
      help: 'Storage request latency in seconds for each operation.',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [this.registry],
    });
  }

  /** The store with every call timed into `apiserver_storage_request_duration_seconds`. */
  instrument(store: Store): Store {
    const timed = <A extends unknown[], R>(operation: string, fn: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        const end = this.storageDuration.startTimer({ operation });
        try {
          return await fn(...args);
        } finally {
          end();
        }
      };
    return {
      create: timed('create', store.create.bind(store)),
      get: timed('get', store.get.bind(store)),
      list: timed('list', store.list.bind(store)),
      guaranteedUpdate: timed('update', store.guaranteedUpdate.bind(store)),
      delete: timed('delete', store.delete.bind(store)),
      count: timed('count', store.count.bind(store)),
      watch: store.watch.bind(store),
      currentRevision: store.currentRevision.bind(store),
      compact: timed('compact', store.compact.bind(store)),
      compactedRevision: store.compactedRevision.bind(store),
      close: store.close.bind(store),
    };
  }
}
