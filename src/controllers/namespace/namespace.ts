/**
 * The namespace controller (kube's namespace-controller): when a namespace is deleted (Terminating, with the
 * `kubernetes` finalizer in spec.finalizers), it deletes every namespaced resource in it, one deletecollection
 * per resource, reports progress and problems as the namespace's conditions, and once nothing is left takes
 * its finalizer off through the `finalize` subresource, after which the apiserver deletes the namespace.
 */
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { Controller } from '../../client/controller.js';
import type { DiscoveredResource } from '../../client/discovery.js';
import { isNotFound } from '../../client/errors.js';
import type { SharedInformer } from '../../client/informer.js';
import { NAMESPACES } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import type { ControllerContext, ManagedController } from '../context.js';
import {
  contentDeletionFailed,
  discoveryFailed,
  finalizersRemain,
  resourcesRemain,
  sameConditions,
  updatedConditions,
  type Problem,
} from './conditions.js';
import { rfc3339 } from '../../apimachinery/time.js';

/** api.FinalizerKubernetes. */
const KUBERNETES_FINALIZER = 'kubernetes';
/** How soon a namespace whose content is still going is looked at again. */
const CONTENT_REMAINING_RECHECK_MS = 1000;

type NamespaceObject = Namespace & KubeObject;

/** Content is left (or going): look again after `afterMs`. */
class ContentRemaining extends Error {
  constructor(readonly afterMs: number) {
    super('content remaining');
  }
}

export class NamespaceController implements ManagedController {
  readonly name = 'namespace-controller';
  private readonly controller: Controller;
  private namespaces!: SharedInformer<NamespaceObject>;

  constructor(private readonly ctx: ControllerContext) {
    this.controller = new Controller({ name: this.name, sync: (name) => this.syncWithRecheck(name), logger: ctx.logger.child({ controller: this.name }) });
  }

  async init(): Promise<void> {
    this.namespaces = this.ctx.informers.informerFor<NamespaceObject>(NAMESPACES);
    this.namespaces.addEventHandler(this.controller.handler((ns) => (ns.metadata.deletionTimestamp ? ns.metadata.name : undefined)));
  }

  async run(): Promise<void> {
    await this.namespaces.waitForSync();
    this.controller.run(5);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async syncWithRecheck(name: string): Promise<void> {
    try {
      await this.sync(name);
    } catch (err) {
      if (!(err instanceof ContentRemaining)) throw err;
      this.controller.enqueueAfter(name, err.afterMs);
    }
  }

  private async sync(name: string): Promise<void> {
    const cached = this.namespaces.lister().get(name);
    if (!cached?.metadata.deletionTimestamp || !(cached.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER)) return;
    const problems: Problem[] = [];
    let resources: DiscoveredResource[] = [];
    try {
      resources = (await this.ctx.discovery.serverPreferredResources()).filter((r) => r.namespaced && r.verbs.includes('list') && (r.verbs.includes('deletecollection') || r.verbs.includes('delete')));
    } catch (err) {
      problems.push(discoveryFailed([err instanceof Error ? err.message : String(err)]));
    }
    const errors: string[] = [];
    const remaining = new Map<string, number>();
    const finalizers = new Map<string, number>();
    await Promise.all(
      resources.map(async (r) => {
        try {
          const left = await this.deleteAll(r, name);
          if (left.length > 0) remaining.set(`${r.resource}.${r.group}`, left.length);
          for (const o of left) for (const f of o.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
        } catch (err) {
          errors.push(err instanceof Error ? err.message : String(err));
        }
      }),
    );
    if (errors.length > 0) problems.push(contentDeletionFailed(errors.sort()));
    if (remaining.size > 0) problems.push(resourcesRemain(remaining));
    if (finalizers.size > 0) problems.push(finalizersRemain(finalizers));
    const ns = await this.updateConditions(name, problems);
    if (!ns) return;
    if (errors.length > 0 || problems.some((p) => p.type.endsWith('DiscoveryFailure'))) throw new Error(`namespace ${name}: ${problems.map((p) => p.message).join('; ')}`);
    if (remaining.size > 0) throw new ContentRemaining(CONTENT_REMAINING_RECHECK_MS);
    await this.finalize(ns);
  }

  /** Deletes the resource's objects in the namespace; answers what is left (being finalized or gracefully deleted). */
  private async deleteAll(r: DiscoveredResource, namespace: string): Promise<KubeObject[]> {
    const rc = this.ctx.client.resource(r).namespace(namespace);
    if (r.verbs.includes('deletecollection')) {
      await rc.deleteCollection({}, { propagationPolicy: 'Background' });
    } else {
      const list = await rc.listAll();
      for (const o of list.items) {
        if (o.metadata.deletionTimestamp) continue;
        await rc.delete(o.metadata.name ?? '', { propagationPolicy: 'Background' }).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
      }
    }
    return (await rc.listAll()).items;
  }

  /** Writes the conditions if they changed; answers the namespace as it now is (undefined once gone). */
  private async updateConditions(name: string, problems: Problem[]): Promise<NamespaceObject | undefined> {
    const namespaces = this.ctx.client.resource<NamespaceObject>(NAMESPACES);
    let ns: NamespaceObject;
    try {
      ns = await namespaces.get(name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const current = ns.status?.conditions ?? [];
    const next = updatedConditions(current, problems, rfc3339());
    if (sameConditions(current, next)) return ns;
    try {
      return await namespaces.updateStatus({ ...ns, status: { ...ns.status, phase: 'Terminating', conditions: next } });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Takes the `kubernetes` finalizer off; the apiserver deletes the namespace when no finalizer is left. */
  private async finalize(ns: NamespaceObject): Promise<void> {
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER);
    const namespaces = this.ctx.client.resource<NamespaceObject>(NAMESPACES);
    try {
      await namespaces.updateSubresource({ ...ns, spec: { ...ns.spec, finalizers } }, 'finalize');
      this.controller.log.info({ namespace: ns.metadata.name }, 'namespace content removed; finalized');
    } catch (err) {
      // Gone already; a Conflict (a stale read) is retried with backoff.
      if (isNotFound(err)) return;
      throw err;
    }
  }
}
