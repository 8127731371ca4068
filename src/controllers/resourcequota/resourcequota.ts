/**
 * The resource quota controller (kube's resourcequota-controller): keeps every ResourceQuota's status —
 * `hard` (spec.hard) and `used` — recomputed from the objects in its namespace, with the same evaluators as the
 * ResourceQuota admission plugin (src/apiserver/admission/resource-quota-*.ts): pods and their compute
 * requests/limits (terminal pods count nothing), services and their node ports / load balancers, claims and
 * storage, configmaps, secrets and `count/<resource>.<group>` of anything, under the quota's scopes.
 *
 * A quota is synced when it is created or its spec changes, when an object it counts is added, deleted or
 * changes what it counts, and every 5 minutes for all quotas (kube's resync). Informers for what quotas count
 * are made as quotas ask for them (a `count/widgets.example.com` quota starts a widgets informer).
 */
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import { hardOf } from '../../apiserver/admission/quota-ledger.js';
import { quotaScope } from '../../apiserver/admission/resource-quota-scopes.js';
import { quotaStatus, sameQuotaStatus, usageOfObjects } from '../../apiserver/admission/resource-quota-status.js';
import { countedOf, resourcesFor, type Counted } from '../../apiserver/admission/resource-quota-usage.js';
import type { StoredObject } from '../../apiserver/registry/strategy.js';
import type { GroupResource } from '../../apimachinery/status.js';
import { Controller } from '../../client/controller.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import { metaNamespaceKey, NAMESPACE_INDEX, splitMetaNamespaceKey } from '../../client/indexer.js';
import type { SharedInformer } from '../../client/informer.js';
import { builtinResource } from '../../client/resources.js';
import type { KubeObject, ResourceRef } from '../../client/types.js';
import type { ControllerContext, ManagedController } from '../context.js';

type QuotaObject = ResourceQuota & KubeObject;

export const RESOURCEQUOTAS = builtinResource('', 'v1', 'resourcequotas');
/** kube's --resource-quota-sync-period. */
export const RESOURCE_QUOTA_SYNC_PERIOD_MS = 5 * 60_000;
/** How long a sync waits for a newly made informer to list before trying again later. */
const INFORMER_SYNC_WAIT_MS = 10_000;
/** Discovery is asked again for an unknown resource at most this often. */
const DISCOVERY_TTL_MS = 30_000;

/** Core resources quotas name on their own (served at v1 in every cluster, no discovery needed). */
const CORE_COUNTED = new Set(['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims', 'replicationcontrollers', 'resourcequotas']);

const grKey = (gr: GroupResource): string => `${gr.group}/${gr.resource}`;

/** The resources a quota's hard names need counted. */
export function countedResources(quota: ResourceQuota): GroupResource[] {
  return resourcesFor(Object.keys(quota.spec?.hard ?? {}));
}

/** What an object counts (usage and pod facts) as a comparable string. */
function countedKey(gr: GroupResource, obj: KubeObject): string {
  const { usage, pod } = countedOf(gr, obj as StoredObject);
  return JSON.stringify([[...usage].map(([name, q]) => [name, q.nano.toString()]).sort(), pod ?? null]);
}

/** A quota's status computed from what `countedIn` yields per resource (the cache's objects of its namespace). */
export function computeQuotaStatus(quota: ResourceQuota, countedIn: (gr: GroupResource) => Iterable<Counted>): { hard: Record<string, string>; used: Record<string, string> } {
  const hard = hardOf(quota as Record<string, unknown>);
  const used = usageOfObjects(hard.keys(), quotaScope(quota as StoredObject), countedIn);
  return quotaStatus(hard, used);
}

export class ResourceQuotaController implements ManagedController {
  readonly name = 'resourcequota-controller';
  private readonly controller: Controller;
  private quotas!: SharedInformer<QuotaObject>;
  /** Informers of counted resources by `group/resource`, with their handler attached. */
  private readonly counted = new Map<string, SharedInformer<KubeObject>>();
  private served: Map<string, ResourceRef> | undefined;
  private servedAt = 0;
  private resync: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly resyncPeriodMs = RESOURCE_QUOTA_SYNC_PERIOD_MS,
  ) {
    this.controller = new Controller({ name: this.name, sync: (key) => this.syncResourceQuota(key), logger: ctx.logger.child({ controller: this.name }) });
  }

  async init(): Promise<void> {
    this.quotas = this.ctx.informers.informerFor<QuotaObject>(RESOURCEQUOTAS);
    const enqueue = (q: QuotaObject): void => this.controller.enqueue(metaNamespaceKey(q));
    this.quotas.addEventHandler({
      onAdd: enqueue,
      // Only spec changes (or a status that lost step with spec) need a recount; our own writes do not.
      onUpdate: (old, q) => {
        if (JSON.stringify(old.spec?.hard ?? {}) !== JSON.stringify(q.spec?.hard ?? {}) || JSON.stringify(old.spec?.scopes) !== JSON.stringify(q.spec?.scopes)) enqueue(q);
        else if (JSON.stringify(q.status?.hard ?? {}) !== JSON.stringify(quotaStatus(hardOf(q as Record<string, unknown>), new Map()).hard)) enqueue(q);
      },
    });
    // Pods are what most quotas count: watch them from the start, like kube's pod evaluator.
    this.informerOf({ group: '', resource: 'pods' }, builtinResource('', 'v1', 'pods'));
  }

  async run(): Promise<void> {
    await Promise.all([this.quotas.waitForSync(), ...[...this.counted.values()].map((i) => i.waitForSync())]);
    this.controller.run(2);
    this.resync = setInterval(() => this.enqueueAll(), this.resyncPeriodMs);
    this.resync.unref();
  }

  async stop(): Promise<void> {
    if (this.resync) clearInterval(this.resync);
    await this.controller.stop();
  }

  private enqueueAll(): void {
    for (const q of this.quotas.lister().list()) this.controller.enqueue(metaNamespaceKey(q));
  }

  /** The informer of a counted resource, made (and handled) on first ask. */
  private informerOf(gr: GroupResource, ref: ResourceRef): SharedInformer<KubeObject> {
    let informer = this.counted.get(grKey(gr));
    if (informer) return informer;
    informer = this.ctx.informers.informerFor<KubeObject>(ref);
    this.counted.set(grKey(gr), informer);
    const changed = (o: KubeObject): void => this.enqueueQuotasCounting(gr, o.metadata.namespace);
    informer.addEventHandler({
      onAdd: (o, initial) => (initial ? undefined : changed(o)),
      // An update matters when it changes what the object counts (a pod that finished, a service's type).
      // Most namespaces have no quota: skip the comparison there, as it is paid on every pod status write.
      onUpdate: (old, o) => (this.hasQuotas(o.metadata.namespace) && countedKey(gr, old) !== countedKey(gr, o) ? changed(o) : undefined),
      onDelete: changed,
    });
    return informer;
  }

  private hasQuotas(namespace: string | undefined): boolean {
    return !!namespace && this.quotas.indexer.indexKeys(NAMESPACE_INDEX, namespace).length > 0;
  }

  private enqueueQuotasCounting(gr: GroupResource, namespace: string | undefined): void {
    if (!namespace) return;
    for (const q of this.quotas.lister().namespace(namespace).list()) {
      if (countedResources(q).some((r) => r.group === gr.group && r.resource === gr.resource)) this.controller.enqueue(metaNamespaceKey(q));
    }
  }

  /** Where a group/resource is served (core resources at v1; others as discovery says), if it is. */
  private async refFor(gr: GroupResource): Promise<ResourceRef | undefined> {
    if (gr.group === '' && CORE_COUNTED.has(gr.resource)) return builtinResource('', 'v1', gr.resource);
    const look = (): ResourceRef | undefined => this.served?.get(grKey(gr));
    if (look() || (this.served && Date.now() - this.servedAt < DISCOVERY_TTL_MS)) return look();
    const resources = await this.ctx.discovery.serverPreferredResources();
    this.served = new Map(resources.filter((r) => r.verbs.includes('list') && r.verbs.includes('watch')).map((r) => [grKey(r), r]));
    this.servedAt = Date.now();
    return look();
  }

  /** One sync of a quota: recount its namespace's usage and write the status when it changed. */
  async syncResourceQuota(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const quota = this.quotas.lister().namespace(namespace).get(name);
    if (!quota) return;
    const objects = new Map<string, KubeObject[]>();
    for (const gr of countedResources(quota)) {
      const existing = this.counted.get(grKey(gr));
      const ref = existing ? undefined : await this.refFor(gr);
      // A resource nobody serves counts nothing (kube's quota simply has no monitor for it).
      if (!existing && !ref) continue;
      const informer = existing ?? this.informerOf(gr, ref!);
      if (!informer.hasSynced()) await waitOrThrow(informer.waitForSync(), INFORMER_SYNC_WAIT_MS, `${grKey(gr)} informer has not synced`);
      objects.set(grKey(gr), informer.lister().namespace(namespace).list());
    }
    const status = computeQuotaStatus(quota, (gr) => (objects.get(grKey(gr)) ?? []).map((o) => countedOf(gr, o as StoredObject)));
    if (sameQuotaStatus(quota.status, status)) return;
    try {
      await this.ctx.client.resource<QuotaObject>(RESOURCEQUOTAS).namespace(namespace).updateStatus({ ...quota, status });
    } catch (err) {
      if (isNotFound(err)) return;
      // Someone (admission's recount, an edit) wrote it meanwhile: count again from the newer object.
      if (isConflict(err)) return this.controller.enqueueAfter(key, 100);
      throw err;
    }
  }
}

async function waitOrThrow(p: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
