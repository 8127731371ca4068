/**
 * The shared informer factory: one informer (one list + watch) per resource and selector in the process,
 * however many controllers ask for it.
 */
import type { Logger } from 'pino';
import { componentLogger } from '../util/log.js';
import type { Client } from './client.js';
import { compactPod, SharedInformer } from './informer.js';
import type { KubeObject, ResourceRef } from './types.js';

export interface InformerFilter {
  labelSelector?: string;
  fieldSelector?: string;
}

export class SharedInformerFactory {
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private readonly log: Logger;
  private started = false;

  constructor(
    private readonly client: Client,
    opts: { logger?: Logger } = {},
  ) {
    this.log = opts.logger ?? componentLogger('informers');
  }

  /** The informer for `ref` (and filter), made on first ask; started now if the factory already runs. */
  informerFor<T extends KubeObject = KubeObject>(ref: ResourceRef, filter: InformerFilter = {}): SharedInformer<T> {
    const key = `${ref.group}/${ref.version}/${ref.resource}?${filter.labelSelector ?? ''}&${filter.fieldSelector ?? ''}`;
    let informer = this.informers.get(key);
    if (!informer) {
      const pods = ref.group === '' && ref.resource === 'pods';
      informer = new SharedInformer<KubeObject>(this.client.resource(ref), { ...filter, logger: this.log, ...(pods ? { transform: compactPod } : {}) });
      this.informers.set(key, informer);
      if (this.started) informer.run();
    }
    return informer as unknown as SharedInformer<T>;
  }

  /** Starts every informer asked for so far (and those asked for later, as they are). */
  start(): void {
    this.started = true;
    for (const i of this.informers.values()) i.run();
  }

  /** Resolves once every informer asked for so far has synced. */
  async waitForCacheSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  shutdown(): void {
    for (const i of this.informers.values()) i.stop();
  }
}
